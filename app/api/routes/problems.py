"""Problems of a course: reading, uploading bundles and versions, settings, submitting, regrading."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, UploadFile, status
from fastapi.responses import Response
from sqlalchemy.orm import Session

from app.api.deps import CurrentUser, RuntimeDep
from app.api.params import Id
from app.api.schemas import (
    ProblemRead,
    ProblemSummary,
    ProblemUpdate,
    RegradeCreate,
    RegradeRead,
    SubmissionCreated,
    TestInfo,
    UploadRead,
    VersionRead,
)
from app.api.uploads import read_capped, upload_name
from app.courses.service import course_access, instructor_access
from app.db.models import Problem, ProblemVersion
from app.errors import Invalid
from app.problems import service as problems
from app.regrades import service as regrades
from app.runtime import Runtime
from app.submissions import intake
from grader.bundle import Bundle
from grader.grading import MAX_FILE_BYTES, MAX_FILES, student_names

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
def list_problems(course: str, user: CurrentUser, runtime: RuntimeDep) -> list[ProblemSummary]:
    with runtime.db.session() as session:
        access = course_access(session, course, user)
        return [_summary(p, _current(session, p)) for p in problems.list_problems(session, access)]


@router.get("/courses/{course}/problems/{slug}", response_model=ProblemRead)
def get_problem(course: str, slug: str, user: CurrentUser, runtime: RuntimeDep) -> ProblemRead:
    """The statement, the files to submit, limits, deadline and tests (hidden tests by points only)."""
    with runtime.db.session() as session:
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
        time_seconds=spec.limits.time_seconds,
        memory_mb=spec.limits.memory_mb,
        max_score=float(sum(t.points for t in spec.tests)),
        tests=[
            TestInfo(name=name, points=t.points, visible=t.visible, kind=t.kind)
            for t, name in zip(spec.tests, student_names(spec.tests), strict=True)
        ],
    )


@router.get("/courses/{course}/problems/{slug}/starter.zip", response_class=Response)
def starter(course: str, slug: str, user: CurrentUser, runtime: RuntimeDep) -> Response:
    """The starter files (and read-only support files) as a zip."""
    with runtime.db.session() as session:
        problem = problems.get_problem(session, course_access(session, course, user), slug)
        version = _current(session, problem)
        if version is None:
            raise Invalid(f"{slug} has no version yet")
        data = problems.starter_zip(runtime.bundles.get(session, version.id))
    headers = {"Content-Disposition": f'attachment; filename="{slug}-starter.zip"'}
    return Response(data, media_type="application/zip", headers=headers)


def _checked_bundle(runtime: Runtime, upload: UploadFile) -> tuple[Bundle, dict[str, object] | None]:
    bundle = problems.read_upload(
        read_capped(upload, runtime.settings.max_bundle_bytes, "the bundle"), runtime.settings.max_bundle_bytes
    )
    if not runtime.settings.check_uploads:
        return bundle, None
    report = runtime.check_bundle(bundle)
    if not report.get("ok"):
        failed = [f"{i['name']}: {i['detail']}" for i in report.get("items", []) if not i.get("ok")]
        raise Invalid("the bundle failed its checks in the sandbox; nothing was stored", errors=failed)
    return bundle, report


@router.post("/courses/{course}/problems", status_code=status.HTTP_201_CREATED, response_model=UploadRead)
def upload_problem(
    course: str,
    bundle: Annotated[UploadFile, File(description="the problem folder as a zip")],
    user: CurrentUser,
    runtime: RuntimeDep,
) -> UploadRead:
    """Add a problem from a bundle zip; it is checked in the sandbox first and starts unpublished."""
    with runtime.db.session() as session:
        instructor_access(session, course, user)  # refuse students before reading the upload
    parsed, report = _checked_bundle(runtime, bundle)
    with runtime.db.session() as session:
        access = instructor_access(session, course, user)
        problem, version = problems.add_problem(session, access.course, parsed, session.merge(user), report)
        runtime.bundles.put(version.id, parsed)
        return UploadRead(problem=_summary(problem, version), version=_version_read(version, problem))


@router.post(
    "/courses/{course}/problems/{slug}/versions", status_code=status.HTTP_201_CREATED, response_model=UploadRead
)
def upload_version(
    course: str,
    slug: str,
    bundle: Annotated[UploadFile, File(description="the problem folder as a zip")],
    user: CurrentUser,
    runtime: RuntimeDep,
) -> UploadRead:
    """A new version of a problem; it becomes current (regrade to move old submissions to it)."""
    with runtime.db.session() as session:
        problems.get_problem(session, instructor_access(session, course, user), slug)
    parsed, report = _checked_bundle(runtime, bundle)
    with runtime.db.session() as session:
        problem = problems.get_problem(session, instructor_access(session, course, user), slug)
        version = problems.add_version(session, problem, parsed, session.merge(user), report)
        runtime.bundles.put(version.id, parsed)
        return UploadRead(problem=_summary(problem, version), version=_version_read(version, problem))


@router.get("/courses/{course}/problems/{slug}/versions", response_model=list[VersionRead])
def list_versions(course: str, slug: str, user: CurrentUser, runtime: RuntimeDep) -> list[VersionRead]:
    with runtime.db.session() as session:
        problem = problems.get_problem(session, instructor_access(session, course, user), slug)
        return [_version_read(v, problem) for v in problems.versions(session, problem)]


@router.patch("/courses/{course}/problems/{slug}", response_model=ProblemSummary)
def update_problem(
    course: str, slug: str, body: ProblemUpdate, user: CurrentUser, runtime: RuntimeDep
) -> ProblemSummary:
    """Publish or unpublish, set the deadline, late policy, quota, or the current version."""
    with runtime.db.session() as session:
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
    submission = intake.submit(runtime, user, course, slug, _read_files(files))
    created = SubmissionCreated(
        id=submission.id,
        status=submission.state.value,
        late=submission.late,
        url=f"/api/v1/submissions/{submission.id}",
    )
    return created


def _read_files(files: list[UploadFile]) -> dict[str, bytes]:
    if len(files) > MAX_FILES:
        raise Invalid(f"{len(files)} files submitted; at most {MAX_FILES} are accepted")
    contents: dict[str, bytes] = {}
    for upload in files:
        name = upload_name(upload)
        if name in contents:
            raise Invalid(f"{name} was sent twice: send each file once")
        contents[name] = read_capped(upload, MAX_FILE_BYTES, name)
    return contents


@router.post(
    "/courses/{course}/problems/{slug}/regrades", status_code=status.HTTP_202_ACCEPTED, response_model=RegradeRead
)
def start_regrade(course: str, slug: str, body: RegradeCreate, user: CurrentUser, runtime: RuntimeDep) -> RegradeRead:
    """Grade every submission again against a version; scores change only when the regrade is applied."""
    regrade_id = intake.start_regrade(runtime, user, course, slug, body.version)
    with runtime.db.session() as session:
        problem = problems.get_problem(session, instructor_access(session, course, user), slug)
        return RegradeRead(**regrades.regrade_view(session, regrades.get_regrade(session, problem, regrade_id)))


@router.get("/courses/{course}/problems/{slug}/regrades/{regrade_id}", response_model=RegradeRead)
def get_regrade(course: str, slug: str, regrade_id: Id, user: CurrentUser, runtime: RuntimeDep) -> RegradeRead:
    """The before/after table of a regrade and its progress."""
    with runtime.db.session() as session:
        problem = problems.get_problem(session, instructor_access(session, course, user), slug)
        return RegradeRead(**regrades.regrade_view(session, regrades.get_regrade(session, problem, regrade_id)))


@router.post("/courses/{course}/problems/{slug}/regrades/{regrade_id}/apply", response_model=RegradeRead)
def apply_regrade(course: str, slug: str, regrade_id: Id, user: CurrentUser, runtime: RuntimeDep) -> RegradeRead:
    """Make the regraded scores official (only once every submission is regraded)."""
    with runtime.db.session() as session:
        problem = problems.get_problem(session, instructor_access(session, course, user), slug)
        regrade = regrades.get_regrade(session, problem, regrade_id)
        regrades.apply_regrade(session, regrade, user)
        return RegradeRead(**regrades.regrade_view(session, regrade))


@router.post("/courses/{course}/problems/{slug}/regrades/{regrade_id}/discard", response_model=RegradeRead)
def discard_regrade(course: str, slug: str, regrade_id: Id, user: CurrentUser, runtime: RuntimeDep) -> RegradeRead:
    with runtime.db.session() as session:
        problem = problems.get_problem(session, instructor_access(session, course, user), slug)
        regrade = regrades.get_regrade(session, problem, regrade_id)
        regrades.discard_regrade(session, regrade)
        return RegradeRead(**regrades.regrade_view(session, regrade))
