"""Why the problem's own code (a generator, the reference) failed, as a sentence saying what to change."""

from __future__ import annotations

from dataclasses import dataclass

from grader._vocab import SIGNAL_PREFIX, CallStatus, signal_status
from grader.grading._runner import CallResult


@dataclass(frozen=True)
class Limit:
    """The wall limit a call ran under, and the `[limits]` key that sets it."""

    seconds: float
    key: str


def failure_sentence(who: str, res: CallResult, limit: Limit, memory_mb: int, output_kb: int) -> str:
    """`who` (e.g. "the generator cases.affine for test 'x'") and what it did, in one sentence and a traceback."""
    status = res.status
    if status in (CallStatus.TIMEOUT, CallStatus.CPU):
        what = "CPU time" if status == CallStatus.CPU else "wall time"
        why = (
            f"ran longer than its {what} limit of {limit.seconds:g} s (`{limit.key}` in [limits] of problem.toml): "
            f"make it faster (smaller inputs, fewer Python loops) or raise `{limit.key}`"
        )
    elif status == CallStatus.OUTPUT:
        why = (  # the cap is on the job's whole output: the kill lands on the call running when it is passed
            f"was stopped: the output printed so far (by this call or an earlier one of the same job) passed "
            f"{output_kb} KiB on stdout or stderr: remove the print statements (or raise `output_kb` in [limits])"
        )
    elif status == CallStatus.OVERFLOW:
        why = "returned more data than a call may send back (256 MiB): return smaller arrays"
    elif status == CallStatus.MEMORY or status == signal_status(9):
        why = f"ran out of memory ({memory_mb} MB, `memory_mb` in [limits]): use less memory or raise `memory_mb`"
    elif status in (CallStatus.ERROR, CallStatus.IMPORT, CallStatus.NOTIMPL, CallStatus.TYPE, CallStatus.EXIT):
        why = f"raised {res.message or 'an exception'}"
    elif status == CallStatus.EXITED:
        why = "ended its process (os._exit or a crash) before returning: return a dict of results instead"
    elif status.startswith(SIGNAL_PREFIX):
        why = f"was killed by signal {status.split(':', 1)[1]} (a crash in native code?)"
    else:
        why = f"broke the grader's result channel ({res.message or status}); run it locally to see why"
    text = f"{who} {why}."
    return f"{text}\n{res.traceback}".strip() if res.traceback else text
