"""Known-mistake variants: which ones a student's results match, and whole-result agreement."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

import numpy as np

from grader.judge._closeness import agrees, as_float
from grader.judge._types import ResultVerdict, Tolerance, Variant
from grader.judge._walk import leaves, lookup
from grader.values import Value


def agree_everywhere(a: Mapping[str, Value], b: Mapping[str, Value], tol: Tolerance) -> bool:
    """True when every scored leaf of `a` has an agreeing counterpart in `b` (diagnostics left out)."""
    with np.errstate(all="ignore"):
        for item in leaves(a, b, ""):
            if isinstance(item, ResultVerdict):  # a structural mismatch: a missing key, another container
                return False
            x, y = as_float(item.ref), as_float(lookup(b, item.keys))
            if x is None or y is None:
                if not _same_plain(item.ref, lookup(b, item.keys)):
                    return False
            elif not agrees(x, y, tol):
                return False
    return True


def _same_plain(x: object, y: object) -> bool:
    if isinstance(x, np.ndarray) or isinstance(y, np.ndarray):
        return isinstance(x, np.ndarray) and isinstance(y, np.ndarray) and np.array_equal(x, y)
    return type(x) is type(y) and x == y


def whole_matches(variants: Sequence[Variant], student: Mapping[str, Value], tol: Tolerance) -> frozenset[str]:
    """Names of the variants whose results agree with the student's on every scored result."""
    return frozenset(v.name for v in variants if agree_everywhere(v.results, student, tol))


def contradicted(
    variants: Sequence[Variant], reference: Mapping[str, Value], student: Mapping[str, Value], tol: Tolerance
) -> frozenset[str]:
    """Variants the student's results rule out: on some result the variant changes, the student's is not the
    variant's (they got it right, or wrong in another way). A mistake changes every result it touches the same
    way for everyone who makes it, so a variant that matches some results and not another is a coincidence
    there (two mistakes that both drop one example's share of a gradient, or zero it)."""
    out = set()
    with np.errstate(all="ignore"):
        for item in leaves(reference, student, ""):
            if isinstance(item, ResultVerdict):
                continue
            r, s = as_float(item.ref), as_float(item.stu)
            if r is None or s is None:
                continue
            for v in variants:
                other = as_float(lookup(v.results, item.keys))
                if other is not None and not agrees(other, r, tol) and not agrees(s, other, tol):
                    out.add(v.name)
    return frozenset(out)


def variant_hints(
    r: np.ndarray,
    s: np.ndarray,
    keys: tuple[str | int, ...],
    tol: Tolerance,
    variants: Sequence[Variant],
    whole: Collection[str] = (),
) -> list[Variant]:
    """Every variant that differs from the reference here and whose result the student's matches.

    A result with no finite value (NaN everywhere) matches every variant that overflows the same way, and one
    that is all zeros every variant that loses the gradient on its way (a zero is what many different mistakes
    leave behind), so there only a variant matching all of the student's results counts.
    """
    if not np.isfinite(s).any() or not s.any():
        variants = [v for v in variants if v.name in whole]
    found = []
    for variant in variants:
        other = as_float(lookup(variant.results, keys))
        if other is not None and not agrees(r, other, tol) and agrees(s, other, tol):
            found.append(variant)
    return found
