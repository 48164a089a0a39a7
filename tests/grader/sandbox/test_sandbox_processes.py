"""Attack family "Processes": nothing a job starts outlives it, and it cannot touch the host's processes."""

from __future__ import annotations

import os

import pytest
from sandbox_helpers import FAST, live_pids, run_job

from grader.sandbox import KillReason, Limits, Sandbox

SHORT = Limits(**{**FAST.__dict__, "wall_seconds": 3.0, "cpu_seconds": 3.0})

DAEMON = """
import os, time
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        import ctypes
        ctypes.CDLL(None).prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE 0: hide /proc/PID from its uid
        time.sleep(1.5)
        open("/job/marker", "w").write("alive")
        os.write(3, b"daemon still alive")
        os._exit(0)
    os._exit(0)
os.wait()
os.write(3, b"parent done")
"""


def test_a_setsid_double_fork_daemon_dies_with_its_job(sandbox_backend: Sandbox) -> None:
    outcome, data = run_job(sandbox_backend, DAEMON)
    assert data == b"parent done" and outcome.exit_code == 0, outcome.stderr
    assert not live_pids(sandbox_backend)
    # The next job of the same slot runs past the daemon's wake-up: no marker, nothing alive.
    outcome, data = run_job(
        sandbox_backend, "import os, time\ntime.sleep(2)\nos.write(3, repr(os.listdir('/job')).encode())\n"
    )
    assert data == b"['attack.py']", outcome.stderr


@pytest.mark.parametrize(
    ("victim", "killed", "exit_code"),
    [
        ("os.getppid()", KillReason.WALL_TIME, None),  # the job's init ignores it: the job runs to its limit
        ("1", KillReason.WALL_TIME, None),
        ("-1", KillReason.WALL_TIME, None),  # every other process of the job dies, the job itself sleeps on
        ("0", None, 128 + 9),  # the job's own process group: the job kills itself
    ],
)
def test_killing_parent_init_or_everything_ends_at_most_the_job(
    sandbox_backend: Sandbox, victim: str, killed: KillReason | None, exit_code: int | None
) -> None:
    outcome, _ = run_job(
        sandbox_backend,
        f"""
        import os, signal, time
        for _ in range(3):
            if os.fork() == 0:
                time.sleep(60)
        try:
            os.kill({victim}, signal.SIGKILL)
        except OSError:
            pass
        time.sleep(60)
        """,
        SHORT,
    )
    assert (outcome.killed, outcome.exit_code) == (killed, exit_code), outcome
    assert not live_pids(sandbox_backend)
    assert os.getppid() > 1  # the test runner and its parent are alive


def test_a_grandchild_holding_stdout_does_not_hang_the_supervisor(sandbox_backend: Sandbox) -> None:
    outcome, _ = run_job(
        sandbox_backend,
        """
        import os, time
        if os.fork() == 0:
            os.setsid()
            if os.fork() == 0:
                time.sleep(60)
            os._exit(0)
        os._exit(0)
        """,
    )
    # the job ends when its main process exits (not at its wall limit), and takes the grandchild with it
    assert outcome.exit_code == 0 and outcome.killed is None, outcome
    assert not live_pids(sandbox_backend)


def test_a_child_holding_the_channel_does_not_hang_the_supervisor(sandbox_backend: Sandbox) -> None:
    outcome, data = run_job(
        sandbox_backend,
        "import os, time\nif os.fork() == 0:\n    time.sleep(60)\nos.write(3, b'done')\nos._exit(0)\n",
    )
    assert data == b"done"
    assert outcome.exit_code == 0 and outcome.killed is None, outcome  # not held open until the wall limit
    assert not live_pids(sandbox_backend)


def test_processes_outside_the_sandbox_cannot_be_signalled(sandbox_backend: Sandbox) -> None:
    outcome, data = run_job(
        sandbox_backend,
        f"""
        import os, signal
        try:
            os.kill({os.getpid()}, signal.SIGKILL)
            os.write(3, b"sent")
        except OSError:
            os.write(3, b"refused")
        """,
    )
    assert data == b"refused", outcome.stderr


def test_a_job_that_stops_itself_is_still_killed(sandbox_backend: Sandbox) -> None:
    outcome, _ = run_job(sandbox_backend, "import os, signal\nos.kill(os.getpid(), signal.SIGSTOP)\n", SHORT)
    assert outcome.killed is KillReason.WALL_TIME and outcome.signal == 9, outcome
    assert not live_pids(sandbox_backend)
