"""Attack family "Integrity", the sandbox's share: exits, stray descriptors and signals are reported as they are."""

from __future__ import annotations

import json
import signal

import pytest
from sandbox_helpers import run_job

from grader.sandbox import Sandbox


@pytest.mark.parametrize(
    ("source", "code"),
    [
        ("import os\nos.write(3, b'half')\nimport sys\nsys.exit(0)\nos.write(3, b'never')\n", 0),
        ("import os\nos.write(3, b'half')\nimport sys\nsys.exit(3)\n", 3),
        ("import os\nos.write(3, b'half')\nos._exit(7)\n", 7),
        ("import os\nos.write(3, b'half')\nraise RuntimeError('boom')\n", 1),
    ],
    ids=["sys.exit(0)", "sys.exit(3)", "os._exit(7)", "exception"],
)
def test_an_exit_mid_run_is_reported_with_what_was_sent(sandbox_backend: Sandbox, source: str, code: int) -> None:
    outcome, data = run_job(sandbox_backend, source)
    assert data == b"half"
    assert outcome.exit_code == code and outcome.killed is None, outcome.stderr


@pytest.mark.parametrize(
    ("source", "sig"),
    [
        ("import ctypes\nctypes.string_at(0)\n", signal.SIGSEGV),
        ("import os\nos.abort()\n", signal.SIGABRT),
        ("import os, signal\nos.kill(os.getpid(), signal.SIGSEGV)\n", signal.SIGSEGV),
        ("import os, signal\nos.kill(os.getpid(), signal.SIGKILL)\n", signal.SIGKILL),
        ("import os, signal\nos.kill(0, signal.SIGTERM)\nimport time\ntime.sleep(9)\n", signal.SIGTERM),
    ],
    ids=["segfault", "abort", "self-sigsegv", "self-sigkill", "own-group-sigterm"],
)
def test_a_job_ended_by_a_signal_is_reported(sandbox_backend: Sandbox, source: str, sig: signal.Signals) -> None:
    outcome, _ = run_job(sandbox_backend, source)
    assert outcome.exit_code == 128 + sig and outcome.killed is None, outcome


def test_only_stdout_stderr_and_the_channel_are_open_for_writing(sandbox_backend: Sandbox) -> None:
    outcome, data = run_job(
        sandbox_backend,
        """
        import json, os
        opened = sorted(int(fd) for fd in os.listdir("/proc/self/fd"))
        wrote = []
        for fd in range(1024):
            try:
                os.write(fd, b"FAKE-RESULT")
                wrote.append(fd)
            except OSError:
                pass
        os.write(3, json.dumps([opened, wrote]).encode())
        """,
    )
    opened, wrote = json.loads(data.removeprefix(b"FAKE-RESULT"))
    assert opened[:4] == [0, 1, 2, 3] and len(opened) == 5  # the fifth is listdir's own
    assert wrote == [1, 2, 3]
    assert outcome.stdout == b"FAKE-RESULT" and outcome.stderr == b"FAKE-RESULT"


def test_fake_results_on_stdout_never_reach_the_channel(sandbox_backend: Sandbox) -> None:
    outcome, data = run_job(sandbox_backend, "print('{\"score\": 100}')\n")
    assert data == b"" and outcome.stdout == b'{"score": 100}\n'


def test_signals_from_the_job_to_itself_and_its_children_stay_inside(sandbox_backend: Sandbox) -> None:
    outcome, data = run_job(
        sandbox_backend,
        """
        import os, signal, time
        pid = os.fork()
        if pid == 0:
            time.sleep(60)
        os.kill(pid, signal.SIGTERM)
        _, status = os.waitpid(pid, 0)
        os.write(3, str(os.WTERMSIG(status)).encode())
        """,
    )
    assert data == str(int(signal.SIGTERM)).encode(), outcome.stderr
