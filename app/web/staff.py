"""Instructor pages: class overview, submissions table, uploads, problem settings, regrades, roster, exports."""

from __future__ import annotations

import base64
import csv
import datetime as dt
import io
from dataclasses import replace
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.accounts import links
from app.accounts.mail import link_base, mail_configured, mail_links
from app.api.deps import ReadSession, RuntimeDep
from app.api.params import Id
from app.courses import deadlines, extensions
from app.courses import service as courses
from app.courses.overview import course_overview
from app.db.models import Counting, LatePolicy, ProblemVersion, SubmissionState
from app.errors import Invalid, ServiceError
from app.exports.service import GradebookFormat, Pick, gradebook_download
from app.http.downloads import download_response
from app.http.uploads import read_roster
from app.jobs.pool import notify_after_commit
from app.jobs.standing import course_queue
from app.problems import service as problems
from app.problems.release import release_results, results_released
from app.regrade_requests import service as regrade_requests
from app.regrades import service as regrades
from app.submissions import intake, table
from app.submissions.service import requeue
from app.web.render import page
from app.web.session import CsrfChecked, PageUser

router = APIRouter(include_in_schema=False)


@router.get("/c/{course}/overview", response_class=HTMLResponse)
def overview(course: str, request: Request, user: PageUser, session: ReadSession) -> Response:
    access = courses.staff_access(session, course, user)
    stats = course_overview(session, access.course)
    roster = courses.roster(session, access.course)
    enrolled = sum(1 for e in roster if e.role.value == "student" and not e.invited)
    context = {
        "user": user,
        "course": access.course,
        "stats": stats,
        "enrolled": enrolled,
        "queue": course_queue(session, access.course.id),
        "open_requests": regrade_requests.open_count(session, access.course),
    }
    return page(request, "overview.html", context)


@router.get("/c/{course}/submissions", response_class=HTMLResponse)
def submissions(course: str, request: Request, user: PageUser, session: ReadSession) -> Response:
    """Every submission of the course: filtered, sorted and paged by the database (`?sort=score&dir=desc`)."""
    access = courses.staff_access(session, course, user)
    slugs = [p.slug for p in problems.list_problems(session, access)]
    found = table.table_page(session, access.course, table.parse_query(request.query_params, slugs))
    context = {
        "user": user,
        "course": access.course,
        "table": found,
        "q": found.query,
        "slugs": slugs,
        "states": [s.value for s in SubmissionState],
        "sorts": {name: header for name, (header, _) in table.SORTS.items()},
        "default_dir": table.DEFAULT_DIR,
        "page_size": table.PAGE_SIZE,
    }
    return page(request, "staff_submissions.html", context)


@router.get("/c/{course}/submissions.csv")
def submissions_csv(course: str, request: Request, user: PageUser, session: ReadSession) -> Response:
    """The filtered, sorted view as CSV: every matching row, not one page."""
    access = courses.staff_access(session, course, user)
    slugs = [p.slug for p in problems.list_problems(session, access)]
    text = "".join(table.table_csv(session, access.course, table.parse_query(request.query_params, slugs)))
    headers = {"Content-Disposition": f'attachment; filename="{access.course.slug}-submissions.csv"'}
    return Response(text, media_type="text/csv; charset=utf-8", headers=headers)


def _manage_context(runtime: Any, user: Any, course: str, slug: str) -> dict[str, Any]:
    with runtime.db.read() as session:
        access = courses.instructor_access(session, course, user)
        problem = problems.get_problem(session, access, slug)
        versions = problems.versions(session, problem)
        pending = regrades.pending_regrade(session, problem)
        past = regrades.finished_regrades(session, problem)
    return {
        "user": user,
        "course": access.course,
        "problem": problem,
        "versions": versions,
        "pending": pending,
        "past_regrades": past,
        "policies": [p.value for p in LatePolicy],
        "countings": [c.value for c in Counting],
        "released": results_released(problem),
    }


@router.get("/c/{course}/p/{slug}/manage", response_class=HTMLResponse)
def manage(
    course: str, slug: str, request: Request, user: PageUser, runtime: RuntimeDep, uploaded: int | None = None
) -> Response:
    context = _manage_context(runtime, user, course, slug)
    if uploaded:
        version = next((v for v in context["versions"] if v.number == uploaded), None)
        context["notice"] = f"Version {uploaded} was checked and stored" + (
            "." if version is None or not version.check_report else f": {_check_summary(version)}"
        )
    return page(request, "manage.html", context)


def _check_summary(version: ProblemVersion) -> str:
    report = version.check_report or {}
    items = report.get("items", [])
    return f"{sum(1 for i in items if i.get('ok'))} of {len(items)} checks passed" if items else "checks passed"


@router.post("/c/{course}/p/{slug}/settings", response_class=HTMLResponse, dependencies=[CsrfChecked])
def settings(
    course: str,
    slug: str,
    request: Request,
    user: PageUser,
    runtime: RuntimeDep,
    published: Annotated[str, Form()] = "",
    deadline: Annotated[str, Form(max_length=40)] = "",
    late_policy: Annotated[str, Form(max_length=16)] = "accept",
    late_penalty: Annotated[str, Form(max_length=10)] = "0",
    quota_count: Annotated[str, Form(max_length=10)] = "",
    quota_hours: Annotated[str, Form(max_length=10)] = "1",
    reveal: Annotated[str, Form()] = "",
    current_version: Annotated[str, Form(max_length=10)] = "",
    supersede: Annotated[str, Form()] = "",
    late_days_max: Annotated[str, Form(max_length=10)] = "0",
    opens_at: Annotated[str, Form(max_length=40)] = "",
    results_held: Annotated[str, Form()] = "",
    results_release_at: Annotated[str, Form(max_length=40)] = "",
    counting: Annotated[str, Form(max_length=16)] = "best",
) -> Response:
    try:
        changes = _parse_settings(
            published, deadline, late_policy, late_penalty, quota_count, quota_hours, reveal, current_version
        )
        changes = replace(changes, supersede_queued=bool(supersede))
        if not late_days_max.strip().isdigit():
            raise Invalid(f"late days on this problem must be a whole number of days, not {late_days_max[:10]!r}")
        changes = replace(changes, late_days_max=int(late_days_max))
        changes = replace(changes, **_parse_release(opens_at, results_held, results_release_at, counting))
        with runtime.db.session() as session:
            problem = problems.get_problem(session, courses.instructor_access(session, course, user), slug)
            problems.update_problem(session, problem, changes)
    except ServiceError as exc:
        context = {**_manage_context(runtime, user, course, slug), "error": exc.detail, "errors": exc.errors}
        return page(request, "manage.html", context, status_code=exc.status)
    context = {**_manage_context(runtime, user, course, slug), "notice": "Saved."}
    return page(request, "manage.html", context)


def _utc_field(text: str, what: str) -> dt.datetime | None:
    try:
        return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC) if text.strip() else None
    except ValueError:
        raise Invalid(f"the {what} {text[:40]!r} is not a date and time (e.g. 2026-12-01T23:59)") from None


def _parse_release(opens_at: str, results_held: str, results_release_at: str, counting: str) -> dict[str, Any]:
    """The release date, held results and counting rule from the settings form, as `ProblemChanges` fields."""
    if counting not in {c.value for c in Counting}:
        raise Invalid(f"which submission counts must be one of {', '.join(c.value for c in Counting)}")
    opens = _utc_field(opens_at, "release date")
    release_at = _utc_field(results_release_at, "results release time")
    return {
        "opens_at": opens,
        "clear_opens_at": opens is None,
        "results_held": bool(results_held) or release_at is not None,
        "results_release_at": release_at,
        "clear_results_release_at": release_at is None,
        "counting": Counting(counting),
    }


@router.post("/c/{course}/p/{slug}/release", response_class=HTMLResponse, dependencies=[CsrfChecked])
def release(course: str, slug: str, request: Request, user: PageUser, runtime: RuntimeDep) -> Response:
    """Release the problem's held results to its students now."""
    with runtime.db.session() as session:
        problem = problems.get_problem(session, courses.instructor_access(session, course, user), slug)
        release_results(problem)
    context = {**_manage_context(runtime, user, course, slug), "notice": "Results released: students see them now."}
    return page(request, "manage.html", context)


def _parse_settings(
    published: str,
    deadline: str,
    late_policy: str,
    late_penalty: str,
    quota_count: str,
    quota_hours: str,
    reveal: str,
    current_version: str,
) -> problems.ProblemChanges:
    try:
        when = dt.datetime.fromisoformat(deadline).replace(tzinfo=dt.UTC) if deadline.strip() else None
    except ValueError:
        raise Invalid(f"the deadline {deadline!r} is not a date and time (e.g. 2026-12-01T23:59)") from None
    try:
        penalty = float(late_penalty or 0) / 100.0
        quota = int(quota_count) if quota_count.strip() else None
        window = int(float(quota_hours or 1) * 3600)
        version = int(current_version) if current_version.strip() else None
    except ValueError:
        raise Invalid("the penalty, quota and version must be numbers") from None
    if late_policy not in {p.value for p in LatePolicy}:
        raise Invalid(f"the late policy must be one of {', '.join(p.value for p in LatePolicy)}")
    return problems.ProblemChanges(
        published=bool(published),
        deadline=when,
        clear_deadline=when is None,
        late_policy=LatePolicy(late_policy),
        late_penalty=penalty,
        quota_count=quota,
        clear_quota=quota is None,
        quota_window_seconds=window,
        reveal_hidden_after_deadline=bool(reveal),
        current_version=version,
    )


@router.post("/c/{course}/p/{slug}/regrade", dependencies=[CsrfChecked])
def start_regrade(
    course: str, slug: str, user: PageUser, runtime: RuntimeDep, version: Annotated[int, Form(ge=1)]
) -> Response:
    rid = intake.start_regrade(runtime, user, course, slug, version)
    return RedirectResponse(f"/c/{course}/p/{slug}/regrades/{rid}", status_code=303)


def _regrade_context(runtime: Any, user: Any, course: str, slug: str, rid: int) -> dict[str, Any]:
    with runtime.db.read() as session:
        access = courses.instructor_access(session, course, user)
        problem = problems.get_problem(session, access, slug)
        view = regrades.regrade_view(session, regrades.get_regrade(session, problem, rid))
    return {"user": user, "course": access.course, "problem": problem, "regrade": view}


@router.get("/c/{course}/p/{slug}/regrades/{rid}", response_class=HTMLResponse)
def regrade_page(course: str, slug: str, rid: Id, request: Request, user: PageUser, runtime: RuntimeDep) -> Response:
    return page(request, "regrade.html", _regrade_context(runtime, user, course, slug, rid))


@router.get("/c/{course}/p/{slug}/regrades/{rid}/table", response_class=HTMLResponse)
def regrade_table(course: str, slug: str, rid: Id, request: Request, user: PageUser, runtime: RuntimeDep) -> Response:
    return page(request, "_regrade_table.html", _regrade_context(runtime, user, course, slug, rid))


@router.post("/c/{course}/p/{slug}/regrades/{rid}/{action}", response_class=HTMLResponse, dependencies=[CsrfChecked])
def regrade_action(
    course: str, slug: str, rid: Id, action: str, request: Request, user: PageUser, runtime: RuntimeDep
) -> Response:
    try:
        with runtime.db.session() as session:
            problem = problems.get_problem(session, courses.instructor_access(session, course, user), slug)
            regrade = regrades.get_regrade(session, problem, rid)
            if action == "apply":
                regrades.apply_regrade(session, regrade, user)
            elif action == "discard":
                regrades.discard_regrade(session, regrade)
            else:
                raise Invalid(f"unknown action {action[:20]!r}: apply or discard")
    except ServiceError as exc:
        context = {**_regrade_context(runtime, user, course, slug, rid), "error": exc.detail}
        return page(request, "regrade.html", context, status_code=exc.status)
    return RedirectResponse(f"/c/{course}/p/{slug}/regrades/{rid}", status_code=303)


@router.get("/c/{course}/roster", response_class=HTMLResponse)
def roster_page(course: str, request: Request, user: PageUser, runtime: RuntimeDep) -> Response:
    return page(request, "roster.html", _roster_context(runtime, user, course))


def _roster_context(runtime: Any, user: Any, course: str) -> dict[str, Any]:
    with runtime.db.read() as session:
        access = courses.instructor_access(session, course, user)
        used = deadlines.late_days_used(session, access.course)
        bank = access.course.late_days
        members = []
        for e in courses.roster(session, access.course):
            student = e.role.value == "student" and e.user.id != user.id
            spent = used.get(e.user.id, 0)
            members.append(
                {
                    "username": e.user.username,
                    "name": "" if e.invited else e.user.full_name,
                    "role": e.role.value + (" (invited)" if e.invited else ""),
                    "student": student,
                    # an invited person's account stays private until they accept: no word on its password
                    "sign_in": "—" if e.invited else ("password set" if e.user.password_hash else "no password yet"),
                    "reset": not e.invited and e.user.password_hash is not None,
                    "late_days": f"{spent} used, {max(0, bank - spent)} left" if e.role.value == "student" else "",
                }
            )
        record = [
            {
                "username": r.user.username,
                "kind": r.kind.value,
                "by": r.created_by.username if r.created_by else "command line",
                "created_at": r.created_at,
                "expires_at": r.expires_at,
                "state": links.link_state(r).value,
                "mailed": r.mailed,
            }
            for r in links.course_links(session, access.course)[:50]
        ]
    return {"user": user, "course": access.course, "members": members, "record": record, "bank": bank}


def _made_context(
    runtime: Any, made: list[links.NewLink], base: str, mailed: list[bool], problem: str | None
) -> dict[str, Any]:
    rows = [
        {"username": m.username, "kind": m.kind.value, "url": m.url(base), "expires_at": m.expires_at, "mailed": sent}
        for m, sent in zip(made, mailed, strict=True)
    ]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["username", "link", "kind", "expires_utc"])
    for row in rows:
        writer.writerow([row["username"], row["url"], row["kind"], f"{row['expires_at']:%Y-%m-%d %H:%M}"])
    data = base64.b64encode(out.getvalue().encode()).decode()
    return {
        "made": rows,
        "made_csv": f"data:text/csv;charset=utf-8;base64,{data}",
        "mail_problem": problem,
        "mail_on": mail_configured(runtime.settings),
    }


def _instructor_only(runtime: Any, user: Any, course: str) -> None:
    with runtime.db.read() as session:
        courses.instructor_access(session, course, user)


@router.post("/c/{course}/roster/{username}/password-link", response_class=HTMLResponse, dependencies=[CsrfChecked])
def roster_link(course: str, username: str, request: Request, user: PageUser, runtime: RuntimeDep) -> Response:
    """A one-time set-password (or reset) link for one student, shown once on the roster page."""
    _instructor_only(runtime, user, course)
    try:
        base = link_base(runtime.settings, str(request.base_url))
        with runtime.db.session() as session:
            access = courses.instructor_access(session, course, user)
            target = links.linkable_student(session, user, access.course, username)
            made = [
                links.make_link(
                    session, target, by=user, course=access.course, hours=runtime.settings.password_link_hours
                )
            ]
    except ServiceError as exc:
        context = {**_roster_context(runtime, user, course), "error": exc.detail}
        return page(request, "roster.html", context, status_code=exc.status)
    mailed, problem = mail_links(runtime.db, runtime.settings, made, base)
    context = {**_roster_context(runtime, user, course), **_made_context(runtime, made, base, mailed, problem)}
    response = page(request, "roster.html", context)
    response.headers["Cache-Control"] = "no-store"
    return response


@router.post("/c/{course}/roster/password-links", response_class=HTMLResponse, dependencies=[CsrfChecked])
def roster_links_for_all(course: str, request: Request, user: PageUser, runtime: RuntimeDep) -> Response:
    """Set-password links for every student without a password, shown once (and as a CSV made now)."""
    _instructor_only(runtime, user, course)
    try:
        base = link_base(runtime.settings, str(request.base_url))
        with runtime.db.session() as session:
            access = courses.instructor_access(session, course, user)
            bulk = links.links_for_all_without_password(
                session, user, access.course, hours=runtime.settings.password_link_hours
            )
    except ServiceError as exc:
        context = {**_roster_context(runtime, user, course), "error": exc.detail}
        return page(request, "roster.html", context, status_code=exc.status)
    mailed, problem = mail_links(runtime.db, runtime.settings, bulk.links, base)
    context = {**_roster_context(runtime, user, course), **_made_context(runtime, bulk.links, base, mailed, problem)}
    context["skipped"] = bulk.skipped
    if not bulk.links:
        context["notice"] = "Every student of the course already has a password: no links were made."
    response = page(request, "roster.html", context)
    response.headers["Cache-Control"] = "no-store"
    return response


@router.post("/c/{course}/roster", response_class=HTMLResponse, dependencies=[CsrfChecked])
def roster_import(
    course: str, request: Request, user: PageUser, runtime: RuntimeDep, roster: Annotated[UploadFile, File()]
) -> Response:
    try:
        data = read_roster(roster)
        with runtime.db.session() as session:
            access = courses.instructor_access(session, course, user)
            result = courses.import_roster(session, access.course, data)
    except ServiceError as exc:
        context = {**_roster_context(runtime, user, course), "error": exc.detail, "errors": exc.errors}
        return page(request, "roster.html", context, status_code=exc.status)
    notice = (
        f"Imported: {len(result.invited)} invited (each joins when they accept the invitation), "
        f"{len(result.updated)} updated."
    )
    return page(request, "roster.html", {**_roster_context(runtime, user, course), "notice": notice})


@router.post("/c/{course}/late-days", response_class=HTMLResponse, dependencies=[CsrfChecked])
def late_days(
    course: str, request: Request, user: PageUser, runtime: RuntimeDep, days: Annotated[str, Form(max_length=10)]
) -> Response:
    """Set each student's bank of late days in the course."""
    try:
        if not days.strip().isdigit():
            raise Invalid(f"late days must be a whole number of days (0 for none), not {days[:10]!r}")
        with runtime.db.session() as session:
            extensions.set_late_days(courses.instructor_access(session, course, user).course, int(days))
    except ServiceError as exc:
        context = {**_roster_context(runtime, user, course), "error": exc.detail}
        return page(request, "roster.html", context, status_code=exc.status)
    notice = f"Each student now has {int(days)} late day{'s' if int(days) != 1 else ''} in this course."
    return page(request, "roster.html", {**_roster_context(runtime, user, course), "notice": notice})


@router.get("/c/{course}/gradebook.csv")
def gradebook(
    course: str,
    user: PageUser,
    session: ReadSession,
    pick: Pick | None = None,
    fmt: Annotated[GradebookFormat, Query(alias="format")] = GradebookFormat.PLAIN,
) -> Response:
    access = courses.staff_access(session, course, user)
    return download_response(gradebook_download(session, access.course, pick, fmt))


@router.post("/s/{submission_id}/requeue", dependencies=[CsrfChecked])
def requeue_submission(submission_id: Id, user: PageUser, runtime: RuntimeDep) -> Response:
    """Queue a superseded submission again (instructors and TAs), then show it."""
    with runtime.db.session() as session:
        submission, _ = requeue(session, user, submission_id)
        notify_after_commit(session, runtime.dispatcher, submission.id)
    return RedirectResponse(f"/s/{submission_id}", status_code=303)
