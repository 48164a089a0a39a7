"""Bounded parameter types: an id or an offset past what the database stores is a 422, not a crash."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Path, Query

from app.api.schemas import ErrorRead

MAX_ID = 2**63 - 1  # the largest id SQLite and PostgreSQL store

Id = Annotated[int, Path(ge=1, le=MAX_ID)]
Offset = Annotated[int, Query(ge=0, le=10**9)]
Limit = Annotated[int, Query(ge=1, le=500)]

ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorRead, "description": text}
    for status, text in {
        400: "the request cannot be carried out as sent",
        401: "no API token, or an unknown, revoked or expired one",
        403: "the token's user may not do this (e.g. a student uploading a problem)",
        404: "no such thing, or not one the user may see",
        409: "the request conflicts with the current state",
        413: "the request or an uploaded file is too large",
        422: "a field is missing or has a value that is not allowed",
        429: "a limit was reached: the submission quota, failed logins, login checks or open streams (see Retry-After)",
    }.items()
}
