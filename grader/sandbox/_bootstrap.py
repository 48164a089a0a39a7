"""The first code a sandbox runs: unpack the job's files into /job, then start its entry.

The archive arrives on stdin: the length of a JSON index in decimal and a newline, the
index (entry, args, [relative path, size] of each file), then the files' bytes in order,
which the kernel moves into their files without their passing through the bootstrap.
Stdin is then reopened on /dev/null, so a job can never block on it, the result channel
is moved to file descriptor 3, and every other descriptor is closed: the job starts with
exactly 0, 1, 2 and 3.

The bootstrap is the namespace's pid 1 (bwrap --as-pid-1, so that bwrap reaps it and
its CPU time reaches us); it forks the job as pid 2 and stays behind as a minimal init.
A job's own signals therefore work as usual, and killing its parent ends only the job.
A job marked `init` (the grading harness, which reaps its own children) runs as pid 1
itself: one process fewer, and nothing in the job can signal it.
"""

from __future__ import annotations

import json

from grader.sandbox._types import Job

# Unpacks a job's archive into /job (used by the bootstrap and by the zygote's jobs alike).
UNPACK = r"""
def unpack(fd):
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
    index = json.loads(bytes(raw_index))
    pipe = stat.S_ISFIFO(os.fstat(fd).st_mode)
    for name, size in index["files"]:
        parts = name.split("/")
        if name.startswith("/") or "\0" in name or any(p in ("", ".", "..") for p in parts) or size < 0:
            raise SystemExit("bad job archive")
        path = os.path.join("/job", name)
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
"""

# Splits pid 1 of a job's namespace from the job (used by the bootstrap and by the zygote's jobs alike).
START_JOB = r"""
def start_job(index):
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
"""

BOOTSTRAP = r"""
import json, os, signal, stat, sys, runpy
""" + UNPACK + START_JOB + r"""
chan = int(sys.argv[1])
index = unpack(0)
null = os.open("/dev/null", os.O_RDONLY)
os.dup2(null, 0)
os.close(null)
if chan != 3:
    os.dup2(chan, 3)
    os.close(chan)
os.set_inheritable(3, True)
os.closerange(4, 65536)
start_job(index)
sys.stdin = open(0, closefd=False)
entry = os.path.join("/job", index["entry"])
sys.argv = [entry, *index["args"]]
sys.path.insert(0, os.path.dirname(entry))
del index, chan, null
runpy.run_path(entry, run_name="__main__")
"""


def pack_files(job: Job, *, attachments_as_files: bool = True) -> bytes:
    """The archive the bootstrap reads from stdin (or the zygote from a memfd).

    Attachments are files of the archive, or only named in its index when the backend
    hands the job a descriptor of each (in the index's order, from file descriptor 4 on).
    """
    for name in (job.entry, *job.files, *job.attached):
        # a normalised relative path: no empty, "." or ".." part (so not absolute either), no NUL
        if "\0" in name or any(part in ("", ".", "..") for part in name.split("/")):
            raise ValueError(f"job file {name!r} must be a normalised relative path inside the job")
    if job.entry not in job.files:
        raise ValueError(f"the entry script {job.entry!r} is not one of the job's files")
    if set(job.attached) & set(job.files):
        raise ValueError(f"{sorted(set(job.attached) & set(job.files))} are both files and attachments of the job")
    contents = dict(job.files)
    if attachments_as_files:
        contents.update((name, a.read()) for name, a in job.attached.items())
    index = {
        "entry": job.entry,
        "args": list(job.args),
        "init": job.init,
        "files": [[n, len(data)] for n, data in contents.items()],
        "attached": [] if attachments_as_files else list(job.attached),
    }
    head = json.dumps(index).encode()
    return b"%d\n" % len(head) + head + b"".join(contents.values())
