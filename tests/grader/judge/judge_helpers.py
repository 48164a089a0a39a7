"""Small builders shared by the judge tests: one verdict for one result, and its diagnosis as text."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from grader.judge import Context, ResultVerdict, Tolerance, Variant, judge
from grader.values import Value


def verdict(
    ref: Value,
    stu: object,
    ctx: Context | None = None,
    *,
    name: str = "out",
    variants: Sequence[Variant] = (),
    numgrad: Value = None,
    tolerance: Tolerance | None = None,
) -> ResultVerdict:
    """The single verdict of comparing one named result (failing if there is more than one)."""
    student: dict[str, Value] = {name: stu}  # type: ignore[dict-item]
    if numgrad is not None:
        student["@numgrad"] = {name: numgrad}
    verdicts = judge(
        {name: ref},
        student,
        tolerance=tolerance or Tolerance(),
        context=ctx or Context("f"),
        variants=variants,
    )
    assert len(verdicts) == 1, verdicts
    return verdicts[0]


def causes(v: ResultVerdict) -> str:
    return "\n".join(v.diagnosis)


def randn(*shape: int, seed: int = 0) -> np.ndarray:
    """A standard-normal array kept away from 0 so masks and signs are unambiguous."""
    a = np.random.default_rng(seed).standard_normal(shape)
    return np.where(np.abs(a) < 0.1, 0.1 * np.sign(a) + 0.1 * (a == 0), a)
