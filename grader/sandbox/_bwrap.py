"""The cold-start backend: one bubblewrap sandbox per job.

Started by root (the default on our machines), the chain is: a private mount
namespace where the runtime and the venv are bound onto a directory any uid can
traverse and a size- and inode-capped tmpfs is mounted for the job; rlimits; a drop
to the slot's unprivileged uid with no new privileges; then an unprivileged bwrap
that binds them back at their original paths. Started by a non-root user (the
Docker image), bwrap runs directly with a `--size`-capped tmpfs.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import pwd
import shlex
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from grader.sandbox._bootstrap import BOOTSTRAP, pack_files
from grader.sandbox._seccomp import seccomp_program
from grader.sandbox._supervise import supervise
from grader.sandbox._types import Job, Limits, Monitor, Outcome, SandboxUnavailable

UID_BASE = 61000
STAGE = Path("/run/gradelab-sandbox")
ENVIRONMENT = {
    "OPENBLAS_NUM_THREADS": "1",
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "HOME": "/job",
    "LANG": "C.UTF-8",
    "PYTHONDONTWRITEBYTECODE": "1",
    "PYTHONHASHSEED": "0",
}


def _tool(name: str) -> str:
    path = shutil.which(name, path="/usr/bin:/bin:/usr/sbin:/sbin")
    if path is None:
        hint = "apt-get install -y bubblewrap" if name == "bwrap" else "apt-get install -y util-linux mount"
        raise SandboxUnavailable(f"{name} is not installed: run `{hint}` (as root)")
    return path


class BwrapSandbox:
    """Runs each job in a fresh bubblewrap sandbox as the slot's unprivileged uid."""

    name = "bwrap"

    def __init__(self, slot: int = 0, *, uid_base: int = UID_BASE) -> None:
        self.slot = slot
        self.uid = uid_base + slot
        self._check_uid_unused()
        self.python = sys.executable
        self.runtime = os.path.realpath(sys.base_prefix)
        self.venv = os.path.realpath(sys.prefix) if sys.prefix != sys.base_prefix else None
        self.as_root = os.geteuid() == 0
        self.start_mode = (
            "root: private mount namespace, drop to uid, unprivileged bwrap" if self.as_root else "unprivileged bwrap"
        )
        self.bwrap = _tool("bwrap")
        self.prlimit = _tool("prlimit")
        if self.as_root:
            self.unshare, self.setpriv, self.mount = _tool("unshare"), _tool("setpriv"), _tool("mount")
            self.env = _tool("env")
            self.stage = STAGE / f"slot-{slot}"
            for sub in ("rt", "venv", "job"):
                (self.stage / sub).mkdir(parents=True, exist_ok=True)
            STAGE.chmod(0o755)
        self._lock = _lock_slot(slot)
        self.seccomp = seccomp_program()

    def _check_uid_unused(self) -> None:
        try:
            user = pwd.getpwuid(self.uid)
        except KeyError:
            return
        raise SandboxUnavailable(
            f"uid {self.uid} belongs to user {user.pw_name!r}; choose another uid_base for the sandbox"
        )

    def describe(self) -> str:
        return f"bwrap slot {self.slot}, uid {self.uid}, {self.start_mode}, seccomp on"

    def _bwrap_args(self, limits: Limits, seccomp_fd: int) -> list[str]:
        args = [
            self.bwrap,
            "--unshare-user",
            "--unshare-all",
            "--die-with-parent",
            "--new-session",
            "--cap-drop",
            "ALL",
        ]
        stage_rt = str(self.stage / "rt") if self.as_root else self.runtime
        args += ["--ro-bind", stage_rt, self.runtime]
        if self.venv is not None and not self.venv.startswith(self.runtime + "/"):
            args += ["--ro-bind", str(self.stage / "venv") if self.as_root else self.venv, self.venv]
        args += ["--ro-bind", "/usr/lib", "/usr/lib", "--ro-bind-try", "/usr/lib64", "/usr/lib64"]
        args += ["--symlink", "usr/lib", "/lib", "--symlink", "usr/lib64", "/lib64"]
        if not self.runtime.startswith("/usr/lib"):
            args += ["--ro-bind-try", "/usr/local/lib", "/usr/local/lib"] if self.runtime != "/usr/local" else []
        args += ["--proc", "/proc", "--dev", "/dev"]
        if self.as_root:
            args += ["--bind", str(self.stage / "job"), "/job"]
        else:
            args += ["--size", str(limits.tmpfs_bytes), "--perms", "0700", "--tmpfs", "/job"]
        args += ["--remount-ro", "/", "--chdir", "/job"]
        for key, value in ENVIRONMENT.items():
            args += ["--setenv", key, value]
        args += ["--seccomp", str(seccomp_fd), "--", self.python, "-I", "-B", "-c", BOOTSTRAP]
        return args

    def _limits_args(self, limits: Limits) -> list[str]:
        cpu = max(1, int(limits.cpu_seconds + 1))
        return [
            self.prlimit,
            f"--as={limits.memory_bytes}",
            f"--nproc={limits.processes}",
            f"--nofile={limits.open_files}",
            f"--fsize={limits.file_size_bytes}",
            "--core=0",
            f"--cpu={cpu}",
            "--",
        ]

    def command(self, limits: Limits, seccomp_fd: int, channel_fd: int) -> list[str]:
        """The whole command line that starts one job."""
        inner = [*self._limits_args(limits)]
        if self.as_root:
            inner += [
                self.setpriv,
                f"--reuid={self.uid}",
                f"--regid={self.uid}",
                "--clear-groups",
                "--no-new-privs",
                "--",
            ]
        inner += [*self._bwrap_args(limits, seccomp_fd), str(channel_fd)]
        if not self.as_root:
            return inner
        st = self.stage
        mounts = [
            f"{self.mount} --make-rprivate /",
            f"{self.mount} --bind {shlex.quote(self.runtime)} {st}/rt",
            f"{self.mount} -t tmpfs -o size={limits.tmpfs_bytes},nr_inodes={limits.tmpfs_inodes},mode=0700,"
            f"uid={self.uid},gid={self.uid} gradelab-job {st}/job",
        ]
        if self.venv is not None and not self.venv.startswith(self.runtime + "/"):
            mounts.insert(2, f"{self.mount} --bind {shlex.quote(self.venv)} {st}/venv")
        # `env -i`: the shell exports PWD, and bwrap's pid 1 shows its environment to the job.
        script = " && ".join(mounts) + " && exec " + shlex.join([self.env, "-i", *inner])
        return [self.unshare, "--mount", "--propagation", "private", "/bin/sh", "-c", script]

    def run(self, job: Job, limits: Limits, monitor: Monitor) -> Outcome:
        """Run one job; the job's behaviour never raises, only broken infrastructure does."""
        archive = pack_files(job)
        seccomp_fd = os.memfd_create("gradelab-seccomp", 0)
        os.write(seccomp_fd, self.seccomp)
        os.lseek(seccomp_fd, 0, os.SEEK_SET)
        chan_r, chan_w = os.pipe()
        started = time.monotonic()
        try:
            proc = subprocess.Popen(
                self.command(limits, seccomp_fd, chan_w),
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env={},
                cwd="/",
                pass_fds=(seccomp_fd, chan_w),
                start_new_session=True,
                close_fds=True,
            )
        except OSError as exc:
            for fd in (seccomp_fd, chan_r, chan_w):
                os.close(fd)
            raise SandboxUnavailable(f"cannot start the sandbox: {exc}") from exc
        os.close(seccomp_fd)
        os.close(chan_w)
        try:
            return supervise(proc, archive, chan_r, limits, monitor, started, self.name)
        finally:
            os.close(chan_r)
            self._kill_leftovers()

    def _kill_leftovers(self) -> None:
        """Belt and braces: no process of this slot's uid may outlive its job (waits until none is left)."""
        deadline = time.monotonic() + 5.0
        while (pids := _pids_of_uid(self.uid)) and time.monotonic() < deadline:
            for pid in pids:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            time.sleep(0.01)


class SlotBusy(SandboxUnavailable):
    """Another process on this host holds the slot (and its uid)."""


def _lock_slot(slot: int) -> int:
    """Hold the slot's lock for this process's life: a uid must never be shared by two graders."""
    folder = STAGE if os.geteuid() == 0 else Path(f"/tmp/gradelab-sandbox-{os.geteuid()}")
    folder.mkdir(parents=True, exist_ok=True)
    fd = os.open(folder / f"slot-{slot}.lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise SlotBusy(f"sandbox slot {slot} is in use by another process") from None
    return fd


def _pids_of_uid(uid: int) -> list[int]:
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            if os.stat(f"/proc/{entry}").st_uid == uid:
                pids.append(int(entry))
        except FileNotFoundError:
            continue
    return pids
