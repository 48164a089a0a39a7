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
from grader.sandbox.inside import bootstrap_program

# The bootstrap's text (see grader/sandbox/inside/bootstrap.py and unpack.py): it unpacks the archive and
# starts the job, in the sandbox's interpreter, which never sees the project's files.
BOOTSTRAP = bootstrap_program()


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
