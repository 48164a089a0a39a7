"""Browser sessions and CSRF protection.

A browser session is an API token kept in an HttpOnly cookie (so logging out revokes it like
any token). Every form carries a CSRF token derived from the session with the app's secret;
POSTs without the right one are refused.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Annotated

from fastapi import Depends, Request

from app.accounts.service import authenticate
from app.api.deps import RuntimeDep
from app.db.models import User
from app.errors import Forbidden, ServiceError

COOKIE = "gradelab_session"
SESSION_DAYS = 7


class LoginRequired(ServiceError):
    """The page needs a logged-in user; the handler redirects to the login page."""

    status = 303


def csrf_token(secret: str, session_token: str) -> str:
    return hmac.new(secret.encode(), b"csrf:" + session_token.encode(), hashlib.sha256).hexdigest()[:40]


def session_token(request: Request) -> str | None:
    return request.cookies.get(COOKIE)


def page_user(request: Request, runtime: RuntimeDep) -> User:
    """The logged-in user of a page; otherwise a redirect to the login page."""
    token = session_token(request)
    if not token:
        raise LoginRequired("log in first")
    try:
        user = authenticate(runtime.db, token)
    except ServiceError:
        raise LoginRequired("your session ended: log in again") from None
    request.state.csrf = csrf_token(runtime.settings.secret_key, token)
    request.state.user = user
    return user


def known_user(request: Request) -> User | None:
    """The logged-in user of an error page, if the request has a live session (else None, and no redirect)."""
    if getattr(request.state, "user", None) is not None:
        return request.state.user  # type: ignore[no-any-return]
    try:
        return page_user(request, request.app.state.runtime)
    except ServiceError:
        return None


PageUser = Annotated[User, Depends(page_user)]


async def check_csrf(request: Request, runtime: RuntimeDep) -> None:
    """Refuse a state-changing request whose CSRF token does not belong to this session."""
    token = session_token(request)
    sent = request.headers.get("x-csrf-token")
    if sent is None:
        form = await request.form()
        value = form.get("csrf")
        sent = value if isinstance(value, str) else None
    if not token or not sent or not hmac.compare_digest(sent, csrf_token(runtime.settings.secret_key, token)):
        raise Forbidden("the form expired or did not come from this site: reload the page and try again")


CsrfChecked = Depends(check_csrf)
