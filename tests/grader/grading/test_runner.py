"""run_calls on channels no real job sends today (a test double replays them): bytes between calls fail the
calls left, and a job that never started is still an infrastructure failure (retried by the service)."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from grader._harness import wire
from grader.grading._calls import Call
from grader.grading._runner import SandboxFailure, run_calls
from grader.sandbox import Job, Limits, Monitor, Outcome, Sandbox

CALLS = [Call(test_id=f"t{i}", driver="f", seconds=5.0, memory_mb=256) for i in range(3)]


@dataclass
class ReplaySandbox(Sandbox):
    """A sandbox double: every job's channel carries the same bytes, and the job exits with `exit_code`."""

    channel: bytes
    exit_code: int = 0
    name: str = "replay"
    jobs: list[Job] = field(default_factory=list)

    def run(self, job: Job, limits: Limits, monitor: Monitor) -> Outcome:
        self.jobs.append(job)
        monitor.feed(self.channel)
        return Outcome(self.exit_code, None, None, b"", b"", False, False, 0.0, 0.0, self.name)

    def describe(self) -> str:
        return self.name

    def live_pids(self) -> set[int]:
        return set()

    def close(self) -> None:
        pass


def frame(kind: str, **header: object) -> bytes:
    return wire.encode_frame({"k": kind, **header})


def test_bad_bytes_between_calls_fail_the_calls_left_and_keep_the_ones_done() -> None:
    done = frame("begin", test="t0", variant=None) + frame("result", test="t0", status="error", msg="E")
    done += frame("end", test="t0", variant=None, status="exited", sec=0.1)
    garbage = b"\x05\x00\x00\x00\x01\x00\x00\x00x"
    sandbox = ReplaySandbox(frame("hello") + done + garbage)
    run = run_calls(sandbox, CALLS, {}, mode="student", modules=[])
    assert run.results[("t0", None)].status == "error"
    assert [run.results[(f"t{i}", None)].status for i in (1, 2)] == ["channel", "channel"]
    assert "not valid JSON" in run.results[("t1", None)].message
    assert len(sandbox.jobs) == 1


def test_a_job_that_never_says_hello_is_an_infrastructure_failure() -> None:
    with pytest.raises(SandboxFailure, match="the sandbox produced no results"):
        run_calls(ReplaySandbox(b"", exit_code=1), CALLS, {}, mode="student", modules=[])
