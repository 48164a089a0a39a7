"""Scale errors: the least-squares factor k = <s, r> / <r, r>, named when it is a usual mistake."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from grader.judge._infer import batch_size, num_classes
from grader.judge._messages import apart, given, join_causes, num
from grader.judge._types import Cause, Context, Tier

PURE_SCALE = 1e-6  # relative residual after scaling below which an error is "only a scale factor"
MATCH = 1e-5  # relative distance at which k counts as a named factor


@dataclass(frozen=True)
class Factor:
    """A factor students are commonly off by: its value, how it is written, and why it happens."""

    value: float
    label: str
    cause: str


def least_squares_scale(s: np.ndarray, r: np.ndarray) -> tuple[float, float] | None:
    """k minimising ||s - k r|| and the residual ||s - k r|| / ||s||; None when r is zero."""
    peak = max(float(np.max(np.abs(r))), float(np.max(np.abs(s))))
    if not np.isfinite(peak) or peak == 0.0:
        return None
    s1, r1 = s / peak, r / peak
    rr = float(np.vdot(r1, r1))
    if rr == 0.0:
        return None
    k = float(np.vdot(s1, r1)) / rr
    residual = float(np.linalg.norm(s1 - k * r1)) / max(float(np.linalg.norm(s1)), 1e-300)
    return k, residual


def named_factors(ctx: Context, r: np.ndarray) -> list[Factor]:
    """Every factor that means something for this call, most common first."""
    out = [
        Factor(-1.0, "-1", "sign flipped (a minus sign missing, or one too many)"),
        Factor(2.0, "2", "an extra factor 2 (a term counted twice, or a 2 from a square the formula does not have)"),
        Factor(0.5, "1/2", "a missing factor 2 (the gradient of reg*sum(W**2) is 2*reg*W) or an extra 1/2"),
    ]
    n, k = batch_size(ctx), num_classes(ctx, r)
    if n and n > 1:
        out += [
            Factor(float(n), f"N = {n}", "summed instead of averaged over the batch (the 1/N is missing)"),
            Factor(1 / n, f"1/N = 1/{n}", "averaged where it should be summed, or an extra 1/N (divided by N twice)"),
        ]
    if k and k > 1:
        out += [
            Factor(float(k), f"K = {k}", "averaged over N only: the mean runs over all N*K elements"),
            Factor(1 / k, f"1/K = 1/{k}", "an extra 1/K: averaged over all N*K elements where only N is averaged"),
        ]
    if n and k and n > 1 and k > 1:
        out.append(Factor(float(n * k), f"N*K = {n * k}", "summed over all N*K elements instead of averaged"))
    return out + _dropout_factors(ctx.p_keep)


def _dropout_factors(p: float | None) -> list[Factor]:
    if p is None or not 0 < p < 1:
        return []
    return [
        Factor(p, f"p_keep = {given(p)}", "the kept units were not rescaled by 1/p_keep (inverted dropout divides)"),
        Factor(p * p, f"p_keep**2 = {num(p * p)}", "multiplied by p_keep where you should divide by it"),
        Factor(1 / p, f"1/p_keep = {num(1 / p)}", "divided by p_keep once too often (test mode is the identity)"),
        Factor(
            p / (1 - p),
            f"p_keep/(1 - p_keep) = {num(p / (1 - p))}",
            "divided by 1 - p_keep: p was taken as the drop probability instead of the keep probability",
        ),
    ]


def pure_scale(path: str, s: np.ndarray, r: np.ndarray, ctx: Context) -> list[Cause]:
    """The factor k when the student's array is exactly k times the reference, named when it is a usual mistake."""
    if s.ndim and not s.any() and r.any():
        text = (
            f"Your {path} is all zeros: it is never computed, or computed into something that is not returned "
            "(a gradient assigned to a copy, or accumulated into a variable that is then dropped)."
        )
        return [Cause.of(text, Tier.FACTOR, path, kind="all-zeros")]
    fit = least_squares_scale(s, r)
    if fit is None or fit[1] > PURE_SCALE or abs(fit[0] - 1.0) <= MATCH or not s.any():
        return []
    return _name_scale(path, fit[0], ctx, r)


def best_scale(path: str, s: np.ndarray, r: np.ndarray) -> list[str]:
    """For an error that is not a pure scale: the best k and the residual that remains after it."""
    fit = least_squares_scale(s, r)
    if s.ndim == 0 or fit is None or not PURE_SCALE < fit[1] <= 0.5:
        return []
    k, residual = fit
    return [
        f"Least-squares scale: your {path} is about {num(k)} times the reference, leaving a residual of "
        f"{num(100 * residual)}% after scaling, so it is not only a scale error."
    ]


def _name_scale(path: str, k: float, ctx: Context, r: np.ndarray) -> list[Cause]:
    factors = named_factors(ctx, r)
    exact = [f for f in factors if _same(k, f.value)]
    flipped = [f for f in factors if f.value > 0 and _same(-k, f.value)]
    shown = apart(k, 1.0)[0]
    times = f"Your {path} is exactly {shown} times the reference"
    key = f"a factor of {shown}"  # the same factor on dx and dw is one mistake, whatever each result calls it
    if exact:
        labels = join_causes([f"{f.label}: {f.cause}" for f in exact])
        kind = "factor:" + ",".join(_symbol(f.label) for f in exact)
        return [Cause(f"{times}, i.e. k = {labels}.", Tier.FACTOR, key, kind=kind)]
    if flipped:
        labels = join_causes([f"{f.label}: {f.cause}" for f in flipped])
        kind = "factor:-" + ",".join(_symbol(f.label) for f in flipped)
        return [Cause(f"{times}: sign flipped, and k = -{labels}.", Tier.FACTOR, key, kind=kind)]
    if r.ndim == 0:
        return []  # any two numbers are a multiple of each other: an unnamed ratio says nothing
    text = f"{times} (a pure scale error): look for a missing or extra constant factor."
    return [Cause.of(text, Tier.SHAPELESS, path, kind="pure-scale")]


def _symbol(label: str) -> str:
    """A factor's name without its value: `1/N = 1/4` -> `1/N`."""
    return label.split(" = ", 1)[0]


def _same(k: float, factor: float) -> bool:
    return abs(k - factor) <= MATCH * max(1.0, abs(factor)) if abs(factor) >= 1 else abs(k / factor - 1) <= MATCH
