"""The bwrap backend's own contract: slots, start modes, self-test, seccomp, concurrency."""

from __future__ import annotations

import json
import os
import shutil
import threading
import time

import pytest
from sandbox_helpers import FAST, run_job

from grader.sandbox import (
    BwrapSandbox,
    Job,
    Limits,
    Monitor,
    Outcome,
    Sandbox,
    SandboxUnavailable,
    SlotBusy,
    StartMode,
    self_test,
)
from grader.sandbox._bootstrap import pack_files

pytestmark = pytest.mark.usefixtures("sandbox_backend")


def test_describe_names_start_mode_seccomp_and_cgroup(sandbox_backend: BwrapSandbox) -> None:
    text = sandbox_backend.describe()
    expected = StartMode.ROOT if os.geteuid() == 0 else StartMode.UNPRIVILEGED
    assert sandbox_backend.start_mode is expected
    assert f"start mode {expected.value}" in text and "seccomp on" in text and "cgroup" in text


def test_the_self_test_passes_through_the_real_path(sandbox_backend: Sandbox) -> None:
    report = self_test(sandbox_backend)
    assert report.ok, report.describe()
    assert len(report.checks) >= 12


def test_a_failed_self_test_says_which_checks_failed() -> None:
    class Leaky(Sandbox):
        name = "leaky"

        def run(self, job: Job, limits: Limits, monitor: Monitor) -> Outcome:
            monitor.feed(b"R" + json.dumps({"numpy works": True, "UDP to the outside fails": False}).encode())
            return Outcome(0, None, None, b"", b"", False, False, 0.1, 0.1, self.name)

        def describe(self) -> str:
            return self.name

        def live_pids(self) -> set[int]:
            return set()

        def close(self) -> None:
            pass

    report = self_test(Leaky())
    assert not report.ok
    assert "UDP to the outside fails" in report.failed
    assert "[FAIL] UDP to the outside fails" in report.describe() and "refusing to grade" in report.describe()


def test_a_slot_is_held_by_one_sandbox_object_at_a_time(sandbox_backend: BwrapSandbox) -> None:
    with pytest.raises(SlotBusy, match=f"slot {sandbox_backend.slot} is in use"):
        BwrapSandbox(sandbox_backend.slot)


def test_a_closed_slot_can_be_taken_again_and_refuses_jobs() -> None:
    first = _free_slot(200)
    first.close()
    with BwrapSandbox(first.slot) as again:
        assert run_job(again, "import os\nos.write(3, b'ok')\n")[1] == b"ok"
    with pytest.raises(SandboxUnavailable, match="closed"):
        run_job(again, "pass\n")


def _free_slot(start: int) -> BwrapSandbox:
    for slot in range(start, 256):
        try:
            return BwrapSandbox(slot)
        except SlotBusy:
            continue
    raise AssertionError("no free sandbox slot")


def test_a_uid_that_belongs_to_an_account_is_refused() -> None:
    with pytest.raises(SandboxUnavailable, match="uid 0 belongs to user 'root'"):
        BwrapSandbox(0, uid_base=0)


def test_a_missing_bwrap_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    real = shutil.which
    monkeypatch.setattr(shutil, "which", lambda name, **kw: None if name == "bwrap" else real(name, **kw))
    with pytest.raises(SandboxUnavailable, match=r"bwrap is not installed: run `apt-get install -y bubblewrap`"):
        BwrapSandbox(250)


@pytest.mark.parametrize("name", ["/etc/passwd", "../x.py", "a/../../x.py", "a//b.py", "./a.py", "", "a\0b"])
def test_job_file_names_must_stay_inside_the_job(name: str) -> None:
    with pytest.raises(ValueError, match="must be a normalised relative path"):
        pack_files(Job(files={name: b"", "main.py": b""}, entry="main.py"))


def test_the_start_command_carries_nothing_of_the_host_environment(sandbox_backend: BwrapSandbox) -> None:
    os.environ["GRADELAB_ATTACK_CANARY"] = "canary"
    try:
        command = " ".join(sandbox_backend.command(FAST, 5, 6))
    finally:
        os.environ.pop("GRADELAB_ATTACK_CANARY")
    assert "canary" not in command
    assert "--seccomp 5" in command and "--die-with-parent" in command and "--unshare-net" in command


def test_jobs_on_two_slots_run_at_the_same_time_without_mixing(
    sandbox_backend: BwrapSandbox, second_backend: BwrapSandbox
) -> None:
    results: dict[int, bytes] = {}
    # Each job says when it was running (the monotonic clock is the machine's, inside a sandbox too), and
    # runs until the same moment however long its slot took to start it (a zygote starts on a slot's first job).
    source = (
        "import os, sys, time\nstart = time.monotonic()\ntime.sleep(max(0.5, float(sys.argv[2]) - time.time()))\n"
        "os.write(3, f'{sys.argv[1]} {start} {time.monotonic()}'.encode())\n"
    )
    until = str(time.time() + 8)
    longer = Limits(**{**FAST.__dict__, "wall_seconds": 15})

    def work(sandbox: BwrapSandbox) -> None:
        results[sandbox.slot] = run_job(sandbox, source, longer, args=(f"slot-{sandbox.slot}", until))[1]

    threads = [threading.Thread(target=work, args=(b,)) for b in (sandbox_backend, second_backend)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    said = {slot: data.decode().split() for slot, data in results.items()}
    assert {slot: words[0] for slot, words in said.items()} == {
        b.slot: f"slot-{b.slot}" for b in (sandbox_backend, second_backend)
    }
    spans = [(float(words[1]), float(words[2])) for words in said.values()]
    assert max(start for start, _ in spans) < min(end for _, end in spans)  # both were running at once


def test_jobs_on_one_slot_from_two_threads_take_turns(sandbox_backend: BwrapSandbox) -> None:
    outputs: list[bytes] = []
    source = "import os, sys\nos.write(3, sys.argv[1].encode())\n"
    threads = [
        threading.Thread(target=lambda i=i: outputs.append(run_job(sandbox_backend, source, args=(str(i),))[1]))
        for i in range(3)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outputs) == [b"0", b"1", b"2"]


SYSCALLS = """
import ctypes, json, os
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
def call(nr, *args):
    result = libc.syscall(ctypes.c_long(nr), *[ctypes.c_long(a) for a in args])
    return [result, ctypes.get_errno()]
results = {
    "unshare": call(272, 0x10000000),
    "setns": call(308, 0, 0),
    "mount": call(165, 0, 0, 0, 0, 0),
    "ptrace": call(101, 16, 1, 0, 0),
    "bpf": call(321, 0, 0, 0),
    "perf_event_open": call(298, 0, 0, -1, -1, 0),
    "io_uring_setup": call(425, 1, 0),
    "keyctl": call(250, 0, 0),
    "userfaultfd": call(323, 0),
    "personality": call(135, 0x0040000),
    "clone-newuser": call(56, 0x10000000 | 17, 0, 0, 0, 0),
    "clone3": call(435, 0, 0),
    "socket-inet": call(41, 2, 1, 0),
    "chroot": call(161, 0),
    "kexec_load": call(246, 0, 0, 0, 0),
}
pid = os.fork()
if pid == 0:
    libc.syscall(ctypes.c_long(0x40000000 | 39))  # getpid through the x32 ABI
    os._exit(0)
results["x32"] = os.waitpid(pid, 0)[1]
os.write(3, json.dumps(results).encode())
"""


def test_the_kernels_sharp_edges_are_refused_by_seccomp(sandbox_backend: Sandbox) -> None:
    outcome, data = run_job(sandbox_backend, SYSCALLS)
    results = json.loads(data)
    x32 = results.pop("x32")
    assert os.WIFSIGNALED(x32) and os.WTERMSIG(x32) == 31, x32  # SIGSYS: other ABIs kill the process
    assert results.pop("clone3") == [-1, 38]  # ENOSYS, so that glibc falls back to clone
    assert results.pop("socket-inet") == [-1, 97]  # EAFNOSUPPORT
    assert {name: r for name, r in results.items() if r != [-1, 1]} == {}, outcome.stderr  # EPERM


def test_numpy_works_inside(sandbox_backend: Sandbox) -> None:
    outcome, data = run_job(
        sandbox_backend,
        """
        import os, numpy as np
        x = np.linalg.solve(np.eye(3) * 2, np.ones(3))
        os.write(3, str(int(x.sum() * 10)).encode())
        """,
    )
    assert data == b"15", outcome.stderr
