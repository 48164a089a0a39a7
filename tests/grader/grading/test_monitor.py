"""The host's reading of a grading job's channel: only the harness times a call, each call stays within its
cap, and no sequence of frames (any order, kind, call or content) makes the reader raise."""

from __future__ import annotations

import struct
from typing import Any

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from grader._harness import wire
from grader.grading._calls import Call
from grader.grading._monitor import BETWEEN_CALLS_BYTES, GradingMonitor

CALLS = [Call(test_id=f"t{i}", driver="f", seconds=5.0, memory_mb=256, max_bytes=64 * 1024) for i in range(3)]


def frame(kind: str, value: Any = None, **header: Any) -> bytes:
    return wire.encode_frame({"k": kind, **header}, value, with_value=value is not None)


def call_frames(test: str, *, sec: float = 0.25, **result: Any) -> bytes:
    head = {"status": "ok", "test": test, "variant": None, **result}
    return (
        frame("begin", test=test, variant=None)
        + frame("result", {"out": 1.0}, **head)
        + frame("end", test=test, variant=None, status="exited", sec=sec)
    )


def read(data: bytes, calls: list[Call] = CALLS) -> GradingMonitor:
    monitor = GradingMonitor(calls)
    monitor.feed(frame("hello") + data)
    monitor.finish()
    return monitor


def test_a_calls_time_is_the_harness_figure_whatever_its_result_frame_says() -> None:
    monitor = read(call_frames("t0", sec=0.25, sec_forged=99.0) + call_frames("t1", sec=0.5))
    assert monitor.error is None
    assert monitor.results[("t0", None)].seconds == 0.25
    assert monitor.results[("t1", None)].seconds == 0.5


def test_a_result_frame_cannot_set_the_time_of_its_call() -> None:
    data = (
        frame("begin", test="t0", variant=None)
        + frame("result", {"out": 1.0}, test="t0", variant=None, status="ok", sec=4242.0)
        + frame("end", test="t0", variant=None, status="exited", sec=0.125)
    )
    assert read(data).results[("t0", None)].seconds == 0.125


def test_a_status_that_is_not_a_runners_to_claim_is_a_channel_failure() -> None:
    monitor = read(call_frames("t0", status="timeout"))
    assert monitor.results[("t0", None)].status == "channel"
    assert monitor.results[("t0", None)].value is None


def test_inputs_sent_back_by_a_students_job_are_ignored() -> None:
    data = (
        frame("begin", test="t0", variant=None)
        + frame("inputs", {"x": 1.0}, test="t0", variant=None)
        + frame("result", {"out": 1.0}, test="t0", variant=None, status="ok")
        + frame("end", test="t0", variant=None, status="exited", sec=0.1)
    )
    assert read(data).results[("t0", None)].inputs is None


def test_a_frame_over_its_calls_cap_stops_the_reader_before_the_frame_arrives() -> None:
    monitor = GradingMonitor(CALLS)
    monitor.feed(frame("hello") + frame("begin", test="t0", variant=None) + struct.pack("<I", 64 * 1024 + 1))
    assert monitor.oversized and monitor.should_stop()
    assert ("t0", None) not in monitor.results and monitor.current == ("t0", None)


def test_frames_of_one_call_over_its_cap_together_stop_the_reader() -> None:
    small = [Call(test_id="t0", driver="f", seconds=5.0, memory_mb=256, max_bytes=3000)]
    piece = frame("result", np.zeros(125), test="t0", variant=None, status="ok")  # 1000 bytes each
    monitor = read(frame("begin", test="t0", variant=None) + piece * 4, small)
    assert monitor.oversized and monitor.error is not None


def test_between_calls_only_small_frames_are_accepted() -> None:
    monitor = GradingMonitor(CALLS)
    monitor.feed(frame("hello") + struct.pack("<I", BETWEEN_CALLS_BYTES + 1))
    assert monitor.oversized and monitor.current is None


KINDS = st.sampled_from(["hello", "begin", "inputs", "result", "end", "done", "ran", "stop", "x", ""])
TESTS = st.sampled_from(["t0", "t1", "t2", "t9", ""]) | st.none() | st.integers(-3, 3)
FINITE = st.floats(allow_nan=False, allow_infinity=False)
SCALARS = st.none() | st.booleans() | st.integers(-(2**63) + 1, 2**63 - 1) | FINITE | st.text(max_size=8)
FRAMES = st.builds(
    lambda kind, test, variant, status, sec, value: frame(
        kind, value, test=test, variant=variant, status=status, sec=sec
    ),
    KINDS,
    TESTS,
    st.none() | st.text(max_size=3),
    SCALARS,
    SCALARS,
    st.none() | st.lists(st.floats(), max_size=3) | st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(FRAMES | st.binary(max_size=24), max_size=12), st.integers(1, 64))
def test_no_sequence_of_frames_makes_the_reader_raise_or_invent_a_result(chunks: list[bytes], size: int) -> None:
    data = b"".join(chunks)
    monitor = GradingMonitor(CALLS)
    for start in range(0, len(data), size):
        monitor.feed(data[start : start + size])
    monitor.finish()
    asked = {c.key for c in CALLS}
    assert set(monitor.results) <= asked
    for result in monitor.results.values():
        assert isinstance(result.status, str) and len(result.status) <= 20
        assert 0.0 <= result.seconds < 1e9
