"""The first code a sandbox runs: unpack the job's files into /job, then start its entry.

The archive arrives on stdin: a JSON index (entry, args, [relative path, size] of each
file), a newline, then the files' bytes in order. Stdin is then reopened on /dev/null,
so a job can never block on it, the result channel is moved to file descriptor 3, and
every other descriptor is closed: the job starts with exactly 0, 1, 2 and 3.

The bootstrap is the namespace's pid 1 (bwrap --as-pid-1, so that bwrap reaps it and
its CPU time reaches us); it forks the job as pid 2 and stays behind as a minimal init.
A job's own signals therefore work as usual, and killing its parent ends only the job.
"""

from __future__ import annotations

import json
from pathlib import PurePosixPath

from grader.sandbox._types import Job

# Unpacks a job's archive into /job (used by the bootstrap and by the zygote's jobs alike).
UNPACK = r"""
def unpack(raw):
    index = json.loads(raw.readline())
    for name, size in index["files"]:
        data = raw.read(size)
        parts = name.split("/")
        if name.startswith("/") or "\0" in name or any(p in ("", ".", "..") for p in parts) or len(data) != size:
            raise SystemExit("bad job archive")
        path = os.path.join("/job", name)
        os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
        with open(path, "xb") as fh:
            fh.write(data)
    return index
"""

BOOTSTRAP = r"""
import json, os, sys, runpy
""" + UNPACK + r"""
chan = int(sys.argv[1])
index = unpack(sys.stdin.buffer)
null = os.open("/dev/null", os.O_RDONLY)
os.dup2(null, 0)
os.close(null)
if chan != 3:
    os.dup2(chan, 3)
    os.close(chan)
os.set_inheritable(3, True)
os.closerange(4, 65536)
job = os.fork()
if job:
    # pid 1 of the namespace: reap every orphan, and end (which ends the namespace) when the job ends.
    import signal
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    os.close(1)
    os.close(3)
    while True:
        pid, status = os.wait()
        if pid == job:
            os._exit(os.WEXITSTATUS(status) if os.WIFEXITED(status) else 128 + os.WTERMSIG(status))
sys.stdin = open(0, closefd=False)
entry = os.path.join("/job", index["entry"])
sys.argv = [entry, *index["args"]]
sys.path.insert(0, os.path.dirname(entry))
del index, chan, null, job
runpy.run_path(entry, run_name="__main__")
"""


def pack_files(job: Job) -> bytes:
    """The archive the bootstrap reads from stdin."""
    for name in (job.entry, *job.files):
        path = PurePosixPath(name)
        if not name or path.is_absolute() or ".." in path.parts or "\0" in name or name != path.as_posix():
            raise ValueError(f"job file {name!r} must be a normalised relative path inside the job")
    if job.entry not in job.files:
        raise ValueError(f"the entry script {job.entry!r} is not one of the job's files")
    names = list(job.files)
    index = {"entry": job.entry, "args": list(job.args), "files": [[n, len(job.files[n])] for n in names]}
    return json.dumps(index).encode() + b"\n" + b"".join(job.files[n] for n in names)
