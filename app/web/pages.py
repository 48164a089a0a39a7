"""Pages for everyone: log in and out, courses, problems, submitting, results, tokens."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass, replace
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts import links
from app.accounts import service as accounts
from app.api.deps import ReadSession, RuntimeDep
from app.api.limits import client_address, login_guard
from app.api.params import Id
from app.courses import deadlines
from app.courses.service import CourseAccess, answer_invitation, course_access, courses_of, invitations_of
from app.db import utcnow
from app.db.models import Problem, Submission, SubmissionState, User
from app.errors import Invalid, NotFound, ServiceError, Unauthorized
from app.grades.counting import activate, counting_for, may_choose, points
from app.http.downloads import download_response
from app.http.uploads import read_files
from app.problems import service as problems
from app.problems.release import is_open, results_released
from app.regrade_requests import service as regrade_requests
from app.runtime import Runtime
from app.security import token_digest
from app.submissions import intake
from app.submissions.service import (
    check_window,
    graded_score,
    held_from,
    readable_submission,
    staff_course_ids,
    stored_files,
    submission_view,
    summary_view,
)
from app.web.code_view import attachment, check_file_name, file_view
from app.web.curves import training_figures
from app.web.notebook_view import notebook_view
from app.web.render import page
from app.web.review_context import review_context
from app.web.session import COOKIE, SESSION_DAYS, CsrfChecked, PageUser, session_name
from grader.notebooks import is_notebook

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

    agent = request.headers.get("user-agent")

    def check() -> str:
        user = accounts.check_password(runtime.db, username, password)
        with runtime.db.session() as session:
            return start_session(session, user, agent)

    try:
        # The same throttle and hashing bound as the API's login.
        token = await login_guard(request).attempt(username, client_address(request), check)
    except ServiceError as exc:
        message = exc.detail[:1].upper() + exc.detail[1:] + "."
        retry = {k: v for k, v in exc.headers.items() if k == "Retry-After"}
        return _login_again(request, username, next, message, status=exc.status, headers=retry)
    response = RedirectResponse(_safe_next(next), status_code=303)
    set_session_cookie(response, request, token)
    response.delete_cookie(LOGIN_CSRF)
    return response


def start_session(session: Session, user: User, user_agent: str | None) -> str:
    """A browser session for `user`: an API token named after the browser, kept only in the cookie."""
    name = session_name(user_agent, utcnow())
    return accounts.issue_token(session, user, name=name, days=SESSION_DAYS, browser=True)[1]


def set_session_cookie(response: Response, request: Request, token: str) -> None:
    response.set_cookie(
        COOKIE, token, httponly=True, samesite="lax", secure=_secure(request), max_age=SESSION_DAYS * 86400, path="/"
    )


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
def home(request: Request, user: PageUser, session: ReadSession, password: str | None = None) -> Response:
    courses = courses_of(session, user)
    invitations = invitations_of(session, user)
    context: dict[str, Any] = {"user": user, "courses": courses, "invitations": invitations}
    if password == "set":
        context["notice"] = f"Your password is set and you are logged in as {user.username}."
    return page(request, "courses.html", context)


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


@dataclass(frozen=True)
class SubmitState:
    """Whether the user may submit to a problem now, and what a new submission would be (late, quota left)."""

    allowed: bool
    reason: str | None  # why not, when not allowed
    late: bool
    quota_left: int | None  # None when the problem has no quota or the user is staff
    deadline: dt.datetime | None = None  # the user's own
    extended: bool = False
    quota: int | None = None  # the user's quota, extra submissions included
    late_days_needed: int = 0  # whole days past the user's deadline
    late_days_new: int = 0  # days a submission now would spend (0 when late days do not cover it)
    late_days_left: int | None = None  # None when the course gives no late days or the user is staff
    late_days_max: int = 0


def submit_state(session: Session, access: CourseAccess, problem: Problem, user: User) -> SubmitState:
    """The same deadline, late-day and quota rules the submission endpoint applies, asked before submitting."""
    now = utcnow()
    if access.is_staff:  # staff are not held to the deadline or the quota
        return SubmitState(True, None, problems.deadline_passed(problem, now), None, problem.deadline)
    terms = deadlines.terms_for(session, problem, user.id, now)
    state = SubmitState(
        True,
        None,
        terms.late,
        None,
        deadline=terms.deadline,
        extended=terms.extended,
        late_days_needed=terms.days_needed,
        late_days_new=terms.new_days,
        late_days_left=terms.bank.left if terms.bank.bank > 0 else None,
        late_days_max=problem.late_days_max,
    )
    try:
        check_window(session, problem, user, now)
    except ServiceError as exc:
        return replace(state, allowed=False, reason=exc.detail[:1].upper() + exc.detail[1:] + ".")
    quota = deadlines.quota_for(session, problem, user.id)
    if quota is None:
        return state
    since = now - dt.timedelta(seconds=problem.quota_window_seconds)
    used = len([s for s in _my_rows(session, user, [problem.id])[problem.id] if s.created_at > since])
    return replace(state, quota=quota, quota_left=max(0, quota - used))


@router.get("/c/{course}", response_class=HTMLResponse)
def course_page(course: str, request: Request, user: PageUser, session: ReadSession) -> Response:
    access = course_access(session, course, user)
    staff = access.is_staff
    listed = problems.list_problems(session, access)
    mine = _my_rows(session, user, [p.id for p in listed])
    own = deadlines.deadlines_for(session, listed, user.id)
    now = utcnow()
    rows = []
    for problem in listed:
        counted = counting_for(session, problem, user.id, staff=staff)
        shown = counted.submission if counted else None
        deadline, extended = own[problem.id] if not staff else (problem.deadline, False)
        rows.append(
            {
                "problem": problem,
                "submitted": bool(mine[problem.id]),
                "held": not staff and not results_released(problem),
                "best": points(shown) if shown else None,
                "max": shown.max_score if shown else None,
                "late": bool(shown and shown.late),
                "counts": counted.reason.value if counted else None,
                "scores": _scores(mine[problem.id], staff=staff),
                "deadline": deadline,
                "extended": extended,
                "past_due": deadline is not None and now > deadline,
                "late_days": max((s.late_days for s in mine[problem.id]), default=0),
                "opens_at": problem.opens_at if problem.opens_at and not is_open(problem) else None,
            }
        )
    late_days = None
    if not access.is_staff and access.course.late_days > 0:
        late_days = deadlines.late_days_of(session, access.course, user.id)
    context = {"user": user, "course": access.course, "access": access, "rows": rows, "late_days": late_days}
    context["open_requests"] = regrade_requests.open_count(session, access.course) if access.is_staff else 0
    return page(request, "course.html", context)


def _scores(subs: list[Submission], *, staff: bool) -> list[float | None]:
    """The graded scores this viewer may read, oldest first (none while the results are held from a student)."""
    return [graded_score(s, staff=staff) for s in subs if graded_score(s, staff=staff) is not None]


@router.get("/c/{course}/p/{slug}", response_class=HTMLResponse)
def problem_page(course: str, slug: str, request: Request, user: PageUser, runtime: RuntimeDep) -> Response:
    return _problem_page(request, runtime, user, course, slug, {})


def _problem_page(
    request: Request, runtime: Runtime, user: User, course: str, slug: str, extra: dict[str, Any], status: int = 200
) -> Response:
    with runtime.db.read() as session:
        access = course_access(session, course, user)
        problem = problems.get_problem(session, access, slug)
        if problem.current_version_id is None:
            raise Invalid(f"{slug} has no version yet")
        bundle = runtime.bundles.get(session, problem.current_version_id)
        mine = _my_rows(session, user, [problem.id])[problem.id]
        state = submit_state(session, access, problem, user)
        staff = access.is_staff
        counted = counting_for(session, problem, user.id, staff=staff)
        listed = [summary_view(s, staff=staff) for s in reversed(mine)][:20]
        scores = _scores(mine, staff=staff)
        choose = may_choose(session, problem, user.id)
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
        "mine": listed,
        "mine_scores": scores,
        "counted": counted,
        "may_choose": choose,
        "held": not staff and not results_released(problem),
        "open": is_open(problem),
        "submit": state,
        **extra,
    }
    return page(request, "problem.html", context, status_code=status)


@router.get("/c/{course}/p/{slug}/starter.zip")
def starter(course: str, slug: str, user: PageUser, session: ReadSession, runtime: RuntimeDep) -> Response:
    access = course_access(session, course, user)
    return download_response(problems.starter_download(session, runtime.bundles, runtime.kits, access, slug))


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
        contents = read_files([f for f in files if f.filename])
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
    with runtime.db.read() as session:
        submission, viewer = readable_submission(session, user, submission_id)
        view = submission_view(submission, viewer, runtime.queue_place(session, submission))
        bundle = runtime.bundles.get(session, submission.version_id)
    bars = {t.name: t.thresholds[0].accuracy for t in bundle.spec.tests if t.thresholds}
    curves = {figure.test: figure for figure in training_figures(view.metrics, bars)}
    return {"sub": view, "bars": bars, "curves": curves, "staff": viewer.is_staff}


def _again_context(runtime: Runtime, user: User, submission_id: int) -> dict[str, Any]:
    """The submitted files, and the "Submit again" form when this viewer may submit to the problem now."""
    with runtime.db.read() as session:
        submission, _ = readable_submission(session, user, submission_id)
        files = stored_files(session, submission.source_id or submission.id)
        views = [file_view(name, content) for name, content in sorted(files.items()) if not is_notebook(name)]
        graded_by = runtime.bundles.get(session, submission.version_id)
        notebooks = [notebook_view(n, c, graded_by, files) for n, c in sorted(files.items()) if is_notebook(n)]
        again: dict[str, Any] | None = None
        if submission.user_id == user.id and submission.regrade_id is None:  # never on another's submission
            try:
                access = course_access(session, submission.problem.course.slug, user)
                problem = problems.get_problem(session, access, submission.problem.slug)
            except NotFound:  # the problem was unpublished or the student left the course
                problem = None
            if problem is not None and problem.current_version_id is not None:
                bundle = runtime.bundles.get(session, problem.current_version_id)
                again = {
                    "problem": problem,
                    "files": bundle.spec.files,
                    "state": submit_state(session, access, problem, user),
                }
    return {"files": views, "notebooks": notebooks, "again": again}


def _counting_context(runtime: Runtime, user: User, submission_id: int) -> dict[str, Any]:
    """Which submission of its student counts for the problem, and whether this viewer may choose this one."""
    with runtime.db.read() as session:
        submission, viewer = readable_submission(session, user, submission_id)
        if submission.regrade_id is not None:
            return {"counting": None}
        counted = counting_for(session, submission.problem, submission.user_id, staff=viewer.is_staff)
        this = counted is not None and counted.submission.id == submission.id
        held = held_from(submission, staff=viewer.is_staff)
        may = (  # choosing the submission that counts already would change nothing; held, graded is not told
            not held
            and submission.user_id == user.id
            and submission.state is SubmissionState.GRADED
            and not this
            and may_choose(session, submission.problem, user.id)
        )
        return {
            "counting": {
                "this": this,
                "id": counted.submission.id if counted else None,
                "reason": counted.reason.value if counted else None,
                "may_activate": may,
                "held": held,
            }
        }


@router.get("/s/{submission_id}", response_class=HTMLResponse)
def submission_page(
    submission_id: Id, request: Request, user: PageUser, runtime: RuntimeDep, notice: str | None = None
) -> Response:
    extra = {}
    if notice == "activated":
        extra["notice"] = f"Submission {submission_id} now counts for this problem (until you submit again)."
    return render_submission(request, runtime, user, submission_id, extra)


def render_submission(
    request: Request,
    runtime: Runtime,
    user: User,
    submission_id: int,
    extra: dict[str, Any] | None = None,
    status: int = 200,
) -> Response:
    """The submission page, with which submission counts, its adjustments and regrade requests; `extra` carries a
    form's error or notice."""
    context = {"user": user, **_submission_context(runtime, user, submission_id)}
    context.update(_again_context(runtime, user, submission_id))
    context.update(_counting_context(runtime, user, submission_id))
    context.update(review_context(runtime, user, submission_id))
    context.update(extra or {})
    return page(request, "submission.html", context, status_code=status)


@router.post("/s/{submission_id}/activate", dependencies=[CsrfChecked])
def activate_submission(submission_id: Id, request: Request, user: PageUser, runtime: RuntimeDep) -> Response:
    """The student chooses this submission to count; a refusal comes back on the submission page."""
    try:
        with runtime.db.session() as session:
            activate(session, user, submission_id)
    except ServiceError as exc:
        if exc.status == 404:
            raise
        context = {"user": user, **_submission_context(runtime, user, submission_id), "error": exc.detail}
        context.update(_again_context(runtime, user, submission_id))
        context.update(_counting_context(runtime, user, submission_id))
        return page(request, "submission.html", context, status_code=exc.status)
    return RedirectResponse(f"/s/{submission_id}?notice=activated", status_code=303)


@router.get("/s/{submission_id}/files/{name}")
def submission_file(submission_id: Id, name: str, user: PageUser, session: ReadSession) -> Response:
    """One submitted file, as uploaded: to its author and the course's instructors only."""
    check_file_name(name)
    submission, _ = readable_submission(session, user, submission_id)
    files = stored_files(session, submission.source_id or submission.id)
    if name not in files:
        raise NotFound(f"submission {submission_id} has no file {name[:80]!r}")
    return Response(
        files[name], media_type="application/octet-stream", headers={"Content-Disposition": attachment(name)}
    )


@router.get("/s/{submission_id}/live", response_class=HTMLResponse)
def submission_live(submission_id: Id, request: Request, user: PageUser, runtime: RuntimeDep) -> Response:
    return page(request, "_live.html", _submission_context(runtime, user, submission_id))


@router.get("/me/submissions", response_class=HTMLResponse)
def my_submissions(request: Request, user: PageUser, session: ReadSession) -> Response:
    rows = list(
        session.execute(
            select(Submission, Problem)
            .join(Problem)
            .where(Submission.user_id == user.id, Submission.regrade_id.is_(None))
            .order_by(Submission.id)
        )
    )
    staff_in = staff_course_ids(session, user)
    groups: dict[tuple[str, str], dict[str, Any]] = {}
    for sub, problem in rows:
        staff = problem.course_id in staff_in
        if not staff and not is_open(problem):
            continue  # a problem students cannot see (unpublished, or not opened again)
        key = (problem.course.slug, problem.slug)
        group = groups.setdefault(key, {"course": key[0], "problem": problem, "subs": [], "scores": [], "max": None})
        group["subs"].append(summary_view(sub, staff=staff))
        score = graded_score(sub, staff=staff)
        if score is not None:
            group["scores"].append(score)
            group["max"] = sub.max_score
    for group in groups.values():
        group["subs"].reverse()
    return page(request, "my_submissions.html", {"user": user, "groups": list(groups.values())})


def _tokens_context(request: Request, runtime: Runtime, user: User, **extra: Any) -> dict[str, Any]:
    current = token_digest(request.cookies.get(COOKIE, ""))
    now = utcnow()
    with runtime.db.read() as session:
        rows = accounts.list_tokens(session, user)
        active = [t for t in rows if t.revoked_at is None and t.expires_at > now]
        ended = [t for t in reversed(rows) if t not in active][:10]
        for token in rows:
            session.expunge(token)
    return {
        "user": user,
        "tokens": sorted(active, key=lambda t: (not t.browser, t.id)),
        "ended": ended,
        "current_hash": current,
        "created": None,
        "rules": links.PASSWORD_RULES,
        **extra,
    }


@router.get("/me/tokens", response_class=HTMLResponse)
def tokens_page(request: Request, user: PageUser, runtime: RuntimeDep) -> Response:
    return page(request, "tokens.html", _tokens_context(request, runtime, user))


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
    return page(request, "tokens.html", _tokens_context(request, runtime, user, created=plain))


@router.post("/me/tokens/{token_id}/revoke", dependencies=[CsrfChecked])
def revoke_token(token_id: Id, request: Request, user: PageUser, runtime: RuntimeDep) -> Response:
    """Revoke a token or a browser session; revoking the session in use logs out."""
    with runtime.db.session() as session:
        token = accounts.revoke_token(session, user, token_id)
        current = token.token_hash == token_digest(request.cookies.get(COOKIE, ""))
    if current:
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(COOKIE, path="/")
        return response
    return RedirectResponse("/me/tokens", status_code=303)


@router.post("/me/password", response_class=HTMLResponse, dependencies=[CsrfChecked])
async def change_password(
    request: Request,
    user: PageUser,
    runtime: RuntimeDep,
    current: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    confirm: Annotated[str, Form()] = "",
) -> Response:
    """Change your password (the current one is checked under the login throttle); other browser sessions end."""
    keep = token_digest(request.cookies.get(COOKIE, ""))

    def check() -> int:
        links.check_new_password(password, confirm)
        if user.password_hash is None:
            raise Invalid("your account has no password yet: ask your instructor for a set-password link")
        if len(current) > links.MAX_PASSWORD:  # no password is that long: do not spend a hash on it
            raise Unauthorized("wrong username or password")
        accounts.check_password(runtime.db, user.username, current)
        new_hash = links.hash_new_password(password, confirm)
        with runtime.db.session() as session:
            row = session.get_one(User, user.id)
            row.password_hash = new_hash
            return links.end_browser_sessions(session, row, keep_hash=keep)

    try:
        ended = await login_guard(request).attempt(user.username, client_address(request), check)
    except ServiceError as exc:
        detail = "the current password is wrong" if exc.status == 401 else exc.detail
        context = _tokens_context(request, runtime, user, error=detail[:1].upper() + detail[1:] + ".")
        response = page(request, "tokens.html", context, status_code=422 if exc.status == 401 else exc.status)
        response.headers.update({k: v for k, v in exc.headers.items() if k == "Retry-After"})
        return response
    notice = "Your password was changed." + (
        f" Your {ended} other browser session{'s' if ended != 1 else ''} ended." if ended else ""
    )
    return page(request, "tokens.html", _tokens_context(request, runtime, user, notice=notice))


LINK_CSRF = "gradelab_link"


def _link_csrf(runtime: Runtime, token: str, nonce: str) -> str:
    """The set-password form's CSRF token: bound to the link and to a SameSite=Strict cookie of this browser, so
    another site cannot post someone's own link from a victim's browser and log the victim into that account."""
    message = b"set-password:" + token_digest(token).encode() + b":" + nonce.encode()
    return hmac.new(runtime.settings.secret_key.encode(), message, hashlib.sha256).hexdigest()[:40]


_PRIVATE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


def _link_unusable(request: Request, exc: links.LinkUnusable) -> Response:
    response = page(
        request,
        "link_unusable.html",
        {"user": None, "reason": exc.reason, "detail": exc.detail, "when": exc.when},
        status_code=exc.status,
    )
    response.headers.update(_PRIVATE)
    return response


def _set_password_form(
    request: Request, runtime: Runtime, token: str, status: int = 200, error: str | None = None
) -> Response:
    nonce = secrets.token_urlsafe(24)
    try:
        if len(token) > 200:
            raise links.LinkUnusable("unknown", "this link is not valid: it may have been copied only in part")
        with runtime.db.read() as session:
            link = links.find_link(session, token)
            context = {
                "user": None,
                "username": link.user.username,
                "kind": link.kind.value,
                "expires_at": link.expires_at,
                "token": token,
                "link_csrf": _link_csrf(runtime, token, nonce),
                "rules": links.PASSWORD_RULES,
                "min_length": accounts.MIN_PASSWORD,
                "error": error,
            }
    except links.LinkUnusable as exc:
        return _link_unusable(request, exc)
    response = page(request, "set_password.html", context, status_code=status)
    response.headers.update(_PRIVATE)
    response.set_cookie(
        LINK_CSRF, nonce, httponly=True, samesite="strict", secure=_secure(request), max_age=3600, path="/set-password/"
    )
    return response


@router.get("/set-password/{token}", response_class=HTMLResponse)
def set_password_page(token: str, request: Request, runtime: RuntimeDep) -> Response:
    """The page a one-time link opens: choose a password (opening it does not use the link up)."""
    return _set_password_form(request, runtime, token)


@router.post("/set-password/{token}", response_class=HTMLResponse)
def set_password(
    token: str,
    request: Request,
    runtime: RuntimeDep,
    password: Annotated[str, Form()] = "",
    confirm: Annotated[str, Form()] = "",
    csrf: Annotated[str, Form()] = "",
) -> Response:
    """Set the password, spend the link and log in."""
    if len(token) > 200:
        return _set_password_form(request, runtime, token)
    nonce = request.cookies.get(LINK_CSRF, "")
    if not nonce or not hmac.compare_digest(csrf.encode(), _link_csrf(runtime, token, nonce).encode()):
        return _set_password_form(
            request, runtime, token, 403, "The form expired or did not come from this page: try again."
        )
    try:
        with runtime.db.read() as session:
            links.find_link(session, token)
        new_hash = links.hash_new_password(password, confirm)
    except links.LinkUnusable as exc:
        return _link_unusable(request, exc)
    except ServiceError as exc:
        return _set_password_form(request, runtime, token, exc.status, exc.detail[:1].upper() + exc.detail[1:] + ".")
    try:
        with runtime.db.session() as session:
            user = links.use_link(session, token, new_hash)
            plain = start_session(session, user, request.headers.get("user-agent"))
    except links.LinkUnusable as exc:
        return _link_unusable(request, exc)
    response = RedirectResponse("/?password=set", status_code=303)
    set_session_cookie(response, request, plain)
    response.delete_cookie(LINK_CSRF, path="/set-password/")
    response.headers.update(_PRIVATE)
    return response
