"""The judge's vocabulary: tolerances, what is known about a call, variants and verdicts."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

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
    batch_size: int | None = None
    num_classes: int | None = None


@dataclass(frozen=True)
class Variant:
    """A known mistake: its hint and its results on the same inputs."""

    name: str
    hint: str
    results: Mapping[str, Value]


@dataclass(frozen=True)
class ResultVerdict:
    """The verdict on one compared leaf of the results."""

    name: str
    passed: bool
    stage: str | None
    message: str
    diagnosis: tuple[str, ...] = ()
    rel_error: float | None = None
    max_rel_error: float | None = None
    worst_index: tuple[int, ...] | None = None
    expected: float | None = None
    got: float | None = None


@dataclass(frozen=True)
class Leaf:
    """One compared position: its display path, its key path from the top result, and both values."""

    path: str
    keys: tuple[str | int, ...]
    ref: Value
    stu: object
