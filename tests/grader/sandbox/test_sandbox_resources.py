"""Attack family "Resources": every way to hog the machine ends at a limit, and the supervisor says which."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import pytest
from sandbox_helpers import FAST, MiB, live_pids, run_job

from grader.sandbox import KillReason, Limits, Sandbox
from grader.sandbox._cgroup import tree_caps

SHORT = Limits(**{**FAST.__dict__, "wall_seconds": 2.0, "cpu_seconds": 2.0})


def test_a_fork_bomb_is_contained(sandbox_backend: Sandbox) -> None:
    outcome, _ = run_job(
        sandbox_backend,
        """
        import os
        while True:
            try:
                os.fork()
            except OSError:
                pass
        """,
        SHORT,
    )
    assert outcome.killed is KillReason.WALL_TIME
    assert not live_pids(sandbox_backend)


def test_a_thread_bomb_is_contained(sandbox_backend: Sandbox) -> None:
    outcome, data = run_job(
        sandbox_backend,
        """
        import os, threading, time
        started = 0
        try:
            while True:
                threading.Thread(target=time.sleep, args=(60,), daemon=True).start()
                started += 1
        except (RuntimeError, MemoryError, OSError):
            os.write(3, str(started).encode())
        os._exit(0)
        """,
        SHORT,
    )
    assert int(data) < FAST.processes, outcome.stderr


def test_one_huge_allocation_fails(sandbox_backend: Sandbox) -> None:
    outcome, _ = run_job(sandbox_backend, "x = bytearray(4 * 1024 * 1024 * 1024)\n", SHORT)
    assert b"MemoryError" in outcome.stderr


def test_memory_spread_over_processes_is_capped_for_the_whole_tree(sandbox_backend: Sandbox) -> None:
    # A sandbox without a cgroup fails its self-test (see test_sandbox_cgroup.py), so this never skips.
    group = sandbox_backend._cgroup  # type: ignore[attr-defined]
    assert group is not None
    killed_before = group.oom_kills()
    limits = Limits(**{**FAST.__dict__, "wall_seconds": 10, "memory_bytes": 256 * MiB})
    outcome, data = run_job(
        sandbox_backend,
        """
        import os, time
        for _ in range(12):
            if os.fork() == 0:
                try:
                    block = bytearray(100 * 1024 * 1024)  # under the address-space limit; 12 over the cap
                    for i in range(0, len(block), 4096):
                        block[i] = 1
                    os.write(3, b"+")
                    time.sleep(60)
                finally:
                    os._exit(0)
        time.sleep(6)
        os._exit(0)
        """,
        limits,
    )
    # The tree's cap (memory + tmpfs + the chain's overhead) holds three blocks at most; the kernel kills the rest.
    assert data.count(b"+") <= tree_caps(limits)[0] // (100 * MiB), (data, outcome)
    assert group.oom_kills() > killed_before, (data, outcome)
    assert outcome.killed is KillReason.MEMORY, outcome  # the whole job ends at the first kill, not at its own pace


def test_a_cpu_spin_ignoring_sigxcpu_is_killed_at_the_cpu_limit(sandbox_backend: Sandbox) -> None:
    limits = Limits(**{**FAST.__dict__, "wall_seconds": 60, "cpu_seconds": 1})  # the wall limit never comes first
    outcome, _ = run_job(
        sandbox_backend,
        """
        import signal
        for s in (signal.SIGTERM, signal.SIGXCPU, signal.SIGINT, signal.SIGHUP):
            signal.signal(s, signal.SIG_IGN)
        while True:
            pass
        """,
        limits,
    )
    assert outcome.killed is None and outcome.exit_code == 128 + 9, outcome


def test_a_cpu_spin_is_killed_at_the_wall_limit(sandbox_backend: Sandbox) -> None:
    limits = Limits(**{**FAST.__dict__, "wall_seconds": 2, "cpu_seconds": 30})
    outcome, _ = run_job(
        sandbox_backend, "import signal\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\nwhile 1: pass\n", limits
    )
    assert outcome.killed is KillReason.WALL_TIME
    assert outcome.signal == 9


def test_sleeping_forever_is_killed_at_the_wall_limit(sandbox_backend: Sandbox) -> None:
    outcome, _ = run_job(sandbox_backend, "import time\ntime.sleep(3600)\n", SHORT)
    assert outcome.killed is KillReason.WALL_TIME and outcome.signal == 9


def test_closing_every_pipe_then_sleeping_is_still_killed(sandbox_backend: Sandbox) -> None:
    outcome, _ = run_job(
        sandbox_backend, "import os, time\nfor fd in (1, 2, 3): os.close(fd)\ntime.sleep(3600)\n", SHORT
    )
    assert outcome.killed is KillReason.WALL_TIME and outcome.signal == 9


def test_a_read_on_stdin_returns_at_once(sandbox_backend: Sandbox) -> None:
    outcome, data = run_job(sandbox_backend, "import os, sys\nos.write(3, repr(sys.stdin.read()).encode())\n", SHORT)
    assert data == b"''"  # end of file at once: the job went on to write what it read, and ended by itself
    assert outcome.killed is None and outcome.exit_code == 0, outcome


@pytest.mark.parametrize(("stream", "reason"), [("1", KillReason.STDOUT_OVERFLOW), ("2", KillReason.STDERR_OVERFLOW)])
def test_an_output_flood_is_cut_at_its_cap_and_the_job_killed(
    sandbox_backend: Sandbox, stream: str, reason: KillReason
) -> None:
    outcome, _ = run_job(sandbox_backend, f"import os\nwhile True:\n    os.write({stream}, b'x' * 100000)\n")
    assert outcome.killed is reason
    if stream == "1":
        assert len(outcome.stdout) == FAST.stdout_bytes and outcome.stdout_truncated
    else:
        assert len(outcome.stderr) == FAST.stderr_bytes and outcome.stderr_truncated


def test_a_slow_drip_of_output_ends_at_the_wall_limit_and_is_kept(sandbox_backend: Sandbox) -> None:
    outcome, _ = run_job(
        sandbox_backend, "import os, time\nwhile True:\n    os.write(1, b'.')\n    time.sleep(0.05)\n", SHORT
    )
    assert outcome.killed is KillReason.WALL_TIME
    assert 10 < len(outcome.stdout) <= 60 and not outcome.stdout_truncated


def test_a_channel_flood_is_cut_at_its_cap_and_the_job_killed(sandbox_backend: Sandbox) -> None:
    outcome, data = run_job(sandbox_backend, "import os\nwhile True:\n    os.write(3, b'x' * 100000)\n")
    assert outcome.killed is KillReason.CHANNEL_OVERFLOW
    assert len(data) == FAST.channel_bytes


@dataclass
class _StoppingMonitor:
    deadline_at: float | None = None
    stop_after: int | None = None
    seen: list[bytes] = field(default_factory=list)

    def feed(self, data: bytes) -> None:
        self.seen.append(data)

    def deadline(self) -> float | None:
        return self.deadline_at

    def should_stop(self) -> bool:
        return self.stop_after is not None and len(b"".join(self.seen)) >= self.stop_after


def test_a_monitor_deadline_kills_the_job(sandbox_backend: Sandbox) -> None:
    monitor = _StoppingMonitor(deadline_at=time.monotonic() + 1.0)
    outcome, _ = run_job(sandbox_backend, "import time\ntime.sleep(60)\n", monitor=monitor)
    assert outcome.killed is KillReason.DEADLINE  # the monitor's deadline, not the job's wall limit


def test_a_monitor_asking_to_stop_kills_the_job(sandbox_backend: Sandbox) -> None:
    monitor = _StoppingMonitor(stop_after=1)
    outcome, _ = run_job(
        sandbox_backend, "import os, time\nos.write(3, b'bad frame')\ntime.sleep(60)\n", monitor=monitor
    )
    assert outcome.killed is KillReason.MONITOR


def test_a_monitor_that_raises_leaves_no_job_behind(sandbox_backend: Sandbox) -> None:
    class Broken(_StoppingMonitor):
        def feed(self, data: bytes) -> None:
            raise ValueError("monitor bug")

    with pytest.raises(ValueError, match="monitor bug"):
        run_job(sandbox_backend, "import os, time\nos.write(3, b'x')\ntime.sleep(60)\n", monitor=Broken())


def test_wall_and_cpu_time_are_measured(sandbox_backend: Sandbox) -> None:
    outcome, _ = run_job(
        sandbox_backend,
        """
        import os, time
        end = time.process_time() + 0.4
        if os.fork() == 0:
            while time.process_time() < end: pass
            os._exit(0)
        while time.process_time() < end: pass
        os.wait()
        """,
    )
    assert outcome.exit_code == 0, outcome.stderr
    assert outcome.cpu_seconds >= 0.7 and outcome.wall_seconds >= 0.4


def test_a_slots_cgroup_caps_follow_each_jobs_limits() -> None:
    from grader.sandbox._cgroup import EXTRA_MEMORY, EXTRA_PROCESSES, CgroupV1

    group, why = CgroupV1.create(250)
    if group is None:
        pytest.skip(f"NO CGROUP ON THIS MACHINE ({why}): the per-slot caps cannot be checked")

    def caps() -> tuple[int, int]:
        memory = (group.dirs["memory"] / "memory.limit_in_bytes").read_text()
        return int(memory), int((group.dirs["pids"] / "pids.max").read_text())

    small = Limits(**{**FAST.__dict__, "memory_bytes": 200 * MiB, "processes": 16})
    large = Limits(**{**FAST.__dict__, "memory_bytes": 900 * MiB, "processes": 64})
    for limits in (small, small, large, large, small):
        group.prepare(limits)
        assert caps() == (limits.memory_bytes + limits.tmpfs_bytes + EXTRA_MEMORY, limits.processes + EXTRA_PROCESSES)
        assert group.cpu_seconds() == 0.0
