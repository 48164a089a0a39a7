"""Runs inside the sandbox as the job's init: driver calls in runner processes, results to fd 3.

The parent never runs problem or student code. It forks a runner, which imports the
submission once and runs the calls one after another, writing into a pipe of its own
each call's frames followed by a `ran` marker (one write per call). The parent passes a
call's frames on to the channel, enforces the call's time limit, and when a call crashes,
hangs, floods or ends its process, records that as the call's result, kills every process
the runner left behind, and starts a fresh runner at the next call: one broken function
costs only its own tests. A runner also stops (`stop` marker) after any call that failed
in a way that may have left its state damaged (an exception, MemoryError, SystemExit), so
the next call starts clean. Calls under a different variant of the problem's code get
runners of their own. Quiet calls (hidden tests) run last, with their output going nowhere
and their inputs sealed (see `seal`): a runner that starts on visible calls goes on to the
quiet ones only through `Switch`, which cuts off everything it could show before it is
handed the sealed inputs; a runner that starts on quiet calls has them from the start.

Imports only the standard library, NumPy and the sibling modules in /job/lib.
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import importlib
import io
import json
import mmap
import os
import resource
import select
import signal
import socket
import sys
import time
import traceback
from typing import TYPE_CHECKING, Any

JOB = os.path.dirname(os.path.abspath(__file__))
SUB = JOB + "/sub"
PROBLEM = JOB + "/problem"
LIB = JOB + "/lib"
CHANNEL_FD = 3
MAX_CALL_OUTPUT = 256 * 1024 * 1024
STOP_GRACE_SECONDS = 1.0  # a runner that said it stops must be gone by then

sys.path[:0] = [LIB]
import numpy as np  # noqa: E402  (imported once here so every runner starts with it)

if TYPE_CHECKING:  # the same file, as the grader imports it
    from grader._harness import wire
    from grader._harness.wire import CallStatus
else:
    import wire
    from wire import CallStatus

RAN = wire.encode_frame({"k": "ran"})  # after a call's frames: it returned (or raised)
STOP = wire.encode_frame({"k": "stop"})  # after `ran`: this runner ends now
QUIET = wire.encode_frame({"k": "quiet"})  # after `ran`: this runner's output goes nowhere from now on

PLAN: dict[str, Any] = {}
STREAMS = (sys.stdout, sys.stderr)  # the job's own, whatever a submission puts in their place
BEGUN: set[tuple[str, str | None]] = set()  # calls whose `begin` went out on the channel
LINGERED: set[tuple[str, str | None]] = set()  # calls a stopping runner delayed once already
SEALED: dict[str, int] = {}  # inputs of hidden tests: open files no longer on disk, for quiet runners only
MAPPED: dict[str, memoryview] = {}  # inputs files this runner has mapped (`inputs_file`)
# kill(-1) is only safe in a fresh pid namespace as an unprivileged uid, where it
# reaches nothing but this job's processes; the harness runs as its init (pid 1) there.
ISOLATED = os.getpid() <= 4 and os.getuid() != 0


def emit(fd: int, header: dict[str, Any], value: Any = None, with_value: bool = False) -> None:
    _write_parts(fd, [wire.encode_frame(header, value, with_value=with_value)])


def _write_parts(fd: int, parts: list[Any]) -> None:
    """Write byte strings and views in order with gathered writes: no joined copy of them."""
    views = [memoryview(p).cast("B") for p in parts if len(p)]
    while views:
        done = os.writev(fd, views[:_IOV_MAX])
        while views and done >= len(views[0]):
            done -= len(views.pop(0))
        if done:
            views[0] = views[0][done:]


_IOV_MAX = 512
PIPE_BYTES = 1 << 20  # a call's frames usually fit whole: one read of them, no reassembly


def traceback_tail(exc: BaseException) -> str:
    """The last lines of a traceback, keeping only frames from submitted or problem files."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename.startswith(JOB + "/s")]
    lines = traceback.format_list(frames[-6:])
    lines += traceback.format_exception_only(type(exc), exc)
    text = "".join(lines).replace(SUB + "/", "")
    return text[-3000:]


def load_inputs(test: dict[str, Any], frames: list[bytes]) -> Any:
    if PLAN["mode"] == "student" or test.get("inputs"):
        offset, length = test.get("at") or (0, -1)
        data = inputs_file(test["inputs"])
        return wire.decode_trusted(data[offset : None if length < 0 else offset + length])[0][1]
    cases = importlib.import_module("cases")
    rng = np.random.default_rng(int(test["seed"]))
    inputs = getattr(cases, test["case"])(rng, **test.get("params", {}))
    if test.get("variant") is None:  # variants reuse the reference's inputs
        frames.append(wire.encode_frame({"k": "inputs", "test": test["id"]}, inputs, with_value=True))
    return inputs


def seal() -> None:
    """Open every file under sealed/ and take it off the disk (before any runner starts).

    Only runners of quiet calls keep these descriptors; the others close them first thing. This
    process is not dumpable, so no runner can reopen them through /proc. Sealed inputs the backend
    handed over as descriptors (GRADELAB_ATTACHED) are kept the same way, and never were on disk.
    """
    for name, fd in json.loads(os.environ.pop("GRADELAB_ATTACHED", "{}")).items():
        SEALED[name] = int(fd)
    folder = os.path.join(JOB, "sealed")
    if not os.path.isdir(folder):
        return
    for name in sorted(os.listdir(folder)):
        path = os.path.join(folder, name)
        SEALED["sealed/" + name] = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
        os.unlink(path)
    os.rmdir(folder)


def inputs_file(name: str) -> memoryview:
    """An inputs file (sealed or in the job), mapped read-only once per runner: each call's arrays are
    copied once, straight out of the file's pages, into arrays of their own."""
    found = MAPPED.get(name)
    if found is None:
        fd = SEALED[name] if name in SEALED else os.open(os.path.join(JOB, name), os.O_RDONLY | os.O_NOFOLLOW)
        try:
            found = memoryview(mmap.mmap(fd, 0, access=mmap.ACCESS_READ) if os.fstat(fd).st_size else b"")
        finally:
            if name not in SEALED:
                os.close(fd)
        MAPPED[name] = found
    return found


def import_submission(variant: dict[str, Any] | None) -> None:
    for name in PLAN["modules"]:
        stem = name[:-3]
        try:
            importlib.import_module(stem)
        except BaseException as exc:
            raise ImportProblem(name, exc) from None
    if variant is not None:
        module = sys.modules[variant["module"][:-3]]
        with open(os.path.join(PROBLEM, variant["file"]), encoding="utf-8") as fh:
            source = fh.read()
        exec(compile(source, os.path.join(PROBLEM, variant["file"]), "exec"), module.__dict__)


class ImportProblem(Exception):
    def __init__(self, name: str, exc: BaseException) -> None:
        super().__init__(name)
        self.name = name
        self.exc = exc


def runner(calls: list[dict[str, Any]], out_fd: int, switch: Switch | None) -> None:
    """Import the submission once, then run `calls` in order (in a forked child of the parent)."""
    try:
        os.close(CHANNEL_FD)
        prepare_runner(calls, switch)
    except BaseException:
        traceback.print_exc()  # our own code failed: say so on the job's stderr
        raise
    problem: ImportProblem | None = None
    try:
        import_submission(calls[0].get("variant"))
    except ImportProblem as exc:
        problem = exc
    emit(out_fd, {"k": "imported"})
    budget = resource.getrlimit(resource.RLIMIT_CPU)[1]
    for test in calls:
        if test.get("quiet") and switch is not None:
            go_quiet(out_fd, switch)
            switch = None
        soft = int(_cpu_seconds() + float(test["seconds"])) + 1
        resource.setrlimit(
            resource.RLIMIT_CPU, (soft if budget == resource.RLIM_INFINITY else min(soft, budget), budget)
        )
        frames: list[bytes] = []
        stop = run_one(test, problem, frames) not in wire.CLEAN_STATUSES  # then a fresh runner takes the next call
        frames += [RAN, STOP] if stop else [RAN]
        _write_parts(out_fd, frames)  # one write, one wake-up of the parent, per call
        if stop:
            return


def prepare_runner(calls: list[dict[str, Any]], switch: Switch | None) -> None:
    signal.signal(signal.SIGINT, signal.default_int_handler)
    if calls[0].get("quiet"):  # output of hidden tests is never shown: it goes nowhere
        _output_to_null()
    else:
        for fd in SEALED.values():
            os.close(fd)
        SEALED.clear()
        if switch is not None:
            switch.in_runner()
    sys.path[:0] = [SUB, PROBLEM]
    budget = int(_cpu_seconds() + sum(float(c["seconds"]) + 1 for c in calls)) + 2
    hard = resource.getrlimit(resource.RLIMIT_CPU)[1]
    if hard != resource.RLIM_INFINITY:
        budget = min(budget, hard)  # never above the job's own limit
    resource.setrlimit(resource.RLIMIT_CPU, (budget, budget))


def _output_to_null() -> None:
    null = os.open("/dev/null", os.O_WRONLY)
    os.dup2(null, 1)
    os.dup2(null, 2)
    os.close(null)


def go_quiet(out_fd: int, switch: Switch) -> None:
    """From visible calls to quiet ones: output off, then (once the parent has cut off everything this job
    could still show) the sealed inputs, as descriptors on the switch's socket."""
    for stream in STREAMS:  # what the visible calls printed is shown: it goes out before `quiet`
        if type(stream) is io.TextIOWrapper:  # never code of the submission's, which could hang here
            with contextlib.suppress(BaseException):
                stream.flush()
    _output_to_null()
    _write_parts(out_fd, [QUIET])
    try:
        while True:  # blocking or not is the open file's, which a process the submission started may change
            select.select([switch.runner_end], [], [])
            try:
                message, fds, _, _ = socket.recv_fds(switch.runner_end, 65536, 64, socket.MSG_DONTWAIT)
                break
            except BlockingIOError:
                continue
    except OSError:
        return  # the submission broke its own socket: the quiet calls find no inputs, and fail
    finally:
        switch.runner_end.close()
    try:
        names = json.loads(message)
    except ValueError:  # not what the parent sent: the submission put a socket of its own in place of ours
        names = []
    if isinstance(names, list) and len(names) == len(fds):
        SEALED.update(zip(names, fds, strict=True))
    else:
        for fd in fds:
            os.close(fd)


def run_one(test: dict[str, Any], problem: ImportProblem | None, frames: list[bytes]) -> str:
    """Run one driver call and append its frames (inputs, result) to `frames`; its status. The call's time is
    measured by the parent (`Relay.end`), never here, where the submission's code could change the figure."""
    variant = test.get("variant")
    head: dict[str, Any] = {"k": "result", "test": test["id"], "variant": variant and variant["name"]}
    try:
        inputs = load_inputs(test, frames)
        if PLAN.get("lazy_numgrad") and isinstance(inputs, dict) and inputs.get("numgrad") is True:
            inputs["numgrad"] = False  # computed on a second run, and only for the tests that fail
        if problem is not None:
            raise problem
        driver = importlib.import_module("driver")
        value = getattr(driver, test["driver"])(inputs)
        head.update(status=CallStatus.OK)
        frames.append(wire.encode_frame(head, value, with_value=True))
    except BaseException as exc:
        head.update(failure(exc))
        frames.append(wire.encode_frame(head))
    return str(head["status"])


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def failure(exc: BaseException) -> dict[str, Any]:
    import gradelib

    if isinstance(exc, ImportProblem):
        status = CallStatus.NOTIMPL if isinstance(exc.exc, NotImplementedError) else CallStatus.IMPORT
        return {"status": status, "file": exc.name, "msg": describe(exc.exc), "tb": traceback_tail(exc.exc)}
    if isinstance(exc, gradelib.SubmissionTypeError):
        return {"status": CallStatus.TYPE, "msg": str(exc)[:2000]}
    if isinstance(exc, NotImplementedError):
        return {"status": CallStatus.NOTIMPL, "msg": describe(exc), "tb": traceback_tail(exc)}
    if isinstance(exc, MemoryError):
        return {"status": CallStatus.MEMORY, "msg": "MemoryError", "tb": traceback_tail(exc)}
    if isinstance(exc, SystemExit):
        return {"status": CallStatus.EXIT, "msg": f"SystemExit({str(exc.code)[:200]})", "tb": traceback_tail(exc)}
    return {"status": CallStatus.ERROR, "msg": describe(exc), "tb": traceback_tail(exc)}


def describe(exc: BaseException) -> str:
    try:
        text = str(exc)
    except BaseException:
        text = "<unprintable>"
    return f"{type(exc).__name__}: {text}"[:2000]


class Switch:
    """How one runner goes on from visible calls to quiet ones.

    The runner's stdout and stderr are pipes to the parent, which passes what comes through them on to
    the job's own until the runner says `quiet` (right after the `ran` of its last visible call). Then
    the parent passes on what is still in the pipes, and discards everything read after it, whoever
    wrote it (the runner, a thread or a process it started); only after that does it send the sealed
    inputs down the socket. Nothing written once they can be read is ever shown.
    """

    def __init__(self) -> None:
        self.out_r, self.out_w = os.pipe()
        self.err_r, self.err_w = os.pipe()
        self.parent_end, self.runner_end = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        self.quiet = False
        self.sources = {self.out_r: 1, self.err_r: 2}  # pipe read end -> where its bytes go while shown

    def in_runner(self) -> None:
        os.dup2(self.out_w, 1)
        os.dup2(self.err_w, 2)
        for fd in (self.out_r, self.out_w, self.err_r, self.err_w):
            os.close(fd)
        self.parent_end.close()

    def in_parent(self) -> None:
        os.close(self.out_w)
        os.close(self.err_w)
        self.runner_end.close()

    def pass_on(self, fd: int) -> bool:
        """Read what is in one of the pipes (ready to read) and show it, or drop it once quiet; False at its end."""
        chunk = os.read(fd, 1 << 16)
        self._show(fd, chunk)
        return bool(chunk)

    def drain(self) -> None:
        for fd in self.sources:
            self._show(fd, drain(fd))

    def _show(self, fd: int, data: bytes) -> None:
        if data and not self.quiet:
            _write_parts(self.sources[fd], [data])

    def go_quiet(self) -> None:
        self.drain()
        self.quiet = True
        names = list(SEALED)
        with contextlib.suppress(OSError):  # the runner is gone, or broke its end: its quiet calls fail
            socket.send_fds(self.parent_end, [json.dumps(names).encode()], [SEALED[n] for n in names])
        self.parent_end.close()

    def close(self) -> None:
        self.drain()
        for fd in self.sources:
            os.close(fd)
        self.parent_end.close()


class Relay:
    """The parent's side of one runner: which call it is in, its frames, its deadline.

    The runner's frames and its markers (`imported`, then `ran` after each call's frames, and
    `stop` after the last call it runs) come in order on one pipe. Frames of the current call
    are passed on; anything else is dropped. Bytes that are not frames stop the runner: nothing
    after them could be trusted to be in order. What goes to the channel is written once per
    wake-up, and a call's `begin` goes out as soon as the call before it ends. Frames are passed
    on as views of what was read, never copied here: only a frame split across two reads is put
    together in `buffer`.
    """

    def __init__(self, calls: list[dict[str, Any]], pid: int, data_fd: int, switch: Switch | None = None) -> None:
        self.calls = calls
        self.pid = pid
        self.data_fd = data_fd
        self.switch = switch
        self.next = 0  # the call the runner is importing for, or running
        self.imported = False
        self.after_ran = False  # the last frame was `ran`: `stop` may follow
        self.stopping = False
        self.buffer = bytearray()  # the start of a frame whose end has not been read yet
        self.out: list[Any] = []  # for the channel, in order (our own frames, views of the runner's): `flush`
        self.call_bytes = 0
        self.started = time.monotonic()
        self.cap = self._cap()
        self.deadline = self.started + float(calls[0]["seconds"])
        self.begin()  # the first call's time runs from the fork: the import counts
        self.flush()

    def tag(self) -> dict[str, Any]:
        call = self.calls[self.next]
        variant = call.get("variant")
        return {"test": call["id"], "variant": variant and variant["name"]}

    def _cap(self) -> int:
        """The most the current call's frames may hold: a small multiple of what the reference returns."""
        if self.next >= len(self.calls):
            return MAX_CALL_OUTPUT
        return min(int(self.calls[self.next].get("max_bytes") or MAX_CALL_OUTPUT), MAX_CALL_OUTPUT)

    def key(self) -> tuple[str, str | None]:
        tag = self.tag()
        return tag["test"], tag["variant"]

    def begin(self) -> None:
        if self.key() not in BEGUN:  # a call retried in a fresh runner has begun already
            BEGUN.add(self.key())
            self.out.append(wire.encode_frame({"k": "begin", **self.tag()}))

    def end(self, status: str) -> None:
        """Close the current call with `status` and move on to the next."""
        now = time.monotonic()
        self.out.append(wire.encode_frame({"k": "end", **self.tag(), "status": status, "sec": now - self.started}))
        self.next += 1
        self.call_bytes = 0
        self.started = now
        self.cap = self._cap()
        if self.next < len(self.calls):
            self.deadline = now + float(self.calls[self.next]["seconds"])
            self.begin()

    def flush(self) -> None:
        if self.out:
            _write_parts(CHANNEL_FD, self.out)
            self.out.clear()  # and with it every view of what was read

    def take(self, chunk: bytes) -> str:
        """Act on every complete frame read so far; a status when the runner must be stopped."""
        if self.buffer:
            self.buffer += chunk
            data: bytes | bytearray = self.buffer
        else:
            data = chunk  # the usual case: frames are cut straight out of what was read
        pos = 0
        bad = ""
        with memoryview(data) as view:
            try:
                while (end := wire.next_frame(view, pos, self.cap, heads=True)) is not None:  # overflow: stopped unread
                    (hlen,) = wire.U32.unpack_from(view, pos + wire.LENGTH_BYTES)
                    try:
                        header = json.loads(bytes(view[pos + wire.HEAD_BYTES : pos + wire.HEAD_BYTES + hlen]))
                    except ValueError:
                        header = None
                    frame = view[pos:end]
                    pos = end
                    bad = self.frame(header if isinstance(header, dict) else {}, frame)
                    del frame
                    if bad:
                        break
            except wire.FrameHeadBroken:
                bad = CallStatus.CHANNEL
            except wire.FrameTooLarge:
                bad = CallStatus.OVERFLOW
            self.flush()  # before the views are released and the buffer changes
        if data is self.buffer:
            del self.buffer[:pos]
        else:
            self.buffer = bytearray(chunk[pos:])
        return bad

    def frame(self, header: dict[str, Any], frame: memoryview) -> str:
        kind = header.get("k")
        after_ran, self.after_ran = self.after_ran, False
        if kind == "stop" and after_ran and not self.stopping:
            self.stopping = True
        elif kind == "quiet" and after_ran and self._may_go_quiet():
            assert self.switch is not None
            self.switch.go_quiet()
        elif self.stopping or self.next >= len(self.calls):
            return "" if kind in ("inputs", "result") else CallStatus.CHANNEL
        elif kind == "imported" and not self.imported:
            self.imported = True
        elif kind == "ran" and self.imported:
            self.end(CallStatus.EXITED)
            self.after_ran = True
        elif kind in ("inputs", "result") and self.imported:
            tag = self.tag()
            if header.get("test") == tag["test"] and header.get("variant", tag["variant"]) == tag["variant"]:
                self.call_bytes += len(frame)
                if self.call_bytes > self.cap:
                    return CallStatus.OVERFLOW
                self.out.append(frame)
        else:
            return CallStatus.CHANNEL
        return ""

    def _may_go_quiet(self) -> bool:
        return (
            self.switch is not None
            and not self.switch.quiet
            and not self.stopping
            and self.next < len(self.calls)
            and bool(self.calls[self.next].get("quiet"))
        )

    def watch(self) -> tuple[str, int | None]:
        """Follow the runner until it exits or must be stopped; (why it was stopped, exit code)."""
        pidfd = os.pidfd_open(self.pid)
        try:
            return self._watch(pidfd)
        finally:
            os.close(pidfd)

    def _watch(self, pidfd: int) -> tuple[str, int | None]:
        open_fds = [self.data_fd, pidfd, *(self.switch.sources if self.switch else ())]
        grace: float | None = None
        while True:
            now = time.monotonic()
            if self.stopping or self.next >= len(self.calls):
                grace = grace or now + STOP_GRACE_SECONDS
                if now >= grace:
                    return "", None  # done, but the runner lingers: it is stopped below
                timeout = grace - now
            else:
                timeout = self.deadline - now
                if timeout <= 0:
                    return CallStatus.TIMEOUT, None
            ready, _, _ = select.select(open_fds, [], [], timeout)
            if self.switch is not None:
                for fd in self.switch.sources:
                    if fd in ready and not self.switch.pass_on(fd):
                        open_fds.remove(fd)
            if self.data_fd in ready:
                chunk = os.read(self.data_fd, PIPE_BYTES)
                if not chunk:
                    open_fds.remove(self.data_fd)
                bad = self.take(chunk)
                if bad:
                    return bad, None
                if len(self.buffer) > self.cap:
                    return CallStatus.OVERFLOW, None
            if pidfd in ready:
                code = os.waitpid(self.pid, 0)[1]  # reap our child before anything else can
                return self.take(drain(self.data_fd)), code


def drain(fd: int) -> bytes:
    """What a pipe holds now. It holds at most PIPE_BYTES, so reading stops there: what a process that
    goes on writing adds after that was not in it."""
    out = bytearray()
    while len(out) < PIPE_BYTES and select.select([fd], [], [], 0)[0]:
        chunk = os.read(fd, PIPE_BYTES - len(out))
        if not chunk:
            break
        out.extend(chunk)
    return bytes(out)


def exit_status(code: int) -> str:
    if os.WIFSIGNALED(code):
        sig = os.WTERMSIG(code)
        return CallStatus.CPU if sig == signal.SIGXCPU else wire.signal_status(sig)
    return CallStatus.EXITED if os.WEXITSTATUS(code) == 0 else wire.exit_code_status(os.WEXITSTATUS(code))


def kill_strays() -> None:
    """Kill every process of this sandbox except this one (and the namespace's init)."""
    if not ISOLATED:
        return
    with contextlib.suppress(ProcessLookupError):
        os.kill(-1, signal.SIGKILL)
    try:
        while os.waitpid(-1, os.WNOHANG)[0]:
            pass
    except ChildProcessError:
        pass


def run_runner(calls: list[dict[str, Any]]) -> int:
    """Start a runner on `calls`; how many of them got a result (at least one)."""
    read_fd, write_fd = os.pipe()
    with contextlib.suppress(OSError):  # only a matter of speed (the uid's pipe allowance may be spent)
        fcntl.fcntl(read_fd, fcntl.F_SETPIPE_SZ, PIPE_BYTES)
    # One runner for the visible calls and the quiet ones after them, when there are both: see `Switch`.
    switch = Switch() if not calls[0].get("quiet") and any(c.get("quiet") for c in calls) else None
    pid = os.fork()
    if pid == 0:
        try:
            os.close(read_fd)
            runner(calls, write_fd, switch)
        finally:
            _flush_and_exit()
    os.close(write_fd)
    if switch is not None:
        switch.in_parent()
    relay = Relay(calls, pid, read_fd, switch)
    stopped, code = relay.watch()
    if code is None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        code = os.waitpid(pid, 0)[1]
    kill_strays()  # a grandchild may still hold the pipe open, or linger
    if switch is not None:
        switch.close()
    if relay.next < len(calls):
        key = relay.key()
        if relay.stopping and not stopped and (os.WIFEXITED(code) or key not in LINGERED):
            # It ended as it said it would, after a failed call (or lingered on its way out, which
            # the next call is not charged for, once): the next runner takes over.
            LINGERED.add(key)
        else:
            status = stopped or (CallStatus.TIMEOUT if relay.stopping else exit_status(code))
            if not relay.imported:  # the import itself hangs or kills its process: so it would for every call
                while relay.next < len(calls):
                    relay.end(status)
            else:
                relay.end(status)
    relay.flush()
    os.close(read_fd)
    return max(relay.next, 1)


def segments(calls: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Consecutive calls that can share a runner: the same variant, and never a visible call after a quiet
    one (quiet calls may follow visible ones: `Switch`)."""

    def kind(call: dict[str, Any]) -> str | None:
        return (call.get("variant") or {}).get("name")

    out: list[list[dict[str, Any]]] = []
    for call in calls:
        if out and kind(call) == kind(out[-1][0]) and (call.get("quiet") or not out[-1][-1].get("quiet")):
            out[-1].append(call)
        else:
            out.append([call])
    return out


def _flush_and_exit() -> None:
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(BaseException):  # a student may have replaced the stream
            stream.flush()
    os._exit(0)


def main() -> None:
    PR_SET_DUMPABLE = 4
    ctypes.CDLL(None).prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)
    if os.getpid() == 1:  # the job's init: nothing in the job can signal it, not even an interrupt
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    # The first runner leaves the submission's bytecode in /job for the runners after it (the job's own
    # tmpfs, gone with the job).
    sys.dont_write_bytecode = False
    with open(os.path.join(JOB, "plan.json"), encoding="utf-8") as fh:
        PLAN.update(json.load(fh))
    seal()
    emit(CHANNEL_FD, {"k": "hello"})
    # Quiet calls last: once one has run, nothing that could show its traces runs after it.
    calls = [c for c in PLAN["calls"] if not c.get("quiet")] + [c for c in PLAN["calls"] if c.get("quiet")]
    for group in segments(calls):
        while group:
            group = group[run_runner(group) :]
    emit(CHANNEL_FD, {"k": "done"})


if __name__ == "__main__":
    main()
