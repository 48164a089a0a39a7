"""Health and metrics for operators."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text

from app.accounts.service import authenticate
from app.api.deps import RuntimeDep
from app.api.params import ERROR_RESPONSES
from app.config import Mode
from app.errors import Forbidden, Unauthorized
from app.jobs.dramatiq_queue import DramatiqDispatcher
from app.jobs.standing import queue_load

router = APIRouter(tags=["operations"])
_scraper = HTTPBearer(auto_error=False, description="GRADELAB_METRICS_TOKEN, or an admin's API token")


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
    queued = 0
    try:
        with runtime.db.read() as session:
            session.execute(text("SELECT 1"))
            queued = queue_load(session, runtime.pool.slots if runtime.pool else None).queued
    except Exception as exc:
        body.update(status="unavailable", database=f"error: {type(exc).__name__}")
    if runtime.pool is not None:
        body.update(
            sandbox=f"self-tested at start: {runtime.pool.sandboxes[0].name}" if runtime.pool.sandboxes else "none",
            slots=runtime.pool.slots,
            busy=runtime.pool.busy,
            queued=queued,
        )
    elif runtime.settings.mode is Mode.DISTRIBUTED:
        queue_ok = isinstance(runtime.dispatcher, DramatiqDispatcher) and runtime.dispatcher.reachable()
        body.update(sandbox="graded by worker processes", queue="ok" if queue_ok else "unreachable")
        if not queue_ok:
            body["status"] = "degraded"  # submissions are still stored; the sweeper sends them once Redis is back
    elif runtime.settings.slots > 0:
        body.update(status="unavailable", sandbox="the grading slots did not start")
    return JSONResponse(body, status_code=503 if body["status"] == "unavailable" else 200)


def metrics_reader(
    runtime: RuntimeDep, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_scraper)]
) -> None:
    """Let through the configured metrics token or an admin's API token; refuse anyone else with the reason."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthorized(
            "/metrics needs 'Authorization: Bearer <token>' with the service's metrics token "
            "(GRADELAB_METRICS_TOKEN) or an admin's API token"
        )
    configured = runtime.settings.metrics_token
    if configured and hmac.compare_digest(credentials.credentials.encode(), configured.encode()):
        return
    if not authenticate(runtime.db, credentials.credentials).is_admin:
        raise Forbidden("/metrics is for admins and the metrics scraper: use an admin's token or the metrics token")


@router.get(
    "/metrics",
    response_class=Response,
    dependencies=[Depends(metrics_reader)],
    responses={status: ERROR_RESPONSES[status] for status in (401, 403)},
)
def metrics(runtime: RuntimeDep) -> Response:
    """Prometheus metrics; needs the metrics token or an admin's API token."""
    return Response(generate_latest(runtime.metrics.registry), media_type=CONTENT_TYPE_LATEST)
