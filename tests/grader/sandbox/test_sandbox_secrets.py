"""Attack family "Secrets": canaries planted around the sandbox stay out of the job's reach."""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sandbox_helpers import FAST, run_job

from grader.sandbox import ENVIRONMENT, Limits, Sandbox

PROJECT = Path(__file__).resolve().parents[3]

# Looks for the canary everywhere a job can look: environment, /proc of every visible
# process, every path name in the file system, the contents of every file outside the
# read-only runtime, the canary paths themselves, and every live Python object.
SEARCH = """
import gc, json, os, sys
needle = sys.argv[1]
targets = sys.argv[2:]
hits = []
if any(needle in k or needle in v for k, v in os.environ.items()):
    hits.append("os.environ")
for pid in [p for p in os.listdir("/proc") if p.isdigit()]:
    for name in ("environ", "cmdline", "maps", "mountinfo"):
        try:
            if needle.encode() in open(f"/proc/{pid}/{name}", "rb").read():
                hits.append(f"/proc/{pid}/{name}")
        except OSError:
            pass
skip = (sys.base_prefix, sys.prefix, "/usr/lib", "/dev/")  # read-only runtime; devices block
for root, dirs, names in os.walk("/"):
    dirs[:] = [d for d in dirs if os.path.join(root, d) not in ("/proc", "/sys")]
    for name in dirs + names:
        path = os.path.join(root, name)
        if needle in name:
            hits.append(path)
        if name in names and not path.startswith(skip) and path != "/job/attack.py":
            try:
                with open(path, "rb") as fh:
                    if needle.encode() in fh.read(1 << 20):
                        hits.append(path)
            except OSError:
                pass
for target in targets:
    if os.path.exists(target):
        hits.append("reachable: " + target)
hits += ["gc"] * any(isinstance(o, str) and needle in o and o is not needle for o in gc.get_objects())
os.write(3, json.dumps(hits).encode())
"""


@pytest.fixture()
def canary(tmp_path: Path) -> Iterator[tuple[str, list[str]]]:
    """A canary in the worker's environment, beside a fake database, in a fake reference and in the project."""
    token = "gradelab-canary-" + os.urandom(8).hex()
    os.environ["GRADELAB_ATTACK_CANARY"] = token
    db = tmp_path / "grader.db"
    db.write_text(f"password={token}")
    secret = tmp_path / f"{token}.env"
    secret.write_text(token)
    reference = tmp_path / "reference" / "reference.py"
    reference.parent.mkdir()
    reference.write_text(f"SECRET = {token!r}\n")
    in_project = PROJECT / f".{token}"
    in_project.write_text(token)
    try:
        yield token, [str(db), str(secret), str(reference), str(in_project)]
    finally:
        os.environ.pop("GRADELAB_ATTACK_CANARY", None)
        in_project.unlink()


def test_canaries_on_the_host_are_out_of_reach(sandbox_backend: Sandbox, canary: tuple[str, list[str]]) -> None:
    token, paths = canary
    outcome, data = run_job(sandbox_backend, SEARCH, Limits(wall_seconds=30, cpu_seconds=30), args=(token, *paths))
    assert json.loads(data) == [], outcome.stderr[-500:]


def test_the_search_finds_a_canary_within_reach(sandbox_backend: Sandbox) -> None:
    token = "gradelab-canary-" + os.urandom(8).hex()
    files = {"notes.txt": f"x {token} y".encode()}
    _, data = run_job(sandbox_backend, SEARCH, Limits(wall_seconds=30, cpu_seconds=30), args=(token,), files=files)
    assert "/job/notes.txt" in json.loads(data)


def test_another_running_jobs_files_are_out_of_reach(sandbox_backend: Sandbox, second_backend: Sandbox) -> None:
    token = "gradelab-canary-" + os.urandom(8).hex()
    other = """
        import os, sys, time
        open(f"/job/{sys.argv[1]}", "w").write(sys.argv[1])
        os.write(3, b"planted")
        time.sleep(2.5)
    """
    planted: list[bytes] = []
    thread = threading.Thread(target=lambda: planted.append(run_job(second_backend, other, args=(token,))[1]))
    thread.start()
    try:
        time.sleep(0.8)  # let the other job plant its file
        outcome, data = run_job(
            sandbox_backend, SEARCH, Limits(wall_seconds=30, cpu_seconds=30), args=(token, f"/job/{token}")
        )
    finally:
        thread.join()
    assert planted == [b"planted"]
    assert json.loads(data) == [], outcome.stderr[-500:]


def test_the_environment_is_exactly_the_fixed_set(sandbox_backend: Sandbox) -> None:
    outcome, data = run_job(
        sandbox_backend,
        """
        import json, os
        own = open("/proc/self/environ", "rb").read().decode()
        os.write(3, json.dumps([dict(os.environ), own, open("/proc/1/environ", "rb").read().decode()]).encode())
        """,
    )
    env, own, init = json.loads(data)
    expected = {**ENVIRONMENT, "PWD": "/job"}
    assert env == expected, outcome.stderr
    for blob in (own, init):
        assert {item.partition("=")[0] for item in blob.split("\0") if item} <= set(expected)


def test_host_processes_are_invisible(sandbox_backend: Sandbox) -> None:
    outcome, data = run_job(
        sandbox_backend,
        """
        import json, os
        pids = [p for p in os.listdir("/proc") if p.isdigit()]
        cmds = [open(f"/proc/{p}/cmdline", "rb").read().decode(errors="replace") for p in pids]
        os.write(3, json.dumps([pids, cmds]).encode())
        """,
    )
    pids, cmds = json.loads(data)
    assert sorted(pids) == ["1", "2"], (pids, cmds, outcome.stderr)  # the bootstrap's init and the job
    assert not any("pytest" in c for c in cmds)


def test_host_configuration_and_devices_are_absent(sandbox_backend: Sandbox) -> None:
    outcome, data = run_job(
        sandbox_backend,
        """
        import json, os, socket
        paths = ["/etc/passwd", "/etc/hosts", "/etc/shadow", "/sys/class", "/root/.ssh", "/home", "/var/lib",
                 "/run/gradelab-sandbox", "/dev/sda", "/dev/vda", "/dev/mem", "/dev/kmsg"]
        os.write(3, json.dumps([[p for p in paths if os.path.exists(p)], socket.gethostname()]).encode())
        """,
    )
    present, hostname = json.loads(data)
    assert present == [], outcome.stderr
    assert hostname == "sandbox"


def test_installed_packages_other_than_numpy_are_hidden(sandbox_backend: Sandbox) -> None:
    outcome, data = run_job(
        sandbox_backend,
        """
        import importlib.util, json, os
        found = [m for m in ("pytest", "pydantic", "pyseccomp", "grader", "app", "pip") if importlib.util.find_spec(m)]
        os.write(3, json.dumps(found).encode())
        """,
        FAST,
    )
    assert json.loads(data) == [], outcome.stderr
