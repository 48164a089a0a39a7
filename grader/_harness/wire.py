"""The wire format between the grader and its sandboxes. Imports only NumPy.

A frame is `u32 length | u32 header length | header JSON | array bytes...`. The
header is a JSON object; its value tree refers to arrays by index into `blobs`,
each `[dtype, shape, nbytes]`, whose raw C-order little-endian bytes follow the
header in order. No pickle anywhere. This module writes frames (the harness and the
grader both do) and reads frames the grader wrote itself; frames coming back from
a sandbox are read by the hardened reader in `grader.codec`.
"""

from __future__ import annotations

import json
import math
import struct
from typing import Any

import numpy as np

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
HEAD = _U32 = struct.Struct("<I")  # the two length fields at the head of a frame
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
    parts: list[Any] = [_U32.pack(size), _U32.pack(len(head)), head, *(b.reshape(-1).view(np.uint8) for b in blobs)]
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
    (length,) = HEAD.unpack_from(data, pos)
    if heads:
        (hlen,) = HEAD.unpack_from(data, pos + LENGTH_BYTES)
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
        (hlen,) = _U32.unpack_from(view, pos + 4)
        header = json.loads(bytes(view[pos + 8 : pos + 8 + hlen]))
        arrays = []
        off = pos + 8 + hlen
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
