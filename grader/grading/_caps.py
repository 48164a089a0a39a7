"""What one submission may cost the service: each call's result size and the whole submission's time.

Nothing that comes out of a student's job is trusted for its size: each call's frames are capped (in the
job's harness and again on the host) to a few times what the reference returns, and all the jobs of one
submission share one wall-clock budget and one channel budget, so restarts and reruns cannot multiply them.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from grader.bundle import Bundle, TestSpec
from grader.grading._calls import Budget
from grader.grading._reference import ReferenceRun

# What one call may send back: a few times what the reference returns (any allowed dtype, a list in place of
# an array), plus room for a message and a traceback. Accuracy tests have no reference result: a few times
# one label per test example, plus room for a training history.
RESULT_FACTOR = 4
RESULT_SLACK_BYTES = 1024 * 1024
ACCURACY_SLACK_BYTES = 16 * 1024 * 1024
BUDGET_MARGIN_SECONDS = 60.0  # the default wall budget: the longest test's limit plus this

RERUNS = 2  # the first run and the rerun of failing tests with numeric gradients
FRAME_OVERHEAD_BYTES = 4096


def wall_budget(bundle: Bundle) -> float:
    """Seconds one submission's tests may take all together (`[limits] submission_seconds`)."""
    limits = bundle.spec.limits
    if limits.submission_seconds is not None:
        return limits.submission_seconds
    longest = max((t.time_seconds or limits.time_seconds for t in bundle.spec.tests), default=limits.time_seconds)
    return longest + BUDGET_MARGIN_SECONDS


def result_cap(bundle: Bundle, test: TestSpec, ref: ReferenceRun) -> int:
    """The most bytes one call of `test` may send back, in the job and on the host."""
    if test.kind == "accuracy":
        assert test.data is not None and test.labels is not None
        labels = bundle.data(test.data)[test.labels]
        return RESULT_FACTOR * 8 * int(labels.size) + ACCURACY_SLACK_BYTES
    return RESULT_FACTOR * _value_bytes(ref.results.get(test.name)) + RESULT_SLACK_BYTES


def _value_bytes(value: Any) -> int:
    if isinstance(value, np.ndarray):
        return int(value.nbytes)
    if isinstance(value, dict):
        return sum(_value_bytes(v) + len(str(k)) for k, v in value.items())
    if isinstance(value, list | tuple):
        return sum(_value_bytes(v) for v in value)
    return 16


def submission_budget(bundle: Bundle, tests: list[TestSpec], ref: ReferenceRun) -> Budget:
    """The wall-clock and channel budget of one submission's runs, starting now."""
    per_run = sum(result_cap(bundle, t, ref) + FRAME_OVERHEAD_BYTES for t in tests)
    return Budget(seconds=wall_budget(bundle), channel_bytes=RERUNS * per_run)
