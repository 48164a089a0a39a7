"""Uploading a bundle: validated at once, checked in the background, stored as a version when it passes."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from app.courses.service import instructor_access
from app.db.models import UploadCheck, User
from app.problems import checks
from app.problems import service as problems

if TYPE_CHECKING:
    from app.runtime import Runtime


def upload_bundle(runtime: Runtime, user: User, course: str, slug: str | None, data: bytes) -> UploadCheckView:
    """Start the check of a new problem (`slug` None) or of a new version; returns its view as committed."""
    with runtime.db.read() as session:
        instructor_access(session, course, user)  # refuse students before parsing their upload
    bundle = problems.read_upload(data, runtime.settings.max_bundle_bytes)
    with runtime.db.session() as session:
        access = instructor_access(session, course, user)
        problem = problems.get_problem(session, access, slug) if slug else None
        check = checks.start_check(session, access.course, user, bundle, problem)
        check_id = check.id
        if not runtime.settings.check_uploads:  # stored as it is, as the settings ask
            version = checks.finish_check(session, check_id, None)
            if version is not None:
                runtime.bundles.put(version.id, bundle)
        view = check_view(check, course)
    if runtime.settings.check_uploads:
        runtime.checker.submit(check_id)  # after the commit, so the check's thread finds the row
    return view


@dataclass(frozen=True)
class UploadCheckView:
    """What an instructor sees of a check (never its seed key or bundle)."""

    id: int
    url: str  # where the API answers with this check
    problem: str
    new_problem: bool
    state: str
    progress: float
    message: str
    report: dict[str, Any] | None
    version: int | None
    changes: dict[str, Any] | None
    created_at: dt.datetime
    finished_at: dt.datetime | None


def check_view(check: UploadCheck, course: str) -> UploadCheckView:
    """The check as an instructor sees it."""
    return UploadCheckView(
        id=check.id,
        url=f"/api/v1/courses/{course}/upload-checks/{check.id}",
        problem=check.slug,
        new_problem=check.new_problem,
        state=check.state.value,
        progress=round(check.progress, 4),
        message=check.message,
        report=check.report,
        version=check.version_number,
        changes=check.changes,
        created_at=check.created_at,
        finished_at=check.finished_at,
    )
