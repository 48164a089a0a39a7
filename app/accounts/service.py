"""Users, passwords and API tokens."""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.db import Database, utcnow
from app.db.models import ApiToken, User
from app.errors import Conflict, Invalid, NotFound, Unauthorized
from app.security import hash_password, new_token, token_digest, verify_password

USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$")
MIN_PASSWORD = 8


def check_username(username: str) -> str:
    if not USERNAME.fullmatch(username):
        raise Invalid(
            f"username {username[:80]!r} is not allowed: use 1-64 letters, digits, '_', '.', '@' or '-', "
            "starting with a letter or digit"
        )
    return username


def create_user(
    session: Session,
    username: str,
    *,
    password: str | None = None,
    full_name: str = "",
    email: str | None = None,
    is_admin: bool = False,
) -> User:
    check_username(username)
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise Conflict(f"user {username!r} already exists")
    user = User(username=username, full_name=full_name, email=email, is_admin=is_admin)
    if password is not None:
        set_password(user, password)
    session.add(user)
    session.flush()
    return user


def set_password(user: User, password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise Invalid(f"the password is too short: use at least {MIN_PASSWORD} characters")
    user.password_hash = hash_password(password)


def get_user(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFound(f"no user {username!r}")
    return user


def authenticate_password(session: Session, username: str, password: str) -> User:
    """The user with this username and password; one message for both kinds of mistake."""
    user = session.scalar(select(User).where(User.username == username))
    if not verify_password(user.password_hash if user else None, password) or user is None:
        raise Unauthorized("wrong username or password")
    return user


def check_password(db: Database, username: str, password: str) -> User:
    """`authenticate_password` in a read-only transaction: the slow hash holds no write lock. The user comes back
    detached."""
    with db.read() as session:
        user = authenticate_password(session, username, password)
        session.expunge(user)
    return user


def issue_token(
    session: Session, user: User, *, name: str = "api", days: int = 90, browser: bool = False
) -> tuple[ApiToken, str]:
    """A new token for `user`; the plain token is returned once and never stored (`browser`: a dashboard login's)."""
    if not 1 <= days <= 3650:
        raise Invalid(f"a token may live 1 to 3650 days, not {days}")
    plain = new_token()
    token = ApiToken(
        user_id=user.id,
        name=name[:100] or "api",
        token_hash=token_digest(plain),
        prefix=plain[:10],
        expires_at=utcnow() + dt.timedelta(days=days),
        browser=browser,
    )
    session.add(token)
    session.flush()
    return token, plain


TOKEN_TOUCH = dt.timedelta(minutes=5)  # last use is recorded this coarsely, so reads stay reads


def _valid_token(session: Session, plain: str, now: dt.datetime) -> ApiToken:
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == token_digest(plain)))
    if token is None:
        raise Unauthorized("unknown API token: check it was copied whole, or create a new one")
    if token.revoked_at is not None:
        raise Unauthorized(f"this API token ({token.prefix}…) was revoked: create a new one")
    if token.expires_at <= now:
        raise Unauthorized(
            f"this API token ({token.prefix}…) expired on {token.expires_at:%Y-%m-%d %H:%M} UTC: create a new one"
        )
    return token


def authenticate(db: Database, plain: str) -> User:
    """The owner of a valid token; expired, revoked and unknown tokens are refused with the reason.

    Checked in a read-only transaction (no write lock for a request that only reads); the coarse
    record of last use is a short write of its own. The user comes back detached."""
    now = utcnow()
    with db.read() as session:
        token = _valid_token(session, plain, now)
        user, token_id = token.user, token.id
        stale = token.last_used_at is None or now - token.last_used_at > TOKEN_TOUCH
        session.expunge(user)
    if stale:
        with db.session() as session:
            session.execute(update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=now))
    return user


def list_tokens(session: Session, user: User) -> list[ApiToken]:
    return list(session.scalars(select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id)))


def revoke_token(session: Session, user: User, token_id: int) -> ApiToken:
    token = session.get(ApiToken, token_id)
    if token is None or token.user_id != user.id:
        raise NotFound(f"no API token {token_id} of yours")
    if token.revoked_at is None:
        token.revoked_at = utcnow()
    return token
