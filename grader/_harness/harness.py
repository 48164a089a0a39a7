"""Runs inside the sandbox: one forked child per driver call, results to fd 3.

The parent never runs problem or student code. Each child closes the channel,
runs one call, and writes its frames into a pipe of its own; the parent relays
complete frames, enforces the call's time limit, and kills every process the
call left behind before the next one starts. Imports only the standard library,
NumPy and the sibling modules in /job/lib.
"""

from __future__ import annotations

import contextlib
import ctypes
import importlib
import json
import os
import resource
import select
import signal
import sys
import time
import traceback
from typing import Any

JOB = os.path.dirname(os.path.abspath(__file__))
SUB = JOB + "/sub"
PROBLEM = JOB + "/problem"
LIB = JOB + "/lib"
CHANNEL_FD = 3
MAX_CALL_OUTPUT = 256 * 1024 * 1024

sys.path[:0] = [LIB]
import numpy as np  # noqa: E402  (imported once here so every child starts with it)
import wire  # noqa: E402

PLAN: dict[str, Any] = {}
# kill(-1) is only safe in a fresh pid namespace as an unprivileged uid, where it
# reaches nothing but this job's processes; the bootstrap runs as pid 2 there.
ISOLATED = os.getpid() <= 4 and os.getuid() != 0


def emit(fd: int, header: dict[str, Any], value: Any = None, with_value: bool = False) -> None:
    data = wire.encode_frame(header, value, with_value=with_value)
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def traceback_tail(exc: BaseException) -> str:
    """The last lines of a traceback, keeping only frames from submitted or problem files."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename.startswith(JOB + "/s")]
    lines = traceback.format_list(frames[-6:])
    lines += traceback.format_exception_only(type(exc), exc)
    text = "".join(lines).replace(SUB + "/", "")
    return text[-3000:]


def load_inputs(test: dict[str, Any], out_fd: int) -> Any:
    if PLAN["mode"] == "student" or test.get("inputs"):
        with open(os.path.join(JOB, test["inputs"]), "rb") as fh:
            return wire.decode_trusted(fh.read())[0][1]
    cases = importlib.import_module("cases")
    rng = np.random.default_rng(int(test["seed"]))
    inputs = getattr(cases, test["case"])(rng, **test.get("params", {}))
    if test.get("variant") is None:  # variants reuse the reference's inputs
        emit(out_fd, {"k": "inputs", "test": test["id"]}, inputs, with_value=True)
    return inputs


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


def child(test: dict[str, Any], variant: dict[str, Any] | None, out_fd: int) -> None:
    """Run one driver call and write its result frame to `out_fd`."""
    os.close(CHANNEL_FD)
    seconds = max(1, int(test["seconds"]) + 1)
    resource.setrlimit(resource.RLIMIT_CPU, (seconds, seconds + 1))
    sys.path[:0] = [SUB, PROBLEM]
    head: dict[str, Any] = {"k": "result", "test": test["id"], "variant": variant and variant["name"]}
    started = time.perf_counter()
    try:
        inputs = load_inputs(test, out_fd)
        if PLAN.get("lazy_numgrad") and isinstance(inputs, dict) and inputs.get("numgrad") is True:
            inputs["numgrad"] = False  # computed on a second run, and only for the tests that fail
        import_submission(variant)
        driver = importlib.import_module("driver")
        value = getattr(driver, test["driver"])(inputs)
        head.update(status="ok", sec=time.perf_counter() - started)
        emit(out_fd, head, value, with_value=True)
    except BaseException as exc:
        head.update(failure(exc), sec=time.perf_counter() - started)
        emit(out_fd, head)


def failure(exc: BaseException) -> dict[str, Any]:
    import gradelib

    if isinstance(exc, ImportProblem):
        status = "notimpl" if isinstance(exc.exc, NotImplementedError) else "import"
        return {"status": status, "file": exc.name, "msg": describe(exc.exc), "tb": traceback_tail(exc.exc)}
    if isinstance(exc, gradelib.SubmissionTypeError):
        return {"status": "type", "msg": str(exc)[:2000]}
    if isinstance(exc, NotImplementedError):
        return {"status": "notimpl", "msg": describe(exc), "tb": traceback_tail(exc)}
    if isinstance(exc, MemoryError):
        return {"status": "memory", "msg": "MemoryError", "tb": traceback_tail(exc)}
    if isinstance(exc, SystemExit):
        return {"status": "exit", "msg": f"SystemExit({str(exc.code)[:200]})", "tb": traceback_tail(exc)}
    return {"status": "error", "msg": describe(exc), "tb": traceback_tail(exc)}


def describe(exc: BaseException) -> str:
    try:
        text = str(exc)
    except BaseException:
        text = "<unprintable>"
    return f"{type(exc).__name__}: {text}"[:2000]


def relay(pid: int, read_fd: int, deadline: float) -> tuple[str, bytes]:
    """Collect the child's output until it exits or its time is up; (status, frames)."""
    pidfd = os.pidfd_open(pid)
    data = bytearray()
    status = ""
    code: int | None = None
    open_fds = [read_fd, pidfd]
    while read_fd in open_fds and not status:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            status = "timeout"
            break
        ready, _, _ = select.select(open_fds, [], [], remaining)
        if read_fd in ready:
            chunk = os.read(read_fd, 1 << 20)
            if not chunk:
                open_fds.remove(read_fd)
            data.extend(chunk)
            if len(data) > MAX_CALL_OUTPUT:
                status = "overflow"
        if pidfd in ready and code is None:
            open_fds.remove(pidfd)
            code = os.waitpid(pid, 0)[1]  # reap our child before anything else can
            kill_strays()  # a grandchild may still hold the pipe open
    if code is None:
        os.kill(pid, signal.SIGKILL)
        code = os.waitpid(pid, 0)[1]
    kill_strays()
    os.close(pidfd)
    if not status:
        data.extend(drain(read_fd))
        status = exit_status(code)
    return status, complete_frames(bytes(data))


def drain(fd: int) -> bytes:
    out = bytearray()
    while select.select([fd], [], [], 0)[0]:
        chunk = os.read(fd, 1 << 20)
        if not chunk:
            break
        out.extend(chunk)
    return bytes(out)


def exit_status(code: int) -> str:
    if os.WIFSIGNALED(code):
        sig = os.WTERMSIG(code)
        return "cpu" if sig == signal.SIGXCPU else f"signal:{sig}"
    return "exited" if os.WEXITSTATUS(code) == 0 else f"exit:{os.WEXITSTATUS(code)}"


def complete_frames(data: bytes) -> bytes:
    pos = 0
    while pos + 4 <= len(data):
        length = int.from_bytes(data[pos : pos + 4], "little")
        if pos + 4 + length > len(data):
            break
        pos += 4 + length
    return data[:pos]


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


def run_call(test: dict[str, Any], variant: dict[str, Any] | None) -> None:
    tag = {"test": test["id"], "variant": variant and variant["name"]}
    emit(CHANNEL_FD, {"k": "begin", **tag})
    read_fd, write_fd = os.pipe()
    started = time.monotonic()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(read_fd)
            child(test, variant, write_fd)
        finally:
            _flush_and_exit()
    os.close(write_fd)
    status, frames = relay(pid, read_fd, started + float(test["seconds"]))
    os.close(read_fd)
    if frames:
        _write_all(frames)
    emit(CHANNEL_FD, {"k": "end", **tag, "status": status, "sec": time.monotonic() - started})


def _write_all(data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(CHANNEL_FD, view) :]


def _flush_and_exit() -> None:
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(BaseException):  # a student may have replaced the stream
            stream.flush()
    os._exit(0)


def main() -> None:
    PR_SET_DUMPABLE = 4
    ctypes.CDLL(None).prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)
    with open(os.path.join(JOB, "plan.json"), encoding="utf-8") as fh:
        PLAN.update(json.load(fh))
    emit(CHANNEL_FD, {"k": "hello"})
    for call in PLAN["calls"]:
        run_call(call, call.get("variant"))
    emit(CHANNEL_FD, {"k": "done"})


if __name__ == "__main__":
    main()
