"""Reading uploaded files with a cap, before anything is parsed."""

from __future__ import annotations

import posixpath

from fastapi import UploadFile

from app.errors import Invalid, TooLarge


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
