"""`create_app(settings)`: the FastAPI application, its error handling and its lifespan."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import quote

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.accounts.throttle import LoginGuard, LoginThrottle, ThrottleRules
from app.api.limits import StreamSlots
from app.api.params import ERROR_RESPONSES
from app.api.routes import accounts, adjustments, auth, courses, extensions, ops, problems, similarity, submissions
from app.config import Mode, Settings
from app.db import Database
from app.errors import ServiceError
from app.runtime import Runtime
from app.web import docs, extension_pages, pages, review_pages, similarity_pages, staff, upload_pages
from app.web.headers import SecurityHeaders, security_headers
from app.web.render import page, templates
from app.web.session import COOKIE, LoginRequired, known_user

STATIC = Path(__file__).resolve().parent / "web" / "static"

log = structlog.get_logger("app")


def create_app(settings: Settings | None = None, *, start_grading: bool | None = None) -> FastAPI:
    """The service. Grading slots start with the app in the embedded mode unless `start_grading` is False."""
    settings = settings or Settings()
    private_folder(settings.data_dir)
    runtime = Runtime(settings=settings, db=Database(settings.database_url))
    embedded = settings.mode is Mode.EMBEDDED if start_grading is None else start_grading

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runtime.start_checks()
        runtime.similarity.start()
        if embedded:
            runtime.start_embedded()
        elif settings.mode is Mode.DISTRIBUTED:
            runtime.start_distributed_web()
        log.info("started", mode=settings.mode.value, slots=runtime.pool.slots if runtime.pool else 0)
        try:
            yield
        finally:
            runtime.close()
            app.state.login_guard.close()

    app = FastAPI(
        title="gradelab",
        version="1",
        summary="An autograder for deep-learning courses",
        lifespan=lifespan,
        docs_url=None,  # served by app.web.docs from local assets (no CDN)
        redoc_url=None,
        openapi_url="/openapi.json",
    )
    app.state.runtime = runtime
    app.state.settings = settings
    app.state.login_guard = _login_guard(settings)
    app.state.stream_slots = StreamSlots(settings.streams_per_user, settings.streams_per_address)
    for module in (auth, accounts, courses, problems, extensions, similarity, submissions, adjustments):
        app.include_router(module.router, prefix="/api/v1", responses=ERROR_RESPONSES)
    app.include_router(ops.router)
    app.include_router(pages.router)
    app.include_router(staff.router)
    app.include_router(extension_pages.router)
    app.include_router(review_pages.router)
    app.include_router(upload_pages.router)
    app.include_router(similarity_pages.router)
    app.include_router(docs.router)
    app.add_api_route("/favicon.ico", favicon, include_in_schema=False)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.mount(docs.ASSETS_URL, docs.assets(), name="docs-assets")
    _error_handlers(app)
    app.add_middleware(BodyLimit, limit=settings.max_request_bytes)
    app.add_middleware(SecurityHeaders)
    return app


def private_folder(folder: Path) -> None:
    """Tighten the data folder to 0700 (it holds the SQLite database and the demo logins) when it is ours."""
    try:
        info = folder.stat()
    except FileNotFoundError:
        return  # nothing kept there yet; whoever creates a file in it creates it private
    if info.st_uid == os.geteuid() and info.st_mode & 0o077:
        folder.chmod(0o700)


def _login_guard(settings: Settings) -> LoginGuard:
    rules = ThrottleRules(
        free_per_user=settings.login_free_failures_per_user,
        free_per_address=settings.login_free_failures_per_address,
        backoff_seconds=settings.login_backoff_seconds,
        backoff_max_seconds=settings.login_backoff_max_seconds,
        forget_seconds=settings.login_forget_seconds,
    )
    return LoginGuard(LoginThrottle(rules), settings.login_hash_concurrency, settings.login_queue_max)


def favicon() -> Response:
    """The site's icon, for browsers that ask for /favicon.ico whatever the page links."""
    return FileResponse(STATIC / "favicon.svg", media_type="image/svg+xml")


def _error_body(detail: str, errors: list[str] | None = None) -> dict[str, object]:
    return {"detail": detail, "errors": errors or []}


def _is_api(request: Request) -> bool:
    path = request.url.path
    return path.startswith(("/api/", "/docs-assets/")) or path in ("/healthz", "/metrics", "/openapi.json")


_TITLES = {
    401: "Please log in",
    403: "Not allowed",
    404: "Not found",
    405: "Not available this way",
    413: "Too large",
    422: "Not a valid address or form",
    429: "Slow down",
    500: "Something went wrong",
}


def _html_error(request: Request, status: int, detail: str, errors: list[str] | None = None) -> Response:
    known_user(request)  # the page shows the site's navigation to a logged-in user
    context = {"title": _TITLES.get(status, "Something is wrong"), "message": detail, "details": errors or []}
    return page(request, "error.html", context, status_code=status)


def _http_detail(request: Request, exc: StarletteHTTPException) -> str:
    """What a person who followed a link or sent a form should read for a routing error."""
    if exc.status_code == 404:
        return "There is no page at this address: check the link, or start again from your courses."
    if exc.status_code == 405:
        return (
            f"This address does not answer a {request.method} request: "
            "open it from a link or a form of the site instead of typing it or reloading a sent form."
        )
    return str(exc.detail)


def _error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ServiceError)
    async def service_error(request: Request, exc: ServiceError) -> Response:
        if isinstance(exc, LoginRequired):
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return RedirectResponse(f"/login?next={quote(target)}", status_code=303)
        if not _is_api(request):
            return _html_error(request, exc.status, exc.detail, exc.errors)
        return JSONResponse(_error_body(exc.detail, exc.errors), status_code=exc.status, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        errors = []
        for err in exc.errors():
            where = ".".join(str(p) for p in err.get("loc", ()) if p != "body") or "request"
            errors.append(f"{where}: {err.get('msg', 'invalid')}")
        if not _is_api(request):
            detail = "The address or the form has a value this page cannot use: fix it, or follow a link of the site."
            return _html_error(request, 422, detail, errors[:5])
        return JSONResponse(_error_body("the request is not valid: " + "; ".join(errors[:5]), errors), status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if not _is_api(request) and exc.status_code >= 400:
            response = _html_error(request, exc.status_code, _http_detail(request, exc))
            response.headers.update(exc.headers or {})
            return response
        return JSONResponse(_error_body(str(exc.detail)), status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> Response:
        # Answered outside the other middleware (Starlette's outermost layer), so the headers are set here.
        log.exception("unhandled_error", path=request.url.path)
        response: Response
        if not _is_api(request):
            detail = "The error was logged. Try again in a moment; if it keeps happening, tell the course staff."
            try:
                response = _html_error(request, 500, detail)
            except Exception:
                log.exception("error_page_failed", path=request.url.path)
                response = HTMLResponse(_PLAIN_500, status_code=500)
        else:
            response = JSONResponse(
                _error_body("internal error: it was logged; try again or tell the course staff"), status_code=500
            )
        response.headers.update(security_headers(request.url.path))
        return response


_PLAIN_500 = (
    '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Something went wrong · gradelab</title>'
    "</head><body><main><h1>Something went wrong</h1><p>The error was logged. Try again in a moment; if it keeps "
    'happening, tell the course staff.</p><p><a href="/">Back to your courses</a></p></main></body></html>'
)


class BodyLimit:
    """Refuse request bodies over `limit` bytes (by Content-Length, and while streaming)."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for key, value in scope.get("headers", []):
            if key == b"content-length" and value.isdigit() and int(value) > self.limit:
                await _too_large(send, self.limit, scope)
                return
        seen = 0

        async def limited() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise _BodyTooLarge
            return message

        try:
            await self.app(scope, limited, send)
        except _BodyTooLarge:
            await _too_large(send, self.limit, scope)


class _BodyTooLarge(Exception):
    pass


async def _too_large(send: Callable[[Message], Awaitable[None]], limit: int, scope: Scope) -> None:
    import json

    path = scope["path"]
    detail = f"the request is larger than {limit} bytes: send smaller files"
    if path.startswith("/api/"):
        body, kind = json.dumps(_error_body(detail)).encode(), b"application/json"
    else:  # a dashboard form: the error page, without the navigation (the request was never read)
        cookies = b"; ".join(value for key, value in scope.get("headers", []) if key == b"cookie")
        signed_in = f"{COOKIE}=".encode() in cookies
        message = detail[0].upper() + detail[1:] + "."
        context = {"title": _TITLES[413], "message": message, "details": [], "signed_in": signed_in}
        body, kind = templates.get_template("error.html").render(context).encode(), b"text/html; charset=utf-8"
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [(b"content-type", kind), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})
