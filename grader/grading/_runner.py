"""Running driver calls in sandbox jobs, recovering from jobs that die part-way."""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from grader._harness import harness_files
from grader.codec import Frame, FrameReader
from grader.sandbox import Attachment, Job, KillReason, Limits, Outcome, Sandbox
from grader.values import Value

SLACK_SECONDS = 3.0
JOB_OVERHEAD_SECONDS = 10.0


@dataclass(frozen=True)
class Call:
    """One driver call: a test (possibly under a mistake variant)."""

    test_id: str
    driver: str
    seconds: float
    memory_mb: int
    case: str | None = None
    params: Mapping[str, Any] = field(default_factory=dict)
    seed: int | None = None
    inputs: str | None = None  # path of an inputs file inside the job
    at: tuple[int, int] | None = None  # (offset, length) of this call's frame in that file, if it holds several
    variant: Mapping[str, str] | None = None
    quiet: bool = False  # a hidden test: its output goes nowhere, its inputs are sealed from the others

    @property
    def key(self) -> tuple[str, str | None]:
        return (self.test_id, self.variant["name"] if self.variant else None)

    def plan_entry(self) -> dict[str, Any]:
        entry: dict[str, Any] = {"id": self.test_id, "driver": self.driver, "seconds": self.seconds}
        for name in ("case", "seed", "inputs", "at", "variant"):
            if getattr(self, name) is not None:
                entry[name] = getattr(self, name)
        if self.params:
            entry["params"] = dict(self.params)
        if self.quiet:
            entry["quiet"] = True
        return entry


@dataclass
class CallResult:
    """What one call produced, as judged safe to read (values are decoded, not trusted)."""

    status: str  # ok | notimpl | import | type | error | memory | exit | timeout | cpu | signal:N | ...
    value: Value = None
    inputs: Value = None
    message: str = ""
    traceback: str = ""
    seconds: float = 0.0
    file: str = ""


@dataclass
class JobRun:
    """All call results of a run, plus the captured output of its jobs."""

    results: dict[tuple[str, str | None], CallResult]
    stdout: bytes = b""
    stderr: bytes = b""
    outcomes: list[Outcome] = field(default_factory=list)


class GradingMonitor(FrameReader):
    """Collects call results from the channel and times each call."""

    def __init__(self, calls: Sequence[Call]) -> None:
        super().__init__()
        self.calls = {c.key: c for c in calls}
        self.results: dict[tuple[str, str | None], CallResult] = {}
        self.current: tuple[str, str | None] | None = None
        self.partial: CallResult | None = None
        self.current_deadline: float | None = None
        self.hello = False
        self.done = False

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
        if call is None or key in self.results:
            self.error = f"the harness began an unknown or repeated call {key}"
            return
        self.current, self.partial = key, CallResult(status="")
        self.current_deadline = time.monotonic() + call.seconds + SLACK_SECONDS

    def _absorb(self, frame: Frame) -> None:
        assert self.partial is not None
        same = (str(frame.header.get("test")), _opt_str(frame.header.get("variant"))) == self.current
        if not same:
            return
        if frame.kind == "inputs" and self.partial.inputs is None:
            self.partial.inputs = frame.value
        elif frame.kind == "result" and not self.partial.status:
            self.partial.status = _short(frame.header.get("status"), 20) or "error"
            self.partial.value = frame.value
            self.partial.message = _short(frame.header.get("msg"), 2000)
            self.partial.traceback = _short(frame.header.get("tb"), 4000)
            self.partial.file = _short(frame.header.get("file"), 100)
            self.partial.seconds = _number(frame.header.get("sec"))

    def _end(self, frame: Frame) -> None:
        assert self.partial is not None and self.current is not None
        end_status = _short(frame.header.get("status"), 20)
        if not self.partial.status or end_status in ("timeout", "cpu", "overflow") or end_status.startswith("signal"):
            self.partial.status = "exited" if end_status == "exited" and not self.partial.status else end_status
            self.partial.value = None
        self.results[self.current] = self.partial
        self.current, self.partial, self.current_deadline = None, None, None

    def deadline(self) -> float | None:
        return self.current_deadline


def _opt_str(value: Any) -> str | None:
    return None if value is None else str(value)[:200]


def _short(value: Any, limit: int) -> str:
    return value[:limit] if isinstance(value, str) else ""


def _number(value: Any) -> float:
    return float(value) if isinstance(value, int | float) and value == value else 0.0


def _lost_status(outcome: Outcome, monitor: GradingMonitor) -> str:
    if monitor.error is not None:
        return "channel"
    if outcome.killed in (KillReason.DEADLINE, KillReason.WALL_TIME):
        return "timeout"
    if outcome.killed in (KillReason.STDOUT_OVERFLOW, KillReason.STDERR_OVERFLOW):
        return "output"
    if outcome.killed is KillReason.CHANNEL_OVERFLOW:
        return "overflow"
    return "harness"


def run_calls(
    sandbox: Sandbox,
    calls: Sequence[Call],
    files: Mapping[str, bytes],
    *,
    mode: str,
    modules: Sequence[str],
    output_bytes: int = 64 * 1024,
    fresh: bool = False,
    lazy_numgrad: bool = False,
    attached: Mapping[str, Attachment] | None = None,
) -> JobRun:
    """Run every call, in as few jobs as possible; a call that kills its job is a result."""
    run = JobRun(results={})
    pending = list(calls)
    jobs_without_progress = 0
    while pending:
        monitor = GradingMonitor(pending)
        job = _job(pending, files, mode, modules, fresh, lazy_numgrad, attached or {})
        outcome = sandbox.run(job, _limits(pending, output_bytes), monitor)
        monitor.finish()
        run.outcomes.append(outcome)
        run.stdout += outcome.stdout
        run.stderr += outcome.stderr
        run.results.update(monitor.results)
        if monitor.current is not None:
            status = _lost_status(outcome, monitor)
            run.results[monitor.current] = CallResult(status=status, message=monitor.error or "")
        before = len(pending)
        pending = [c for c in pending if c.key not in run.results]
        if len(pending) == before:
            jobs_without_progress += 1
            if jobs_without_progress >= 2:
                raise SandboxFailure(outcome, monitor)
    return run


class SandboxFailure(RuntimeError):
    """A job made no progress at all twice: an infrastructure problem, not the student's."""

    def __init__(self, outcome: Outcome, monitor: GradingMonitor) -> None:
        detail = outcome.stderr[-2000:].decode("utf-8", "replace")
        super().__init__(
            f"the sandbox produced no results (exit {outcome.exit_code}, signal {outcome.signal}, "
            f"killed {outcome.killed}, hello {monitor.hello}, channel error {monitor.error}): {detail}"
        )


def _job(
    calls: Sequence[Call],
    files: Mapping[str, bytes],
    mode: str,
    modules: Sequence[str],
    fresh: bool,
    lazy: bool,
    attached: Mapping[str, Attachment],
) -> Job:
    plan = {"mode": mode, "modules": list(modules), "calls": [c.plan_entry() for c in calls], "lazy_numgrad": lazy}
    all_files = {**harness_files(), **files, "plan.json": json.dumps(plan).encode()}
    return Job(files=all_files, entry="harness.py", fresh=fresh, init=True, attached=attached)


def _limits(calls: Sequence[Call], output_bytes: int) -> Limits:
    total = sum(c.seconds + 1.0 for c in calls) + JOB_OVERHEAD_SECONDS
    memory = max(c.memory_mb for c in calls) * 1024 * 1024
    return Limits(
        wall_seconds=total,
        cpu_seconds=total,
        memory_bytes=memory,
        stdout_bytes=output_bytes,
        stderr_bytes=output_bytes,
    )
