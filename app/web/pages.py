"""Pages for everyone: log in and out, courses, problems, submitting, results, tokens."""

from __future__ import annotations

import secrets
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts import service as accounts
from app.api.deps import RuntimeDep
from app.api.limits import client_address, login_guard
from app.api.params import Id
from app.api.routes.problems import _read_files
from app.courses.service import answer_invitation, course_access, courses_of, invitations_of
from app.db.models import Problem, ProblemVersion, Submission, SubmissionState, User
from app.errors import Forbidden, Invalid, ServiceError
from app.problems import service as problems
from app.runtime import Runtime
from app.security import token_digest
from app.submissions import intake
from app.submissions.service import readable_submission, submission_view
from app.web.curves import training_figures
from app.web.render import page
from app.web.session import COOKIE, SESSION_DAYS, CsrfChecked, PageUser

router = APIRouter(include_in_schema=False)
LOGIN_CSRF = "gradelab_login"


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str = "/") -> Response:
    token = secrets.token_urlsafe(24)
    response = page(request, "login.html", {"login_csrf": token, "next": _safe_next(next), "username": ""})
    response.set_cookie(LOGIN_CSRF, token, httponly=True, samesite="strict", secure=_secure(request), max_age=3600)
    return response


def _safe_next(target: str) -> str:
    """Only paths on this site: never an open redirect."""
    return target if target.startswith("/") and not target.startswith("//") and "\\" not in target else "/"


@router.post("/login", response_class=HTMLResponse)
async def login(
    request: Request,
    runtime: RuntimeDep,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=1024)],
    csrf: Annotated[str, Form(max_length=100)] = "",
    next: Annotated[str, Form(max_length=500)] = "/",
) -> Response:
    expected = request.cookies.get(LOGIN_CSRF)
    if not expected or not secrets.compare_digest(expected, csrf):
        return _login_again(request, username, next, "The login form expired: try again.")

    def check() -> str:
        user = accounts.check_password(runtime.db, username, password)
        with runtime.db.session() as session:
            return accounts.issue_token(session, user, name="browser session", days=SESSION_DAYS)[1]

    try:
        # The same throttle and hashing bound as the API's login.
        token = await login_guard(request).attempt(username, client_address(request), check)
    except ServiceError as exc:
        message = exc.detail[:1].upper() + exc.detail[1:] + "."
        retry = {k: v for k, v in exc.headers.items() if k == "Retry-After"}
        return _login_again(request, username, next, message, status=exc.status, headers=retry)
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(
        COOKIE, token, httponly=True, samesite="lax", secure=_secure(request), max_age=SESSION_DAYS * 86400, path="/"
    )
    response.delete_cookie(LOGIN_CSRF)
    return response


def _login_again(
    request: Request, username: str, next: str, message: str, status: int = 401, headers: dict[str, str] | None = None
) -> Response:
    token = secrets.token_urlsafe(24)
    response = page(
        request,
        "login.html",
        {"login_csrf": token, "next": _safe_next(next), "username": username, "error": message},
        status_code=status,
    )
    response.headers.update(headers or {})
    response.set_cookie(LOGIN_CSRF, token, httponly=True, samesite="strict", secure=_secure(request), max_age=3600)
    return response


@router.post("/logout", dependencies=[CsrfChecked])
def logout(request: Request, user: PageUser, runtime: RuntimeDep) -> Response:
    token = request.cookies.get(COOKIE, "")
    with runtime.db.session() as session:
        for row in accounts.list_tokens(session, user):
            if row.token_hash == token_digest(token):
                accounts.revoke_token(session, user, row.id)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(COOKIE, path="/")
    return response


@router.get("/", response_class=HTMLResponse)
def home(request: Request, user: PageUser, runtime: RuntimeDep) -> Response:
    with runtime.db.session() as session:
        courses = courses_of(session, user)
        invitations = invitations_of(session, user)
    return page(request, "courses.html", {"user": user, "courses": courses, "invitations": invitations})


@router.post("/invitations/{course}/{answer}", dependencies=[CsrfChecked])
def answer_course_invitation(course: str, answer: str, user: PageUser, runtime: RuntimeDep) -> Response:
    if answer not in ("accept", "decline"):
        raise Invalid(f"answer an invitation with 'accept' or 'decline', not {answer[:20]!r}")
    with runtime.db.session() as session:
        answer_invitation(session, user, course, accept=answer == "accept")
    return RedirectResponse(f"/c/{course}" if answer == "accept" else "/", status_code=303)


def _my_rows(session: Session, user: User, problem_ids: list[int]) -> dict[int, list[Submission]]:
    rows: dict[int, list[Submission]] = {pid: [] for pid in problem_ids}
    for sub in session.scalars(
        select(Submission)
        .where(Submission.user_id == user.id, Submission.problem_id.in_(problem_ids), Submission.regrade_id.is_(None))
        .order_by(Submission.id)
    ):
        rows[sub.problem_id].append(sub)
    return rows


@router.get("/c/{course}", response_class=HTMLResponse)
def course_page(course: str, request: Request, user: PageUser, runtime: RuntimeDep) -> Response:
    with runtime.db.session() as session:
        access = course_access(session, course, user)
        listed = problems.list_problems(session, access)
        mine = _my_rows(session, user, [p.id for p in listed])
        rows = []
        for problem in listed:
            graded = [s for s in mine[problem.id] if s.state is SubmissionState.GRADED]
            best = max(graded, key=lambda s: s.score or 0.0, default=None)
            rows.append(
                {
                    "problem": problem,
                    "best": best.score if best else None,
                    "max": best.max_score if best else None,
                    "late": bool(best and best.late),
                    "scores": [s.score for s in graded],
                    "past_due": problems.deadline_passed(problem),
                }
            )
    return page(request, "course.html", {"user": user, "course": access.course, "access": access, "rows": rows})


@router.get("/c/{course}/p/{slug}", response_class=HTMLResponse)
def problem_page(course: str, slug: str, request: Request, user: PageUser, runtime: RuntimeDep) -> Response:
    return _problem_page(request, runtime, user, course, slug, {})


def _problem_page(
    request: Request, runtime: Runtime, user: User, course: str, slug: str, extra: dict[str, Any], status: int = 200
) -> Response:
    with runtime.db.session() as session:
        access = course_access(session, course, user)
        problem = problems.get_problem(session, access, slug)
        if problem.current_version_id is None:
            raise Invalid(f"{slug} has no version yet")
        bundle = runtime.bundles.get(session, problem.current_version_id)
        mine = _my_rows(session, user, [problem.id])[problem.id]
    spec = bundle.spec
    context = {
        "user": user,
        "course": access.course,
        "access": access,
        "problem": problem,
        "spec": spec,
        "statement": bundle.statement,
        "max_score": float(sum(t.points for t in spec.tests)),
        "visible_count": sum(1 for t in spec.tests if t.visible),
        "hidden_count": sum(1 for t in spec.tests if not t.visible),
        "mine": list(reversed(mine))[:20],
        "mine_scores": [s.score for s in mine if s.state is SubmissionState.GRADED],
        **extra,
    }
    return page(request, "problem.html", context, status_code=status)


@router.get("/c/{course}/p/{slug}/starter.zip")
def starter(course: str, slug: str, user: PageUser, runtime: RuntimeDep) -> Response:
    with runtime.db.session() as session:
        problem = problems.get_problem(session, course_access(session, course, user), slug)
        version = session.get(ProblemVersion, problem.current_version_id or -1)
        if version is None:
            raise Invalid(f"{slug} has no version yet")
        data = problems.starter_zip(runtime.bundles.get(session, version.id))
    headers = {"Content-Disposition": f'attachment; filename="{slug}-starter.zip"'}
    return Response(data, media_type="application/zip", headers=headers)


@router.post("/c/{course}/p/{slug}/submit", dependencies=[CsrfChecked])
def submit(
    course: str,
    slug: str,
    request: Request,
    user: PageUser,
    runtime: RuntimeDep,
    files: Annotated[list[UploadFile], File()],
) -> Response:
    """The same rules as the API's submission endpoint; errors come back on the problem page."""
    try:
        contents = _read_files([f for f in files if f.filename])
        if not contents:
            raise Invalid("choose your solution files first")
        sid = intake.submit(runtime, user, course, slug, contents).id
    except ServiceError as exc:
        if exc.status == 404:
            raise
        extra = {"error": exc.detail, "errors": exc.errors}
        return _problem_page(request, runtime, user, course, slug, extra, status=exc.status)
    return RedirectResponse(f"/s/{sid}", status_code=303)


def _submission_context(runtime: Runtime, user: User, submission_id: int) -> dict[str, Any]:
    with runtime.db.session() as session:
        submission, viewer = readable_submission(session, user, submission_id)
        view = submission_view(submission, viewer)
        bundle = runtime.bundles.get(session, submission.version_id)
    bars = {t.name: t.thresholds[0].accuracy for t in bundle.spec.tests if t.thresholds}
    curves = {figure.test: figure for figure in training_figures(view["metrics"], bars)}
    return {"sub": view, "bars": bars, "curves": curves}


@router.get("/s/{submission_id}", response_class=HTMLResponse)
def submission_page(submission_id: Id, request: Request, user: PageUser, runtime: RuntimeDep) -> Response:
    return page(request, "submission.html", {"user": user, **_submission_context(runtime, user, submission_id)})


@router.get("/s/{submission_id}/live", response_class=HTMLResponse)
def submission_live(submission_id: Id, request: Request, user: PageUser, runtime: RuntimeDep) -> Response:
    return page(request, "_live.html", _submission_context(runtime, user, submission_id))


@router.get("/me/submissions", response_class=HTMLResponse)
def my_submissions(request: Request, user: PageUser, runtime: RuntimeDep) -> Response:
    with runtime.db.session() as session:
        rows = list(
            session.execute(
                select(Submission, Problem)
                .join(Problem)
                .where(Submission.user_id == user.id, Submission.regrade_id.is_(None))
                .order_by(Submission.id)
            )
        )
        groups: dict[tuple[str, str], dict[str, Any]] = {}
        for sub, problem in rows:
            key = (problem.course.slug, problem.slug)
            group = groups.setdefault(
                key, {"course": key[0], "problem": problem, "subs": [], "scores": [], "max": None}
            )
            group["subs"].append(sub)
            if sub.state is SubmissionState.GRADED:
                group["scores"].append(sub.score)
                group["max"] = sub.max_score
    for group in groups.values():
        group["subs"].reverse()
    return page(request, "my_submissions.html", {"user": user, "groups": list(groups.values())})


@router.get("/me/tokens", response_class=HTMLResponse)
def tokens_page(request: Request, user: PageUser, runtime: RuntimeDep, created: str | None = None) -> Response:
    with runtime.db.session() as session:
        tokens = [t for t in accounts.list_tokens(session, user) if t.name != "browser session"]
    return page(request, "tokens.html", {"user": user, "tokens": tokens, "created": None})


@router.post("/me/tokens", response_class=HTMLResponse, dependencies=[CsrfChecked])
def create_token(
    request: Request,
    user: PageUser,
    runtime: RuntimeDep,
    name: Annotated[str, Form(max_length=100)] = "api",
    days: Annotated[int, Form(ge=1, le=3650)] = 30,
) -> Response:
    with runtime.db.session() as session:
        _, plain = accounts.issue_token(session, user, name=name or "api", days=days)
        tokens = [t for t in accounts.list_tokens(session, user) if t.name != "browser session"]
    return page(request, "tokens.html", {"user": user, "tokens": tokens, "created": plain})


@router.post("/me/tokens/{token_id}/revoke", dependencies=[CsrfChecked])
def revoke_token(token_id: Id, user: PageUser, runtime: RuntimeDep) -> Response:
    with runtime.db.session() as session:
        token = accounts.revoke_token(session, user, token_id)
        if token.name == "browser session":
            raise Forbidden("log out to end a browser session")
    return RedirectResponse("/me/tokens", status_code=303)
