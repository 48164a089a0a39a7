"""Settings from the environment (prefix `GRADELAB_`), passed into `create_app`; never read at import."""

from __future__ import annotations

import enum
import os
from pathlib import Path

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from grader.bundle import MAX_BUNDLE_BYTES

_DEV_SECRET = "development-only-secret-change-me"


class Environment(enum.StrEnum):
    DEVELOPMENT = "development"
    PRODUCTION = "production"


class Mode(enum.StrEnum):
    EMBEDDED = "embedded"  # SQLite (or PostgreSQL) and sandbox slots inside the web process
    DISTRIBUTED = "distributed"  # PostgreSQL, Dramatiq on Redis, separate worker processes


class QueueOrder(enum.StrEnum):
    FAIR = "fair"  # live work before regrades, then each student's first waiting job before anyone's second
    FIFO = "fifo"  # first come, first served (the order before the fair queue; kept as a baseline)


class Settings(BaseSettings):
    """Everything the service can be told; each field is `GRADELAB_<NAME>` in the environment."""

    model_config = SettingsConfigDict(env_prefix="GRADELAB_", extra="ignore")

    environment: Environment = Environment.DEVELOPMENT
    mode: Mode = Mode.EMBEDDED
    database_url: str = "sqlite:///var/gradelab.db"
    redis_url: str | None = None
    secret_key: str = _DEV_SECRET
    data_dir: Path = Path("var")

    sandbox: str = Field(default="auto", pattern="^(auto|prefork|cold)$")  # auto: prefork where its self-test passes
    slots: int = Field(default=max(1, min(4, (os.cpu_count() or 1))), ge=0, le=64)
    lease_seconds: float = Field(default=60.0, gt=0)
    sweep_interval_seconds: float = Field(default=15.0, gt=0)
    requeue_after_seconds: float = Field(default=120.0, gt=0)
    max_attempts: int = Field(default=3, ge=1)
    queue_order: QueueOrder = QueueOrder.FAIR  # which queued job a free slot claims next (README, "The queue")

    token_days: int = Field(default=90, ge=1)
    max_request_bytes: int = Field(default=64 * 1024 * 1024, ge=1024)
    # the engine's one limit, so `check-problem` and uploads agree; it may be lowered, not raised
    max_bundle_bytes: int = Field(default=MAX_BUNDLE_BYTES, ge=1024, le=MAX_BUNDLE_BYTES)
    check_uploads: bool = True  # run check-problem in the sandbox before a new version goes live
    check_workers: int = Field(default=2, ge=1, le=16)  # upload checks run at once, each in a sandbox of its own

    # Limits against exhaustion; kept in each process's memory (see README, "Limits").
    login_hash_concurrency: int = Field(default=max(1, (os.cpu_count() or 2) // 2), ge=1, le=64)
    login_queue_max: int = Field(default=32, ge=1)  # logins waiting for a hashing turn; more get 429
    login_free_failures_per_user: int = Field(default=5, ge=1)
    login_free_failures_per_address: int = Field(default=30, ge=1)
    login_backoff_seconds: float = Field(default=1.0, gt=0)  # the first wait; doubles with each failure
    login_backoff_max_seconds: float = Field(default=300.0, gt=0)
    login_forget_seconds: float = Field(default=900.0, gt=0)  # failures are forgotten after this long without one
    streams_per_user: int = Field(default=4, ge=1)  # open live-status streams (`/events`)
    streams_per_address: int = Field(default=32, ge=1)
    metrics_token: str | None = None  # a bearer token for Prometheus; admins' API tokens work too
    running_per_student: int = Field(default=1, ge=0)  # a student's jobs graded at once (0: no limit)
    # Accounts: one-time set-password links, and the address they point at (see README, "Accounts")
    public_url: str | None = Field(
        default=None, pattern=r"^https?://[^\s/?#]+(/[^\s?#]*)?$"
    )  # e.g. https://grade.uni.edu
    password_link_hours: float = Field(default=72.0, gt=0, le=24 * 90)
    # Optional mail: when smtp_host is set, a new link is also mailed to its person's address (if the account has one)
    smtp_host: str | None = None
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_from: str = "gradelab@localhost"
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = True
    smtp_timeout_seconds: float = Field(default=10.0, gt=0)
    demo: bool = False  # `python -m app demo --when-enabled` (the Docker image's start) creates demo logins only if set

    @model_validator(mode="after")
    def _refuse_unsafe(self) -> Settings:
        if self.environment is Environment.PRODUCTION and self.secret_key == _DEV_SECRET:
            raise ValueError("GRADELAB_SECRET_KEY must be set to a long random value in production")
        if self.mode is Mode.DISTRIBUTED:
            if self.database_url.startswith("sqlite"):
                raise ValueError("distributed mode needs PostgreSQL: set GRADELAB_DATABASE_URL to a postgresql URL")
            if not self.redis_url:
                raise ValueError("distributed mode needs GRADELAB_REDIS_URL")
        return self
