"""Attachments: bytes many jobs share (a problem's hidden inputs), made once on the host. No job can
change them for the next, and each job reads them from the start, whichever backend runs it."""

from __future__ import annotations

import hashlib
import json
import os
import textwrap

import pytest
from sandbox_helpers import FAST

from grader.sandbox import Attachment, CollectingMonitor, Job, Sandbox

SECRET = bytes(range(256)) * 64

SPOIL = """
import hashlib, json, mmap, os
places = json.loads(os.environ.get("GRADELAB_ATTACHED", "{}"))
fd = places.get("sealed/shared.bin")
if fd is None:  # a cold job has it as a file
    fd = os.open("/job/sealed/shared.bin", os.O_RDWR)
start = os.read(fd, 4).hex()  # from the start: the job before moved its own offset only
seen = os.pread(fd, 1 << 20, 0)
attempts = {}
for name, attempt in [
    ("write", lambda: os.write(fd, b"spoiled")),
    ("pwrite", lambda: os.pwrite(fd, b"spoiled", 0)),
    ("truncate", lambda: os.ftruncate(fd, 1)),
    ("mmap", lambda: mmap.mmap(fd, 16, mmap.MAP_SHARED, mmap.PROT_WRITE)),
    ("reopen", lambda: os.open(f"/proc/self/fd/{fd}", os.O_RDWR)),
    ("chmod", lambda: os.fchmod(fd, 0o777)),
]:
    try:
        attempt()
        attempts[name] = "done"
    except (OSError, ValueError) as exc:
        attempts[name] = type(exc).__name__
os.lseek(fd, 1000, os.SEEK_SET)
print(json.dumps({"hash": hashlib.sha256(seen).hexdigest(), "size": len(seen), "attempts": attempts, "start": start}))
"""


def _run(sandbox: Sandbox, attachment: Attachment) -> dict[str, object]:
    files = {"spoil.py": textwrap.dedent(SPOIL).encode()}
    job = Job(files=files, entry="spoil.py", attached={"sealed/shared.bin": attachment})
    outcome = sandbox.run(job, FAST, CollectingMonitor())
    assert outcome.exit_code == 0, outcome.stderr[-2000:]
    return json.loads(outcome.stdout)


def test_no_job_can_change_an_attachment_for_the_next(sandbox_backend: Sandbox) -> None:
    attachment = Attachment(SECRET)
    first, second = _run(sandbox_backend, attachment), _run(sandbox_backend, attachment)
    assert first["size"] == second["size"] == len(SECRET)
    assert first["hash"] == second["hash"] == hashlib.sha256(SECRET).hexdigest()
    assert attachment.read() == SECRET
    if sandbox_backend.name == "prefork":  # a descriptor of the shared bytes: every change is refused
        assert set(first["attempts"].values()) <= {"OSError", "PermissionError", "ValueError"}, first["attempts"]
    assert first["start"] == second["start"] == SECRET[:4].hex()


def test_an_attachment_is_sealed_on_the_host_too() -> None:
    attachment = Attachment(b"fixed")
    assert attachment.fd is not None
    with pytest.raises(PermissionError):
        os.pwrite(attachment.fd, b"X", 0)
    reader = attachment.open()
    try:
        with pytest.raises(OSError):
            os.write(reader, b"X")
    finally:
        os.close(reader)
    attachment.close()
    with pytest.raises(ValueError, match="closed"):
        attachment.read()


def test_an_attachment_cannot_also_be_a_file_of_the_job(sandbox_backend: Sandbox) -> None:
    job = Job(files={"a.py": b"", "x": b"1"}, entry="a.py", attached={"x": Attachment(b"2")})
    with pytest.raises(ValueError, match="both files and attachments"):
        sandbox_backend.run(job, FAST, CollectingMonitor())
