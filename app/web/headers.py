"""Response headers set in one place: the Content-Security-Policy, caching, and a few hardening headers.

Every page allows only the site itself: scripts and styles come from `/static` (htmx and KaTeX are
vendored) and no page has an inline script, style attribute or event handler. Nothing may frame the
site. Swagger UI on `/docs` runs under that same policy. ReDoc on `/redoc` injects its styles as
inline `<style>` elements and runs its search in a worker made from a `blob:`, so that one page
gets a policy that also allows inline styles and blob workers; it is otherwise the same
(same-origin only, no inline script).

Static assets may be cached for an hour (and are revalidated by their ETag); everything else, which
is either a logged-in user's page or an API answer, is `Cache-Control: no-store`.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

PAGE_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; font-src 'self'; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
REDOC_POLICY = PAGE_POLICY.replace("style-src 'self';", "style-src 'self' 'unsafe-inline'; worker-src 'self' blob:;")
CACHEABLE = ("/static/", "/docs-assets/")
STATIC_CACHE = "public, max-age=3600"


def security_headers(path: str) -> dict[str, str]:
    """The headers every response to `path` carries (the route may set its own Cache-Control)."""
    cacheable = path.startswith(CACHEABLE) or path == "/favicon.ico"
    return {
        "Content-Security-Policy": REDOC_POLICY if path == "/redoc" else PAGE_POLICY,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
        "Cache-Control": STATIC_CACHE if cacheable else "no-store",
    }


class SecurityHeaders:
    """Add `security_headers` to every HTTP response; a Cache-Control the route chose is kept."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = security_headers(scope["path"])

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {key.lower() for key, _ in headers}
                for name, value in extra.items():
                    if name.lower().encode() not in present:
                        headers.append((name.lower().encode(), value.encode()))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_headers)
