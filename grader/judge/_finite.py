"""The finite stage: NaN or Inf where the reference is finite, and where such values usually come from."""

from __future__ import annotations

import numpy as np

from grader._vocab import Stage
from grader.judge._messages import indices, num
from grader.judge._types import Cause, Context, ResultVerdict, Tier
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
    kind, text = _cause(ctx, s)
    cause = Cause.of(text, Tier.STAGE, path, kind=f"non-finite:{kind}")
    return ResultVerdict(path, False, Stage.FINITE, msg, (text,), causes=(cause,))


def _cause(ctx: Context, s: np.ndarray) -> tuple[str, str]:
    """Which usual source of the NaN or Inf this looks like, and the message about it."""
    fn = ctx.function.lower()
    big = _largest_input(list(ctx.inputs.values()))
    if s.ndim == 0 and float(s) == np.inf:
        # -log(p) is +inf when p came out exactly 0: an overflowed denominator, or an underflow after the max shift
        reach = f" (the inputs reach {num(big)})" if big >= LARGE_INPUT else ""
        return (
            "log of zero",
            f"A loss of +inf is -log of a probability that came out as exactly 0{reach}: an exp in its denominator "
            "overflowed (subtract the max first) or, with the max subtracted, the probability underflowed. "
            "Compute log-probabilities from the logits instead of taking log of probabilities, "
            "e.g. shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True)) for a softmax, "
            "-np.logaddexp(0, -z) for log(sigmoid(z)).",
        )
    if big >= LARGE_INPUT:
        if any(word in fn for word in ("sigmoid", "logistic", "bce", "logreg")):
            return (
                "sigmoid overflow",
                f"Overflow: the inputs reach |z| = {num(big)}, and exp(-z) overflows for large negative z. "
                "Use a stable form, e.g. np.exp(-np.abs(z)), or branch on the sign of z.",
            )
        return (
            "exp overflow",
            f"Overflow: the inputs reach {num(big)}, and exp of anything above about 709 is inf (then inf / inf "
            "is NaN). Only exponentiate numbers that cannot be large: subtract the max before exp in a softmax "
            "(scores - scores.max(axis=1, keepdims=True) leaves it unchanged), use np.exp(-np.abs(z)) in a sigmoid "
            "and np.tanh for tanh.",
        )
    return (
        "nan",
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
