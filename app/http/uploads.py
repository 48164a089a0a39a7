"""Reading uploaded files with a cap, before anything is parsed: submissions, bundles, rosters, extensions."""

from __future__ import annotations

import posixpath

from fastapi import UploadFile

from app.errors import Invalid, TooLarge
from grader.grading import MAX_FILE_BYTES, MAX_FILES
from grader.notebooks import MAX_NOTEBOOK_BYTES, is_notebook

MAX_ROSTER_BYTES = 2 * 1024 * 1024


def read_capped(upload: UploadFile, limit: int, what: str) -> bytes:
    """The upload's bytes, refusing more than `limit` without reading them all."""
    data = upload.file.read(limit + 1)
    if len(data) > limit:
        raise TooLarge(f"{what} is larger than {limit} bytes: send a smaller file")
    return data


def upload_name(upload: UploadFile) -> str:
    """The file's base name (browsers on some systems send a whole path)."""
    raw = (upload.filename or "").replace("\\", "/")
    name = posixpath.basename(raw)
    if not name or name in (".", ".."):
        raise Invalid("an uploaded file has no name: send each file with its file name")
    return name


def read_files(files: list[UploadFile]) -> dict[str, bytes]:
    """Submitted files by base name: at most MAX_FILES of them, each at most MAX_FILE_BYTES (a notebook
    MAX_NOTEBOOK_BYTES: its outputs are stored but not used), no name twice."""
    if len(files) > MAX_FILES:
        raise Invalid(f"{len(files)} files submitted; at most {MAX_FILES} are accepted")
    contents: dict[str, bytes] = {}
    for upload in files:
        name = upload_name(upload)
        if name in contents:
            raise Invalid(f"{name} was sent twice: send each file once")
        contents[name] = read_capped(upload, MAX_NOTEBOOK_BYTES if is_notebook(name) else MAX_FILE_BYTES, name)
    return contents


def read_bundle(upload: UploadFile, limit: int) -> bytes:
    """A problem bundle's zip, refused above `limit` bytes (the settings' `max_bundle_bytes`)."""
    return read_capped(upload, limit, "the bundle")


def read_roster(upload: UploadFile) -> bytes:
    """A roster CSV, refused above MAX_ROSTER_BYTES."""
    return read_capped(upload, MAX_ROSTER_BYTES, "the roster")


def read_extensions(upload: UploadFile) -> bytes:
    """An extensions CSV, refused above MAX_ROSTER_BYTES (it is a list of students, like a roster)."""
    return read_capped(upload, MAX_ROSTER_BYTES, "the extensions file")
