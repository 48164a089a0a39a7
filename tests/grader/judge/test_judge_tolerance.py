"""Tolerance edge cases: tiny and empty arrays, zero references, scalars, per-result overrides."""

from __future__ import annotations

import numpy as np
from judge_helpers import randn, verdict

from grader.judge import Context, Tolerance, judge


def test_a_one_element_array_is_judged_like_any_other() -> None:
    assert verdict(np.array([2.0]), np.array([2.0 + 1e-9])).passed
    assert not verdict(np.array([2.0]), np.array([2.001])).passed


def test_empty_arrays_of_the_same_shape_pass() -> None:
    assert verdict(np.zeros((0, 3)), np.zeros((0, 3))).passed


def test_an_all_zero_reference_passes_only_an_exact_or_negligible_answer() -> None:
    assert verdict(np.zeros(4), np.zeros(4)).passed
    assert verdict(np.zeros(4), np.full(4, 1e-20)).passed
    assert not verdict(np.zeros(4), np.full(4, 1e-3)).passed


def test_the_absolute_tolerance_grows_with_the_largest_reference_value() -> None:
    big = np.array([1e6, 1e-3])
    assert verdict(big, big + np.array([0.0, 1e-3])).passed
    small = np.array([1.0, 1e-3])
    assert not verdict(small, small + np.array([0.0, 1e-3]), tolerance=Tolerance(rel_norm=1.0)).passed


def test_the_normwise_criterion_alone_can_fail_a_result() -> None:
    right = randn(100)
    wrong = right * (1 + 5e-6)
    v = verdict(right, wrong)
    assert not v.passed and v.rel_error is not None and v.rel_error > 1e-6


def test_a_per_result_tolerance_overrides_the_default_for_that_result_only() -> None:
    right = randn(3)
    student = {"loss": 1.0 + 1e-4, "dx": right * (1 + 1e-4)}
    verdicts = judge(
        {"loss": 1.0, "dx": right},
        student,
        tolerance=Tolerance(),
        per_result={"loss": Tolerance(rel_norm=1e-3, rtol=1e-3)},
        context=Context("f"),
    )
    assert [v.passed for v in verdicts] == [True, False]


def test_scalar_float_noise_passes() -> None:
    assert verdict(0.1 + 0.2, 0.3, name="loss").passed


def test_integer_results_compare_exactly_enough() -> None:
    assert verdict(np.array([1, 2, 3]), np.array([1.0, 2.0, 3.0])).passed
    assert not verdict(np.array([1, 2, 3]), np.array([1, 2, 4])).passed


def test_nan_and_inf_where_the_other_has_the_same_count_as_agreement() -> None:
    from grader.judge._closeness import agrees, measure

    tol = Tolerance()
    ref = np.array([[np.nan, 1.0, np.inf], [2.0, -np.inf, np.nan]])
    same = ref.copy()
    assert measure(same, ref, tol).passed and agrees(same, ref, tol)
    off = same.copy()
    off[1, 0] = 2.5
    verdict_off = measure(off, ref, tol)
    assert not verdict_off.passed and verdict_off.worst_index == (1, 0)
    assert not agrees(np.where(np.isnan(ref), 0.0, ref), ref, tol)  # NaN where the other is finite
    flipped = same.copy()
    flipped[0, 2] = -np.inf
    assert not measure(flipped, ref, tol).passed


def test_measure_reports_the_cs231n_error_and_the_worst_element() -> None:
    from grader.judge._closeness import measure

    ref = np.array([1.0, 2.0, 4.0])
    got = np.array([1.0, 2.0, 4.4])
    c = measure(got, ref, Tolerance())
    assert not c.passed and c.worst_index == (2,)
    assert np.isclose(c.max_rel_error, 0.4 / 8.4) and (c.expected, c.got) == (4.0, 4.4)
    assert np.isclose(c.rel_error, 0.4 / np.linalg.norm(ref))
