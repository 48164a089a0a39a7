"""One-time links to set (or reset) a password, made by instructors for their students or on the command line.

A link is random, kept only as a SHA-256 digest, valid for `password_link_hours`, used once, and
replaced by the next link made for the same person. Each row is also the record of who made it
for whom and when (rows are never deleted).
"""

from __future__ import annotations

import datetime as dt
import enum
import secrets
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.accounts.service import MIN_PASSWORD
from app.db import utcnow
from app.db.models import ApiToken, Course, Enrollment, LinkKind, PasswordLink, Role, User
from app.errors import Forbidden, Invalid, NotFound, ServiceError
from app.security import hash_password, token_digest

MAX_PASSWORD = 1024
LINK_PATH = "/set-password/"
PASSWORD_RULES = f"at least {MIN_PASSWORD} characters (at most {MAX_PASSWORD}); spaces and any characters are allowed"


class LinkState(enum.StrEnum):
    ACTIVE = "active"
    USED = "used"
    REPLACED = "replaced"
    EXPIRED = "expired"


class LinkUnusable(ServiceError):
    """A link that cannot set a password; `reason` says why (unknown, used, replaced, expired)."""

    status = 410

    def __init__(self, reason: str, detail: str, when: dt.datetime | None = None) -> None:
        super().__init__(detail)
        self.reason = reason
        self.when = when
        if reason == "unknown":
            self.status = 404


@dataclass(frozen=True)
class NewLink:
    username: str
    email: str | None
    kind: LinkKind
    token: str  # the plain token: shown once, never stored
    expires_at: dt.datetime
    link_id: int

    def url(self, base: str) -> str:
        return base.rstrip("/") + LINK_PATH + self.token


def link_state(link: PasswordLink, now: dt.datetime | None = None) -> LinkState:
    if link.used_at is not None:
        return LinkState.USED
    if link.replaced_at is not None:
        return LinkState.REPLACED
    if link.expires_at <= (now or utcnow()):
        return LinkState.EXPIRED
    return LinkState.ACTIVE


def check_new_password(password: str, confirm: str | None = None) -> None:
    if len(password) < MIN_PASSWORD:
        raise Invalid(f"the password is too short: use {PASSWORD_RULES}")
    if len(password) > MAX_PASSWORD:
        raise Invalid(f"the password is too long: use {PASSWORD_RULES}")
    if confirm is not None and confirm != password:
        raise Invalid("the two passwords differ: type the same password in both fields")


def make_link(session: Session, user: User, *, by: User | None, course: Course | None, hours: float) -> NewLink:
    """A new link for `user`; every earlier link of theirs that is still open stops working."""
    now = utcnow()
    session.execute(
        update(PasswordLink)
        .where(PasswordLink.user_id == user.id, PasswordLink.used_at.is_(None), PasswordLink.replaced_at.is_(None))
        .values(replaced_at=now)
    )
    plain = secrets.token_urlsafe(32)
    kind = LinkKind.RESET if user.password_hash else LinkKind.SET
    row = PasswordLink(
        user_id=user.id,
        kind=kind,
        token_hash=token_digest(plain),
        created_by_id=by.id if by else None,
        course_id=course.id if course else None,
        created_at=now,
        expires_at=now + dt.timedelta(hours=hours),
    )
    session.add(row)
    session.flush()
    return NewLink(user.username, user.email, kind, plain, row.expires_at, row.id)


def _is_staff(session: Session, user: User) -> bool:
    if user.is_admin:
        return True
    found = session.scalar(
        select(Enrollment.id).where(Enrollment.user_id == user.id, Enrollment.role == Role.INSTRUCTOR).limit(1)
    )
    return found is not None


def _is_new_account(session: Session, user: User, course: Course) -> bool:
    """No password, no course joined elsewhere, no live token: nobody has used this account yet."""
    if user.password_hash is not None:
        return False
    joined = session.scalar(
        select(Enrollment.id)
        .where(Enrollment.user_id == user.id, Enrollment.course_id != course.id, Enrollment.invited.is_(False))
        .limit(1)
    )
    token = session.scalar(
        select(ApiToken.id)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None), ApiToken.expires_at > utcnow())
        .limit(1)
    )
    return joined is None and token is None


def linkable_student(session: Session, actor: User, course: Course, username: str) -> User:
    """The student of `course` an instructor may make a link for; otherwise the reason why not.

    Unknown usernames and people outside the course get the same answer, so the endpoint tells
    nothing about accounts beyond the course."""
    row = session.scalar(
        select(Enrollment)
        .join(User, Enrollment.user_id == User.id)
        .where(Enrollment.course_id == course.id, User.username == username, Enrollment.role == Role.STUDENT)
    )
    if row is None:
        raise NotFound(f"no student {username[:80]!r} in {course.slug}: links are made for the course's students only")
    target = row.user
    if target.id == actor.id:
        raise Forbidden("not for yourself: change your own password on your account page (/me/tokens)")
    if _is_staff(session, target):
        raise Forbidden(
            f"{target.username} is an instructor or administrator: their links are made on the command line "
            "(python -m app password-link)"
        )
    if row.invited and not _is_new_account(session, target, course):
        raise Forbidden(
            f"{target.username} has not accepted the invitation to {course.slug} yet and the account was in use "
            "before it: they sign in as they already do and accept the invitation; after that you can make a "
            "reset link for them"
        )
    return target


@dataclass
class BulkLinks:
    links: list[NewLink]
    skipped: list[tuple[str, str]]  # username, why no link was made


def links_for_all_without_password(session: Session, actor: User, course: Course, *, hours: float) -> BulkLinks:
    """A set-password link for every student of the course who has no password and may get one."""
    result = BulkLinks([], [])
    rows = session.scalars(
        select(Enrollment)
        .join(User, Enrollment.user_id == User.id)
        .where(Enrollment.course_id == course.id, Enrollment.role == Role.STUDENT, User.password_hash.is_(None))
        .order_by(User.username)
    )
    for row in list(rows):
        try:
            target = linkable_student(session, actor, course, row.user.username)
        except ServiceError as exc:
            result.skipped.append((row.user.username, exc.detail))
            continue
        result.links.append(make_link(session, target, by=actor, course=course, hours=hours))
    return result


def find_link(session: Session, plain: str) -> PasswordLink:
    """The link behind a plain token if it can still be used; otherwise why not, in words for its person."""
    link = session.scalar(select(PasswordLink).where(PasswordLink.token_hash == token_digest(plain)))
    if link is None:
        raise LinkUnusable("unknown", "this link is not valid: it may have been copied only in part")
    state = link_state(link)
    if state is LinkState.USED:
        raise LinkUnusable("used", "this link was already used to set a password", link.used_at)
    if state is LinkState.REPLACED:
        raise LinkUnusable("replaced", "a newer link was made for you, which replaced this one", link.replaced_at)
    if state is LinkState.EXPIRED:
        raise LinkUnusable("expired", "this link has expired", link.expires_at)
    return link


def use_link(session: Session, plain: str, password_hash: str) -> User:
    """Set the password of the link's person and spend the link (once, even when two requests race).

    A reset also ends the person's browser sessions (whoever had the old password is signed out)."""
    link = find_link(session, plain)
    now = utcnow()
    spent = session.execute(
        update(PasswordLink)
        .where(
            PasswordLink.id == link.id,
            PasswordLink.used_at.is_(None),
            PasswordLink.replaced_at.is_(None),
            PasswordLink.expires_at > now,
        )
        .values(used_at=now)
    )
    if getattr(spent, "rowcount", 0) != 1:
        raise LinkUnusable("used", "this link was already used to set a password", now)
    user = session.get_one(User, link.user_id)
    user.password_hash = password_hash
    end_browser_sessions(session, user)
    session.flush()
    return user


def end_browser_sessions(session: Session, user: User, *, keep_hash: str | None = None) -> int:
    """Revoke the user's browser sessions, except the one whose token digest is `keep_hash`."""
    query = update(ApiToken).where(
        ApiToken.user_id == user.id, ApiToken.browser.is_(True), ApiToken.revoked_at.is_(None)
    )
    if keep_hash is not None:
        query = query.where(ApiToken.token_hash != keep_hash)
    result = session.execute(query.values(revoked_at=utcnow()))
    return int(getattr(result, "rowcount", 0) or 0)


def hash_new_password(password: str, confirm: str | None = None) -> str:
    check_new_password(password, confirm)
    return hash_password(password)


def course_links(session: Session, course: Course) -> list[PasswordLink]:
    """The record of the links made for the course's students, newest first."""
    return list(
        session.scalars(
            select(PasswordLink).where(PasswordLink.course_id == course.id).order_by(PasswordLink.id.desc())
        )
    )
