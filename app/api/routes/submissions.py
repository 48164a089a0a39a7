"""One submission: its result, a live status stream, and its Gradescope export."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import asdict
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from app.api.deps import CurrentUser, ReadSession, RuntimeDep, WriteSession
from app.api.limits import LimitedStream, StreamSlots, client_address, stream_slots
from app.api.params import ERROR_RESPONSES, Id
from app.api.schemas import CountingRead, SubmissionRead
from app.db.models import SubmissionState, User
from app.errors import Forbidden
from app.exports.service import gradescope_results
from app.grades.counting import CountReason, activate
from app.jobs.pool import notify_after_commit
from app.runtime import Runtime
from app.submissions.service import RECEIVED, readable_submission, requeue, submission_view, summary_view

router = APIRouter(tags=["submissions"])
STREAM_SECONDS = 600.0


@router.get("/submissions/{submission_id}", response_model=SubmissionRead)
def get_submission(submission_id: Id, user: CurrentUser, session: ReadSession, runtime: RuntimeDep) -> SubmissionRead:
    """Status, score and per-test feedback (hidden tests' details only for instructors); while it waits, its
    place in the queue and estimated start and finish."""
    submission, viewer = readable_submission(session, user, submission_id)
    place = runtime.queue_place(session, submission)
    return SubmissionRead(**asdict(submission_view(submission, viewer, place)))


@router.post("/submissions/{submission_id}/requeue", response_model=SubmissionRead, responses=ERROR_RESPONSES)
def requeue_submission(submission_id: Id, user: CurrentUser, runtime: RuntimeDep) -> SubmissionRead:
    """Queue a superseded submission again (instructors); it is graded after the live submissions."""
    with runtime.db.session() as session:
        submission, viewer = requeue(session, user, submission_id)
        notify_after_commit(session, runtime.dispatcher, submission.id)
        view = submission_view(submission, viewer)
    return SubmissionRead(**asdict(view))


def _status(runtime: Runtime, user: User, submission_id: int) -> dict[str, object]:
    with runtime.db.read() as session:
        submission, viewer = readable_submission(session, user, submission_id)
        view = summary_view(submission, staff=viewer.is_staff)
        return {"id": view.id, "status": view.status, "score": view.score, "max_score": view.max_score}


@router.get("/submissions/{submission_id}/events", response_class=StreamingResponse)
async def submission_events(
    submission_id: Id,
    request: Request,
    user: CurrentUser,
    runtime: RuntimeDep,
    slots: Annotated[StreamSlots, Depends(stream_slots)],
) -> StreamingResponse:
    """Server-sent events: a `status` event at each change, ending once the submission is graded or failed
    (or, for a student while the problem's results are held, `received`).

    Each user and each address may hold a few streams open at once; one more is refused with 429."""
    first = await run_in_threadpool(_status, runtime, user, submission_id)  # 404 before the stream starts

    async def stream() -> AsyncIterator[str]:
        last = None
        current = first
        waited = 0.0
        while True:
            if current != last:
                yield f"event: status\ndata: {json.dumps(current)}\n\n"
                last = current
            if current["status"] in (
                SubmissionState.GRADED.value,
                SubmissionState.FAILED.value,
                SubmissionState.SUPERSEDED.value,
                RECEIVED,
            ):
                yield "event: end\ndata: {}\n\n"
                return
            if waited >= STREAM_SECONDS:
                yield ": stream time is up; reconnect to keep following\n\n"
                return
            await asyncio.sleep(0.25)
            waited += 0.25
            if waited % 15 < 0.25:
                yield ": keep-alive\n\n"
            current = await run_in_threadpool(_status, runtime, user, submission_id)

    headers = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
    release = slots.acquire(user.id, client_address(request))
    return LimitedStream(stream(), media_type="text/event-stream", headers=headers, release=release)


@router.post("/submissions/{submission_id}/activate", response_model=CountingRead)
def activate_submission(submission_id: Id, user: CurrentUser, session: WriteSession) -> CountingRead:
    """Choose one of your graded submissions to count for its problem instead of the problem's rule (best or
    latest), until your deadline; a newer submission of yours ends the choice."""
    submission = activate(session, user, submission_id)
    return CountingRead(problem=submission.problem.slug, submission_id=submission.id, reason=CountReason.CHOSEN.value)


@router.get("/submissions/{submission_id}/results.json")
def gradescope(submission_id: Id, user: CurrentUser, session: ReadSession) -> dict[str, object]:
    """The result in Gradescope's autograder `results.json` format (instructors and TAs)."""
    submission, viewer = readable_submission(session, user, submission_id)
    if not viewer.is_staff:
        raise Forbidden("only instructors and TAs export results")
    return gradescope_results(submission)
