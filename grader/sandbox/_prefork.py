"""The pre-forked backend: one long-lived zygote per slot forks each job, which isolates itself.

The zygote is started through exactly the chain of a cold job (see `_command.py`), holds
only the interpreter and NumPy, and never runs problem or student code itself; each job
builds its own namespaces, tmpfs, rlimits, capabilities and seccomp filter before its
first line runs (see `_zygote.py`). The host talks to the zygote over a socket pair: the
job's archive (a memfd) and its stdout, stderr and result pipes go over with SCM_RIGHTS,
so the trusted side reads them with the same caps and the same supervisor as a cold job.
A zygote that stops answering, or that leaves a process behind after a job, is killed
and replaced before the next job.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import math
import os
import select
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import BinaryIO

from grader.sandbox._bootstrap import pack_files
from grader.sandbox._bwrap import run_cold
from grader.sandbox._command import ENVIRONMENT, rlimit_values
from grader.sandbox._layout import DEFAULT_PACKAGES
from grader.sandbox._masks import proc_masks
from grader.sandbox._seccomp import seccomp_program
from grader.sandbox._slot import UID_BASE, Slot, SlotSandbox
from grader.sandbox._supervise import CHANNEL_PIPE_BYTES, outcome, watch
from grader.sandbox._types import Attachment, Job, Limits, Monitor, Outcome, SandboxUnavailable
from grader.sandbox._zygote import ZYGOTE

GiB = 1024**3
# The zygote's own limits are the ceiling of every job's (a job can only lower an rlimit).
ZYGOTE_LIMITS = Limits(
    wall_seconds=math.inf,
    cpu_seconds=10**9,
    memory_bytes=32 * GiB,
    processes=512,
    open_files=1024,
    file_size_bytes=1 * GiB,
    tmpfs_bytes=4 * 1024 * 1024,
    tmpfs_inodes=64,
)
_START_SECONDS = 30.0
_ANSWER_SECONDS = 5.0


@dataclass
class _Zygote:
    proc: subprocess.Popen[bytes]
    ctrl: socket.socket
    baseline: set[int]  # the chain's own processes (bwrap, its init, the zygote)
    vm_bytes: int  # the zygote's address space: a job's memory limit comes on top of what it inherits
    stderr: BinaryIO

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self) -> None:
        with contextlib.suppress(OSError):
            self.ctrl.close()
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(5)
        self.stderr.close()

    def errors(self) -> str:
        with contextlib.suppress(OSError):
            self.stderr.seek(0)
            return self.stderr.read()[-2000:].decode("utf-8", "replace")
        return ""


def _receive(sock: socket.socket, timeout: float) -> dict[str, object] | None:
    ready, _, _ = select.select([sock], [], [], timeout)
    if not ready:
        return None
    try:
        data = sock.recv(65536)
    except OSError:
        return None
    if not data:
        return None
    try:
        message = json.loads(data)
    except ValueError:
        return None
    return message if isinstance(message, dict) else None


class _ZygoteJob:
    """The supervisor's view of a job running under a zygote: its end is the zygote's `exit` message."""

    def __init__(self, sandbox: PreforkSandbox, zygote: _Zygote) -> None:
        self.sandbox = sandbox
        self.zygote = zygote
        self.exit_fd = zygote.ctrl.fileno()
        self._done = False
        self._killed = False

    def ended(self) -> bool:
        return self._done

    def kill(self) -> None:
        if self._done or self._killed:
            return
        self._killed = True
        try:
            self.zygote.ctrl.send(json.dumps({"op": "kill"}).encode())
        except OSError:
            self.sandbox._drop_zygote()

    def reap(self) -> tuple[int, float]:
        self._done = True
        message = _receive(self.zygote.ctrl, _ANSWER_SECONDS)
        if message is None or message.get("event") != "exit":
            self.sandbox._drop_zygote()  # it stopped answering: nothing it said can be trusted any more
            return signal.SIGKILL, 0.0
        status, cpu = message.get("status"), message.get("cpu")
        return (status if isinstance(status, int) else signal.SIGKILL), (
            float(cpu) if isinstance(cpu, int | float) else 0.0
        )


class PreforkSandbox(SlotSandbox):
    """Each job is forked from the slot's zygote and isolates itself; about a tenth of a cold start.

    `preload` are files (by their path in a job) the zygote compiles ahead of any job: a job that
    carries one byte for byte gets it compiled, and the modules among them under lib/ imported.
    The caller hands them in (grading hands in its harness); the sandbox knows nothing of them.
    """

    name = "prefork"

    def __init__(
        self,
        slot: int = 0,
        *,
        uid_base: int = UID_BASE,
        packages: tuple[str, ...] = DEFAULT_PACKAGES,
        cgroup: bool = True,
        preload: Mapping[str, bytes] | None = None,
    ) -> None:
        self.preload = dict(preload or {})
        self._slot = Slot(slot, uid_base=uid_base, packages=packages, cgroup=cgroup)
        self._zygote: _Zygote | None = None

    def run(self, job: Job, limits: Limits, monitor: Monitor) -> Outcome:
        if job.fresh:  # a newly started interpreter, as the cold backend gives (the zygote would be in the way)
            archive = pack_files(job)
            with self._slot.lock:
                self._drop_zygote()
                self._slot.check_open()
                return run_cold(self._slot, archive, limits, self._slot.prepare(limits, monitor), self.name)
        archive = pack_files(job, attachments_as_files=False)
        with self._slot.lock:
            self._slot.check_open()
            monitor = self._slot.prepare(limits, monitor)
            zygote = self._ensure_zygote()
            try:
                return self._run_in(zygote, archive, list(job.attached.values()), limits, monitor)
            finally:
                self._check_leftovers()

    # -- the zygote ---------------------------------------------------------------------------

    def _ensure_zygote(self) -> _Zygote:
        if self._zygote is not None and self._zygote.alive():
            return self._zygote
        self._drop_zygote()
        self._zygote = self._start_zygote()
        return self._zygote

    def _start_zygote(self) -> _Zygote:
        host, inner = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        files = {"zygote.py": ZYGOTE.encode(), "seccomp.bpf": seccomp_program()}
        files.update({f"preload/{name}": data for name, data in self.preload.items()})
        masks = {"files": proc_masks().files, "dirs": proc_masks().dirs}
        boot = Job(
            files=files, entry="zygote.py", args=("3", "/job/seccomp.bpf", json.dumps(ENVIRONMENT), json.dumps(masks))
        )
        stderr = tempfile.TemporaryFile(prefix="gradelab-zygote-")  # noqa: SIM115 (lives as long as the zygote)
        try:
            proc = subprocess.Popen(
                self._slot.plan.command(ZYGOTE_LIMITS, None, inner.fileno(), zygote=True),
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                stderr=stderr,
                env={},
                cwd="/",
                pass_fds=(inner.fileno(),),
                start_new_session=True,
                close_fds=True,
            )
        except OSError as exc:
            host.close()
            stderr.close()
            raise SandboxUnavailable(f"cannot start the zygote of slot {self.slot}: {exc}") from exc
        finally:
            inner.close()
        assert proc.stdin is not None
        with contextlib.suppress(OSError):
            proc.stdin.write(pack_files(boot))
            proc.stdin.close()
        zygote = _Zygote(proc, host, set(), 0, stderr)
        ready = _receive(host, _START_SECONDS)
        if ready is None or ready.get("event") != "ready":
            detail = zygote.errors()
            zygote.stop()
            raise SandboxUnavailable(f"the zygote of slot {self.slot} did not start: {detail.strip()[-600:]}")
        zygote.baseline = self._slot.pids(thorough=True)
        vm = ready.get("vm_bytes")
        zygote.vm_bytes = vm if isinstance(vm, int) and 0 <= vm < 8 * GiB else 0
        return zygote

    def _drop_zygote(self) -> None:
        if self._zygote is not None:
            self._zygote.stop()
            self._zygote = None
            self._kill_everything()

    # -- one job ------------------------------------------------------------------------------

    def _run_in(
        self, zygote: _Zygote, archive: bytes, attached: list[Attachment], limits: Limits, monitor: Monitor
    ) -> Outcome:
        memfd = os.memfd_create("gradelab-job", os.MFD_CLOEXEC)
        pipes = [os.pipe() for _ in range(3)]  # stdout, stderr, channel
        with contextlib.suppress(OSError):  # only a matter of speed
            fcntl.fcntl(pipes[2][0], fcntl.F_SETPIPE_SZ, CHANNEL_PIPE_BYTES)
        readers: list[int] = []
        sent = False
        try:
            for attachment in attached:
                readers.append(attachment.open())  # each job its own read-only descriptor
            _write_all(memfd, archive)
            os.lseek(memfd, 0, os.SEEK_SET)
            spec = {
                "op": "run",
                "tmpfs_bytes": limits.tmpfs_bytes,
                "tmpfs_inodes": limits.tmpfs_inodes,
                "rlimits": _rlimits(limits, zygote.vm_bytes),
                "attached": len(readers),
            }
            started = time.monotonic()
            try:
                socket.send_fds(zygote.ctrl, [json.dumps(spec).encode()], [memfd, *(w for _, w in pipes), *readers])
            except OSError as exc:
                self._drop_zygote()
                raise SandboxUnavailable(f"the zygote of slot {self.slot} is gone: {exc}") from exc
            sent = True
        finally:
            os.close(memfd)
            for fd in (*(w for _, w in pipes), *readers, *(() if sent else (r for r, _ in pipes))):
                os.close(fd)
        (out_r, _), (err_r, _), (chan_r, _) = pipes
        try:
            answer = _receive(zygote.ctrl, _ANSWER_SECONDS)
            if answer is None or answer.get("event") != "started":
                detail = zygote.errors()
                self._drop_zygote()
                raise SandboxUnavailable(f"the zygote of slot {self.slot} did not start the job: {detail[-600:]}")
            seen = watch(_ZygoteJob(self, zygote), None, b"", out_r, err_r, chan_r, limits, monitor, started)
        finally:
            for r in (out_r, err_r, chan_r):
                os.close(r)
        return outcome(seen, time.monotonic() - started, seen.rusage_cpu, self.name)

    # -- processes of the slot ----------------------------------------------------------------

    def live_pids(self) -> set[int]:
        """Processes of this slot's jobs still running on the host (the zygote's own are not counted)."""
        baseline = self._zygote.baseline if self._zygote is not None else set()
        return self._slot.pids() - baseline

    def _check_leftovers(self) -> None:
        """A job's pid namespace ends with it; if anything of it is left anyway, start over."""
        if self.live_pids():
            time.sleep(0.05)  # the namespace's processes are being torn down
            if self.live_pids():
                self._drop_zygote()

    def _kill_everything(self) -> None:
        self._slot.kill_all()

    def close(self) -> None:
        """Stop the zygote and release the slot for another sandbox object (waits for a running job)."""
        with self._slot.lock:
            self._drop_zygote()
            self._slot.release()


def _rlimits(limits: Limits, inherited_vm: int) -> dict[str, tuple[int, int]]:
    values = rlimit_values(limits)
    # A cold job pays for the interpreter and NumPy inside its limit after it starts; a forked job
    # starts with them already mapped, so its limit counts from there (the cgroup caps the tree).
    values["as"] = (limits.memory_bytes + inherited_vm, limits.memory_bytes + inherited_vm)
    return values


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]
