"""Attack family "Writes": only the job's own capped tmpfs is writable, and nothing persists."""

from __future__ import annotations

import errno
import json

import pytest
from sandbox_helpers import FAST, MiB, run_job

from grader.sandbox import BwrapSandbox, Limits, PreforkSandbox, Sandbox, StartMode

TRY_WRITE = """
import json, os, sys, sysconfig
folder = {folder}
try:
    with open(os.path.join(folder, "gradelab-attack.pth"), "x") as fh:
        fh.write("import os; os.write(3, b'persisted')")
    result = "wrote"
except OSError as exc:
    result = exc.errno
os.write(3, json.dumps(result).encode())
"""


@pytest.mark.parametrize(
    "folder",
    [
        "sys.base_prefix",
        "sys.prefix",
        "sysconfig.get_path('purelib')",
        "os.path.dirname(os.path.dirname(__import__('numpy').__file__))",
        "os.path.dirname(__import__('numpy').__file__)",
        "os.path.join(sys.base_prefix, 'lib', 'python3.11')",
        "'/usr/lib'",
        "'/usr/lib/x86_64-linux-gnu'",
        "'/'",
        "'/tmp'",
        "'/var/tmp'",
        "'/dev'",
        "'/dev/shm'",
        "'/proc'",
        "'/proc/sys/kernel'",
    ],
)
def test_writes_outside_the_job_directory_fail(sandbox_backend: Sandbox, folder: str) -> None:
    outcome, data = run_job(sandbox_backend, TRY_WRITE.format(folder=folder))
    assert json.loads(data) in (errno.EROFS, errno.EACCES, errno.ENOENT, errno.EPERM), outcome.stderr


def test_every_writable_directory_is_inside_the_job(sandbox_backend: Sandbox) -> None:
    outcome, data = run_job(
        sandbox_backend,
        """
        import json, os
        writable = []
        for root, dirs, names in os.walk("/"):
            dirs[:] = [d for d in dirs if os.path.join(root, d) != "/proc"]
            try:
                fd = os.open(os.path.join(root, "gradelab-attack-probe"), os.O_CREAT | os.O_EXCL | os.O_WRONLY)
                os.close(fd)
                writable.append(root)
            except OSError:
                pass
        os.write(3, json.dumps(writable).encode())
        """,
        Limits(wall_seconds=30, cpu_seconds=30),
    )
    assert json.loads(data) == ["/job"], outcome.stderr


def test_nothing_persists_into_the_next_job_of_the_same_slot(sandbox_backend: Sandbox) -> None:
    first, _ = run_job(
        sandbox_backend,
        """
        import os, site, sys
        payload = "import os; os.write(3, b'persisted')\\n"
        for folder in ["/job", os.path.expanduser("~"), *sys.path, *site.getsitepackages()]:
            for name in ("sitecustomize.py", "usercustomize.py", "gradelab-attack.pth", "numpy.py"):
                try:
                    with open(os.path.join(folder, name), "w") as fh:
                        fh.write(payload if name != "gradelab-attack.pth" else payload.replace("\\n", ""))
                except OSError:
                    pass
        """,
    )
    assert first.exit_code == 0, first.stderr
    outcome, data = run_job(
        sandbox_backend, "import os, numpy\nos.write(3, repr(sorted(os.listdir('/job'))).encode())\n"
    )
    assert data == b"['attack.py']", outcome.stderr


def test_filling_the_tmpfs_stops_at_its_size(sandbox_backend: Sandbox) -> None:
    outcome, data = run_job(
        sandbox_backend,
        """
        import json, os
        written, error = 0, None
        try:
            for i in range(100):
                with open(f"/job/fill{i}", "wb") as fh:
                    for _ in range(4):
                        fh.write(b"x" * (1024 * 1024))
                        written += 1024 * 1024
        except OSError as exc:
            error = exc.errno
        os.write(3, json.dumps([written, error]).encode())
        """,
    )
    written, error = json.loads(data)
    assert error == errno.ENOSPC, outcome.stderr
    assert written <= FAST.tmpfs_bytes


def test_a_file_larger_than_the_file_size_limit_fails(sandbox_backend: Sandbox) -> None:
    limits = Limits(**{**FAST.__dict__, "file_size_bytes": 1 * MiB})
    outcome, data = run_job(
        sandbox_backend,
        """
        import json, os
        try:
            with open("/job/big", "wb") as fh:
                fh.write(b"x" * (2 * 1024 * 1024))
            os.write(3, b'"wrote"')
        except OSError as exc:
            os.write(3, json.dumps(exc.errno).encode())
        """,
        limits,
    )
    assert json.loads(data) == errno.EFBIG, outcome.stderr


def test_inode_exhaustion_stops_at_the_inode_cap(sandbox_backend: Sandbox) -> None:
    if isinstance(sandbox_backend, BwrapSandbox | PreforkSandbox) and sandbox_backend.start_mode is not StartMode.ROOT:
        pytest.skip("an unprivileged bwrap cannot cap a tmpfs's inodes (no nr_inodes option)")
    outcome, data = run_job(
        sandbox_backend,
        """
        import json, os
        made, error = 0, None
        try:
            for i in range(100000):
                os.mkdir(f"/job/d{i}")
                made += 1
        except OSError as exc:
            error = exc.errno
        os.write(3, json.dumps([made, error]).encode())
        """,
    )
    made, error = json.loads(data)
    assert error == errno.ENOSPC, outcome.stderr
    assert made <= FAST.tmpfs_inodes
