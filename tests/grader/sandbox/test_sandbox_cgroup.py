"""A slot's cgroup: one CPU share per slot, tree-wide caps, and a self-test that fails closed without them."""

from __future__ import annotations

import contextlib
import os
import shlex
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from sandbox_helpers import FAST, MiB, run_job

from grader.sandbox import BwrapSandbox, Limits, Outcome, PreforkSandbox, Sandbox, StartMode, self_test
from grader.sandbox._cgroup import CgroupV1, parent_weight, tree_caps
from grader.sandbox._cgroup2 import MOUNTS, CgroupV2
from grader.sandbox._command import Plan, Tools
from grader.sandbox._layout import discover
from grader.sandbox._selftest import UNSAFE_NO_CGROUP

SPIN = """
import os, sys, time
start, end = float(sys.argv[1]), float(sys.argv[1]) + 3.0
time.sleep(max(0.0, start - time.time()))  # both jobs spin over the same seconds, however long each took to start
for _ in range(int(sys.argv[2]) - 1):
    if os.fork() == 0:
        os.setsid()  # a session of its own: where the kernel shares CPU per session (autogroup), a share of its own
        break
while time.time() < end:
    pass
"""
SPINNING = Limits(**{**FAST.__dict__, "wall_seconds": 20, "cpu_seconds": 60, "processes": 24})


def _slot_cpu(sandbox: Sandbox) -> float:
    group = sandbox._cgroup  # type: ignore[attr-defined]
    assert group is not None, "the slot has no cgroup"
    return float(group.cpu_seconds())


def test_a_job_with_many_processes_gets_one_slots_cpu_share(sandbox_backend: Sandbox, second_backend: Sandbox) -> None:
    start = time.time() + 3.0
    used: dict[str, float] = {}
    outcomes: dict[str, Outcome] = {}

    def spin(name: str, sandbox: Sandbox, processes: int) -> None:
        outcomes[name], _ = run_job(sandbox, SPIN, SPINNING, args=(str(start), str(processes)))
        used[name] = _slot_cpu(sandbox)  # the slot's cgroup counter, read before its next job resets it

    threads = [
        threading.Thread(target=spin, args=("greedy", sandbox_backend, 20)),
        threading.Thread(target=spin, args=("modest", second_backend, 2)),  # as many as this machine has cores
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(o.exit_code == 0 for o in outcomes.values()), outcomes
    # Shared per process (or per session), the two would get a tenth of the CPU the 20 get; per slot, about as much.
    assert used["modest"] > 0.33 * used["greedy"], used


def test_a_sandbox_without_a_cgroup_fails_its_self_test(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(UNSAFE_NO_CGROUP, raising=False)
    with BwrapSandbox(249, cgroup=False) as sandbox:
        report = self_test(sandbox)
    assert not report.ok
    assert report.failed == ["tree-wide memory and process caps (cgroup)"], report.describe()
    assert UNSAFE_NO_CGROUP in report.describe() and "delegated cgroup v2" in report.describe()


def test_grading_without_a_cgroup_needs_the_named_unsafe_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(UNSAFE_NO_CGROUP, "1")
    with PreforkSandbox(249, cgroup=False) as sandbox:
        report = self_test(sandbox)
    assert report.ok, report.describe()
    assert "UNSAFE" in report.details["tree-wide memory and process caps (cgroup)"]


def test_each_slot_gets_the_same_cpu_weight() -> None:
    group, why = CgroupV1.create(248)
    if group is None:
        group2, why2 = CgroupV2.create(248)
        assert group2 is not None, f"{why}; {why2}"
        assert (group2.folder / "cpu.weight").read_text().strip() == "100"
        return
    assert "cpu" in group.dirs, why
    assert (group.dirs["cpu"] / "cpu.shares").read_text().strip() == "1024"
    # All slots together weigh as one busy host process per core: the service's own processes cannot starve them.
    assert (group.dirs["cpu"].parent / "cpu.shares").read_text().strip() == str(1024 * parent_weight())
    assert str(group.dirs["cpu"] / "cgroup.procs") in group.procs_files


def test_cgroup_v2_says_which_controllers_it_lacks() -> None:
    group, why = CgroupV2.create(247)
    if group is not None:
        assert "cgroup v2 per slot" in why
        group.prepare(Limits(memory_bytes=300 * MiB))
        assert int((group.folder / "memory.max").read_text()) == tree_caps(Limits(memory_bytes=300 * MiB))[0]
        return
    assert "cgroup v2" in why and ("memory" in why or "mounted" in why or "configure" in why), why
    if "mounted" not in why:  # says what to configure, for a host service and for a container
        assert "Delegate=yes" in why and "--cgroupns=private and a writable /sys/fs/cgroup" in why, why


def test_an_unprivileged_start_joins_the_slots_cgroup_before_bwrap(tmp_path: Path) -> None:
    procs = str(tmp_path / "cgroup.procs")
    mode = StartMode.UNPRIVILEGED
    plan = Plan(mode, Tools.find(mode), discover(), 61000, tmp_path, cgroup_procs=(procs,))
    command = plan.command(FAST, 5, 6)
    assert command[:2] == [Tools.find(mode).sh, "-c"]
    join, _, rest = command[2].partition(" && exec ")
    assert join == f"echo $$ > {procs}"
    assert shlex.split(rest)[:2] == [Tools.find(mode).env, "-i"] and "--unshare-cgroup" in shlex.split(rest)
    assert Plan(mode, Tools.find(mode), discover(), 61000, tmp_path).command(FAST, 5, 6)[0].endswith("prlimit")


def test_a_v2_slot_counts_the_cpu_and_lists_the_processes_of_what_joined_it() -> None:
    mount = next((m for m in MOUNTS if (m / "cgroup.controllers").is_file()), None)
    if mount is None or not os.access(mount, os.W_OK):
        pytest.skip("NO WRITABLE CGROUP V2 HIERARCHY HERE: the v2 slot's accounting cannot be checked")
    folder = mount / "gradelab-test" / f"slot-{os.getpid()}"
    folder.mkdir(parents=True, exist_ok=True)
    try:
        group = CgroupV2(folder)
        group._cpu_start = group._usage_usec()  # what `prepare` does after setting the caps
        spin = "import time\nend = time.process_time() + 0.3\nwhile time.process_time() < end: pass\n"
        run = shlex.join([sys.executable, "-c", spin])
        proc = subprocess.Popen(["/bin/sh", "-c", f"echo $$ > {shlex.quote(group.procs_files[0])} && exec {run}"])
        seen: set[int] = set()
        while proc.poll() is None:
            seen |= group.pids()
        assert proc.returncode == 0 and proc.pid in seen
        assert group.cpu_seconds() >= 0.25
        assert group.pids() == set()
    finally:
        folder.rmdir()
        with contextlib.suppress(OSError):  # another run may be using it
            folder.parent.rmdir()


def test_every_v2_slot_is_a_sibling_under_one_parent_after_the_service_moved_into_its_leaf() -> None:
    # On the real cgroup v2 mount (the unified one of a hybrid host has no controllers, which these steps do
    # not need): a process given `base` opens a first slot, is moved into `base/service`, and then opens more.
    mount = next(m for m in MOUNTS if (m / "cgroup.controllers").is_file())
    base = mount / f"gradelab-base-test-{os.getpid()}"
    base.mkdir()
    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "from grader.sandbox._cgroup2 import _own_cgroup, _slots_parent\n"
        "Path(sys.argv[1], 'cgroup.procs').write_text('0')\n"  # 0: the writing process itself
        "seen = []\n"
        "for _ in range(3):\n"
        "    given = _own_cgroup()\n"
        "    seen += [str(given), str(_slots_parent(given, []))]\n"
        "print(' '.join(seen), Path('/proc/self/cgroup').read_text().split('0::')[1].strip())\n"
    )
    try:
        ran = subprocess.run([sys.executable, "-c", script, str(base)], capture_output=True, text=True, check=False)
        assert ran.returncode == 0, ran.stderr
        *seen, own = ran.stdout.split()
        assert seen == [str(base), str(base / "gradelab")] * 3
        assert own == "/" + str((base / "service").relative_to(mount))
    finally:  # deepest first (a failing run may have nested them); the processes have ended
        for folder in [*sorted((p for p in base.rglob("*") if p.is_dir()), key=lambda p: -len(p.parts)), base]:
            with contextlib.suppress(FileNotFoundError):
                folder.rmdir()
