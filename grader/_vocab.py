"""The engine's words for how a call ended and where a test's judgement stopped, stored as their strings.

`CallStatus` travels on the wire (the harness in the sandbox sets it), so it is defined with the wire, which
runs in the sandbox too; it is named here with the rest. A `StrEnum` member is equal to its string and
serialises as it (JSON, the database), so stored reports and results keep the same values.
"""

from __future__ import annotations

import enum

from grader._harness.wire import (
    CLEAN_STATUSES,
    EXIT_CODE_PREFIX,
    RUNNER_STATUSES,
    SIGNAL_PREFIX,
    CallStatus,
    exit_code_status,
    signal_status,
)

__all__ = [
    "CLEAN_STATUSES",
    "EXIT_CODE_PREFIX",
    "RUNNER_STATUSES",
    "SIGNAL_PREFIX",
    "CallStatus",
    "Stage",
    "exit_code_status",
    "signal_status",
]


class Stage(enum.StrEnum):
    """The stage of the staged judgement at which a test failed (a passed test has none)."""

    RAN = "ran"  # the call did not return a result (it raised, crashed, ran out of time, ...)
    TYPE = "type"  # a result of the wrong kind, or a missing or extra key
    SHAPE = "shape"  # an array of the wrong shape
    FINITE = "finite"  # NaN or Inf where the reference is finite
    CLOSE = "close"  # values not within tolerance of the reference
    ACCURACY = "accuracy"  # a trained model below the accuracy threshold
