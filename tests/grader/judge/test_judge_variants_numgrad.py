"""Known-mistake variants and the numeric gradient of the student's own forward pass."""

from __future__ import annotations

import numpy as np
from judge_helpers import causes, randn, verdict

from grader.judge import Context, Tolerance, Variant, judge

HINT = "dw holds the right numbers in the wrong places: it should be x.reshape(N, -1).T @ dout."


def test_a_matching_variant_hint_comes_first() -> None:
    right = randn(4, 3)
    wrong = 4 * right
    variants = [Variant("forgot_mean", "You forgot the 1/N.", {"out": wrong.copy()})]
    v = verdict(right, wrong, Context("f", x=randn(4, 2)), variants=variants)
    # the hint explains the whole difference: the factor N would only say it again
    assert v.diagnosis == ("You forgot the 1/N.",)


def test_a_variant_that_the_student_does_not_match_is_not_shown() -> None:
    right = randn(4, 3)
    variants = [Variant("other", "Other mistake.", {"out": right + 1.0})]
    assert "Other mistake." not in causes(verdict(right, 2 * right, variants=variants))


def test_a_variant_whose_result_equals_the_reference_is_never_blamed() -> None:
    right = randn(4, 3)
    variants = [Variant("harmless", "Harmless here.", {"out": right.copy()})]
    assert "Harmless here." not in causes(verdict(right, 2 * right, variants=variants))


def test_a_variant_is_matched_inside_nested_results() -> None:
    right = {"W1": randn(2, 3)}
    wrong = {"W1": -right["W1"]}
    variants = [Variant("neg", "Minus sign.", {"grads": {"W1": -right["W1"]}})]
    v = verdict(right, wrong, variants=variants, name="grads")
    assert v.name == "grads['W1']" and v.diagnosis[0] == "Minus sign."


def test_a_variant_with_the_same_wrong_shape_explains_a_shape_failure() -> None:
    right = randn(6, 5)
    variants = [Variant("affine_dw_transposed", HINT, {"dw": right.T.copy()})]
    v = verdict(right, right.T.copy(), Context("affine_backward"), variants=variants, name="dw")
    assert v.stage == "shape" and v.diagnosis == (HINT,)


def test_a_variant_with_the_same_nans_explains_a_finite_failure() -> None:
    right = randn(3)
    broken = np.array([np.nan, 1.0, 2.0])
    variants = [Variant("no_max_shift", "Subtract the max first.", {"out": broken.copy()})]
    v = verdict(right, broken, variants=variants)
    assert v.stage == "finite" and v.diagnosis[0] == "Subtract the max first."


def test_a_backward_that_agrees_with_its_own_forward_blames_the_forward() -> None:
    right = randn(3, 4)
    theirs = right * 2 + 0.3
    v = verdict(right, theirs, Context("affine_backward"), name="dx", numgrad=theirs + 1e-9)
    text = causes(v)
    assert "your backward is consistent with your own forward, so the difference comes from the forward" in text


def test_a_backward_that_disagrees_with_its_own_forward_blames_the_backward() -> None:
    right = randn(3, 4)
    v = verdict(right, right * 2 + 0.3, Context("affine_backward"), name="dx", numgrad=right + 1e-9)
    text = causes(v)
    assert "disagrees with the numeric gradient of your own forward" in text and "bug is in the backward pass" in text
    assert "your forward is right" in text


def test_a_non_finite_numeric_gradient_says_nothing() -> None:
    right = randn(3)
    v = verdict(right, 2 * right, name="dx", numgrad=np.full(3, np.nan))
    assert "numeric gradient" not in causes(v)


def test_a_numeric_gradient_for_a_nested_result_is_found_by_its_path() -> None:
    right = {"W1": randn(2, 2)}
    student = {"grads": {"W1": 3 * right["W1"]}, "@numgrad": {"grads": {"W1": right["W1"]}}}
    verdicts = judge({"grads": right}, student, tolerance=Tolerance(), context=Context("f"))
    assert "bug is in the backward pass" in "\n".join(verdicts[0].diagnosis)
