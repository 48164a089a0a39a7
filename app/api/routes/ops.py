"""Health and metrics for operators."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text

from app.api.deps import RuntimeDep

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
    elif runtime.settings.slots > 0:
        body.update(status="unavailable", sandbox="the grading slots did not start")
    return JSONResponse(body, status_code=200 if body["status"] == "ok" else 503)


@router.get("/metrics", response_class=Response)
def metrics(runtime: RuntimeDep) -> Response:
    return Response(generate_latest(runtime.metrics.registry), media_type=CONTENT_TYPE_LATEST)
