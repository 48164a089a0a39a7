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

from app.api.deps import CurrentUser, ReadSession, RuntimeDep
from app.api.limits import LimitedStream, StreamSlots, client_address, stream_slots
from app.api.params import Id
from app.api.schemas import SubmissionRead
from app.db.models import SubmissionState, User
from app.errors import Forbidden
from app.exports.service import gradescope_results
from app.runtime import Runtime
from app.submissions.service import readable_submission, submission_view

router = APIRouter(tags=["submissions"])
STREAM_SECONDS = 600.0


@router.get("/submissions/{submission_id}", response_model=SubmissionRead)
def get_submission(submission_id: Id, user: CurrentUser, session: ReadSession) -> SubmissionRead:
    """Status, score and per-test feedback (hidden tests' details only for instructors)."""
    submission, viewer = readable_submission(session, user, submission_id)
    return SubmissionRead(**asdict(submission_view(submission, viewer)))


def _status(runtime: Runtime, user: User, submission_id: int) -> dict[str, object]:
    with runtime.db.read() as session:
        submission, _ = readable_submission(session, user, submission_id)
        return {
            "id": submission.id,
            "status": submission.state.value,
            "score": submission.score,
            "max_score": submission.max_score,
        }


@router.get("/submissions/{submission_id}/events", response_class=StreamingResponse)
async def submission_events(
    submission_id: Id,
    request: Request,
    user: CurrentUser,
    runtime: RuntimeDep,
    slots: Annotated[StreamSlots, Depends(stream_slots)],
) -> StreamingResponse:
    """Server-sent events: a `status` event at each change, ending once the submission is graded or failed.

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
            if current["status"] in (SubmissionState.GRADED.value, SubmissionState.FAILED.value):
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


@router.get("/submissions/{submission_id}/results.json")
def gradescope(submission_id: Id, user: CurrentUser, session: ReadSession) -> dict[str, object]:
    """The result in Gradescope's autograder `results.json` format (instructors and TAs)."""
    submission, viewer = readable_submission(session, user, submission_id)
    if not viewer.is_staff:
        raise Forbidden("only instructors and TAs export results")
    return gradescope_results(submission)
