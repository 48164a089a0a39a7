"""The service takes its bundle size limit from the engine, so `check-problem` and uploads agree."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from app.config import Settings
from grader.bundle import MAX_BUNDLE_BYTES


def test_the_upload_limit_is_the_engines_bundle_limit_by_default() -> None:
    assert Settings().max_bundle_bytes == MAX_BUNDLE_BYTES


def test_the_upload_limit_may_be_lowered_but_not_raised_above_what_the_engine_loads() -> None:
    assert Settings(max_bundle_bytes=1024 * 1024).max_bundle_bytes == 1024 * 1024
    with pytest.raises(ValidationError, match="less than or equal to 52428800"):
        Settings(max_bundle_bytes=MAX_BUNDLE_BYTES + 1)
