"""Attack family "Shared kernel": what two jobs running at the same time could use to talk."""

from __future__ import annotations

import json

from sandbox_helpers import run_job

from grader.sandbox import Sandbox
from grader.sandbox._masks import KEEP_PROC

COUNTERS = (
    "/proc/sys/kernel/pty/nr",
    "/proc/sys/fs/file-nr",
    "/proc/sys/fs/inode-nr",
    "/proc/sys/fs/dentry-state",
    "/proc/sys/fs/aio-nr",
    "/proc/sys/kernel/random/entropy_avail",
    "/proc/loadavg",
    "/proc/stat",
    "/proc/meminfo",
    "/proc/vmstat",
    "/proc/uptime",
    "/proc/locks",
    "/proc/interrupts",
    "/proc/pressure/cpu",
)


def test_no_pseudo_terminal_can_be_opened(sandbox_backend: Sandbox) -> None:
    _, data = run_job(
        sandbox_backend,
        """
        import json, os
        tries = {}
        for name, attempt in {
            "openpty": os.openpty,
            "ptmx": lambda: os.open("/dev/ptmx", os.O_RDWR | os.O_NOCTTY),
            "pts/ptmx": lambda: os.open("/dev/pts/ptmx", os.O_RDWR | os.O_NOCTTY),
            "tty": lambda: os.open("/dev/tty", os.O_RDWR),
        }.items():
            try:
                attempt()
                tries[name] = "opened"
            except OSError as exc:
                tries[name] = exc.strerror
        os.write(3, json.dumps({"tries": tries, "dev": sorted(os.listdir("/dev"))}).encode())
        """,
    )
    found = json.loads(data)
    assert "opened" not in found["tries"].values(), found
    assert found["dev"] == ["fd", "full", "null", "random", "stderr", "stdin", "stdout", "urandom", "zero"], found


def test_the_kernels_global_counters_read_as_nothing(sandbox_backend: Sandbox) -> None:
    outcome, data = run_job(
        sandbox_backend,
        """
        import json, os, sys
        seen = {}
        for path in sys.argv[1:]:
            try:
                with open(path, "rb") as fh:
                    seen[path] = fh.read(200).decode("latin-1")
            except OSError:
                seen[path] = ""
        os.write(3, json.dumps(seen).encode())
        """,
        args=COUNTERS,
    )
    seen = json.loads(data)
    assert set(seen) == set(COUNTERS), outcome.stderr
    assert {path: text for path, text in seen.items() if text} == {}


def test_every_entry_of_proc_but_the_jobs_own_processes_is_masked(sandbox_backend: Sandbox) -> None:
    outcome, data = run_job(
        sandbox_backend,
        """
        import json, os, sys
        keep = set(sys.argv[1].split(","))
        open_ = []
        for name in sorted(os.listdir("/proc")):
            path = "/proc/" + name
            if name.isdigit() or name in keep:
                continue
            try:
                if os.path.isdir(path):
                    if os.listdir(path):
                        open_.append(name)
                else:
                    with open(path, "rb") as fh:
                        if fh.read(1):
                            open_.append(name)
            except OSError:
                pass
        os.write(3, json.dumps(open_).encode())
        """,
        args=(",".join(KEEP_PROC),),
    )
    assert outcome.exit_code == 0, outcome.stderr
    assert json.loads(data) == []


def test_masked_entries_cannot_be_uncovered(sandbox_backend: Sandbox) -> None:
    outcome, data = run_job(
        sandbox_backend,
        """
        import ctypes, json, os
        libc = ctypes.CDLL(None, use_errno=True)
        results = {
            "umount /proc/sys": libc.umount2(b"/proc/sys", 2),
            "umount /proc/loadavg": libc.umount2(b"/proc/loadavg", 2),
            "mount proc": libc.mount(b"proc", b"/job", b"proc", 0, None),
        }
        try:
            with open("/proc/sys/kernel/pty/nr", "w") as fh:
                fh.write("1")
            results["write /proc/sys"] = 0
        except OSError:
            results["write /proc/sys"] = -1
        os.write(3, json.dumps(results).encode())
        """,
    )
    assert json.loads(data) == {k: -1 for k in json.loads(data)} and len(json.loads(data)) == 4, outcome.stderr


def test_sysinfo_refuses_to_tell_free_memory_load_or_process_count(sandbox_backend: Sandbox) -> None:
    _, data = run_job(
        sandbox_backend,
        """
        import ctypes, os
        libc = ctypes.CDLL(None, use_errno=True)
        info = ctypes.create_string_buffer(128)
        result = libc.sysinfo(info)
        os.write(3, b"%d %d" % (result, ctypes.get_errno()) + info.raw)
        """,
    )
    head, _, raw = data.partition(b" ")
    errno, blob = raw[:1], raw[1:]  # the errno is one digit (EPERM)
    assert (head, errno) == (b"-1", b"1")
    assert blob == b"\x00" * 128  # nothing of the kernel's counters was written into the buffer
