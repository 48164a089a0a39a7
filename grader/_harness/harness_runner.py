"""The runner: a forked child of the harness that imports the submission once and runs driver calls.

It writes into a pipe of its own each call's frames followed by a `ran` marker (one write per call),
and `stop` after any call that failed in a way that may have left its state damaged. It never
measures a call's time: the parent does (`Relay.end`), where the submission's code cannot change
the figure. Its copy of the `HarnessState` is its own from the fork on.

Shipped into the job as `lib/harness_runner.py`. Imports only the standard library, NumPy and the
sibling modules in /job/lib.
"""

from __future__ import annotations

import contextlib
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
import traceback
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:  # the same files, as the grader imports them
    from grader._harness import wire
    from grader._harness.harness_relay import Switch
    from grader._harness.harness_state import (
        CHANNEL_FD,
        JOB,
        PROBLEM,
        QUIET,
        RAN,
        STOP,
        SUB,
        HarnessState,
        emit,
        write_parts,
    )
    from grader._harness.wire import CallStatus
else:
    import wire
    from harness_state import CHANNEL_FD, JOB, PROBLEM, QUIET, RAN, STOP, SUB, HarnessState, emit, write_parts
    from wire import CallStatus


def runner(state: HarnessState, calls: list[dict[str, Any]], out_fd: int, switch: Switch | None) -> None:
    """Import the submission once, then run `calls` in order (in a forked child of the parent)."""
    try:
        os.close(CHANNEL_FD)
        prepare_runner(state, calls, switch)
    except BaseException:
        traceback.print_exc()  # our own code failed: say so on the job's stderr
        raise
    problem: ImportProblem | None = None
    try:
        import_submission(state, calls[0].get("variant"))
    except ImportProblem as exc:
        problem = exc
    emit(out_fd, {"k": "imported"})
    budget = resource.getrlimit(resource.RLIMIT_CPU)[1]
    for test in calls:
        if test.get("quiet") and switch is not None:
            go_quiet(state, out_fd, switch)
            switch = None
        soft = int(_cpu_seconds() + float(test["seconds"])) + 1
        resource.setrlimit(
            resource.RLIMIT_CPU, (soft if budget == resource.RLIM_INFINITY else min(soft, budget), budget)
        )
        frames: list[bytes] = []
        # after a call that may have left the runner's state damaged, a fresh runner takes the next call
        stop = run_one(state, test, problem, frames) not in wire.CLEAN_STATUSES
        frames += [RAN, STOP] if stop else [RAN]
        write_parts(out_fd, frames)  # one write, one wake-up of the parent, per call
        if stop:
            return


def prepare_runner(state: HarnessState, calls: list[dict[str, Any]], switch: Switch | None) -> None:
    signal.signal(signal.SIGINT, signal.default_int_handler)
    if calls[0].get("quiet"):  # output of hidden tests is never shown: it goes nowhere
        output_to_null()
    else:
        for fd in state.sealed.values():
            os.close(fd)
        state.sealed.clear()
        if switch is not None:
            switch.in_runner()
    sys.path[:0] = [SUB, PROBLEM]
    budget = int(_cpu_seconds() + sum(float(c["seconds"]) + 1 for c in calls)) + 2
    hard = resource.getrlimit(resource.RLIMIT_CPU)[1]
    if hard != resource.RLIM_INFINITY:
        budget = min(budget, hard)  # never above the job's own limit
    resource.setrlimit(resource.RLIMIT_CPU, (budget, budget))


def output_to_null() -> None:
    null = os.open("/dev/null", os.O_WRONLY)
    os.dup2(null, 1)
    os.dup2(null, 2)
    os.close(null)


def go_quiet(state: HarnessState, out_fd: int, switch: Switch) -> None:
    """From visible calls to quiet ones: output off, then (once the parent has cut off everything this job
    could still show) the sealed inputs, as descriptors on the switch's socket."""
    for stream in state.streams:  # what the visible calls printed is shown: it goes out before `quiet`
        if type(stream) is io.TextIOWrapper:  # never code of the submission's, which could hang here
            with contextlib.suppress(BaseException):
                stream.flush()
    output_to_null()
    write_parts(out_fd, [QUIET])
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
        state.sealed.update(zip(names, fds, strict=True))
    else:
        for fd in fds:
            os.close(fd)


def traceback_tail(exc: BaseException) -> str:
    """The last lines of a traceback, keeping only frames from submitted or problem files."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename.startswith(JOB + "/s")]
    lines = traceback.format_list(frames[-6:])
    lines += traceback.format_exception_only(type(exc), exc)
    text = "".join(lines).replace(SUB + "/", "")
    return text[-3000:]


def load_inputs(state: HarnessState, test: dict[str, Any], frames: list[bytes]) -> Any:
    if state.plan["mode"] == "student" or test.get("inputs"):
        offset, length = test.get("at") or (0, -1)
        data = inputs_file(state, test["inputs"])
        return wire.decode_trusted(data[offset : None if length < 0 else offset + length])[0][1]
    cases = importlib.import_module("cases")
    rng = np.random.default_rng(int(test["seed"]))
    inputs = getattr(cases, test["case"])(rng, **test.get("params", {}))
    if test.get("variant") is None and not test.get("discard"):  # variants reuse the reference's inputs
        frames.append(wire.encode_frame({"k": "inputs", "test": test["id"]}, inputs, with_value=True))
    return inputs


def inputs_file(state: HarnessState, name: str) -> memoryview:
    """An inputs file (sealed or in the job), mapped read-only once per runner: each call's arrays are
    copied once, straight out of the file's pages, into arrays of their own."""
    found = state.mapped.get(name)
    if found is None:
        sealed = state.sealed
        fd = sealed[name] if name in sealed else os.open(os.path.join(JOB, name), os.O_RDONLY | os.O_NOFOLLOW)
        try:
            found = memoryview(mmap.mmap(fd, 0, access=mmap.ACCESS_READ) if os.fstat(fd).st_size else b"")
        finally:
            if name not in sealed:
                os.close(fd)
        state.mapped[name] = found
    return found


def import_submission(state: HarnessState, variant: dict[str, Any] | None) -> None:
    for name in state.plan["modules"]:
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


def run_one(state: HarnessState, test: dict[str, Any], problem: ImportProblem | None, frames: list[bytes]) -> str:
    """Run one driver call and append its frames (inputs, result) to `frames`; its status. The call's time is
    measured by the parent (`Relay.end`), never here, where the submission's code could change the figure."""
    variant = test.get("variant")
    head: dict[str, Any] = {"k": "result", "test": test["id"], "variant": variant and variant["name"]}
    try:
        inputs = load_inputs(state, test, frames)
        if state.plan.get("lazy_numgrad") and isinstance(inputs, dict) and inputs.get("numgrad") is True:
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
