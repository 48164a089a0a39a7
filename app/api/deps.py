"""Dependencies of the routes: the runtime and the authenticated user."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from app.accounts.service import authenticate
from app.db.models import User
from app.errors import Unauthorized
from app.runtime import Runtime

_bearer = HTTPBearer(auto_error=False, description="An API token: `Authorization: Bearer glt_…`")


def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


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
