"""The judge's vocabulary: tolerances, what is known about a call, variants and verdicts."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import IntEnum

import numpy as np

from grader._vocab import Stage
from grader.values import Value


@dataclass(frozen=True)
class Tolerance:
    """Pass when ||s - r|| / max(||r||, 1e-12) <= rel_norm and allclose(s, r, rtol, atol * max(1, max|r|))."""

    rel_norm: float = 1e-6
    rtol: float = 1e-5
    atol: float = 1e-8


@dataclass(frozen=True)
class Context:
    """What the diagnosis knows about the inputs of this call."""

    function: str
    inputs: Mapping[str, Value] = field(default_factory=dict)
    labels: np.ndarray | None = None
    x: np.ndarray | None = None
    p_keep: float | None = None
    batchnorm: bool = False
    eps: float = 1e-5
    pad: int | None = None


@dataclass(frozen=True)
class Variant:
    """A known mistake: its hint and its results on the same inputs."""

    name: str
    hint: str
    results: Mapping[str, Value]


class Tier(IntEnum):
    """How specific a likely cause is: lower tiers name the mistake, higher ones only describe the difference."""

    VARIANT = 0  # a known-mistake variant whose results the student's match
    STAGE = 1  # what a failing stage found (NaN from an overflow)
    FORMULA = 2  # a recognisable wrong formula: transpose, flipped kernel, L2 term, SVM delta
    FACTOR = 3  # exactly a named factor (N, 1/2, -1, p_keep)
    REGION = 4  # the difference is confined to one region
    INVARIANT = 5  # a batch-norm invariant dx breaks
    OWN_FORWARD = 6  # agreement with the numeric gradient of the student's own forward
    SHAPELESS = 7  # an unnamed factor, an offset, the best scale and its residual


@dataclass(frozen=True)
class Cause:
    """One likely cause of a failed result: its text, how specific it is, and what it says without the result's name."""

    text: str
    tier: Tier
    key: str = ""  # equal keys say the same thing about different results (dx and dw both twice the reference)
    order: int = 0  # within a tier, lower first (a variant matching every result before one matching some)
    # Which mistake or check this is, the same for every student and input it is found on (no measured numbers):
    # `mistake:<variant name>`, `factor:N`, `own-forward:disagrees`, ...; the key when the text carries none.
    kind: str = ""

    @staticmethod
    def of(text: str, tier: Tier, path: str, order: int = 0, kind: str = "") -> Cause:
        """A cause about the result at `path`; its key is the text with that name taken out."""
        key = text.replace(path, "{result}") if path else text
        return Cause(text, tier, key, order, kind or key)

    @property
    def identity(self) -> dict[str, object]:
        """What is stored beside the text: the kind and how specific it is (the tier; lower is more specific)."""
        return {"kind": self.kind or self.key or self.text, "tier": int(self.tier)}


@dataclass(frozen=True)
class ResultVerdict:
    """The verdict on one compared leaf of the results."""

    name: str
    passed: bool
    stage: Stage | None  # None when passed
    message: str
    diagnosis: tuple[str, ...] = ()  # texts of `causes`, most specific first
    rel_error: float | None = None
    max_rel_error: float | None = None
    worst_index: tuple[int, ...] | None = None
    expected: float | None = None
    got: float | None = None
    causes: tuple[Cause, ...] = ()


@dataclass(frozen=True)
class Leaf:
    """One compared position: its display path, its key path from the top result, and both values."""

    path: str
    keys: tuple[str | int, ...]
    ref: Value
    stu: object
