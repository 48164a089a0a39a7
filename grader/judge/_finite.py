"""The finite stage: NaN or Inf where the reference is finite, and where such values usually come from."""

from __future__ import annotations

import numpy as np

from grader.judge._messages import indices
from grader.judge._types import Context, ResultVerdict
from grader.values import Value

LARGE_INPUT = 30.0  # |input| beyond which exp() overflows in float64 once summed or squared (e**710 is inf)


def finite_failure(path: str, s: np.ndarray, bad: np.ndarray, ctx: Context) -> ResultVerdict:
    """Count the NaN/Inf values, say where, and suggest their usual cause."""
    nans, infs = int((np.isnan(s) & bad).sum()), int((np.isinf(s) & bad).sum())
    parts = ([f"{nans} NaN"] if nans else []) + ([f"{infs} Inf"] if infs else [])
    where = [tuple(int(i) for i in idx) for idx in np.argwhere(bad)] if s.ndim else []
    place = f" at {indices(where)}" if where else ""
    msg = (
        f"{ctx.function}: {path} has {' and '.join(parts)} value(s){place} "
        f"out of {s.size} where the reference is finite."
    )
    from_a_log = (_PLUS_INF_LOSS,) if s.ndim == 0 and bool(np.isposinf(s)) else ()
    return ResultVerdict(path, False, "finite", msg, (*from_a_log, *_causes(ctx)))


# A single +inf (not NaN) comes from a log: of a probability that rounded to 0 (after a correct
# max shift, or a sigmoid at a very negative logit), or of an exp that overflowed. "Subtract the max"
# is the wrong advice for the first, so name both, and the fix common to both, first.
_PLUS_INF_LOSS = (
    "A loss of +inf (not NaN) comes from a log: log(0) of a probability that rounded to 0 (after the "
    "max shift, a true class far below the row's maximum; or sigmoid of a very negative logit), or "
    "log of an exp that overflowed. Take logs of logits, not of probabilities: shifted - "
    "log(sum(exp(shifted))) after the max shift, or np.logaddexp(0, -z)."
)


def _causes(ctx: Context) -> tuple[str, ...]:
    fn = ctx.function.lower()
    big = _largest_input(list(ctx.inputs.values()))
    if big >= LARGE_INPUT:
        if any(word in fn for word in ("sigmoid", "logistic", "bce", "logreg")):
            return (
                f"Overflow: the inputs reach |z| = {big:.4g}, and exp(-z) overflows for large negative z. "
                "Use a stable form, e.g. np.exp(-np.abs(z)), or branch on the sign of z.",
            )
        return (
            f"Overflow: the inputs reach {big:.4g}; did you subtract the max before exp? "
            "(scores - scores.max(axis=1, keepdims=True) leaves the softmax unchanged and keeps exp finite.)",
        )
    return (
        "NaN usually comes from log(0), 0/0 or the square root of a negative number "
        "(e.g. var - eps instead of var + eps); clip probabilities or work from logits.",
    )


def _largest_input(values: list[Value]) -> float:
    big = 0.0
    for value in values:
        if isinstance(value, np.ndarray) and value.dtype.kind in "iuf" and value.size:
            finite = value[np.isfinite(value)] if value.dtype.kind == "f" else value
            big = max(big, float(np.max(np.abs(finite))) if finite.size else 0.0)
        elif isinstance(value, dict):
            big = max(big, _largest_input(list(value.values())))
        elif isinstance(value, list | tuple):
            big = max(big, _largest_input(list(value)))
    return big
