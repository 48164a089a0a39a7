"""Loading `.npz` data from a bundle: plain numeric arrays only, sizes checked first."""

from __future__ import annotations

import io
import math
import zipfile
from typing import IO

import numpy as np

from grader.bundle._archive import MAX_BUNDLE_BYTES, ZIP_ERRORS

_ALLOWED_KINDS = "biuf"


class DataError(ValueError):
    """A data file is not plain numeric arrays; the message says which and why."""


def load_npz(name: str, data: bytes, max_bytes: int = MAX_BUNDLE_BYTES) -> dict[str, np.ndarray]:
    """The arrays of an `.npz`, refusing pickles, object or odd dtypes and lying headers."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except ZIP_ERRORS:
        raise DataError(f"{name}: not an .npz file (not a zip archive)") from None
    arrays: dict[str, np.ndarray] = {}
    total = 0
    with archive:
        for info in archive.infolist():
            key = info.filename[:-4] if info.filename.endswith(".npy") else info.filename
            total += info.file_size
            if total > max_bytes:
                raise DataError(
                    f"{name}: its arrays hold more than {max_bytes} bytes ({max_bytes / 2**20:.3g} MiB) once "
                    "decompressed, the most a bundle's data may hold: use fewer or smaller arrays (a subset of "
                    "the set, a smaller dtype)"
                )
            try:
                with archive.open(info) as fh:
                    arrays[key] = _read_npy(name, key, fh, info.file_size)
            except DataError:
                raise
            except ZIP_ERRORS as exc:
                raise DataError(f"{name}: array {key!r} cannot be read ({exc})") from None
    return arrays


def _read_npy(name: str, key: str, fh: IO[bytes], size: int) -> np.ndarray:
    where = f"{name}: array {key!r}"
    try:
        version = np.lib.format.read_magic(fh)
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(fh)
        else:
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(fh)
    except ValueError as exc:
        raise DataError(f"{where} has a malformed header ({exc})") from None
    if dtype.hasobject or dtype.kind not in _ALLOWED_KINDS or dtype.fields is not None:
        raise DataError(f"{where} has dtype {dtype}; only bool, integer and float arrays are allowed")
    if any(d < 0 for d in shape):
        raise DataError(f"{where} has a negative axis in its shape {shape}")
    count = math.prod(shape)  # exact: np.prod would wrap around on a crafted shape
    nbytes = count * dtype.itemsize
    if nbytes > size:
        raise DataError(f"{where} claims {nbytes} bytes but the file holds {size}")
    raw = fh.read(nbytes)
    if len(raw) != nbytes:
        raise DataError(f"{where} is truncated")
    arr = np.frombuffer(raw, dtype=dtype, count=count)
    # not ascontiguousarray: it turns a 0-d array into shape (1,)
    return np.asarray(arr.reshape(shape, order="F" if fortran else "C"), order="C")
