"""Bundle data: plain numeric arrays only, and a header's size is checked before anything is allocated."""

from __future__ import annotations

import io
import pickle
import struct
import zipfile
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from grader.bundle import MAX_BUNDLE_BYTES, DataError, load_npz


def npz_of(compressed: bool = False, **arrays: Any) -> bytes:
    buffer = io.BytesIO()
    (np.savez_compressed if compressed else np.savez)(buffer, **arrays)
    return buffer.getvalue()


def npy_bytes(header: dict[str, Any], payload: bytes, version: tuple[int, int] = (1, 0)) -> bytes:
    """A hand-made .npy member: magic, padded header dict literal, then whatever payload we like."""
    text = repr(header).encode("latin1")
    head_len_size = 2 if version == (1, 0) else 4
    prefix = 6 + 2 + head_len_size
    pad = (-(prefix + len(text) + 1)) % 64
    text += b" " * pad + b"\n"
    length = struct.pack("<H" if version == (1, 0) else "<I", len(text))
    return b"\x93NUMPY" + bytes(version) + length + text + payload


def zip_members(**members: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        for name, content in members.items():
            archive.writestr(f"{name}.npy", content)
    return buffer.getvalue()


def refused(data: bytes, max_bytes: int = 512 * 1024 * 1024) -> str:
    with pytest.raises(DataError) as info:
        load_npz("data/x.npz", data, max_bytes=max_bytes)
    return str(info.value)


PLAIN = {
    "bool": np.array([True, False, True]),
    "int8": np.arange(-3, 3, dtype=np.int8),
    "int16": np.arange(6, dtype=np.int16).reshape(2, 3),
    "int32": np.arange(6, dtype=np.int32),
    "int64": np.array([-(2**62), 0, 2**62], dtype=np.int64),
    "uint8": np.arange(250, 256, dtype=np.uint8),
    "uint16": np.arange(4, dtype=np.uint16),
    "uint32": np.arange(4, dtype=np.uint32),
    "uint64": np.array([2**64 - 1], dtype=np.uint64),
    "float16": np.array([0.5, -1.0], dtype=np.float16),
    "float32": np.linspace(0, 1, 5, dtype=np.float32),
    "float64": np.array([[np.nan, np.inf], [-np.inf, -0.0]]),
    "big_endian": np.arange(4, dtype=">f8"),
    "scalar": np.array(3.5),
    "empty": np.zeros((0, 3)),
    "fortran": np.asfortranarray(np.arange(12.0).reshape(3, 4)),
    "four_d": np.arange(24).reshape(1, 2, 3, 4),
}


@pytest.mark.parametrize("compressed", [False, True], ids=["stored", "compressed"])
def test_plain_arrays_round_trip_with_their_dtype_and_shape(compressed: bool) -> None:
    arrays = load_npz("data/x.npz", npz_of(compressed, **PLAIN))
    assert set(arrays) == set(PLAIN)
    for key, expected in PLAIN.items():
        got = arrays[key]
        assert type(got) is np.ndarray, key
        assert got.dtype == expected.dtype and got.shape == expected.shape, key
        assert got.flags.c_contiguous, key
        np.testing.assert_array_equal(got, expected, err_msg=key)


@settings(max_examples=60, deadline=None)
@given(
    st.sampled_from(["|b1", "|i1", "<i2", "<i4", "<i8", "|u1", "<u4", "<f4", "<f8", ">i4"]),
    st.lists(st.integers(0, 4), max_size=4),
    st.booleans(),
)
def test_any_plain_array_round_trips(dtype: str, shape: list[int], fortran: bool) -> None:
    rng = np.random.default_rng(len(shape))
    array = (rng.standard_normal(shape) * 50).astype(dtype)
    if fortran:
        array = np.asfortranarray(array)
    got = load_npz("x.npz", npz_of(a=array))["a"]
    assert got.dtype == array.dtype and got.shape == array.shape
    np.testing.assert_array_equal(got, array)


def test_an_object_array_is_refused() -> None:
    data = npz_of(a=np.arange(3), b=np.array([{"rm": "-rf"}, None], dtype=object))
    assert refused(data) == "data/x.npz: array 'b' has dtype object; only bool, integer and float arrays are allowed"


def test_a_pickle_is_never_unpickled() -> None:
    class Boom:
        def __reduce__(self) -> tuple[Any, ...]:
            return (exec, ("raise SystemExit('unpickled')",))

    header = {"descr": "|O", "fortran_order": False, "shape": (1,)}
    data = zip_members(x=npy_bytes(header, pickle.dumps([Boom()])))
    assert refused(data) == "data/x.npz: array 'x' has dtype object; only bool, integer and float arrays are allowed"


def test_a_bare_pickle_member_is_not_an_array() -> None:
    data = zip_members(x=pickle.dumps({"a": 1}))
    assert refused(data).startswith("data/x.npz: array 'x' has a malformed header (")


@pytest.mark.parametrize(
    ("array", "dtype"),
    [
        (np.zeros(2, dtype=[("a", "<f8"), ("b", "<i4")]), "[('a', '<f8'), ('b', '<i4')]"),
        (np.zeros(2, dtype=np.complex128), "complex128"),
        (np.array(["a", "b"]), "<U1"),
        (np.array([b"a"]), "|S1"),
        (np.zeros(2, dtype="datetime64[s]"), "datetime64[s]"),
        (np.zeros(2, dtype="V8"), "|V8"),
    ],
    ids=["structured", "complex", "unicode", "bytes", "datetime", "void"],
)
def test_a_structured_or_non_numeric_dtype_is_refused(array: np.ndarray, dtype: str) -> None:
    expected = f"data/x.npz: array 'a' has dtype {dtype}; only bool, integer and float arrays are allowed"
    assert refused(npz_of(a=array)) == expected


@pytest.mark.parametrize(
    "shape",
    [(10**6, 10**6), (2**32, 2**32), (2**40, 2**40, 2**40), (10**30,)],
    ids=["terabytes", "wraps_to_zero_in_int64", "wraps_past_int64", "beyond_int64"],
)
def test_a_header_claiming_far_more_bytes_than_the_member_holds_is_refused_before_allocating(
    shape: tuple[int, ...],
) -> None:
    member = npy_bytes({"descr": "<f8", "fortran_order": False, "shape": shape}, b"\x00" * 64)
    message = refused(zip_members(a=member))
    assert message.startswith("data/x.npz: array 'a' claims ")
    assert message.endswith(f" bytes but the file holds {len(member)}")


def test_a_negative_axis_in_the_header_is_refused() -> None:
    member = npy_bytes({"descr": "<f8", "fortran_order": False, "shape": (-1, 4)}, b"\x00" * 64)
    assert refused(zip_members(a=member)) == "data/x.npz: array 'a' has a negative axis in its shape (-1, 4)"


def test_a_header_claiming_slightly_more_than_the_data_is_truncated() -> None:
    member = npy_bytes({"descr": "<f8", "fortran_order": False, "shape": (10,)}, b"\x00" * 16)
    assert refused(zip_members(a=member)) == "data/x.npz: array 'a' is truncated"


def test_a_version_2_header_is_read() -> None:
    member = npy_bytes(
        {"descr": "<i4", "fortran_order": False, "shape": (3,)}, np.arange(3, dtype="<i4").tobytes(), (2, 0)
    )
    np.testing.assert_array_equal(load_npz("x.npz", zip_members(a=member))["a"], [0, 1, 2])


@pytest.mark.parametrize(
    "header",
    [b"\x93NUMPY\x01\x00\x10\x00{'descr': <f8}   \n", b"\x93NUMPY\x01\x00\xff\xff", b"NOTNUMPY", b""],
    ids=["bad_literal", "header_longer_than_member", "bad_magic", "empty"],
)
def test_a_malformed_header_is_refused(header: bytes) -> None:
    assert refused(zip_members(a=header)).startswith("data/x.npz: array 'a' has a malformed header (")


def test_more_array_bytes_than_allowed_are_refused() -> None:
    data = npz_of(a=np.zeros(100), b=np.zeros(100))
    assert refused(data, max_bytes=1000) == (
        "data/x.npz: its arrays hold more than 1000 bytes (0.000954 MiB) once decompressed, the most a bundle's data "
        "may hold: use fewer or smaller arrays (a subset of the set, a smaller dtype)"
    )


def test_compressed_data_is_held_to_the_bundle_limit_once_decompressed() -> None:
    data = npz_of(compressed=True, a=np.zeros(MAX_BUNDLE_BYTES // 8 + 1))  # about 50 kB on disk
    assert len(data) < 1024 * 1024
    with pytest.raises(DataError, match=r"more than 52428800 bytes \(50 MiB\) once decompressed"):
        load_npz("data/x.npz", data)


def test_bytes_that_are_not_a_zip_are_not_an_npz() -> None:
    assert refused(np.zeros(3).tobytes()) == "data/x.npz: not an .npz file (not a zip archive)"


def test_a_corrupt_member_is_a_data_error() -> None:
    data = bytearray(npz_of(True, a=np.arange(1000.0)))
    start = data.index(b"a.npy") + len(b"a.npy")
    data[start + 20 : start + 40] = bytes(20)
    assert refused(bytes(data)).startswith("data/x.npz: array 'a' cannot be read (")


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_a_damaged_npz_gives_arrays_or_a_data_error_never_another_exception(data: st.DataObject) -> None:
    damaged = bytearray(npz_of(data.draw(st.booleans()), a=np.arange(20.0), b=np.arange(6, dtype=np.int8)))
    for _ in range(data.draw(st.integers(1, 6))):
        damaged[data.draw(st.integers(0, len(damaged) - 1))] = data.draw(st.integers(0, 255))
    if data.draw(st.booleans()):
        damaged = damaged[: data.draw(st.integers(0, len(damaged)))]
    try:
        arrays = load_npz("x.npz", bytes(damaged))
    except DataError:
        return
    assert all(type(a) is np.ndarray and a.dtype.kind in "biuf" for a in arrays.values())
