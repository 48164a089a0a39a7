"""The command line that starts one job, for each way this process can start a sandbox.

As root: `unshare --mount` gives a private mount namespace in which the runtime and the
venv are bound onto a directory any uid can traverse and a tmpfs capped in size and
inodes is mounted for the job; the chain joins the slot's cgroup, takes its rlimits,
drops to the slot's uid with no new privileges and no capabilities, and runs an
unprivileged bwrap that binds all of it back at the original paths. Everything is
exec'd in place, so the process we started ends up being bwrap's monitor.

Not root (the Docker image): a shell joins the slot's delegated cgroup, then prlimit, then
bwrap with a `--size`-capped tmpfs.
"""

from __future__ import annotations

import enum
import math
import shlex
import shutil
from dataclasses import dataclass
from pathlib import Path

from grader.sandbox._bootstrap import BOOTSTRAP
from grader.sandbox._layout import Layout
from grader.sandbox._masks import dev_args, proc_mask_args, proc_masks
from grader.sandbox._types import Limits, SandboxUnavailable

ENVIRONMENT = {
    "OPENBLAS_NUM_THREADS": "1",
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "HOME": "/job",
    "LANG": "C.UTF-8",
    "PYTHONDONTWRITEBYTECODE": "1",
    "PYTHONHASHSEED": "0",
}
WORK_DIR = "/job"
_SEARCH_PATH = "/usr/bin:/bin:/usr/sbin:/sbin"
_PACKAGES = {"bwrap": "bubblewrap", "prlimit": "util-linux", "unshare": "util-linux", "setpriv": "util-linux"}


class StartMode(enum.StrEnum):
    """How the sandbox is started on this machine."""

    ROOT = "root"  # private mount namespace, tmpfs with an inode cap, drop to the slot's uid, bwrap
    UNPRIVILEGED = "unprivileged"  # bwrap directly, in an unprivileged user namespace


@dataclass(frozen=True)
class Tools:
    """Absolute paths of the host programs in the start chain (found once, never on the job's PATH)."""

    bwrap: str
    prlimit: str
    unshare: str = ""
    setpriv: str = ""
    mount: str = ""
    env: str = ""
    sh: str = ""

    @classmethod
    def find(cls, mode: StartMode) -> Tools:
        names = ["bwrap", "prlimit", "env", "sh"]
        if mode is StartMode.ROOT:
            names += ["unshare", "setpriv", "mount"]
        found = {}
        for name in names:
            path = shutil.which(name, path=_SEARCH_PATH)
            if path is None:
                package = _PACKAGES.get(name, "coreutils")
                raise SandboxUnavailable(f"{name} is not installed: run `apt-get install -y {package}` (as root)")
            found[name] = path
        return cls(**found)


def rlimit_values(limits: Limits) -> dict[str, tuple[int, int]]:
    """Soft and hard rlimits of a job, by prlimit's names (the cold chain and the zygote's jobs use the same)."""
    cpu = max(1, math.ceil(limits.cpu_seconds))
    return {
        "as": (limits.memory_bytes, limits.memory_bytes),
        "cpu": (cpu, cpu + 1),  # SIGXCPU first, SIGKILL a second later for a job ignoring it
        "nproc": (limits.processes, limits.processes),
        "nofile": (limits.open_files, limits.open_files),
        "fsize": (limits.file_size_bytes, limits.file_size_bytes),
        "core": (0, 0),
        "memlock": (0, 0),
        "msgqueue": (0, 0),
    }


@dataclass(frozen=True)
class Plan:
    """Everything about one slot that shapes its command lines."""

    mode: StartMode
    tools: Tools
    layout: Layout
    uid: int
    stage: Path  # root only: where the runtime, the venv and the job's tmpfs are mounted
    cgroup_procs: tuple[str, ...] = ()

    def command(self, limits: Limits, seccomp_fd: int | None, channel_fd: int, *, zygote: bool = False) -> list[str]:
        """The argv of one job, reading its archive on stdin and writing results to `channel_fd`.

        With `zygote`, the sandbox may create nested namespaces and has no seccomp filter of
        its own: it runs only our pre-forking code, and each job it forks sets up its own
        namespaces and filter before it runs anything else.
        """
        inner = [*self._rlimits(limits)]
        if self.mode is StartMode.ROOT:
            inner += [
                self.tools.setpriv,
                f"--reuid={self.uid}",
                f"--regid={self.uid}",
                "--clear-groups",
                "--inh-caps=-all",
                "--bounding-set=-all",
                "--no-new-privs",
                "--",
            ]
        inner += [*self._bwrap(limits, seccomp_fd, zygote), str(channel_fd)]
        if self.mode is StartMode.UNPRIVILEGED:
            if not self.cgroup_procs:
                return inner
            # The slot's (delegated) cgroup is joined before bwrap starts, so every process of the job is in it.
            return [
                self.tools.sh,
                "-c",
                " && ".join([*self._join(), "exec " + shlex.join([self.tools.env, "-i", *inner])]),
            ]
        return [
            self.tools.unshare,
            "--mount",
            "--propagation",
            "private",
            self.tools.sh,
            "-c",
            self._script(limits, inner),
        ]

    def _script(self, limits: Limits, inner: list[str]) -> str:
        mount, stage, layout = self.tools.mount, self.stage, self.layout
        steps = self._join()
        steps.append(shlex.join([mount, "--bind", layout.runtime, str(stage / "rt")]))
        if layout.venv is not None:
            steps.append(shlex.join([mount, "--bind", layout.venv, str(stage / "venv")]))
        options = (
            f"size={limits.tmpfs_bytes},nr_inodes={limits.tmpfs_inodes},mode=0700,"
            f"uid={self.uid},gid={self.uid},nosuid,nodev"
        )
        steps.append(shlex.join([mount, "-t", "tmpfs", "-o", options, "gradelab-job", str(stage / "job")]))
        # `env -i`: the shell exports PWD, and bwrap's pid 1 would show it in /proc/1/environ.
        return " && ".join(steps) + " && exec " + shlex.join([self.tools.env, "-i", *inner])

    def _join(self) -> list[str]:
        return [f"echo $$ > {shlex.quote(path)}" for path in self.cgroup_procs]

    def _rlimits(self, limits: Limits) -> list[str]:
        values = rlimit_values(limits)
        return [self.tools.prlimit, *(f"--{name}={soft}:{hard}" for name, (soft, hard) in values.items()), "--"]

    def _bwrap(self, limits: Limits, seccomp_fd: int | None, zygote: bool) -> list[str]:
        args = [
            self.tools.bwrap,
            "--unshare-user",
            "--unshare-ipc",
            "--unshare-pid",
            "--unshare-net",
            "--unshare-uts",
            "--unshare-cgroup",
            *([] if zygote else ["--disable-userns"]),
            "--as-pid-1",
            "--hostname",
            "sandbox",
            "--die-with-parent",
            "--new-session",
            "--cap-drop",
            "ALL",
        ]
        if self.mode is StartMode.ROOT:
            stage = str(self.stage)
            moved = {self.layout.runtime: f"{stage}/rt"}
            if self.layout.venv is not None:
                moved[self.layout.venv] = f"{stage}/venv"
            args += self.layout.binds(moved)
            args += ["--bind", f"{stage}/job", WORK_DIR]
        else:
            args += self.layout.binds()
            args += ["--size", str(limits.tmpfs_bytes), "--perms", "0700", "--tmpfs", WORK_DIR]
        args += ["--proc", "/proc"]
        # The zygote's jobs mount a /proc of their own and mask it (a masked /proc refuses their mount).
        args += [] if zygote else proc_mask_args(proc_masks())
        args += [*dev_args(), "--remount-ro", "/dev", "--remount-ro", "/", "--chdir", WORK_DIR]
        for key, value in ENVIRONMENT.items():
            args += ["--setenv", key, value]
        if seccomp_fd is not None:
            args += ["--seccomp", str(seccomp_fd)]
        return [*args, "--", self.layout.python, "-I", "-B", "-c", BOOTSTRAP]
