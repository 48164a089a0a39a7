"""Diagnosis of a failed leaf: what the student probably did, most specific cause first."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

import numpy as np

from grader._vocab import Stage
from grader.judge._consistency import batchnorm_diagnosis, numgrad_diagnosis
from grader.judge._patterns import constant_offset, pattern_diagnosis, regularisation_diagnosis
from grader.judge._rank import rank_leaf
from grader.judge._regions import region_diagnosis
from grader.judge._scalar import scalar_diagnosis
from grader.judge._scale import best_scale, pure_scale
from grader.judge._types import Cause, Context, Leaf, Tier, Tolerance, Variant
from grader.judge._variants import variant_hints
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
    whole: Collection[str] = ()  # variants whose results match the student's on every result


def diagnose(e: Evidence, earlier: Sequence[Cause] = ()) -> tuple[Cause, ...]:
    """Variant hints first, then what the stage found, then the patterns of a closeness failure, ranked."""
    found = [
        Cause(v.hint, Tier.VARIANT, v.hint, 0 if v.name in e.whole else 1, f"mistake:{v.name}")
        for v in variant_hints(e.r, e.s, e.leaf.keys, e.tol, e.variants, e.whole)
    ]
    found += earlier
    if e.stage == Stage.CLOSE:
        found += close_causes(e)
    return rank_leaf(found)


def close_causes(e: Evidence) -> list[Cause]:
    """Formulas, scale factors, regions, offsets, invariants and the numeric gradient."""
    path, s, r, ctx = e.leaf.path, e.s, e.r, e.ctx

    def tiered(texts: list[str], tier: Tier, kind: str = "") -> list[Cause]:
        return [Cause.of(text, tier, path, kind=kind) for text in texts]

    out = pattern_diagnosis(path, s, r, ctx, e.tol)
    out += regularisation_diagnosis(path, e.leaf.keys, s, r, ctx)
    scaled = pure_scale(path, s, r, ctx)
    out += scaled
    out += region_diagnosis(path, s, r, ctx) if s.ndim else scalar_diagnosis(path, s, r, ctx)
    out += batchnorm_diagnosis(path, str(e.leaf.keys[0]), s, ctx)
    out += numgrad_diagnosis(path, s, r, lookup(e.numgrad, e.leaf.keys))
    out += tiered(constant_offset(path, s, r), Tier.SHAPELESS, "constant-offset")
    return out + ([] if scaled else tiered(best_scale(path, s, r), Tier.SHAPELESS, "least-squares-scale"))
