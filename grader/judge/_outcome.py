"""A unit test's outcome as the student reads it: from the verdicts on its results, or from a call that failed.

The service's grading and the local check kit (which ships this package verbatim) both word a test's
feedback here, so a student reads the same sentences on their own machine as on the service.
"""

from __future__ import annotations

import signal
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from grader._vocab import SIGNAL_PREFIX, CallStatus, Stage
from grader.judge._inputs import summarise_inputs
from grader.judge._messages import given
from grader.judge._rank import MAX_CAUSES, ranked_causes
from grader.judge._types import ResultVerdict
from grader.values import Value

LIKELY_CAUSE = "\nLikely cause: "
SMALLEST_INPUT = "\nSmallest failing input:\n"


@dataclass
class UnitOutcome:
    """Whether a unit test passed, its points, the stage it stopped at, its feedback and its likely causes."""

    passed: bool
    points: float
    stage: Stage | None
    feedback: str
    diagnosis: list[str] = field(default_factory=list)
    causes: list[dict[str, object]] = field(default_factory=list)


def unit_outcome(function: str, points: float, verdicts: Sequence[ResultVerdict]) -> UnitOutcome:
    """The outcome of a unit test whose call returned: full points, or the failed results and their causes."""
    failed = [v for v in verdicts if not v.passed]
    if not failed:
        worst = max((v.rel_error or 0.0 for v in verdicts), default=0.0)
        text = f"{function}: every result matches the reference (largest relative error {worst:.1e})."
        return UnitOutcome(True, points, None, text)
    # one mistake usually breaks several results (the loss and every gradient): say each cause once
    causes = ranked_causes(failed)
    diagnosis = [c.text for c in causes]
    feedback = "\n".join(v.message for v in failed) + with_causes(diagnosis)
    return UnitOutcome(False, 0.0, failed[0].stage, feedback, diagnosis, [c.identity for c in causes])


def with_causes(diagnosis: Sequence[str]) -> str:
    """The likely causes as they follow a test's feedback (nothing when there are none)."""
    return LIKELY_CAUSE + "\n".join(diagnosis) if diagnosis else ""


def crash_causes(status: str, message: str, failures: Sequence[tuple[str, str, str]]) -> list[str]:
    """Hints of the known-mistake variants that failed the very same way, from (status, message, hint)."""
    if status not in (CallStatus.ERROR, CallStatus.TYPE) or not message:
        return []
    hints = [hint for (s, m, hint) in failures if (s, m) == (status, message)]
    return list(dict.fromkeys(hints))[:MAX_CAUSES]


@dataclass(frozen=True)
class Failed:
    """How a call failed to return: its status, message, the tail of its traceback and the file it names."""

    status: str
    message: str = ""
    traceback: str = ""
    file: str = ""


def ran_message(function: str, failed: Failed, limit_s: float, memory_mb: int) -> str:
    """The "did it run" stage: what went wrong, naming the function."""
    fn = function
    tb = f"\n{failed.traceback.rstrip()}" if failed.traceback.strip() else ""
    status = failed.status
    if status == CallStatus.NOTIMPL:
        return f"{fn} is not implemented yet (it raised NotImplementedError)."
    if status == CallStatus.IMPORT:
        return f"Could not import {failed.file}: {failed.message}{tb}"
    if status == CallStatus.TYPE:
        return failed.message or f"{fn} returned the wrong kind of value."
    if status == CallStatus.ERROR:
        return f"{fn} raised {failed.message}{tb}"
    if status == CallStatus.MEMORY:
        return f"{fn} ran out of memory (limit {memory_mb} MB).{tb}"
    if status == CallStatus.EXIT:
        return f"{fn} called sys.exit() ({failed.message}) instead of returning."
    if status == CallStatus.EXITED:
        return f"{fn} ended its process (os._exit or similar) before returning a result."
    if status in (CallStatus.TIMEOUT, CallStatus.CPU):
        kind = "wall-clock" if status == CallStatus.TIMEOUT else "CPU"
        return (
            f"{fn} did not finish within its {given(limit_s)} s {kind} time limit. "
            "Look for an infinite loop, or a Python loop over every element that could be vectorised."
        )
    if status.startswith(SIGNAL_PREFIX):
        return f"{fn} crashed its process ({_signal_name(status)})."
    return _infrastructure_message(fn, status, failed.message)


def _infrastructure_message(fn: str, status: str, detail: str) -> str:
    why = f" ({detail})" if detail else ""
    messages: dict[str, str] = {
        CallStatus.OUTPUT: (
            f"{fn} was stopped: the output your code printed so far (in this test or an earlier one) passed "
            "the output limit. Remove debugging prints."
        ),
        CallStatus.OVERFLOW: (
            f"{fn} returned more data than the grader accepts (a few times what the reference returns). "
            "Return only the results the statement asks for, with the shapes it gives."
        ),
        CallStatus.BUDGET: (
            f"{fn} was not graded: the submission's total time budget{why} for all its tests together was used "
            "up before this test finished. Make the slow functions faster (vectorise Python loops)."
        ),
        CallStatus.CHANNEL: f"{fn} wrote something other than its result into the grader's result channel{why}.",
        CallStatus.HARNESS: f"{fn} stopped the grading process itself (it killed it or exhausted a resource).",
    }
    return messages.get(status, f"{fn} did not return a result ({status}).")


def _signal_name(status: str) -> str:
    try:
        number = int(status.split(":", 1)[1])
        name = signal.Signals(number).name
    except ValueError:
        return status
    if name == "SIGKILL":
        return "killed: most often it used more memory than allowed"
    if name == "SIGSEGV":
        return "segmentation fault"
    return name


def smallest_failing(failing: Sequence[tuple[str, str, Value]]) -> dict[str, str]:
    """Of visible tests that failed past the "ran" stage, given as (test, function, inputs): for each function,
    its test with the smallest inputs and the note that shows them (appended to that test's feedback)."""
    by_function: dict[str, list[tuple[str, Value]]] = {}
    for name, function, inputs in failing:
        by_function.setdefault(function, []).append((name, inputs))
    notes = {}
    for group in by_function.values():
        name, inputs = min(group, key=lambda item: _size(item[1]))
        notes[name] = SMALLEST_INPUT + summarise_inputs(_as_mapping(inputs))
    return notes


def _as_mapping(value: Value) -> Mapping[str, Value]:
    return value if isinstance(value, dict) else {"input": value}


def _size(value: Value) -> int:
    if isinstance(value, np.ndarray):
        return int(value.size)
    if isinstance(value, dict):
        return sum(_size(v) for v in value.values())
    if isinstance(value, list | tuple):
        return sum(_size(v) for v in value)
    return 1
