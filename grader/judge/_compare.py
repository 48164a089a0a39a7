"""Staged comparison of a student's results with the reference's: type, shape, finite, close."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

import numpy as np

from grader._vocab import Stage
from grader.judge._closeness import Closeness, as_float, measure, measure_finite
from grader.judge._diagnose import Evidence, diagnose
from grader.judge._finite import finite_failure
from grader.judge._messages import apart, at, describe, given, num, shape, type_advice
from grader.judge._shape import shape_hint
from grader.judge._types import Cause, Context, Leaf, ResultVerdict, Tier, Tolerance, Variant
from grader.judge._variants import contradicted, whole_matches
from grader.judge._walk import leaves
from grader.values import Opaque, Value


def judge(
    reference: Mapping[str, Value],
    student: Mapping[str, Value],
    *,
    tolerance: Tolerance,
    per_result: Mapping[str, Tolerance] | None = None,
    context: Context,
    variants: Sequence[Variant] = (),
) -> list[ResultVerdict]:
    """One verdict per compared leaf of the reference's (non-diagnostic) results, failures diagnosed."""
    numgrad = student.get("@numgrad") if isinstance(student, Mapping) else None
    # which variants match every result, and which change one the student got right: worked out at the first
    # failure, since most calls pass
    whole: frozenset[str] | None = None
    usable: Sequence[Variant] = variants
    verdicts = []
    with np.errstate(all="ignore"):
        for item in leaves(reference, student if isinstance(student, Mapping) else {}, context.function):
            if isinstance(item, ResultVerdict):
                verdicts.append(item)
                continue
            tol = (per_result or {}).get(str(item.keys[0]), tolerance)
            verdict, r, s = judge_leaf(item, tol, context)
            if not verdict.passed and r is not None and s is not None:
                if whole is None:
                    given = student if isinstance(student, Mapping) else {}
                    whole = whole_matches(variants, given, tolerance)
                    wrong = contradicted(variants, reference, given, tolerance)
                    usable = [v for v in variants if v.name not in wrong]
                evidence = Evidence(item, verdict.stage or "", r, s, tol, context, usable, numgrad, whole)
                causes = diagnose(evidence, _stage_causes(verdict))
                verdict = replace(verdict, diagnosis=tuple(c.text for c in causes), causes=causes)
            elif not verdict.passed and verdict.diagnosis:
                verdict = replace(verdict, causes=_stage_causes(verdict))
            verdicts.append(verdict)
    return verdicts


def _stage_causes(verdict: ResultVerdict) -> tuple[Cause, ...]:
    """What a failing stage found, as causes: those it made itself, or its texts under the stage's kind."""
    if verdict.causes:
        return verdict.causes
    kind = f"stage:{verdict.stage}"
    return tuple(Cause.of(text, Tier.STAGE, verdict.name, kind=kind) for text in verdict.diagnosis)


Judged = tuple[ResultVerdict, np.ndarray | None, np.ndarray | None]


def judge_leaf(leaf: Leaf, tol: Tolerance, ctx: Context) -> Judged:
    """Type, shape, finite and close, in that order, for one leaf (call it under np.errstate(all="ignore"))."""
    fn, path = ctx.function, leaf.path
    r = as_float(leaf.ref) if not isinstance(leaf.ref, bool | np.bool_) else None
    if r is None:
        return _judge_exact(leaf, fn), None, None
    oversized = _oversized(leaf.stu, r)
    if oversized is not None:
        return ResultVerdict(path, False, Stage.SHAPE, f"{fn}: {path} {oversized}"), None, None
    s = as_float(leaf.stu)
    if s is None:
        msg = f"{fn}: {path} should be {_expected_kind(leaf.ref)}; got {describe(leaf.stu)}."
        return ResultVerdict(path, False, Stage.TYPE, msg + type_advice(leaf.stu)), None, None
    ref_is_number = not isinstance(leaf.ref, np.ndarray)
    if ref_is_number or r.ndim == 0:
        if isinstance(leaf.stu, np.ndarray) and leaf.stu.ndim > 0:
            return _not_a_number(leaf, r, tol, fn), None, None
        s = s.reshape(())
    elif s.ndim == 0:
        return _number_for_array(leaf, r, fn), None, None
    if s.shape != r.shape:
        hint = shape_hint(path, r.shape, s.shape, ctx)
        msg = f"{fn}: {path} has shape {shape(s.shape)}; expected {shape(r.shape)}." + (f" {hint}" if hint else "")
        return ResultVerdict(path, False, Stage.SHAPE, msg), r, s
    d = s - r  # (`judge` runs this under np.errstate(all="ignore"): overflow here is an answer, not a warning)
    if bool(np.isfinite(d).all()):  # the usual case: both finite everywhere, so nothing to check first
        return _judge_close(path, r, s, tol, fn, measure_finite(s, r, d, tol)), r, s
    bad = ~np.isfinite(s) & np.isfinite(r)
    if bad.any():
        return finite_failure(path, s, bad, ctx), r, s
    return _judge_close(path, r, s, tol, fn, measure(s, r, tol)), r, s


# An array larger than this many times the reference (plus a few thousand values of slack) is refused on
# its shape alone, before it is converted to float64 or diagnosed: both cost memory in proportion to it.
_OVERSIZE = 4
_SLACK = 4096


def _oversized(stu: object, r: np.ndarray) -> str | None:
    """What is wrong with a student's array far larger than the reference, judged on its shape only."""
    if not isinstance(stu, np.ndarray) or stu.size <= _OVERSIZE * r.size + _SLACK:
        return None
    expected = "a single number" if r.ndim == 0 else f"shape {shape(r.shape)}"
    return f"has shape {shape(stu.shape)}, {stu.size} values; expected {expected}."


def _expected_kind(ref: Value) -> str:
    return "a single number" if not isinstance(ref, np.ndarray) else f"an array of shape {shape(ref.shape)}"


def _not_a_number(leaf: Leaf, r: np.ndarray, tol: Tolerance, fn: str) -> ResultVerdict:
    """A single number was expected; the student returned an array."""
    s = as_float(leaf.stu)
    msg = f"{fn}: {leaf.path} should be a single number; got {describe(leaf.stu)}."
    if s is not None and s.size == 1:
        value_ok = measure(s.reshape(()), r.reshape(()), tol).passed
        verdict = "matches" if value_ok else "does not match either"
        msg += f" Return a number (e.g. float(value) or value.item()); the value inside {verdict}."
    return ResultVerdict(leaf.path, False, Stage.TYPE, msg)


def _number_for_array(leaf: Leaf, r: np.ndarray, fn: str) -> ResultVerdict:
    """An array was expected; the student returned a single number."""
    msg = f"{fn}: {leaf.path} should be an array of shape {shape(r.shape)}; got {describe(leaf.stu)}."
    if r.size == 1:
        return ResultVerdict(
            leaf.path, False, Stage.SHAPE, msg + " Keep the axis: return an array like np.array([value])."
        )
    return ResultVerdict(leaf.path, False, Stage.TYPE, msg + " Did you sum or average over every axis?")


def _judge_exact(leaf: Leaf, fn: str) -> ResultVerdict:
    """Leaves that are not numbers (flags, strings, None, objects) must be equal."""
    ref, stu = leaf.ref, leaf.stu
    same = False
    if isinstance(ref, bool | np.bool_):
        same = isinstance(stu, bool | np.bool_) and bool(stu) == bool(ref)
    elif isinstance(ref, Opaque):
        same = isinstance(stu, Opaque) and stu.type_name == ref.type_name
    elif isinstance(ref, np.ndarray):
        same = isinstance(stu, np.ndarray) and stu.dtype == ref.dtype and np.array_equal(stu, ref)
    elif ref is None or isinstance(ref, str):
        same = type(stu) is type(ref) and stu == ref
    if same:
        return ResultVerdict(leaf.path, True, None, f"{fn}: {leaf.path} matches.")
    want = describe(ref) if not isinstance(ref, str | bool | np.bool_) else repr(ref)[:60]
    return ResultVerdict(leaf.path, False, Stage.TYPE, f"{fn}: {leaf.path} should be {want}; got {describe(stu)}.")


def _judge_close(path: str, r: np.ndarray, s: np.ndarray, tol: Tolerance, fn: str, c: Closeness) -> ResultVerdict:
    if c.passed:
        return ResultVerdict(path, True, None, f"{fn}: {path} matches.", (), c.rel_error, c.max_rel_error)
    allowed = given(tol.rel_norm)
    errors = f"relative error {num(c.rel_error)} (allowed {allowed}), CS231n rel_error {num(c.max_rel_error)}"
    got, expected = apart(c.got, c.expected)  # a near miss must not print as two equal numbers
    if r.ndim == 0:
        msg = f"{fn}: {path} is {got}; expected {expected} ({errors})."
    else:
        where = at(path, c.worst_index)
        msg = (
            f"{fn}: {path} does not match the reference: {errors}. "
            f"Worst element {where}: expected {expected}, got {got}."
        )
    return ResultVerdict(
        path, False, Stage.CLOSE, msg, (), c.rel_error, c.max_rel_error, c.worst_index, c.expected, c.got
    )
