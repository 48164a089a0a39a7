"""The wire between the grader and its sandboxes: the frame format, the one frame splitter, the encoder of
values, and the decoders of frames (our own, and the hostile ones a sandbox sends back). Imports only the
standard library and NumPy.

Why here: this one file runs on both sides. Every grading job carries it as `lib/wire.py` and imports it
there as the top-level module `wire` (see `harness_files`), where nothing of the project exists; the grader
imports the same file as `grader._harness.wire`. So it must never import anything of the project (no
pydantic, no `grader.*`): what it needs (the decoded value types, the call statuses) is defined in it.

A frame is `u32 length | u32 header length | header JSON | array bytes...`, both lengths little-endian,
the first counting every byte after itself. The header is a JSON object; its value tree (under `v`) refers
to arrays by index into `blobs`, each `[dtype, shape, nbytes]`, whose raw C-order little-endian bytes follow
the header in order. No pickle anywhere. `next_frame` is the one reader of the framing rule: the grader's
`FrameReader`, the harness's relay of its runners' pipes and `decode_trusted` all cut frames with it.

Frames coming back from a sandbox are hostile: `decode_body` and `FrameReader` check sizes before anything
is allocated, take dtypes from an allowlist, allow no pickle and no object arrays, and bound nesting and
counts. A malformed stream stops the parse (and the job) and says why. `decode_trusted` reads only frames
the grader wrote itself (a job's inputs).
"""

from __future__ import annotations

import enum
import json
import math
import struct
from dataclasses import dataclass, field
from typing import Any, TypeAlias

import numpy as np


class CallStatus(enum.StrEnum):
    """How one driver call ended: the `status` its frames and its result carry, stored as these strings.

    Two more statuses carry a number and are not members: `signal:N` (its runner was killed by signal N)
    and `exit:N` (its runner's process ended with code N); see `signal_status` and `exit_code_status`.
    """

    # What a runner says of a call that returned or raised (the harness's `failure`).
    OK = "ok"
    NOTIMPL = "notimpl"  # NotImplementedError: the starter's stub is still there
    IMPORT = "import"  # the submission did not import
    TYPE = "type"  # the driver found the wrong kind of value (gradelib.SubmissionTypeError)
    ERROR = "error"  # any other exception
    MEMORY = "memory"  # MemoryError
    EXIT = "exit"  # SystemExit
    # What the harness says of a call its runner did not finish.
    EXITED = "exited"  # the runner's process ended (code 0) before the call's result
    TIMEOUT = "timeout"  # over the call's wall time
    CPU = "cpu"  # over its CPU time (SIGXCPU)
    OVERFLOW = "overflow"  # more bytes than the call may return
    CHANNEL = "channel"  # bytes that are not frames, or frames out of order
    # What the grader says of a call whose job was cut off.
    OUTPUT = "output"  # the job printed more than its output cap
    BUDGET = "budget"  # the submission's time or bytes across all its jobs are spent
    HARNESS = "harness"  # the job ended for no reason the call explains


SIGNAL_PREFIX = "signal:"
EXIT_CODE_PREFIX = "exit:"
# The runner carries on after these; after any other status of a runner's, a fresh runner takes the next call.
CLEAN_STATUSES = frozenset({CallStatus.OK, CallStatus.NOTIMPL, CallStatus.IMPORT, CallStatus.TYPE})
# What a runner may say about a call that returned or raised; anything else is not a runner's to claim.
RUNNER_STATUSES = CLEAN_STATUSES | {CallStatus.ERROR, CallStatus.MEMORY, CallStatus.EXIT}


def signal_status(sig: int) -> str:
    """The status of a call whose runner was killed by signal `sig`."""
    return f"{SIGNAL_PREFIX}{sig}"


def exit_code_status(code: int) -> str:
    """The status of a call whose runner's process ended with a non-zero exit code."""
    return f"{EXIT_CODE_PREFIX}{code}"


@dataclass(frozen=True)
class Opaque:
    """A returned object the wire does not carry (a function, a class instance, ...)."""

    type_name: str


# A decoded value: arrays are always plain, C-ordered `np.ndarray` of an allowed dtype
# (bool, int8..int64, uint8..uint64, float32, float64); numbers are Python numbers.
Value: TypeAlias = (
    np.ndarray | float | int | bool | str | list["Value"] | tuple["Value", ...] | dict[str, "Value"] | Opaque | None
)

ALLOWED_DTYPES = (
    "|b1",
    "|i1",
    "<i2",
    "<i4",
    "<i8",
    "|u1",
    "<u2",
    "<u4",
    "<u8",
    "<f4",
    "<f8",
)
U32 = struct.Struct("<I")  # each of the two length fields that start a frame
LENGTH_BYTES = 4  # every frame starts with its length: the bytes after these four
HEAD_BYTES = 8  # the frame's length, then its header's length
MAX_ITEMS = 10_000  # items of one list, tuple or dict, characters of one string: more travels as a named placeholder


def encode_value(value: Any, blobs: list[np.ndarray], depth: int = 0) -> Any:
    """The JSON tree of `value`, appending its arrays to `blobs`."""
    if depth > 32:
        return {"o": "a value nested more than 32 levels deep"}
    if isinstance(value, bool | np.bool_):
        return {"b": bool(value)}
    if isinstance(value, int | np.integer):
        return {"i": int(value)} if abs(int(value)) < 2**63 else {"f": _big_int(int(value))}
    if isinstance(value, float | np.floating):
        return {"f": _float(float(value))}
    if isinstance(value, str):
        # Too long to carry whole: named as such (never cut short, which would change the value unseen).
        return {"s": value} if len(value) <= MAX_ITEMS else {"o": f"a string of more than {MAX_ITEMS} characters"}
    if value is None:
        return {"n": 0}
    if isinstance(value, np.ndarray):
        return _encode_array(value, blobs)
    if isinstance(value, tuple | list):
        if len(value) > MAX_ITEMS:
            return {"o": f"a {type(value).__name__} of more than {MAX_ITEMS} items"}
        key = "t" if isinstance(value, tuple) else "l"
        return {key: [encode_value(v, blobs, depth + 1) for v in value]}
    if isinstance(value, dict):
        if len(value) > MAX_ITEMS:
            return {"o": f"a dict of more than {MAX_ITEMS} keys"}
        return {"d": [[str(k), encode_value(v, blobs, depth + 1)] for k, v in value.items()]}
    return {"o": type(value).__name__[:200]}


def _big_int(x: int) -> Any:
    try:
        return _float(float(x))
    except OverflowError:  # beyond the largest float
        return "inf" if x > 0 else "-inf"


def _float(x: float) -> Any:
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return x


def _encode_array(value: np.ndarray, blobs: list[np.ndarray]) -> Any:
    arr = np.asarray(value)
    if type(arr) is not np.ndarray:
        arr = np.array(arr, copy=True).view(np.ndarray)
    if arr.dtype.kind == "c" or arr.dtype.kind not in "biuf":
        return {"o": f"ndarray[{arr.dtype}]"}
    # not ascontiguousarray: it turns a 0-d array into shape (1,)
    arr = np.asarray(arr, dtype=arr.dtype.newbyteorder("<"), order="C")
    if arr.dtype.str not in ALLOWED_DTYPES:
        arr = arr.astype("<f8")
    blobs.append(arr)
    return {"a": len(blobs) - 1}


def encode_frame(header: dict[str, Any], value: Any = None, *, with_value: bool = False) -> bytes:
    """One frame: `header` plus (when `with_value`) the value tree under key `v`."""
    blobs: list[np.ndarray] = []
    header = dict(header, v=encode_value(value, blobs)) if with_value else dict(header)  # never the caller's dict
    header["blobs"] = [[b.dtype.str, list(b.shape), int(b.nbytes)] for b in blobs]
    head = json.dumps(header, allow_nan=False).encode()
    size = 4 + len(head) + sum(int(b.nbytes) for b in blobs)
    # one copy of each array's bytes (its own C-order buffer, viewed as bytes), straight into the frame
    parts: list[Any] = [U32.pack(size), U32.pack(len(head)), head, *(b.reshape(-1).view(np.uint8) for b in blobs)]
    return b"".join(parts)


class FrameTooLarge(ValueError):
    """A frame claims more bytes than the reader takes; raised before any of them is read."""

    def __init__(self, length: int) -> None:
        super().__init__(f"a frame claims {length} bytes, over the limit")
        self.length = length


class FrameHeadBroken(ValueError):
    """A frame's two length fields do not fit together: its header cannot lie inside it."""


def next_frame(
    data: bytes | bytearray | memoryview, pos: int, limit: int | None = None, *, heads: bool = False
) -> int | None:
    """Where the frame that starts at `pos` in `data` ends, once all of it is in; None while it is not (its
    bytes include its length field, so the next frame starts at the end returned). The one reader of the
    framing rule, for every side that cuts frames out of a stream: a caller keeps `data` from the last end
    on and asks again when more bytes come after them.

    A frame claiming more than `limit` bytes raises FrameTooLarge as soon as its length field is in, before
    any of the frame. With `heads`, a frame is first held until both its length fields are in, and raises
    FrameHeadBroken when its header cannot lie inside it (checked before its size).
    """
    size = len(data) - pos
    if size < (HEAD_BYTES if heads else LENGTH_BYTES):
        return None
    (length,) = U32.unpack_from(data, pos)
    if heads:
        (hlen,) = U32.unpack_from(data, pos + LENGTH_BYTES)
        if length < 4 or hlen > length - 4:
            raise FrameHeadBroken(f"a frame of {length} bytes claims a header of {hlen} bytes")
    if limit is not None and length > limit:
        raise FrameTooLarge(length)
    if size < LENGTH_BYTES + length:
        return None
    return pos + LENGTH_BYTES + int(length)


def decode_trusted(data: bytes | memoryview) -> list[tuple[dict[str, Any], Any]]:
    """Frames written by our own code (inputs handed to a sandbox): (header, value) pairs. Each array is
    a copy of its own (writable, aligned); nothing else of `data` is copied."""
    view = memoryview(data)
    frames = []
    pos = 0
    while (end := next_frame(view, pos)) is not None:
        (hlen,) = U32.unpack_from(view, pos + LENGTH_BYTES)
        header = json.loads(bytes(view[pos + HEAD_BYTES : pos + HEAD_BYTES + hlen]))
        arrays = []
        off = pos + HEAD_BYTES + hlen
        for dtype, shape, nbytes in header.pop("blobs"):
            kind = np.dtype(dtype)
            arr = np.frombuffer(view, dtype=kind, count=nbytes // kind.itemsize, offset=off)
            arrays.append(arr.reshape(shape).copy())
            off += nbytes
        pos = end
        frames.append((header, _tree(header.get("v"), arrays)))
    return frames


def _tree(node: Any, arrays: list[np.ndarray]) -> Any:
    if node is None:
        return None
    ((key, val),) = node.items()
    if key == "a":
        return arrays[val]
    if key in ("i", "b", "s"):
        return val
    if key == "f":
        return float(val)
    if key == "n":
        return None
    if key == "l":
        return [_tree(v, arrays) for v in val]
    if key == "t":
        return tuple(_tree(v, arrays) for v in val)
    if key == "d":
        return {k: _tree(v, arrays) for k, v in val}
    return None


# Reading frames that came back from a sandbox: every byte is hostile.

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
    (hlen,) = U32.unpack_from(body, 0)
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
