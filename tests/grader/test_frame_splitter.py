"""The one frame splitter: where each frame of a stream ends, for the grader, the harness and its runners."""

from __future__ import annotations

import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from grader._harness import harness_files, wire


def frames() -> list[bytes]:
    return [
        wire.encode_frame({"k": "begin", "test": "t1"}),
        wire.encode_frame({"k": "result", "test": "t1"}, np.arange(6.0).reshape(2, 3), with_value=True),
        wire.encode_frame({"k": "end", "test": "t1", "status": "ok"}),
    ]


def cut(data: bytes, **kw: object) -> tuple[list[bytes], bytes]:
    """The whole frames at the front of `data` and the bytes left over, as a reader of a stream sees them."""
    out, pos = [], 0
    while (end := wire.next_frame(data, pos, **kw)) is not None:  # type: ignore[arg-type]
        out.append(data[pos:end])
        pos = end
    return out, data[pos:]


def test_several_frames_in_one_read_are_each_cut_out_whole_in_order() -> None:
    whole = frames()
    assert cut(b"".join(whole)) == (whole, b"")


@pytest.mark.parametrize("heads", [False, True])
def test_a_frame_not_yet_whole_is_held_back_at_every_byte_boundary(heads: bool) -> None:
    whole = frames()
    stream = b"".join(whole)
    ends = np.cumsum([len(f) for f in whole]).tolist()
    for split in range(len(stream) + 1):
        got, rest = cut(stream[:split], heads=heads)
        done = [e for e in ends if e <= split]
        assert got == whole[: len(done)]
        assert rest == stream[(done[-1] if done else 0) : split]
        # the rest, once the bytes after it come, gives the frames after it
        assert cut(rest + stream[split:], heads=heads) == (whole[len(done) :], b"")


def test_a_length_field_cut_short_is_no_frame_yet() -> None:
    assert wire.next_frame(b"\x10\x00", 0) is None
    assert wire.next_frame(b"\x10\x00\x00\x00\x01\x00\x00", 0, heads=True) is None


def test_an_empty_frame_is_a_frame_of_its_length_field_only() -> None:
    assert wire.next_frame(struct.pack("<I", 0) + b"rest", 0) == 4


def test_a_frame_over_the_limit_is_refused_from_its_length_field_alone() -> None:
    data = struct.pack("<I", 1001)  # nothing of the frame itself has come
    with pytest.raises(wire.FrameTooLarge, match=r"^a frame claims 1001 bytes, over the limit$") as caught:
        wire.next_frame(data, 0, 1000)
    assert caught.value.length == 1001
    assert wire.next_frame(data, 0, 1001) is None  # at the limit: waits for the rest
    assert wire.next_frame(struct.pack("<I", 2**32 - 1), 0) is None  # no limit: waits


def test_the_limit_applies_to_each_frame_where_it_starts() -> None:
    first, second = frames()[:2]
    data = first + second
    end = wire.next_frame(data, 0, len(first) - 4)
    assert end == len(first)
    with pytest.raises(wire.FrameTooLarge):
        wire.next_frame(data, end, len(first) - 4)


@pytest.mark.parametrize(
    ("length", "hlen"), [(0, 0), (3, 0), (10, 7), (2**32 - 1, 2**32 - 4)], ids=["empty", "short", "hlen", "huge"]
)
def test_with_heads_a_header_that_cannot_fit_its_frame_is_refused_before_its_size(length: int, hlen: int) -> None:
    data = struct.pack("<II", length, hlen)
    with pytest.raises(wire.FrameHeadBroken, match=rf"^a frame of {length} bytes claims a header of {hlen} bytes$"):
        wire.next_frame(data, 0, 5, heads=True)
    if length >= 4:  # without heads, only the length is the splitter's: the decoder judges the header
        with pytest.raises(wire.FrameTooLarge):
            wire.next_frame(data, 0, 5)


def test_a_header_that_fills_its_frame_exactly_is_accepted() -> None:
    data = struct.pack("<II", 6, 2) + b"{}"
    assert wire.next_frame(data, 0, heads=True) == 10


def test_a_frame_may_start_anywhere_in_a_view() -> None:
    whole = frames()
    view = memoryview(bytearray(b"".join(whole)))
    assert wire.next_frame(view, len(whole[0])) == len(whole[0]) + len(whole[1])


def test_trusted_frames_written_by_the_grader_decode_in_order() -> None:
    data = b"".join(frames())
    decoded = wire.decode_trusted(data)
    assert [h["k"] for h, _ in decoded] == ["begin", "result", "end"]
    np.testing.assert_array_equal(decoded[1][1], np.arange(6.0).reshape(2, 3))


def test_the_wire_module_imports_nothing_of_the_project_as_in_a_job(tmp_path: Path) -> None:
    """In a job it is `lib/wire.py`, imported alone with the standard library and NumPy."""
    files = harness_files()
    assert files["lib/wire.py"] == Path(wire.__file__).read_bytes()
    (tmp_path / "wire.py").write_bytes(files["lib/wire.py"])
    probe = (
        "import sys; sys.path.insert(0, sys.argv[1]); import wire; "
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'grader', 'app', 'pydantic'}), "
        "wire.HEAD_BYTES, wire.CallStatus.OK)"
    )
    done = subprocess.run(
        [sys.executable, "-I", "-c", probe, str(tmp_path)], capture_output=True, text=True, check=True
    )
    assert done.stdout.split() == ["[]", "8", "ok"]
