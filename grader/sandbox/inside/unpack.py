"""Unpacks a job's archive into /job, and splits pid 1 of a job's namespace from the job.

Runs inside the sandbox only: the host sends this file's text ahead of the bootstrap's and
the zygote's (see `grader.sandbox.inside`), so it imports nothing but the standard library.
"""

import json
import os
import signal
import stat

TYPE_CHECKING = False  # no import of typing: a cold job's interpreter would load it for this alone
if TYPE_CHECKING:
    from typing import Any


def unpack(fd: int, root: str = "/job") -> "dict[str, Any]":
    # The index, then each file moved by the kernel from the archive (a pipe or a memfd) straight into its
    # file: no byte of a file ever passes through this process's memory, so none is inherited by the job
    # it forks (files meant for only some of a job's processes stay out of the others' memory).
    head = b""
    while not head.endswith(b"\n"):
        byte = os.read(fd, 1)
        if not byte or len(head) > 12:
            raise SystemExit("bad job archive")
        head += byte
    want = int(head)
    raw_index = bytearray()
    while len(raw_index) < want:
        chunk = os.read(fd, want - len(raw_index))
        if not chunk:
            raise SystemExit("bad job archive")
        raw_index += chunk
    index: dict[str, Any] = json.loads(bytes(raw_index))
    pipe = stat.S_ISFIFO(os.fstat(fd).st_mode)
    for name, size in index["files"]:
        parts = name.split("/")
        if name.startswith("/") or "\0" in name or any(p in ("", ".", "..") for p in parts) or size < 0:
            raise SystemExit("bad job archive")
        path = os.path.join(root, name)
        os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
        out = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644)
        try:
            left = size
            while left:
                moved = os.splice(fd, out, left) if pipe else os.sendfile(out, fd, None, left)
                if moved <= 0:
                    raise SystemExit("bad job archive")
                left -= moved
        finally:
            os.close(out)
    return index


def start_job(index: "dict[str, Any]") -> None:
    # Returns in the job's process: pid 2, forked here, or this process itself for an `init` entry.
    # Otherwise this process stays pid 1: it reaps every orphan, and ends (which ends the namespace)
    # when the job ends.
    if index.get("init"):
        return
    job = os.fork()
    if job == 0:
        return
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    os.close(1)
    os.close(3)
    while True:
        pid, status = os.wait()
        if pid == job:
            os._exit(os.WEXITSTATUS(status) if os.WIFEXITED(status) else 128 + os.WTERMSIG(status))
