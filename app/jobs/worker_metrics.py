"""A worker's Prometheus listener (`python -m app worker --metrics-port N`).

It answers on 127.0.0.1 unless told another address. With `GRADELAB_METRICS_TOKEN` set it follows
the service's `/metrics` rule: `Authorization: Bearer` with that token or an admin's API token,
anyone else is refused with the reason. Without a token it serves only a loopback address:
binding another one without a token is refused at start, so a worker never publishes its
metrics to the network unauthenticated.
"""

from __future__ import annotations

import hmac
import ipaddress
import json
import threading
from collections.abc import Callable, Iterable
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from prometheus_client import CollectorRegistry, make_wsgi_app

from app.accounts.service import authenticate
from app.db import Database
from app.errors import Unauthorized

DEFAULT_HOST = "127.0.0.1"
NEEDS = (
    "the worker's metrics need 'Authorization: Bearer <token>' with the service's metrics token "
    "(GRADELAB_METRICS_TOKEN) or an admin's API token"
)

FOR_WHOM = "the worker's metrics are for admins and the metrics scraper: use an admin's token or the metrics token"

StartResponse = Callable[..., Any]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


class MetricsRefused(ValueError):
    """The listener cannot start as asked; the message says what to change."""


def is_loopback(host: str) -> bool:
    """Whether `host` names only this machine (a loopback address or `localhost`)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def guarded_app(registry: CollectorRegistry, token: str | None, db: Database | None) -> WSGIApp:
    """The metrics WSGI app behind the token rule (no rule without a token: then it is loopback only)."""
    inner: WSGIApp = make_wsgi_app(registry)

    def refuse(start_response: StartResponse, status: str, detail: str) -> list[bytes]:
        body = json.dumps({"detail": detail}).encode()
        headers = [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
        if status.startswith("401"):
            headers.append(("WWW-Authenticate", "Bearer"))
        start_response(status, headers)
        return [body]

    def app(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if token is None:
            return inner(environ, start_response)
        scheme, _, given = str(environ.get("HTTP_AUTHORIZATION", "")).strip().partition(" ")
        given = given.strip()
        if scheme.lower() != "bearer" or not given:
            return refuse(start_response, "401 Unauthorized", NEEDS)
        if hmac.compare_digest(given.encode(), token.encode()):
            return inner(environ, start_response)
        try:
            admin = db is not None and authenticate(db, given).is_admin
        except Unauthorized:
            return refuse(start_response, "401 Unauthorized", NEEDS)
        if not admin:
            return refuse(start_response, "403 Forbidden", FOR_WHOM)
        return inner(environ, start_response)

    return app


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """Requests are not logged (a scraper every few seconds would flood the worker's log)."""


class MetricsListener:
    """A running listener; `close()` stops it."""

    def __init__(self, server: _Server) -> None:
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, name="gradelab-worker-metrics", daemon=True)
        self._thread.start()

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()


def serve_metrics(
    registry: CollectorRegistry,
    port: int,
    host: str = DEFAULT_HOST,
    token: str | None = None,
    db: Database | None = None,
) -> MetricsListener:
    """Start the listener on `host:port`; refused (MetricsRefused) on a non-loopback address without a token."""
    token = token or None
    if token is None and not is_loopback(host):
        raise MetricsRefused(
            f"the worker's metrics on {host} would be open to the network: set GRADELAB_METRICS_TOKEN "
            f"(the scraper then sends it as a Bearer token) or keep --metrics-host at {DEFAULT_HOST}"
        )
    server = make_server(host, port, guarded_app(registry, token, db), _Server, _QuietHandler)
    return MetricsListener(server)
