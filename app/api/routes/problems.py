"""Problems of a course: reading, uploading bundles and versions, settings, submitting, regrading."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, UploadFile, status
from fastapi.responses import Response
from sqlalchemy.orm import Session

from app.api.deps import CurrentUser, ReadSession, RuntimeDep, WriteSession
from app.api.params import Id
from app.api.schemas import (
    ProblemRead,
    ProblemSummary,
    ProblemUpdate,
    RegradeCreate,
    RegradeRead,
    SubmissionCreated,
    TestInfo,
    UploadCheckRead,
    VersionRead,
)
from app.courses.service import course_access, instructor_access
from app.db.models import Problem, ProblemVersion
from app.errors import Invalid
from app.http.downloads import download_response
from app.http.uploads import read_bundle, read_files
from app.problems import checks
from app.problems import service as problems
from app.problems.uploads import check_view, upload_bundle
from app.regrades import service as regrades
from app.submissions import intake
from grader.bundle import Bundle
from grader.grading import student_names

router = APIRouter(tags=["problems"])


def _summary(problem: Problem, version: ProblemVersion | None) -> ProblemSummary:
    return ProblemSummary(
        slug=problem.slug,
        title=problem.title,
        published=problem.published,
        deadline=problem.deadline,
        late_policy=problem.late_policy,
        version=version.number if version else None,
    )


def _version_read(version: ProblemVersion, problem: Problem) -> VersionRead:
    return VersionRead(
        number=version.number,
        label=version.label,
        digest=version.digest,
        created_at=version.created_at,
        current=problem.current_version_id == version.id,
        check=version.check_report,
    )


def _current(session: Session, problem: Problem) -> ProblemVersion | None:
    return session.get(ProblemVersion, problem.current_version_id) if problem.current_version_id else None


@router.get("/courses/{course}/problems", response_model=list[ProblemSummary])
def list_problems(course: str, user: CurrentUser, session: ReadSession) -> list[ProblemSummary]:
    access = course_access(session, course, user)
    return [_summary(p, _current(session, p)) for p in problems.list_problems(session, access)]


@router.get("/courses/{course}/problems/{slug}", response_model=ProblemRead)
def get_problem(course: str, slug: str, user: CurrentUser, session: ReadSession, runtime: RuntimeDep) -> ProblemRead:
    """The statement, the files to submit, limits, deadline and tests (hidden tests by points only)."""
    access = course_access(session, course, user)
    problem = problems.get_problem(session, access, slug)
    version = _current(session, problem)
    if version is None:
        raise Invalid(f"{slug} has no version yet")
    bundle = runtime.bundles.get(session, version.id)
    return _problem_read(problem, version, bundle)


def _problem_read(problem: Problem, version: ProblemVersion, bundle: Bundle) -> ProblemRead:
    spec = bundle.spec
    return ProblemRead(
        **_summary(problem, version).model_dump(),
        statement=bundle.statement,
        files=list(spec.files),
        support_files=sorted(bundle.folder("support")),
        late_penalty=problem.late_penalty,
        quota_count=problem.quota_count,
        quota_window_seconds=problem.quota_window_seconds,
        reveal_hidden_after_deadline=problem.reveal_hidden_after_deadline,
        supersede_queued=problem.supersede_queued,
        time_seconds=spec.limits.time_seconds,
        memory_mb=spec.limits.memory_mb,
        max_score=float(sum(t.points for t in spec.tests)),
        tests=[
            TestInfo(name=name, points=t.points, visible=t.visible, kind=t.kind)
            for t, name in zip(spec.tests, student_names(spec.tests), strict=True)
        ],
    )


@router.get("/courses/{course}/problems/{slug}/starter.zip", response_class=Response)
def starter(course: str, slug: str, user: CurrentUser, session: ReadSession, runtime: RuntimeDep) -> Response:
    """The starter files (and read-only support files) as a zip."""
    access = course_access(session, course, user)
    return download_response(problems.starter_download(session, runtime.bundles, access, slug))


UPLOAD_ANSWERS: dict[int | str, dict[str, object]] = {
    409: {
        "description": "the problem exists already (new problem), or the bundle is identical to the current "
        "version (new version): no new version is made"
    },
}


def _upload(
    runtime: RuntimeDep, user: CurrentUser, course: str, slug: str | None, bundle: UploadFile
) -> UploadCheckRead:
    data = read_bundle(bundle, runtime.settings.max_bundle_bytes)
    return UploadCheckRead.model_validate(upload_bundle(runtime, user, course, slug, data), from_attributes=True)


def _check_read(runtime: RuntimeDep, user: CurrentUser, course: str, check_id: int) -> UploadCheckRead:
    with runtime.db.read() as session:
        access = instructor_access(session, course, user)
        view = check_view(checks.get_check(session, access.course, check_id), course)
        return UploadCheckRead.model_validate(view, from_attributes=True)


@router.post(
    "/courses/{course}/problems",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=UploadCheckRead,
    responses=UPLOAD_ANSWERS,
)
def upload_problem(
    course: str,
    bundle: Annotated[UploadFile, File(description="the problem folder as a zip")],
    user: CurrentUser,
    runtime: RuntimeDep,
) -> UploadCheckRead:
    """Add a problem from a bundle zip. Answered at once with the check's id and `url`: the bundle is checked
    in the sandbox in the background, and the problem (unpublished) exists once the check has `passed`."""
    return _upload(runtime, user, course, None, bundle)


@router.post(
    "/courses/{course}/problems/{slug}/versions",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=UploadCheckRead,
    responses=UPLOAD_ANSWERS,
)
def upload_version(
    course: str,
    slug: str,
    bundle: Annotated[UploadFile, File(description="the problem folder as a zip")],
    user: CurrentUser,
    runtime: RuntimeDep,
) -> UploadCheckRead:
    """A new version of a problem, checked in the background like a new problem; it becomes current when its
    check passes (regrade to move old submissions to it). A bundle identical to the current version is 409."""
    return _upload(runtime, user, course, slug, bundle)


@router.get("/courses/{course}/upload-checks/{check_id}", response_model=UploadCheckRead)
def get_upload_check(course: str, check_id: Id, user: CurrentUser, runtime: RuntimeDep) -> UploadCheckRead:
    """An upload's check: its progress, the report as it arrives, and once passed the version and its changes."""
    return _check_read(runtime, user, course, check_id)


@router.get("/courses/{course}/problems/{slug}/versions", response_model=list[VersionRead])
def list_versions(course: str, slug: str, user: CurrentUser, session: ReadSession) -> list[VersionRead]:
    problem = problems.get_problem(session, instructor_access(session, course, user), slug)
    return [_version_read(v, problem) for v in problems.versions(session, problem)]


@router.patch("/courses/{course}/problems/{slug}", response_model=ProblemSummary)
def update_problem(
    course: str, slug: str, body: ProblemUpdate, user: CurrentUser, session: WriteSession
) -> ProblemSummary:
    """Publish or unpublish, set the deadline, late policy, quota, or the current version."""
    problem = problems.get_problem(session, instructor_access(session, course, user), slug)
    problems.update_problem(session, problem, problems.ProblemChanges(**body.model_dump()))
    return _summary(problem, _current(session, problem))


@router.post(
    "/courses/{course}/problems/{slug}/submissions",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=SubmissionCreated,
)
def submit(
    course: str,
    slug: str,
    files: Annotated[list[UploadFile], File(description="the problem's Python files")],
    user: CurrentUser,
    runtime: RuntimeDep,
) -> SubmissionCreated:
    """Submit files for grading; answered at once with the submission's id, graded in the background."""
    submission = intake.submit(runtime, user, course, slug, read_files(files))
    created = SubmissionCreated(
        id=submission.id,
        status=submission.state.value,
        late=submission.late,
        url=f"/api/v1/submissions/{submission.id}",
    )
    return created


def _regrade_read(view: regrades.RegradeView) -> RegradeRead:
    return RegradeRead.model_validate(view, from_attributes=True)


@router.post(
    "/courses/{course}/problems/{slug}/regrades", status_code=status.HTTP_202_ACCEPTED, response_model=RegradeRead
)
def start_regrade(course: str, slug: str, body: RegradeCreate, user: CurrentUser, runtime: RuntimeDep) -> RegradeRead:
    """Grade every submission again against a version; scores change only when the regrade is applied."""
    regrade_id = intake.start_regrade(runtime, user, course, slug, body.version)
    with runtime.db.read() as session:
        problem = problems.get_problem(session, instructor_access(session, course, user), slug)
        return _regrade_read(regrades.regrade_view(session, regrades.get_regrade(session, problem, regrade_id)))


@router.get("/courses/{course}/problems/{slug}/regrades/{regrade_id}", response_model=RegradeRead)
def get_regrade(course: str, slug: str, regrade_id: Id, user: CurrentUser, session: ReadSession) -> RegradeRead:
    """The before/after table of a regrade and its progress."""
    problem = problems.get_problem(session, instructor_access(session, course, user), slug)
    return _regrade_read(regrades.regrade_view(session, regrades.get_regrade(session, problem, regrade_id)))


@router.post("/courses/{course}/problems/{slug}/regrades/{regrade_id}/apply", response_model=RegradeRead)
def apply_regrade(course: str, slug: str, regrade_id: Id, user: CurrentUser, session: WriteSession) -> RegradeRead:
    """Make the regraded scores official (only once every submission is regraded)."""
    problem = problems.get_problem(session, instructor_access(session, course, user), slug)
    regrade = regrades.get_regrade(session, problem, regrade_id)
    regrades.apply_regrade(session, regrade, user)
    return _regrade_read(regrades.regrade_view(session, regrade))


@router.post("/courses/{course}/problems/{slug}/regrades/{regrade_id}/discard", response_model=RegradeRead)
def discard_regrade(course: str, slug: str, regrade_id: Id, user: CurrentUser, session: WriteSession) -> RegradeRead:
    problem = problems.get_problem(session, instructor_access(session, course, user), slug)
    regrade = regrades.get_regrade(session, problem, regrade_id)
    regrades.discard_regrade(session, regrade)
    return _regrade_read(regrades.regrade_view(session, regrade))
