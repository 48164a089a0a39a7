"""Health and metrics for operators."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text

from app.api.deps import RuntimeDep
from app.config import Mode
from grader.dispatch import DramatiqDispatcher

router = APIRouter(tags=["operations"])


@router.get("/healthz")
def healthz(runtime: RuntimeDep) -> JSONResponse:
    """200 when the database answers and (in the embedded mode) the self-tested sandbox slots are up."""
    body: dict[str, object] = {
        "status": "ok",
        "database": "ok",
        "sandbox": "not used",
        "slots": 0,
        "busy": 0,
        "queued": 0,
    }
    try:
        with runtime.db.session() as session:
            session.execute(text("SELECT 1"))
    except Exception as exc:
        body.update(status="unavailable", database=f"error: {type(exc).__name__}")
    if runtime.pool is not None:
        body.update(
            sandbox=f"self-tested at start: {runtime.pool.sandboxes[0].name}" if runtime.pool.sandboxes else "none",
            slots=runtime.pool.slots,
            busy=runtime.pool.busy,
            queued=runtime.pool.queued(),
        )
    elif runtime.settings.mode is Mode.DISTRIBUTED:
        queue_ok = isinstance(runtime.dispatcher, DramatiqDispatcher) and runtime.dispatcher.reachable()
        body.update(sandbox="graded by worker processes", queue="ok" if queue_ok else "unreachable")
        if not queue_ok:
            body["status"] = "degraded"  # submissions are still stored; the sweeper sends them once Redis is back
    elif runtime.settings.slots > 0:
        body.update(status="unavailable", sandbox="the grading slots did not start")
    return JSONResponse(body, status_code=503 if body["status"] == "unavailable" else 200)


@router.get("/metrics", response_class=Response)
def metrics(runtime: RuntimeDep) -> Response:
    return Response(generate_latest(runtime.metrics.registry), media_type=CONTENT_TYPE_LATEST)
