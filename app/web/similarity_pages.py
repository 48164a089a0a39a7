"""Instructor pages of code similarity: a problem's most similar pairs, and one pair side by side."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.api.deps import ReadSession, RuntimeDep
from app.api.params import Id
from app.courses.service import staff_access
from app.db import after_commit
from app.integrity import reports
from app.problems import service as problems
from app.web import similarity_view
from app.web.render import page
from app.web.session import CsrfChecked, PageUser

router = APIRouter(include_in_schema=False)


@router.get("/c/{course}/p/{slug}/similarity", response_class=HTMLResponse)
def similarity(course: str, slug: str, request: Request, user: PageUser, session: ReadSession) -> Response:
    access = staff_access(session, course, user)
    problem = problems.get_problem(session, access, slug)
    context: dict[str, Any] = {
        "course": access.course,
        "problem": problem,
        "report": reports.problem_similarity(session, problem),
    }
    return page(request, "similarity.html", context)


@router.post("/c/{course}/p/{slug}/similarity", dependencies=[CsrfChecked])
def run_similarity(course: str, slug: str, user: PageUser, runtime: RuntimeDep) -> Response:
    with runtime.db.session() as session:
        problem = problems.get_problem(session, staff_access(session, course, user), slug)
        report_id = reports.request_report(session, problem, user).id
        after_commit(session, lambda: runtime.similarity.submit(report_id))
    return RedirectResponse(f"/c/{course}/p/{slug}/similarity", status_code=303)


@router.get("/c/{course}/p/{slug}/similarity/{report_id}/{rank}", response_class=HTMLResponse)
def pair(
    course: str, slug: str, report_id: Id, rank: Id, request: Request, user: PageUser, session: ReadSession
) -> Response:
    access = staff_access(session, course, user)
    problem = problems.get_problem(session, access, slug)
    found = reports.pair_of(session, problem, report_id, rank)
    entries = similarity_view.legend(found["regions"])
    sides = {
        side: similarity_view.side(reports.compared_files(session, problem, found[side]["submission"]), entries, side)
        for side in ("a", "b")
    }
    context = {
        "course": access.course,
        "problem": problem,
        "pair": found,
        "report_id": report_id,
        "legend": entries,
        "sides": sides,
    }
    return page(request, "similarity_pair.html", context)
