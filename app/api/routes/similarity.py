"""Code similarity of a problem's counting submissions (instructors and TAs): the report, and asking for a new one."""

from __future__ import annotations

from fastapi import APIRouter, status

from app.api.deps import CurrentUser, ReadSession, RuntimeDep, WriteSession
from app.api.schemas import SimilarityRead
from app.courses.service import staff_access
from app.db import after_commit
from app.integrity import reports
from app.problems import service as problems

router = APIRouter(tags=["similarity"])


@router.get("/courses/{course}/problems/{slug}/similarity", response_model=SimilarityRead)
def get_similarity(course: str, slug: str, user: CurrentUser, session: ReadSession) -> SimilarityRead:
    """The most similar pairs of students' counting submissions, from the newest finished report."""
    problem = problems.get_problem(session, staff_access(session, course, user), slug)
    return SimilarityRead.model_validate(reports.problem_similarity(session, problem))


@router.post(
    "/courses/{course}/problems/{slug}/similarity",
    response_model=SimilarityRead,
    status_code=status.HTTP_202_ACCEPTED,
)
def run_similarity(
    course: str, slug: str, user: CurrentUser, session: WriteSession, runtime: RuntimeDep
) -> SimilarityRead:
    """Make a new report in the background (the one already queued or running, if any); poll the GET."""
    problem = problems.get_problem(session, staff_access(session, course, user), slug)
    report = reports.request_report(session, problem, user)
    report_id = report.id
    after_commit(session, lambda: runtime.similarity.submit(report_id))
    return SimilarityRead.model_validate(reports.report_view(report, reports.finished_report(session, problem)))
