"""Browser sessions and CSRF protection.

A browser session is an API token kept in an HttpOnly cookie (so logging out revokes it like
any token). Every form carries a CSRF token derived from the session with the app's secret;
POSTs without the right one are refused.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
from typing import Annotated

from fastapi import Depends, Request

from app.accounts.service import authenticate
from app.api.deps import RuntimeDep
from app.db.models import User
from app.errors import Forbidden, ServiceError

COOKIE = "gradelab_session"
SESSION_DAYS = 7
SESSION_NAME = "browser session"

_BROWSERS = (  # the first that matches names the browser (Edge and Opera also say Chrome, Chrome also says Safari)
    ("Edg/", "Edge"),
    ("OPR/", "Opera"),
    ("Firefox/", "Firefox"),
    ("HeadlessChrome/", "headless Chrome"),
    ("Chromium/", "Chromium"),
    ("Chrome/", "Chrome"),
    ("CriOS/", "Chrome"),
    ("Safari/", "Safari"),
    ("curl/", "curl"),
)
_SYSTEMS = (
    ("Android", "Android"),
    ("iPhone", "iOS"),
    ("iPad", "iPadOS"),
    ("Windows", "Windows"),
    ("Mac OS X", "macOS"),
    ("CrOS", "ChromeOS"),
    ("Linux", "Linux"),
)


def session_name(user_agent: str | None, now: dt.datetime) -> str:
    """What the tokens page calls a login: "browser session (Firefox on Linux, signed in 2026-12-02 10:14 UTC)"."""
    agent = user_agent or ""
    browser = next((name for mark, name in _BROWSERS if mark in agent), "unknown browser")
    system = next((name for mark, name in _SYSTEMS if mark in agent), "")
    what = f"{browser} on {system}" if system else browser
    what = re.sub(r"[^\w .-]", "", what)[:40]
    return f"{SESSION_NAME} ({what}, signed in {now.astimezone(dt.UTC):%Y-%m-%d %H:%M} UTC)"


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
