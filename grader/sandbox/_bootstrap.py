"""The first code a sandbox runs: unpack the job's files into /job, then start its entry.

The archive arrives on stdin: a JSON list of [relative path, size], a newline, then
the files' bytes in order. Stdin is then reopened on /dev/null, so a job can never
block on it, and the result channel is moved to file descriptor 3.
"""

from __future__ import annotations

import json
from pathlib import PurePosixPath

from grader.sandbox._types import Job

BOOTSTRAP = r"""
import json, os, sys, runpy
chan = int(sys.argv[1])
raw = sys.stdin.buffer
index = json.loads(raw.readline())
entry, args = index["entry"], index["args"]
for name, size in index["files"]:
    data = raw.read(size)
    if name.startswith("/") or ".." in name.split("/") or len(data) != size:
        raise SystemExit("bad job archive")
    path = os.path.join("/job", name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as fh:
        fh.write(data)
null = os.open("/dev/null", os.O_RDONLY)
os.dup2(null, 0)
os.close(null)
if chan != 3:
    os.dup2(chan, 3)
    os.close(chan)
sys.stdin = open(0, closefd=False)
sys.argv = [os.path.join("/job", entry), *args]
sys.path[0] = "/job"
runpy.run_path(sys.argv[0], run_name="__main__")
"""


def pack_files(job: Job) -> bytes:
    """The archive the bootstrap reads from stdin."""
    names = []
    for name in job.files:
        path = PurePosixPath(name)
        if path.is_absolute() or ".." in path.parts:
            raise ValueError(f"job file {name!r} must be a relative path inside the job")
        names.append(name)
    index = {"entry": job.entry, "args": list(job.args), "files": [[n, len(job.files[n])] for n in names]}
    return json.dumps(index).encode() + b"\n" + b"".join(job.files[n] for n in names)
