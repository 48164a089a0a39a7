"""Dependencies of the routes: the runtime, the request's database session and the authenticated user."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from app.accounts.service import authenticate
from app.db.models import User
from app.errors import Unauthorized
from app.runtime import Runtime

_bearer = HTTPBearer(auto_error=False, description="An API token: `Authorization: Bearer glt_…`")


def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


def read_session(runtime: RuntimeDep) -> Iterator[Session]:
    """The request's read-only session (no writer lock on SQLite); it ends with the route, before the response."""
    with runtime.db.read() as session:
        yield session


def write_session(runtime: RuntimeDep) -> Iterator[Session]:
    """The request's write transaction: it commits when the route returns (before the response is sent) and
    rolls back when it raises; jobs queued with `notify_after_commit` are sent after the commit."""
    with runtime.db.session() as session:
        yield session


ReadSession = Annotated[Session, Depends(read_session, scope="function")]
"""What a route that only reads asks for: every GET."""
WriteSession = Annotated[Session, Depends(write_session, scope="function")]
"""What a route that writes asks for."""


def current_user(
    runtime: RuntimeDep, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> User:
    """The owner of the bearer token; every failure is a 401 that says why."""
    if credentials is None:
        raise Unauthorized("this needs an API token: send 'Authorization: Bearer <token>'")
    if credentials.scheme.lower() != "bearer":
        raise Unauthorized("use the Bearer scheme: 'Authorization: Bearer <token>'")
    return authenticate(runtime.db, credentials.credentials)


CurrentUser = Annotated[User, Depends(current_user)]
