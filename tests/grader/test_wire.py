"""The result channel: what the harness writes comes back intact, and hostile frames stop with a clear reason."""

from __future__ import annotations

import contextlib
import json
import math
import struct
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from grader._harness import wire
from grader._harness.wire import MAX_DEPTH, MAX_NODES, Frame, FrameReader, MalformedFrame, decode_body
from grader.values import Opaque


def frame(value: Any, **header: Any) -> bytes:
    return wire.encode_frame({"k": "result", **header}, value, with_value=True)


def roundtrip(value: Any) -> Any:
    data = frame(value)
    (length,) = struct.unpack_from("<I", data)
    assert length == len(data) - 4
    return decode_body(data[4:]).value


def body(header: Any, tail: bytes = b"") -> bytes:
    """A frame body with a hand-written header (no outer length)."""
    head = header if isinstance(header, bytes) else json.dumps(header).encode()
    return struct.pack("<I", len(head)) + head + tail


def malformed(data: bytes) -> str:
    with pytest.raises(MalformedFrame) as info:
        decode_body(data)
    return str(info.value)


def assert_same(got: Any, expected: Any) -> None:
    """Equal values of the same kinds, arrays compared with their dtype and shape, NaN equal to NaN."""
    if isinstance(expected, np.ndarray):
        assert type(got) is np.ndarray
        assert got.dtype == expected.dtype and got.shape == expected.shape
        np.testing.assert_array_equal(got, expected)
    elif isinstance(expected, dict):
        assert type(got) is dict and list(got) == list(expected)
        for key in expected:
            assert_same(got[key], expected[key])
    elif isinstance(expected, list | tuple):
        assert type(got) is type(expected) and len(got) == len(expected)
        for g, e in zip(got, expected, strict=True):
            assert_same(g, e)
    elif isinstance(expected, float) and math.isnan(expected):
        assert type(got) is float and math.isnan(got)
    else:
        assert type(got) is type(expected) and got == expected


# --- round trips -------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", wire.ALLOWED_DTYPES)
def test_an_array_of_every_allowed_dtype_round_trips(dtype: str) -> None:
    array = (np.arange(12) % 5).astype(dtype).reshape(3, 4)
    got = roundtrip(array)
    assert_same(got, array)
    assert got.dtype.str == dtype


@pytest.mark.parametrize(
    "array",
    [
        np.array(2.5),
        np.array(7, dtype=np.int64),
        np.array(True),
        np.zeros((0, 3)),
        np.zeros(0, np.int8),
        np.zeros((2, 0, 4)),
    ],
    ids=["0d_float", "0d_int", "0d_bool", "empty_2d", "empty_int8", "empty_middle_axis"],
)
def test_zero_dimensional_and_empty_arrays_keep_their_shape(array: np.ndarray) -> None:
    assert_same(roundtrip(array), array)


def test_an_empty_array_may_be_the_last_bytes_of_a_frame() -> None:
    value = [np.arange(3.0), np.zeros((0, 2))]
    assert_same(roundtrip(value), value)


def test_nan_and_infinities_survive_as_numbers_and_in_arrays() -> None:
    value = {"nan": math.nan, "inf": math.inf, "ninf": -math.inf, "arr": np.array([np.nan, np.inf, -np.inf, -0.0])}
    got = roundtrip(value)
    assert_same(got, value)
    assert math.copysign(1.0, got["arr"][3]) == -1.0


def test_nested_dicts_lists_and_tuples_round_trip() -> None:
    value = {
        "loss": 0.25,
        "grads": {"dw": np.ones((2, 2)), "db": np.zeros(2, np.float32)},
        "cache": (1, np.array([1, 2], np.int16), [None, True, "relu", (2.0,)]),
        "empty": {"l": [], "t": (), "d": {}},
    }
    assert_same(roundtrip(value), value)


def test_python_and_numpy_scalars_come_back_as_python_numbers() -> None:
    value = [np.float32(0.5), np.int8(-3), np.uint64(2**64 - 1), np.bool_(True), 2**63, -(2**63), 10**400, -(10**400)]
    assert_same(roundtrip(value), [0.5, -3, float(2**64 - 1), True, float(2**63), float(-(2**63)), math.inf, -math.inf])


def test_non_native_arrays_come_back_little_endian_and_odd_floats_as_float64() -> None:
    got = roundtrip([np.arange(3, dtype=">f8"), np.arange(3, dtype=">i4"), np.array([0.5], np.float16)])
    assert_same(got, [np.arange(3.0), np.arange(3, dtype="<i4"), np.array([0.5])])


def test_a_non_contiguous_view_comes_back_as_its_values() -> None:
    base = np.arange(24.0).reshape(4, 6)
    view = base[::2, ::-3].T
    got = roundtrip(view)
    assert_same(got, np.ascontiguousarray(view))
    assert got.flags.c_contiguous


def test_functions_objects_and_unsupported_arrays_become_opaque() -> None:
    class Layer:
        pass

    value = [len, lambda x: x, Layer(), np.array([1, "a"], dtype=object), np.ones(2, np.complex128), 1j, {1, 2}]
    got = roundtrip(value)
    assert got == [
        Opaque("builtin_function_or_method"),
        Opaque("function"),
        Opaque("Layer"),
        Opaque("ndarray[object]"),
        Opaque("ndarray[complex128]"),
        Opaque("complex"),
        Opaque("set"),
    ]


def test_a_structured_array_becomes_opaque() -> None:
    assert roundtrip(np.zeros(2, dtype=[("a", "<f8")])) == Opaque("ndarray[[('a', '<f8')]]")


class Sneaky(np.ndarray):
    """A subclass that lies about equality; it must come back as a plain ndarray."""

    def __eq__(self, other: object) -> Any:  # type: ignore[override]
        return np.ones(self.shape, dtype=bool)


def test_an_ndarray_subclass_comes_back_as_a_plain_ndarray() -> None:
    sneaky = np.arange(4.0).view(Sneaky)
    got = roundtrip({"dx": sneaky, "masked": np.ma.masked_array([1.0, 2.0], mask=[True, False])})
    assert type(got["dx"]) is np.ndarray and type(got["masked"]) is np.ndarray
    assert_same(got["dx"], np.arange(4.0))


def test_nesting_deeper_than_the_harness_allows_is_cut_off_as_opaque() -> None:
    value: Any = 1
    for _ in range(60):
        value = [value]
    got = roundtrip(value)
    for _ in range(33):
        got = got[0]
    assert got == Opaque("a value nested more than 32 levels deep")


@pytest.mark.parametrize(
    ("value", "named"),
    [
        ([0.5] * 10_001, "a list of more than 10000 items"),
        (tuple(range(10_001)), "a tuple of more than 10000 items"),
        ({str(i): i for i in range(10_001)}, "a dict of more than 10000 keys"),
        ("x" * 10_001, "a string of more than 10000 characters"),
    ],
)
def test_a_value_too_long_to_carry_whole_is_named_never_cut_short(value: Any, named: str) -> None:
    assert roundtrip({"v": value})["v"] == Opaque(named)


def test_the_longest_values_the_wire_carries_arrive_whole() -> None:
    got = roundtrip({"l": [0.5] * 10_000, "s": "x" * 10_000})
    assert got["l"] == [0.5] * 10_000 and got["s"] == "x" * 10_000


def test_encoding_a_frame_leaves_the_callers_header_alone() -> None:
    header = {"k": "inputs"}
    wire.encode_frame(header)
    wire.encode_frame(header, np.ones(2), with_value=True)
    assert header == {"k": "inputs"}


def test_the_header_fields_come_back_without_the_value_or_blobs() -> None:
    decoded = decode_body(frame(np.ones(2), test="relu_small")[4:])
    assert decoded.header == {"k": "result", "test": "relu_small"}
    assert decoded.kind == "result"


def test_a_frame_without_a_value_decodes_to_none() -> None:
    decoded = decode_body(wire.encode_frame({"k": "done"})[4:])
    assert (decoded.kind, decoded.value) == ("done", None)


VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**63) + 1, 2**63 - 1)
    | st.floats()
    | st.text(max_size=20)
    | hnp.arrays(
        st.sampled_from(wire.ALLOWED_DTYPES), hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=3)
    ),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.lists(inner, max_size=3).map(tuple)
        | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=12,
)


@settings(max_examples=100, deadline=None)
@given(VALUES)
def test_any_value_the_harness_can_send_comes_back_the_same(value: Any) -> None:
    assert_same(roundtrip(value), value)


# --- hostile frames ----------------------------------------------------------------------------


def blob(dtype: Any, shape: Any, nbytes: Any, payload: bytes = b"") -> bytes:
    return body({"blobs": [[dtype, shape, nbytes]], "v": {"a": 0}}, payload)


HOSTILE = {
    "1e10_elements_with_a_small_byte_count": (
        blob("<f8", [100_000, 100_000], 8, bytes(8)),
        "array byte count does not match its shape and dtype",
    ),
    "1e10_elements_with_a_matching_byte_count": (
        blob("<f8", [100_000, 100_000], 80_000_000_000, bytes(8)),
        "array claims 80000000000 bytes beyond the end of the frame",
    ),
    "nbytes_beyond_the_frame": (blob("<f8", [4], 32, bytes(24)), "array claims 32 bytes beyond the end of the frame"),
    "object_dtype": (blob("|O", [1], 8, bytes(8)), "array dtype '|O' is not allowed"),
    "complex_dtype": (blob("<c16", [1], 16, bytes(16)), "array dtype '<c16' is not allowed"),
    "big_endian_dtype": (blob(">f8", [1], 8, bytes(8)), "array dtype '>f8' is not allowed"),
    "numpy_name_instead_of_str": (blob("float64", [1], 8, bytes(8)), "array dtype 'float64' is not allowed"),
    "dtype_not_a_string": (blob(["<f8"], [1], 8, bytes(8)), "array dtype \"['<f8']\" is not allowed"),
    "negative_axis": (blob("<f8", [-1, 2], 16, bytes(16)), "array shape has a non-integer or negative axis"),
    "float_axis": (blob("<f8", [2.0], 16, bytes(16)), "array shape has a non-integer or negative axis"),
    "bool_axis": (blob("|u1", [True], 1, bytes(1)), "array shape has a non-integer or negative axis"),
    "too_many_axes": (blob("|u1", [1] * 9, 1, bytes(1)), "array shape is malformed or has too many axes"),
    "shape_not_a_list": (blob("|u1", 3, 3, bytes(3)), "array shape is malformed or has too many axes"),
    "nbytes_not_an_int": (blob("|u1", [3], 3.0, bytes(3)), "array byte count does not match its shape and dtype"),
    "blob_not_a_triple": (body({"blobs": [["<f8", [1]]]}, bytes(8)), "array description is not [dtype, shape, nbytes]"),
    "blobs_not_a_list": (body({"blobs": {"0": 1}}), "frame blob list is malformed or too long"),
    "trailing_bytes": (blob("<f8", [1], 8, bytes(9)), "frame has trailing bytes after its arrays"),
    "trailing_bytes_without_arrays": (body({"v": None}, b"junk"), "frame has trailing bytes after its arrays"),
    "non_json_header": (body(b"{'v': 1}"), "frame header is not valid JSON: JSONDecodeError"),
    "header_not_utf8": (body(b'{"s": "\xff"}'), "frame header is not valid JSON: UnicodeDecodeError"),
    "nan_literal": (body(b'{"v": {"f": NaN}}'), "frame header is not valid JSON: ValueError"),
    "infinity_literal": (body(b'{"v": {"f": -Infinity}}'), "frame header is not valid JSON: ValueError"),
    "deeply_nested_json": (body(b"[" * 10_000 + b"]" * 10_000), "frame header is not valid JSON: RecursionError"),
    "deeply_nested_json_object": (
        body(b'{"v": ' + b'{"l": [' * 10_000 + b"]}" * 10_000 + b"}"),
        "frame header is not valid JSON: RecursionError",
    ),
    "header_is_a_list": (body([1, 2]), "frame header is not an object"),
    "header_is_a_string": (body("k"), "frame header is not an object"),
    "header_length_beyond_the_body": (struct.pack("<I", 100) + b"{}", "frame header claims 100 bytes"),
    "header_length_huge": (struct.pack("<I", 2**32 - 1) + b"{}", "frame header claims 4294967295 bytes"),
    "shorter_than_its_length_field": (b"\x01\x00", "frame shorter than its header length field"),
    "unknown_node_key": (body({"v": {"x": 1}}), "value node 'x' is malformed"),
    "node_with_two_keys": (body({"v": {"i": 1, "f": 2.0}}), "value node is not a one-key object"),
    "node_not_an_object": (body({"v": [1, 2]}), "value node is not a one-key object"),
    "empty_node": (body({"v": {}}), "value node is not a one-key object"),
    "array_index_out_of_range": (body({"v": {"a": 0}}), "value node 'a' is malformed"),
    "array_index_negative": (
        body({"blobs": [["|u1", [1], 1]], "v": {"a": -1}}, b"\x00"),
        "value node 'a' is malformed",
    ),
    "int_too_large": (body({"v": {"i": 2**63}}), "value node 'i' is malformed"),
    "int_given_a_bool": (body({"v": {"i": True}}), "value node 'i' is malformed"),
    "bool_given_an_int": (body({"v": {"b": 1}}), "value node 'b' is malformed"),
    "float_given_a_string": (body({"v": {"f": "1.5"}}), "value node 'f' is malformed"),
    "float_beyond_the_largest": (body({"v": {"f": 10**400}}), "float node is out of range"),
    "string_given_a_number": (body({"v": {"s": 5}}), "value node 's' is malformed"),
    "opaque_given_a_list": (body({"v": {"o": []}}), "value node 'o' is malformed"),
    "container_not_a_list": (body({"v": {"l": {"n": 0}}}), "container node does not hold a list"),
    "dict_entry_not_a_pair": (body({"v": {"d": [["a"]]}}), "dict entry is not [key, value]"),
    "dict_key_not_a_string": (body({"v": {"d": [[1, {"n": 0}]]}}), "dict entry is not [key, value]"),
    "too_deeply_nested_value": (
        body({"v": json.loads('{"l": [' * (MAX_DEPTH + 2) + '{"n": 0}' + "]}" * (MAX_DEPTH + 2))}),
        "value is too large or too deeply nested",
    ),
    "too_many_nodes": (body({"v": {"l": [{"n": 0}] * MAX_NODES}}), "value is too large or too deeply nested"),
    "empty_axis_beside_one_past_numpys_index": (blob("<f8", [0, 2**63], 0), "array shape is too large"),
    "empty_axis_beside_axes_whose_product_overflows": (
        blob("|u1", [0, 2**31 - 1, 2**31 - 1, 2**31 - 1], 0),
        "array shape is too large",
    ),
    "axis_beyond_64_bits": (blob("|u1", [2**64, 0], 0), "array shape is too large"),
    "header_field_a_list": (body({"k": "result", "msg": [1, 2]}), "frame header field 'msg' is not a plain value"),
    "header_field_an_object": (body({"k": "result", "tb": {"a": 1}}), "frame header field 'tb' is not a plain value"),
    "header_number_beyond_64_bits": (
        body({"k": "end", "sec": 10**30}),
        "frame header field 'sec' is not a plain value",
    ),
}


@pytest.mark.parametrize(("data", "message"), HOSTILE.values(), ids=HOSTILE.keys())
def test_a_hostile_frame_is_refused_with_a_clear_reason(data: bytes, message: str) -> None:
    assert malformed(data) == message


def test_a_value_just_inside_the_limits_is_accepted() -> None:
    nested: Any = {"n": 0}
    for _ in range(MAX_DEPTH):
        nested = {"l": [nested]}
    assert decode_body(body({"v": nested})).value is not None
    assert len(decode_body(body({"v": {"l": [{"n": 0}] * (MAX_NODES - 1)}})).value) == MAX_NODES - 1


def test_long_strings_and_keys_are_cut_to_their_limits() -> None:
    entries = [["k" * 1000, {"s": "x" * 100_000}], ["o", {"o": "T" * 1000}]]
    value = decode_body(body({"v": {"d": entries}})).value
    assert isinstance(value, dict)
    assert list(value) == ["k" * 200, "o"]
    assert value["k" * 200] == "x" * 20_000
    assert value["o"] == Opaque("T" * 200)


def test_a_decoded_array_is_read_only_so_it_cannot_be_changed_behind_the_judge() -> None:
    got = roundtrip(np.arange(3.0))
    with pytest.raises(ValueError, match="read-only"):
        got[0] = 5.0


@settings(max_examples=500, deadline=None)
@given(st.binary(max_size=200))
def test_decoding_arbitrary_bytes_gives_a_frame_or_malformed_frame_only(data: bytes) -> None:
    with contextlib.suppress(MalformedFrame):
        assert isinstance(decode_body(data), Frame)


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.sampled_from("vablondfist"), inner, max_size=3),
    max_leaves=20,
)


@settings(max_examples=250, deadline=None)
@given(JSON, st.binary(max_size=40))
def test_decoding_an_arbitrary_json_header_gives_a_frame_or_malformed_frame_only(header: Any, tail: bytes) -> None:
    with contextlib.suppress(MalformedFrame):
        assert isinstance(decode_body(body(header, tail)), Frame)


NODE = st.recursive(
    st.builds(
        lambda k, v: {k: v}, st.sampled_from("abfinso"), st.none() | st.booleans() | st.integers() | st.text(max_size=3)
    ),
    lambda inner: st.builds(
        lambda k, v: {k: v},
        st.sampled_from("ltd"),
        st.lists(inner | st.tuples(st.text(max_size=2), inner).map(list), max_size=3),
    ),
    max_leaves=15,
)


@settings(max_examples=250, deadline=None)
@given(
    NODE,
    st.lists(st.tuples(st.sampled_from(wire.ALLOWED_DTYPES), st.lists(st.integers(-1, 3), max_size=3)), max_size=3),
)
def test_decoding_arbitrary_value_trees_and_blobs_gives_a_frame_or_malformed_frame_only(
    node: Any, specs: list[tuple[str, list[int]]]
) -> None:
    blobs = [[d, s, max(0, math.prod(s)) * np.dtype(d).itemsize] for d, s in specs]
    tail = b"".join(bytes(b[2]) for b in blobs)
    with contextlib.suppress(MalformedFrame):
        assert isinstance(decode_body(body({"blobs": blobs, "v": node}, tail)), Frame)


AXES = st.sampled_from([0, 1, 2, 3, 2**31 - 1, 2**32, 2**62, 2**63 - 1, 2**63, 2**64, -1, -(2**63)])


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.tuples(st.sampled_from(wire.ALLOWED_DTYPES), st.lists(AXES, max_size=5)), max_size=3),
    st.sampled_from(["exact", "zero", "huge", "one"]),
    st.binary(max_size=64),
)
def test_arrays_with_empty_huge_or_overflowing_axes_give_a_frame_or_malformed_frame_only(
    specs: list[tuple[str, list[int]]], counting: str, tail: bytes
) -> None:
    def claimed(dtype: str, shape: list[int]) -> int:
        exact = math.prod(shape) * np.dtype(dtype).itemsize
        return {"exact": exact, "zero": 0, "huge": 2**64 + exact, "one": 1}[counting]

    blobs = [[d, s, claimed(d, s)] for d, s in specs]
    node = {"l": [{"a": i} for i in range(len(blobs))]}
    with contextlib.suppress(MalformedFrame):
        assert isinstance(decode_body(body({"blobs": blobs, "v": node}, tail)), Frame)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.text(max_size=8), JSON, max_size=6), st.binary(max_size=16))
def test_a_decoded_header_holds_only_plain_bounded_values(header: dict[str, Any], tail: bytes) -> None:
    try:
        got = decode_body(body(header, tail))
    except MalformedFrame:
        return
    for value in got.header.values():
        assert value is None or type(value) in (str, int, float, bool)
        assert not isinstance(value, int) or abs(value) < 2**63


# --- the incremental reader -------------------------------------------------------------------

STREAM_VALUES = [{"out": np.arange(6.0).reshape(2, 3)}, (1, "two", None), np.array(3, np.int8), [math.nan]]
STREAM = b"".join(frame(v, test=f"t{i}") for i, v in enumerate(STREAM_VALUES))


def read_stream(*chunks: bytes) -> FrameReader:
    reader = FrameReader()
    for chunk in chunks:
        reader.feed(chunk)
    reader.finish()
    return reader


def test_a_stream_of_frames_is_read_in_order() -> None:
    reader = read_stream(STREAM)
    assert reader.error is None and not reader.should_stop()
    assert [f.header["test"] for f in reader.frames] == ["t0", "t1", "t2", "t3"]
    for got, expected in zip(reader.frames, STREAM_VALUES, strict=True):
        assert_same(got.value, expected)


def test_frames_split_at_every_byte_boundary_parse_identically() -> None:
    whole = read_stream(STREAM)
    for cut in range(len(STREAM) + 1):
        reader = read_stream(STREAM[:cut], STREAM[cut:])
        assert reader.error is None, cut
        assert [f.header for f in reader.frames] == [f.header for f in whole.frames]
        for got, expected in zip(reader.frames, STREAM_VALUES, strict=True):
            assert_same(got.value, expected)


def test_frames_fed_one_byte_at_a_time_parse_identically() -> None:
    reader = read_stream(*(STREAM[i : i + 1] for i in range(len(STREAM))))
    assert reader.error is None and len(reader.frames) == 4


def test_a_frame_length_over_the_limit_stops_the_reader_before_the_frame_arrives() -> None:
    reader = FrameReader(max_frame_bytes=1000)
    reader.feed(frame(1) + struct.pack("<I", 1001))
    assert reader.error == "a frame claims 1001 bytes, over the limit"
    assert reader.should_stop()
    assert len(reader.frames) == 1
    reader.feed(STREAM)
    assert len(reader.frames) == 1


def test_a_stream_that_ends_inside_a_frame_is_reported_by_finish() -> None:
    reader = FrameReader()
    reader.feed(STREAM[:-3])
    assert reader.error is None
    reader.finish()
    assert reader.error is not None and reader.error.startswith("the stream ended inside a frame (")
    assert len(reader.frames) == 3


def test_a_stream_that_ends_inside_a_length_field_is_reported_by_finish() -> None:
    reader = read_stream(STREAM + b"\x05\x00")
    assert reader.error == "the stream ended inside a frame (2 bytes left over)"


def test_a_malformed_frame_stops_the_reader_and_keeps_the_frames_before_it() -> None:
    bad = body({"v": {"x": 1}})
    reader = read_stream(frame(1), struct.pack("<I", len(bad)) + bad, frame(2))
    assert reader.error == "value node 'x' is malformed"
    assert reader.should_stop()
    assert [f.value for f in reader.frames] == [1]


def test_a_subclass_of_the_reader_sees_each_frame() -> None:
    seen: list[str] = []

    class Recorder(FrameReader):
        def on_frame(self, frame: Frame) -> None:
            seen.append(str(frame.header["test"]))

    reader = Recorder()
    reader.feed(STREAM)
    assert seen == ["t0", "t1", "t2", "t3"] and reader.frames == []
    assert reader.deadline() is None


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300), st.integers(1, 50))
def test_the_reader_never_raises_on_arbitrary_bytes(data: bytes, chunk: int) -> None:
    reader = FrameReader(max_frame_bytes=10_000)
    for start in range(0, len(data), chunk):
        reader.feed(data[start : start + chunk])
    reader.finish()
    assert reader.error is not None or all(isinstance(f, Frame) for f in reader.frames)
