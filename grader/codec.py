"""Reading frames that came back from a sandbox: every byte is hostile.

Sizes are checked before anything is allocated, dtypes come from an allowlist,
no pickle, no object arrays, bounded nesting and counts. A malformed stream stops
the parse (and the job) and says why.
"""

from __future__ import annotations

import json
import math
import struct
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from grader._harness.wire import ALLOWED_DTYPES, LENGTH_BYTES, FrameTooLarge, next_frame
from grader.values import Opaque, Value

_U32 = struct.Struct("<I")
MAX_HEADER_BYTES = 4 * 1024 * 1024
MAX_NODES = 200_000
MAX_BLOBS = 20_000
MAX_NDIM = 8
MAX_DEPTH = 40
MAX_STRING = 20_000
# An array's bytes as if no axis were empty: NumPy refuses shapes past its index type even when an axis
# is 0, so a shape like [0, 2**63] must stop here, not in `reshape`.
MAX_ARRAY_BYTES = 2**40
_PLAIN = (str, int, float, bool, type(None))
# What decoding hostile bytes can raise besides MalformedFrame; each becomes MalformedFrame, so the only
# error a frame can cause is "bad output" (for the call it belongs to), never a crash of the reader.
_DECODE_ERRORS = (ValueError, TypeError, OverflowError, MemoryError, RecursionError, IndexError, KeyError, struct.error)


class MalformedFrame(ValueError):
    """The result channel broke the wire format; the message says how."""


@dataclass
class Frame:
    """One decoded frame: its header fields (without the value) and its value."""

    header: dict[str, Any]
    value: Value
    nbytes: int = 0  # the frame's size on the wire

    @property
    def kind(self) -> str:
        return str(self.header.get("k", ""))


def decode_body(body: bytes) -> Frame:
    """Decode one frame body (without its outer length); any fault in it raises MalformedFrame only."""
    try:
        return _decode_body(body)
    except MalformedFrame:
        raise
    except _DECODE_ERRORS as exc:
        raise MalformedFrame(f"frame cannot be decoded ({type(exc).__name__})") from None


def _decode_body(body: bytes) -> Frame:
    if len(body) < 4:
        raise MalformedFrame("frame shorter than its header length field")
    (hlen,) = _U32.unpack_from(body, 0)
    if hlen > MAX_HEADER_BYTES or 4 + hlen > len(body):
        raise MalformedFrame(f"frame header claims {hlen} bytes")
    try:
        header = json.loads(body[4 : 4 + hlen].decode("utf-8"), parse_constant=_no_constant)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise MalformedFrame(f"frame header is not valid JSON: {type(exc).__name__}") from None
    if not isinstance(header, dict):
        raise MalformedFrame("frame header is not an object")
    arrays = _read_blobs(header.pop("blobs", []), body, 4 + hlen)
    counter = [0]
    value = _build(header.pop("v", None), arrays, 0, counter)
    return Frame(header=_plain_header(header), value=value, nbytes=4 + len(body))


def _plain_header(header: dict[str, Any]) -> dict[str, Any]:
    """The header's fields, each a plain bounded scalar: nothing else of a header is ever read."""
    out: dict[str, Any] = {}
    for key, val in header.items():
        if not isinstance(val, _PLAIN) or (type(val) is int and abs(val) >= 2**63):
            raise MalformedFrame(f"frame header field {key[:20]!r} is not a plain value")
        out[key[:200]] = val[:MAX_STRING] if isinstance(val, str) else val
    return out


def _no_constant(name: str) -> Any:
    raise ValueError(f"bare {name} in JSON")


def _read_blobs(specs: Any, body: bytes, offset: int) -> list[np.ndarray]:
    if not isinstance(specs, list) or len(specs) > MAX_BLOBS:
        raise MalformedFrame("frame blob list is malformed or too long")
    arrays = []
    for spec in specs:
        dtype, shape, nbytes = _check_blob_spec(spec)
        if offset + nbytes > len(body):
            raise MalformedFrame(f"array claims {nbytes} bytes beyond the end of the frame")
        count = nbytes // dtype.itemsize
        arr = np.frombuffer(body, dtype=dtype, count=count, offset=offset).reshape(shape)
        arrays.append(arr)
        offset += nbytes
    if offset != len(body):
        raise MalformedFrame("frame has trailing bytes after its arrays")
    return arrays


def _check_blob_spec(spec: Any) -> tuple[np.dtype[Any], tuple[int, ...], int]:
    if not (isinstance(spec, list) and len(spec) == 3):
        raise MalformedFrame("array description is not [dtype, shape, nbytes]")
    dtype_str, shape, nbytes = spec
    if dtype_str not in ALLOWED_DTYPES:
        raise MalformedFrame(f"array dtype {str(dtype_str)[:20]!r} is not allowed")
    if not (isinstance(shape, list) and len(shape) <= MAX_NDIM):
        raise MalformedFrame("array shape is malformed or has too many axes")
    if not all(type(d) is int and d >= 0 for d in shape):
        raise MalformedFrame("array shape has a non-integer or negative axis")
    dtype = np.dtype(dtype_str)
    if math.prod(max(d, 1) for d in shape) * dtype.itemsize > MAX_ARRAY_BYTES:
        raise MalformedFrame("array shape is too large")
    expected = math.prod(shape) * dtype.itemsize
    if type(nbytes) is not int or nbytes != expected:
        raise MalformedFrame("array byte count does not match its shape and dtype")
    return dtype, tuple(shape), nbytes


def _build(node: Any, arrays: list[np.ndarray], depth: int, counter: list[int]) -> Value:
    counter[0] += 1
    if counter[0] > MAX_NODES or depth > MAX_DEPTH:
        raise MalformedFrame("value is too large or too deeply nested")
    if node is None:
        return None
    if not (isinstance(node, dict) and len(node) == 1):
        raise MalformedFrame("value node is not a one-key object")
    ((key, val),) = node.items()
    if key in ("l", "t", "d"):
        return _build_container(key, val, arrays, depth, counter)
    return _build_leaf(key, val, arrays)


def _build_leaf(key: str, val: Any, arrays: list[np.ndarray]) -> Value:
    if key == "a" and type(val) is int and 0 <= val < len(arrays):
        return arrays[val]
    if key == "f" and (type(val) in (int, float) or val in ("nan", "inf", "-inf")):
        try:
            return float(val)
        except OverflowError:  # an integer literal beyond the largest float
            raise MalformedFrame("float node is out of range") from None
    if key == "i" and type(val) is int and abs(val) < 2**63:
        return val
    if key == "b" and type(val) is bool:
        return val
    if key == "s" and isinstance(val, str):
        return val[:MAX_STRING]
    if key == "n":
        return None
    if key == "o" and isinstance(val, str):
        return Opaque(val[:200])
    raise MalformedFrame(f"value node {key[:10]!r} is malformed")


def _build_container(key: str, val: Any, arrays: list[np.ndarray], depth: int, counter: list[int]) -> Value:
    if not isinstance(val, list):
        raise MalformedFrame("container node does not hold a list")
    if key == "d":
        out: dict[str, Value] = {}
        for item in val:
            if not (isinstance(item, list) and len(item) == 2 and isinstance(item[0], str)):
                raise MalformedFrame("dict entry is not [key, value]")
            out[item[0][:200]] = _build(item[1], arrays, depth + 1, counter)
        return out
    items = [_build(v, arrays, depth + 1, counter) for v in val]
    return tuple(items) if key == "t" else items


@dataclass
class FrameReader:
    """Incremental parser of a result channel; also usable as a sandbox Monitor."""

    max_frame_bytes: int = 512 * 1024 * 1024
    frames: list[Frame] = field(default_factory=list)
    error: str | None = None
    oversized: bool = False  # the error is a frame over `max_frame_bytes`
    _buffer: bytearray = field(default_factory=bytearray)

    def feed(self, data: bytes) -> None:
        if self.error is not None:
            return
        buffer = self._buffer
        buffer.extend(data)
        pos = 0  # frames are cut out by offset and the buffer shortened once (a chunk holds many frames)
        try:
            with memoryview(buffer) as view:
                while (end := next_frame(view, pos, self.max_frame_bytes)) is not None:
                    body = view[pos + LENGTH_BYTES : end].tobytes()  # one copy: the frame's arrays view it
                    pos = end
                    try:
                        self.on_frame(decode_body(body))
                    except MalformedFrame as exc:
                        self.error = str(exc)
                        return
        except FrameTooLarge as exc:
            self.error = str(exc)
            self.oversized = True
        finally:
            del buffer[:pos]

    def on_frame(self, frame: Frame) -> None:
        """Keep the frame; subclasses react to it."""
        self.frames.append(frame)

    def finish(self) -> None:
        """Note a stream that ended in the middle of a frame."""
        if self.error is None and self._buffer:
            self.error = f"the stream ended inside a frame ({len(self._buffer)} bytes left over)"

    def deadline(self) -> float | None:
        return None

    def should_stop(self) -> bool:
        return self.error is not None
