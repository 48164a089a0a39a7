"""One-time set-password links (instructors for their students), setting a password with one, changing your own."""

from __future__ import annotations

from fastapi import APIRouter, Request, status

from app.accounts import links
from app.accounts.mail import link_base, mail_links
from app.accounts.service import check_password
from app.api.deps import CurrentUser, ReadSession, RuntimeDep
from app.api.limits import client_address, login_guard
from app.api.schemas import (
    ErrorRead,
    PasswordChange,
    PasswordLinkRead,
    PasswordLinkRecord,
    PasswordLinksRead,
    SetPassword,
    SkippedRead,
)
from app.courses import service as courses
from app.db.models import User
from app.errors import Forbidden, Invalid, Unauthorized
from app.runtime import Runtime

router = APIRouter(tags=["accounts"])


def _answer(runtime: Runtime, made: list[links.NewLink], base: str) -> tuple[list[PasswordLinkRead], str | None]:
    mailed, problem = mail_links(runtime.db, runtime.settings, made, base)
    rows = [
        PasswordLinkRead(username=m.username, kind=m.kind.value, link=m.url(base), expires_at=m.expires_at, mailed=sent)
        for m, sent in zip(made, mailed, strict=True)
    ]
    return rows, problem


@router.post(
    "/courses/{course}/students/{username}/password-link",
    status_code=status.HTTP_201_CREATED,
    response_model=PasswordLinksRead,
)
def create_link(
    course: str, username: str, request: Request, user: CurrentUser, runtime: RuntimeDep
) -> PasswordLinksRead:
    """A one-time link for a student of your course to set their password ('set'), or replace it ('reset').

    The link is in this answer only; it works once, until `expires_at`, and a newer link for the same
    student replaces it. Not for staff, nor for yourself, nor for an invited person whose account was in
    use before the invitation. A username outside the course is a 404 whether or not it exists."""
    base = link_base(runtime.settings, str(request.base_url))
    with runtime.db.session() as session:
        access = courses.instructor_access(session, course, user)
        target = links.linkable_student(session, user, access.course, username)
        made = [
            links.make_link(session, target, by=user, course=access.course, hours=runtime.settings.password_link_hours)
        ]
    rows, problem = _answer(runtime, made, base)
    return PasswordLinksRead(links=rows, mail_error=problem)


@router.post("/courses/{course}/password-links", status_code=status.HTTP_201_CREATED, response_model=PasswordLinksRead)
def create_links_for_all(course: str, request: Request, user: CurrentUser, runtime: RuntimeDep) -> PasswordLinksRead:
    """Set-password links for every student of the course without a password (shown in this answer only)."""
    base = link_base(runtime.settings, str(request.base_url))
    with runtime.db.session() as session:
        access = courses.instructor_access(session, course, user)
        bulk = links.links_for_all_without_password(
            session, user, access.course, hours=runtime.settings.password_link_hours
        )
    rows, problem = _answer(runtime, bulk.links, base)
    skipped = [SkippedRead(username=name, reason=why) for name, why in bulk.skipped]
    return PasswordLinksRead(links=rows, skipped=skipped, mail_error=problem)


@router.get("/courses/{course}/password-links", response_model=list[PasswordLinkRecord])
def link_record(course: str, user: CurrentUser, session: ReadSession) -> list[PasswordLinkRecord]:
    """The record of links made for the course's students, newest first (never the links themselves)."""
    access = courses.instructor_access(session, course, user)
    return [
        PasswordLinkRecord(
            username=r.user.username,
            kind=r.kind.value,
            created_by=r.created_by.username if r.created_by else None,
            created_at=r.created_at,
            expires_at=r.expires_at,
            state=links.link_state(r).value,
            mailed=r.mailed,
        )
        for r in links.course_links(session, access.course)
    ]


@router.post(
    "/auth/set-password",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={410: {"model": ErrorRead, "description": "the link was used, replaced by a newer one, or expired"}},
)
def set_password(body: SetPassword, runtime: RuntimeDep) -> None:
    """Set a password with a one-time link's token (no API token needed). An unknown link is a 404; a used,
    replaced or expired one a 410 that says which."""
    with runtime.db.read() as session:
        links.find_link(session, body.token)
    new_hash = links.hash_new_password(body.password)
    with runtime.db.session() as session:
        links.use_link(session, body.token, new_hash)


@router.put("/me/password", status_code=status.HTTP_204_NO_CONTENT)
async def change_password(body: PasswordChange, request: Request, user: CurrentUser, runtime: RuntimeDep) -> None:
    """Change your password; the current one is checked under the login throttle. Your browser sessions end
    (API tokens keep working)."""

    def check() -> None:
        links.check_new_password(body.new_password)
        if user.password_hash is None:
            raise Invalid("your account has no password yet: ask your instructor for a set-password link")
        check_password(runtime.db, user.username, body.current_password)
        new_hash = links.hash_new_password(body.new_password)
        with runtime.db.session() as session:
            row = session.get_one(User, user.id)
            row.password_hash = new_hash
            links.end_browser_sessions(session, row)

    try:
        await login_guard(request).attempt(user.username, client_address(request), check)
    except Unauthorized:
        raise Forbidden("the current password is wrong") from None
