"""Reading a grading job's result channel: each call's frames become its result, nothing else is believed.

The harness (the job's init, which never runs submitted code) frames every call with `begin` and `end`
and passes on only the frames a runner wrote for the current call. Those frames are hostile: a result
keeps its declared values (status, message, traceback, value) and nothing more. The time a call took
comes from the harness's `end`; a frame over the call's byte cap stops the job before it is buffered.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

from grader._harness.wire import Frame, FrameReader
from grader._vocab import RUNNER_STATUSES, SIGNAL_PREFIX, CallStatus
from grader.grading._calls import Call, CallResult

SLACK_SECONDS = 3.0
BETWEEN_CALLS_BYTES = 64 * 1024  # the harness's own frames (hello, begin, end, done) are tiny

Keep = Callable[[tuple[str, str | None], CallResult], CallResult]


class GradingMonitor(FrameReader):
    """Collects call results from the channel, timed by the harness, each call within its byte cap."""

    def __init__(
        self,
        calls: Sequence[Call],
        *,
        keep_inputs: bool = False,
        deadline: float | None = None,
        keep: Keep | None = None,
    ) -> None:
        super().__init__(max_frame_bytes=BETWEEN_CALLS_BYTES)
        self.calls = {c.key: c for c in calls}
        self.results: dict[tuple[str, str | None], CallResult] = {}
        self.current: tuple[str, str | None] | None = None
        self.partial: CallResult | None = None
        self.current_deadline: float | None = None
        self.hello = False
        self.done = False
        self.keep_inputs = keep_inputs  # only a reference job's calls send their inputs back
        self.budget_deadline = deadline
        self.keep = keep  # what is kept of each result as it ends (e.g. judged, and its value dropped)
        self.bytes_read = 0
        self.call_bytes = 0

    def feed(self, data: bytes) -> None:
        self.bytes_read += len(data)
        super().feed(data)

    def on_frame(self, frame: Frame) -> None:
        kind = frame.kind
        if kind == "hello":
            self.hello = True
        elif kind == "begin":
            self._begin(frame)
        elif kind in ("inputs", "result") and self.current is not None and self.partial is not None:
            self._absorb(frame)
        elif kind == "end" and self.current is not None:
            self._end(frame)
        elif kind == "done":
            self.done = True

    def _begin(self, frame: Frame) -> None:
        key = (str(frame.header.get("test")), _opt_str(frame.header.get("variant")))
        call = self.calls.get(key)
        if call is None or key in self.results or self.current is not None:
            self.error = f"the harness began an unknown or repeated call {key}"
            return
        self.current, self.partial = key, CallResult(status="")
        self.call_bytes = 0
        self.max_frame_bytes = call.byte_cap
        ends = [time.monotonic() + call.seconds + SLACK_SECONDS, self.budget_deadline]
        self.current_deadline = min(t for t in ends if t is not None)

    def _absorb(self, frame: Frame) -> None:
        assert self.partial is not None and self.current is not None
        same = (str(frame.header.get("test")), _opt_str(frame.header.get("variant"))) == self.current
        if not same:
            return
        self.call_bytes += frame.nbytes
        if self.call_bytes > self.calls[self.current].byte_cap:
            self.error, self.oversized = "the call's results are larger than it may return", True
            return
        if frame.kind == "inputs" and self.partial.inputs is None and self.keep_inputs:
            self.partial.inputs = frame.value
        elif frame.kind == "result" and not self.partial.status:
            status = _short(frame.header.get("status"), 20)
            self.partial.status = status if status in RUNNER_STATUSES else CallStatus.CHANNEL
            self.partial.value = frame.value if status == CallStatus.OK else None
            self.partial.message = _short(frame.header.get("msg"), 2000)
            self.partial.traceback = _short(frame.header.get("tb"), 4000)
            self.partial.file = _short(frame.header.get("file"), 100)

    def _end(self, frame: Frame) -> None:
        assert self.partial is not None and self.current is not None
        end_status = _short(frame.header.get("status"), 20)
        killed = end_status in (CallStatus.TIMEOUT, CallStatus.CPU, CallStatus.OVERFLOW)
        killed = killed or end_status.startswith(SIGNAL_PREFIX)
        if not self.partial.status or killed:
            exited = end_status == CallStatus.EXITED and not self.partial.status
            self.partial.status = CallStatus.EXITED if exited else end_status
            self.partial.value = None
        self.partial.seconds = _number(frame.header.get("sec"))  # the harness's clock, around the call
        self.results[self.current] = self.keep(self.current, self.partial) if self.keep else self.partial
        self.current, self.partial, self.current_deadline = None, None, None
        self.max_frame_bytes = BETWEEN_CALLS_BYTES

    def deadline(self) -> float | None:
        return self.current_deadline if self.current is not None else self.budget_deadline


def _opt_str(value: Any) -> str | None:
    return None if value is None else str(value)[:200]


def _short(value: Any, limit: int) -> str:
    return value[:limit] if isinstance(value, str) else ""


def _number(value: Any) -> float:
    ok = isinstance(value, int | float) and not isinstance(value, bool) and value == value and abs(value) < 1e9
    return max(0.0, float(value)) if ok else 0.0
