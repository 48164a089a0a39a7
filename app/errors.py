"""Errors the services raise; each says what was wrong with the caller's input and what to do."""

from __future__ import annotations


class ServiceError(Exception):
    """Base of every error a user may see; `status` is the HTTP status the API answers with."""

    status = 400

    def __init__(self, detail: str, errors: list[str] | None = None, headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors or []
        self.headers = headers or {}


class Unauthorized(ServiceError):
    status = 401

    def __init__(self, detail: str) -> None:
        super().__init__(detail, headers={"WWW-Authenticate": "Bearer"})


class Forbidden(ServiceError):
    status = 403


class NotFound(ServiceError):
    status = 404


class Conflict(ServiceError):
    status = 409


class TooLarge(ServiceError):
    status = 413


class Invalid(ServiceError):
    status = 422


class TooManyRequests(ServiceError):
    status = 429
