"""Tokens and the current user."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, status

from app.accounts import service as accounts
from app.accounts.throttle import LoginGuard
from app.api.deps import CurrentUser, ReadSession, RuntimeDep, WriteSession
from app.api.limits import client_address, login_guard
from app.api.params import Id, Limit, Offset
from app.api.schemas import CourseRead, MeRead, NewTokenCreate, NewTokenRead, SubmissionSummary, TokenCreate, TokenRead
from app.courses.service import answer_invitation, courses_of, invitations_of
from app.submissions.service import my_submissions

router = APIRouter(tags=["auth"])


@router.post("/auth/token", status_code=status.HTTP_201_CREATED, response_model=NewTokenRead)
async def login(
    body: TokenCreate, request: Request, runtime: RuntimeDep, guard: Annotated[LoginGuard, Depends(login_guard)]
) -> NewTokenRead:
    """Exchange a username and password for a new API token (shown once); failed logins are throttled."""

    def check() -> NewTokenRead:
        user = accounts.check_password(runtime.db, body.username, body.password)
        with runtime.db.session() as session:
            token, plain = accounts.issue_token(session, user, name=body.name, days=body.days)
            return NewTokenRead(token=plain, **TokenRead.model_validate(token, from_attributes=True).model_dump())

    return await guard.attempt(body.username, client_address(request), check)


@router.get("/me", response_model=MeRead)
def me(user: CurrentUser, session: ReadSession) -> MeRead:
    courses = [CourseRead(slug=c.slug, title=c.title, role=r) for c, r in courses_of(session, user)]
    return MeRead(username=user.username, full_name=user.full_name, is_admin=user.is_admin, courses=courses)


@router.get("/me/tokens", response_model=list[TokenRead])
def my_tokens(user: CurrentUser, session: ReadSession) -> list[TokenRead]:
    return [TokenRead.model_validate(t, from_attributes=True) for t in accounts.list_tokens(session, user)]


@router.post("/me/tokens", status_code=status.HTTP_201_CREATED, response_model=NewTokenRead)
def create_token(body: NewTokenCreate, user: CurrentUser, session: WriteSession) -> NewTokenRead:
    """A new API token for yourself (shown once)."""
    token, plain = accounts.issue_token(session, user, name=body.name, days=body.days)
    return NewTokenRead(token=plain, **TokenRead.model_validate(token, from_attributes=True).model_dump())


@router.delete("/me/tokens/{token_id}", response_model=TokenRead)
def revoke_token(token_id: Id, user: CurrentUser, session: WriteSession) -> TokenRead:
    return TokenRead.model_validate(accounts.revoke_token(session, user, token_id), from_attributes=True)


@router.get("/me/submissions", response_model=list[SubmissionSummary])
def my_submission_list(
    user: CurrentUser, session: ReadSession, limit: Limit = 100, offset: Offset = 0
) -> list[SubmissionSummary]:
    """Your own submissions in every course, newest first."""
    rows = my_submissions(session, user, limit=limit, offset=offset)
    return [SubmissionSummary.model_validate(view, from_attributes=True) for view in rows]


@router.get("/me/invitations", response_model=list[CourseRead])
def my_invitations(user: CurrentUser, session: ReadSession) -> list[CourseRead]:
    """Courses whose roster invited you; you join one by accepting it."""
    return [CourseRead(slug=c.slug, title=c.title, role=r) for c, r in invitations_of(session, user)]


@router.post("/me/invitations/{course}/accept", response_model=CourseRead)
def accept_invitation(course: str, user: CurrentUser, session: WriteSession) -> CourseRead:
    """Join a course that invited you."""
    joined, role = answer_invitation(session, user, course, accept=True)
    return CourseRead(slug=joined.slug, title=joined.title, role=role)


@router.post("/me/invitations/{course}/decline", status_code=status.HTTP_204_NO_CONTENT)
def decline_invitation(course: str, user: CurrentUser, session: WriteSession) -> None:
    """Refuse a course's invitation: it is removed, and the course sees nothing of your account."""
    answer_invitation(session, user, course, accept=False)
