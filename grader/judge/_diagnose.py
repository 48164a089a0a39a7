"""Diagnosis of a failed leaf: what the student probably did, most specific cause first."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from grader.judge._closeness import agrees, as_float
from grader.judge._consistency import batchnorm_diagnosis, numgrad_diagnosis
from grader.judge._patterns import pattern_diagnosis, regularisation_diagnosis
from grader.judge._regions import region_diagnosis
from grader.judge._scalar import scalar_diagnosis
from grader.judge._scale import best_scale, pure_scale
from grader.judge._types import Context, Leaf, Tolerance, Variant
from grader.judge._walk import lookup


@dataclass(frozen=True)
class Evidence:
    """Everything known about one failed leaf: both arrays (float64), the stage it failed, and the context."""

    leaf: Leaf
    stage: str
    r: np.ndarray
    s: np.ndarray
    tol: Tolerance
    ctx: Context
    variants: Sequence[Variant]
    numgrad: object


def diagnose(e: Evidence, earlier: Sequence[str] = ()) -> tuple[str, ...]:
    """Variant hints first, then what the stage found, then the patterns of a closeness failure."""
    found = [*variant_hints(e), *earlier]
    if e.stage == "close":
        found += close_causes(e)
    return tuple(dict.fromkeys(found))


def variant_hints(e: Evidence) -> list[str]:
    """The hint of every known-mistake variant whose result the student's matches."""
    hints = []
    for variant in e.variants:
        other = as_float(lookup(variant.results, e.leaf.keys))
        if other is not None and not agrees(e.r, other, e.tol) and agrees(e.s, other, e.tol):
            hints.append(variant.hint)
    return hints


def close_causes(e: Evidence) -> list[str]:
    """Formulas, scale factors, regions, offsets, invariants and the numeric gradient, in that order."""
    path, s, r, ctx = e.leaf.path, e.s, e.r, e.ctx
    out = pattern_diagnosis(path, s, r, ctx, e.tol)
    out += regularisation_diagnosis(path, e.leaf.keys, s, r, ctx)
    scaled = pure_scale(path, s, r, ctx)
    out += scaled
    out += region_diagnosis(path, s, r, ctx) if s.ndim else scalar_diagnosis(path, s, r, ctx, plain=not scaled)
    out += batchnorm_diagnosis(path, str(e.leaf.keys[0]), s, ctx)
    out += numgrad_diagnosis(path, s, r, lookup(e.numgrad, e.leaf.keys))
    return out + best_scale(path, s, r)
