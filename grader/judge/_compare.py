"""Staged comparison of a student's results with the reference's: type, shape, finite, close."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from grader.judge._diagnose import diagnose_close, diagnose_shape
from grader.values import Opaque, Value


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


def judge(
    reference: Mapping[str, Value],
    student: Mapping[str, Value],
    *,
    tolerance: Tolerance,
    per_result: Mapping[str, Tolerance] | None = None,
    context: Context,
    variants: Sequence[Variant] = (),
) -> list[ResultVerdict]:
    """One verdict per compared leaf of the reference's (non-diagnostic) results."""
    verdicts = []
    numgrad = student.get("@numgrad") if isinstance(student, dict) else None
    for top, ref_value in reference.items():
        if top.startswith("@"):
            continue
        tol = (per_result or {}).get(top, tolerance)
        stu_value = student.get(top, _MISSING) if isinstance(student, dict) else _MISSING
        for path, ref_leaf, stu_leaf in _leaves(top, ref_value, stu_value):
            verdict = _judge_leaf(path, ref_leaf, stu_leaf, tol, context)
            if not verdict.passed and verdict.stage == "close":
                extra = _close_diagnosis(path, top, ref_leaf, stu_leaf, tol, context, variants, numgrad)
                verdict = _with(verdict, extra)
            verdicts.append(verdict)
    return verdicts


class _Missing:
    pass


_MISSING = _Missing()


def _leaves(path: str, ref: Value, stu: object) -> Iterator[tuple[str, Value, object]]:
    """Walk the reference's structure; structural mismatches surface as leaves."""
    if isinstance(ref, dict) and isinstance(stu, dict) and set(ref) == set(stu):
        for key, value in ref.items():
            yield from _leaves(f"{path}[{key!r}]", value, stu[key])
    elif isinstance(ref, list | tuple) and isinstance(stu, list | tuple) and len(ref) == len(stu):
        for i, value in enumerate(ref):
            yield from _leaves(f"{path}[{i}]", value, stu[i])
    else:
        yield path, ref, stu


def describe(value: object) -> str:
    """A short phrase for a value's kind, for messages."""
    if isinstance(value, _Missing):
        return "nothing"
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape}"
    if isinstance(value, bool):
        return "a bool"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, dict):
        return f"a dict with keys {sorted(value)}"
    if isinstance(value, list | tuple):
        return f"a {type(value).__name__} of length {len(value)}"
    if isinstance(value, Opaque):
        return f"a {value.type_name}"
    return "None" if value is None else f"a {type(value).__name__}"


def _numeric(value: object) -> np.ndarray | None:
    if isinstance(value, np.ndarray) and value.dtype.kind in "biuf":
        return value.astype(np.float64)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return np.asarray(float(value))
    return None


def _judge_leaf(path: str, ref: Value, stu: object, tol: Tolerance, ctx: Context) -> ResultVerdict:
    fn = ctx.function
    if isinstance(ref, dict | list | tuple) or not isinstance(ref, np.ndarray | int | float):
        return _judge_structure(path, ref, stu, fn)
    r, s = _numeric(ref), _numeric(stu)
    if r is None or s is None:
        return ResultVerdict(path, False, "type", f"{fn}: {path} should be {describe(ref)}; got {describe(stu)}.")
    if isinstance(ref, np.ndarray) and s.ndim == 0 and r.ndim > 0:
        return ResultVerdict(path, False, "type", f"{fn}: {path} should be {describe(ref)}; got a single number.")
    if isinstance(ref, int | float) and s.size != 1:
        return ResultVerdict(path, False, "type", f"{fn}: {path} should be a single number; got {describe(stu)}.")
    if isinstance(ref, int | float):
        r, s = r.reshape(()), s.reshape(())
    if r.shape != s.shape:
        hint = diagnose_shape(path, r.shape, s.shape, ctx)
        msg = f"{fn}: {path} has shape {s.shape}; expected {r.shape}." + (f" {hint}" if hint else "")
        return ResultVerdict(path, False, "shape", msg)
    bad = ~np.isfinite(s) & np.isfinite(r)
    if bad.any():
        return _finite_verdict(path, s, bad, ctx)
    return _close_verdict(path, r, s, tol, fn)


def _judge_structure(path: str, ref: Value, stu: object, fn: str) -> ResultVerdict:
    if isinstance(ref, dict) and isinstance(stu, dict):
        missing, extra = sorted(set(ref) - set(stu)), sorted(set(stu) - set(ref))
        msg = f"{fn}: {path} must be a dict with keys {sorted(ref)}"
        msg += (f"; missing {missing}" if missing else "") + (f"; unexpected {extra}" if extra else "") + "."
        return ResultVerdict(path, False, "type", msg)
    if isinstance(ref, list | tuple):
        return ResultVerdict(path, False, "type", f"{fn}: {path} should be {describe(ref)}; got {describe(stu)}.")
    if type(ref) is type(stu) and ref == stu:
        return ResultVerdict(path, True, None, f"{fn}: {path} matches.")
    return ResultVerdict(path, False, "type", f"{fn}: {path} should be {ref!r:.60}; got {describe(stu)}.")


def _finite_verdict(path: str, s: np.ndarray, bad: np.ndarray, ctx: Context) -> ResultVerdict:
    count = int(bad.sum())
    where = tuple(int(i) for i in np.argwhere(bad)[0]) if s.ndim else ()
    kinds = "NaN" if np.isnan(s[bad]).all() else "Inf" if np.isinf(s[bad]).all() else "NaN/Inf"
    msg = f"{ctx.function}: {path} has {count} {kinds} value(s) (first at index {where}) where the reference is finite."
    diagnosis = ("overflow: subtract the maximum before exponentiating, or use a numerically stable form",)
    return ResultVerdict(path, False, "finite", msg, diagnosis)


def _close_verdict(path: str, r: np.ndarray, s: np.ndarray, tol: Tolerance, fn: str) -> ResultVerdict:
    diff = np.abs(s - r)
    rel = float(np.linalg.norm(s - r)) / max(float(np.linalg.norm(r)), 1e-12)
    scale = max(1.0, float(np.max(np.abs(r)))) if r.size else 1.0
    close = bool(np.allclose(s, r, rtol=tol.rtol, atol=tol.atol * scale, equal_nan=True))
    with np.errstate(invalid="ignore", divide="ignore"):
        elementwise = diff / np.maximum(1e-8, np.abs(s) + np.abs(r))
    max_rel = float(np.nanmax(elementwise)) if r.size else 0.0
    if rel <= tol.rel_norm and close:
        return ResultVerdict(path, True, None, f"{fn}: {path} matches.", (), rel, max_rel)
    idx = tuple(int(i) for i in np.unravel_index(int(np.nanargmax(diff)), r.shape)) if r.size else ()
    exp, got = float(r[idx]), float(s[idx])
    where = f"{path}{list(idx)}" if idx else path
    msg = (
        f"{fn}: {path} differs from the reference: relative error {rel:.3g} (tolerance {tol.rel_norm:g}), "
        f"max rel_error {max_rel:.3g}; worst at {where}: expected {exp:.6g}, got {got:.6g}."
    )
    return ResultVerdict(path, False, "close", msg, (), rel, max_rel, idx, exp, got)


def _close_diagnosis(
    path: str,
    top: str,
    ref: Value,
    stu: object,
    tol: Tolerance,
    ctx: Context,
    variants: Sequence[Variant],
    numgrad: object,
) -> list[str]:
    s = _numeric(stu)
    assert s is not None
    out = []
    for variant in variants:
        other = _lookup(variant.results, path, top)
        o = _numeric(other)
        if o is not None and o.shape == s.shape and _agrees(s, o, tol):
            out.append(variant.hint)
    r = _numeric(ref)
    if r is not None and r.ndim == 0:
        s = s.reshape(())
    return out + diagnose_close(path, top, s, r, ctx, numgrad)


def _lookup(results: Mapping[str, Value], path: str, top: str) -> Value:
    """The leaf at `path` (as built by _leaves) inside another results dict."""
    node: Value = results.get(top)
    rest = path[len(top) :]
    while rest:
        close = rest.index("]")
        token, rest = rest[1:close], rest[close + 1 :]
        key: object = token[1:-1] if token.startswith("'") else int(token)
        if isinstance(node, dict) and isinstance(key, str):
            node = node.get(key)
        elif isinstance(node, list | tuple) and isinstance(key, int) and key < len(node):
            node = node[key]
        else:
            return None
    return node


def _agrees(a: np.ndarray, b: np.ndarray, tol: Tolerance) -> bool:
    if not (np.isfinite(a).all() and np.isfinite(b).all()):
        return bool(np.array_equal(a, b, equal_nan=True))
    rel = float(np.linalg.norm(a - b)) / max(float(np.linalg.norm(b)), 1e-12)
    return rel <= max(tol.rel_norm, 1e-9) * 10


def _with(verdict: ResultVerdict, diagnosis: list[str]) -> ResultVerdict:
    seen: list[str] = []
    for item in diagnosis:
        if item not in seen:
            seen.append(item)
    return ResultVerdict(**{**verdict.__dict__, "diagnosis": tuple(seen)})
