"""The API documentation pages, `/docs` (Swagger UI) and `/redoc` (ReDoc), working with no internet.

Their JavaScript and CSS come from the `fastapi-offline` package, which ships the Swagger UI and ReDoc
bundles; they are served under `/docs-assets`. The pages start the viewers from a script in
`/static`, never from an inline script, so the same-origin Content-Security-Policy holds.
"""

from __future__ import annotations

from pathlib import Path

import fastapi_offline
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles

from app.web.render import templates

ASSETS = Path(fastapi_offline.__file__).resolve().parent / "static"
ASSETS_URL = "/docs-assets"

router = APIRouter(include_in_schema=False)


def assets() -> StaticFiles:
    """The Swagger UI and ReDoc bundles, to mount at `ASSETS_URL`."""
    return StaticFiles(directory=ASSETS)


@router.get("/docs", response_class=HTMLResponse)
def swagger_ui(request: Request) -> Response:
    context = {"title": "gradelab API", "openapi_url": request.app.openapi_url, "assets": ASSETS_URL}
    return templates.TemplateResponse(request, "docs_swagger.html", context)


@router.get("/redoc", response_class=HTMLResponse)
def redoc(request: Request) -> Response:
    context = {"title": "gradelab API", "openapi_url": request.app.openapi_url, "assets": ASSETS_URL}
    return templates.TemplateResponse(request, "docs_redoc.html", context)
