"""Running driver calls in sandbox jobs, recovering from jobs that die part-way."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from grader._harness import harness_files
from grader._vocab import CallStatus
from grader.grading._calls import Budget, Call, CallResult
from grader.grading._monitor import GradingMonitor, Keep
from grader.sandbox import Attachment, Job, KillReason, Limits, Outcome, Sandbox

__all__ = ["Budget", "Call", "CallResult", "JobRun", "SandboxFailure", "run_calls"]

JOB_OVERHEAD_SECONDS = 10.0
FRAME_OVERHEAD_BYTES = 4096  # a call's begin and end frames, and the job's hello and done


@dataclass
class JobRun:
    """All call results of a run, plus the captured output of its jobs (at most `output_bytes` of each stream)."""

    results: dict[tuple[str, str | None], CallResult]
    stdout: bytes = b""
    stderr: bytes = b""
    outcomes: list[Outcome] = field(default_factory=list)
    output_bytes: int = 64 * 1024
    truncated: bool = False  # some output was dropped (a job's own cap, or the run's across restarts)

    def add_output(self, outcome: Outcome) -> None:
        """Keep a job's output, the run's total for each stream capped: restarted jobs add nothing past it."""
        room_out = max(0, self.output_bytes - len(self.stdout))
        room_err = max(0, self.output_bytes - len(self.stderr))
        self.truncated |= outcome.stdout_truncated or outcome.stderr_truncated
        self.truncated |= len(outcome.stdout) > room_out or len(outcome.stderr) > room_err
        self.stdout += outcome.stdout[:room_out]
        self.stderr += outcome.stderr[:room_err]


def sandbox_preload() -> dict[str, bytes]:
    """Files to hand a pre-forked sandbox when its slot is opened: the harness every grading job carries,
    which its zygote then compiles (and imports) once instead of each job."""
    return harness_files()


def _lost_status(outcome: Outcome, monitor: GradingMonitor, budget: Budget) -> str:
    timed_out = outcome.killed in (KillReason.DEADLINE, KillReason.WALL_TIME)
    if timed_out and budget.out_of_time():  # whatever the kill cut off on its way
        return CallStatus.BUDGET
    if monitor.oversized:
        return CallStatus.OVERFLOW
    if monitor.error is not None:
        return CallStatus.CHANNEL
    if timed_out:
        return CallStatus.TIMEOUT
    if outcome.killed in (KillReason.STDOUT_OVERFLOW, KillReason.STDERR_OVERFLOW):
        return CallStatus.OUTPUT
    if outcome.killed is KillReason.CHANNEL_OVERFLOW:
        return CallStatus.OVERFLOW
    if outcome.killed is KillReason.MEMORY:  # the call's processes together went over its memory limit
        return CallStatus.MEMORY
    return CallStatus.HARNESS


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
    budget: Budget | None = None,
    keep: Keep | None = None,
) -> JobRun:
    """Run every call, in as few jobs as possible; a call that kills its job is a result.

    `budget` bounds the wall time and channel bytes of all the jobs together; once it is spent, every call
    not run yet fails with status `budget`. `keep` sees each result as it ends and returns what to keep.
    """
    budget = budget or Budget()
    run = JobRun(results={}, output_bytes=output_bytes)
    pending = list(calls)
    jobs_without_progress = 0
    while pending:
        if budget.spent():
            why = CallStatus.BUDGET if budget.out_of_time() else CallStatus.OVERFLOW
            for call in pending:
                run.results[call.key] = _kept(keep, call.key, CallResult(status=why))
            break
        monitor = GradingMonitor(pending, keep_inputs=mode != "student", deadline=budget.deadline, keep=keep)
        job = _job(pending, files, mode, modules, fresh, lazy_numgrad, attached or {})
        outcome = sandbox.run(job, _limits(pending, output_bytes, budget), monitor)
        monitor.finish()
        budget.used_bytes += monitor.bytes_read
        _settle(run, pending, outcome, monitor, budget, keep)
        before = len(pending)
        pending = [c for c in pending if c.key not in run.results]
        if len(pending) == before and not (monitor.hello and budget.spent()):  # spent: the loop's top fails the rest
            jobs_without_progress += 1
            if jobs_without_progress >= 2:
                raise SandboxFailure(outcome, monitor)
    return run


def _settle(
    run: JobRun, pending: list[Call], outcome: Outcome, monitor: GradingMonitor, budget: Budget, keep: Keep | None
) -> None:
    """Keep what one job gave: its output, its calls' results, and a result for the call it was cut off in."""
    run.outcomes.append(outcome)
    run.add_output(outcome)
    run.results.update(monitor.results)
    if monitor.current is not None:
        status = _lost_status(outcome, monitor, budget)
        message = (monitor.error or "") if status == CallStatus.CHANNEL else ""
        run.results[monitor.current] = _kept(keep, monitor.current, CallResult(status=status, message=message))
    elif monitor.hello and monitor.error is not None and not budget.spent():
        # Bad bytes between calls, from a job that did start: no call to blame, so the ones left fail.
        for call in pending:
            if call.key not in run.results:
                failed = CallResult(status=CallStatus.CHANNEL, message=monitor.error)
                run.results[call.key] = _kept(keep, call.key, failed)


def _kept(keep: Keep | None, key: tuple[str, str | None], result: CallResult) -> CallResult:
    return keep(key, result) if keep else result


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


def _limits(calls: Sequence[Call], output_bytes: int, budget: Budget) -> Limits:
    total = sum(c.seconds + 1.0 for c in calls) + JOB_OVERHEAD_SECONDS
    left = budget.seconds_left()
    wall = total if left is None else max(0.1, min(total, left))
    channel = sum(c.byte_cap + FRAME_OVERHEAD_BYTES for c in calls) + FRAME_OVERHEAD_BYTES
    bytes_left = budget.bytes_left()
    if bytes_left is not None:
        channel = min(channel, bytes_left)
    memory = max(c.memory_mb for c in calls) * 1024 * 1024
    return Limits(
        wall_seconds=wall,
        cpu_seconds=total,
        memory_bytes=memory,
        stdout_bytes=output_bytes,
        stderr_bytes=output_bytes,
        channel_bytes=min(channel, Limits.channel_bytes),
    )
