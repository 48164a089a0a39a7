"""The parent's side of a runner: reading and checking its frames, timing its calls, its output, its end.

Everything here runs in the harness's own process (the job's init), which never runs problem or
student code: what a runner sends is checked frame by frame before anything of it goes on to the
channel, and each call's time is taken here.

Shipped into the job as `lib/harness_relay.py`. Imports only the standard library and the sibling
modules in /job/lib.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import signal
import socket
import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the same files, as the grader imports them
    from grader._harness import wire
    from grader._harness.harness_state import (
        CHANNEL_FD,
        MAX_CALL_OUTPUT,
        PIPE_BYTES,
        STOP_GRACE_SECONDS,
        HarnessState,
        Key,
        write_parts,
    )
    from grader._harness.wire import CallStatus
else:
    import wire
    from harness_state import (
        CHANNEL_FD,
        MAX_CALL_OUTPUT,
        PIPE_BYTES,
        STOP_GRACE_SECONDS,
        HarnessState,
        Key,
        write_parts,
    )
    from wire import CallStatus


class Switch:
    """How one runner goes on from visible calls to quiet ones.

    The runner's stdout and stderr are pipes to the parent, which passes what comes through them on to
    the job's own until the runner says `quiet` (right after the `ran` of its last visible call). Then
    the parent passes on what is still in the pipes, and discards everything read after it, whoever
    wrote it (the runner, a thread or a process it started); only after that does it send the sealed
    inputs (the parent's `state.sealed`) down the socket. Nothing written once they can be read is ever
    shown. Made before the fork; each side then keeps its own ends (`in_runner`, `in_parent`).
    """

    def __init__(self, state: HarnessState) -> None:
        self.state = state
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
            write_parts(self.sources[fd], [data])

    def go_quiet(self) -> None:
        self.drain()
        self.quiet = True
        sealed = self.state.sealed
        names = list(sealed)
        with contextlib.suppress(OSError):  # the runner is gone, or broke its end: its quiet calls fail
            socket.send_fds(self.parent_end, [json.dumps(names).encode()], [sealed[n] for n in names])
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
    wake-up, and a call's `begin` goes out as soon as the call before it ends (once per call
    for the whole job: `state.begun`). Frames are passed on as views of what was read, never
    copied here: only a frame split across two reads is put together in `buffer`.
    """

    def __init__(
        self, state: HarnessState, calls: list[dict[str, Any]], pid: int, data_fd: int, switch: Switch | None = None
    ) -> None:
        self.state = state
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

    def key(self) -> Key:
        tag = self.tag()
        return tag["test"], tag["variant"]

    def begin(self) -> None:
        begun = self.state.begun
        if self.key() not in begun:  # a call retried in a fresh runner has begun already
            begun.add(self.key())
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
            write_parts(CHANNEL_FD, self.out)
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
