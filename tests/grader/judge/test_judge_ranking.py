"""Ranking the likely causes of a failed test: most specific first, each said once, consistent, at most three."""

from __future__ import annotations

import numpy as np
from judge_helpers import randn, verdict

from grader.judge import MAX_CAUSES, Context, Tolerance, Variant, judge, likely_causes


def _test_causes(reference: dict[str, object], student: dict[str, object], **kw: object) -> list[str]:
    """The likely causes a test report shows for these results (the same call the grader makes)."""
    verdicts = judge(reference, student, tolerance=Tolerance(), context=kw.pop("ctx", Context("f")), **kw)  # type: ignore[arg-type]
    return likely_causes([v for v in verdicts if not v.passed])


def test_the_same_factor_on_every_gradient_is_said_once() -> None:
    ref = {"dx": randn(4, 3), "dw": randn(3, 2, seed=1), "db": randn(2, seed=2)}
    stu = {k: 2 * v for k, v in ref.items()}
    found = _test_causes(ref, stu)
    assert len(found) == 1 and "Your dx is exactly 2 times" in found[0]


def test_a_test_never_shows_more_than_three_causes() -> None:
    ref = {f"g{i}": randn(4, 3, seed=i) for i in range(6)}
    factors = [2.0, 0.5, -1.0, 3.7, -2.9, 0.31]
    stu = {k: f * v for (k, v), f in zip(ref.items(), factors, strict=True)}
    found = _test_causes(ref, stu)
    assert len(found) == MAX_CAUSES == 3
    # the named factors come before the unnamed ones
    assert all("i.e. k =" in c or "sign flipped" in c for c in found)


def test_a_variant_matching_every_result_comes_before_one_matching_only_some() -> None:
    ref = {"dx": randn(4, 3), "dw": randn(3, 2, seed=1)}
    stu = {"dx": 2 * ref["dx"], "dw": 2 * ref["dw"]}
    partial = Variant("dx_only", "Only dx is doubled.", {"dx": 2 * ref["dx"], "dw": ref["dw"]})
    whole = Variant("both", "Everything is doubled.", {"dx": 2 * ref["dx"], "dw": 2 * ref["dw"]})
    found = _test_causes(ref, stu, variants=[partial, whole])
    assert found[0] == "Everything is doubled."
    assert not any("exactly 2 times" in c for c in found)  # the hints explain it: no restatement


def test_a_variant_hint_comes_before_a_formula_found_on_another_result() -> None:
    ref = {"loss": np.float64(1.25), "dscores": randn(4, 3)}
    stu = {"loss": np.float64(2.25), "dscores": -ref["dscores"]}
    variant = Variant("neg", "The minus sign of dscores is missing.", {"loss": ref["loss"], "dscores": stu["dscores"]})
    ctx = Context("svm_loss", inputs={"delta": 1.0})
    found = _test_causes(ref, stu, variants=[variant], ctx=ctx)
    assert found[0] == "The minus sign of dscores is missing."
    assert len(found) == 2 and "too large by exactly delta = 1" in found[1]


def test_a_plain_offset_that_only_repeats_the_message_gives_way_to_a_named_cause() -> None:
    ref = {"loss": np.float64(1.25), "dx": randn(4, 3)}
    stu = {"loss": np.float64(1.55), "dx": -ref["dx"]}
    found = _test_causes(ref, stu)
    assert len(found) == 1 and "sign flipped" in found[0]


def test_an_all_zero_result_is_not_called_zero_times_the_reference() -> None:
    found = verdict(randn(4, 3), np.zeros((4, 3)), name="dw").diagnosis
    assert found and "all zeros" in found[0]
    assert not any("0 times the reference" in c or "pure scale" in c for c in found)


def test_a_factor_close_to_one_is_printed_with_the_digits_that_tell_it_from_one() -> None:
    right = randn(4, 3)
    found = "\n".join(verdict(right, 1.00003 * right).diagnosis)
    assert "exactly 1.00003 times" in found


def test_a_backward_bug_elsewhere_is_not_contradicted_by_a_forward_verdict() -> None:
    x = randn(4, 3)
    ref = {"dx": x, "dw": randn(3, 3, seed=1) + 5.0}
    stu = {"dx": x + 0.1 * randn(4, 3, seed=3), "dw": ref["dw"] + 0.2 * randn(3, 3, seed=4)}
    numgrad = {"dx": stu["dx"].copy(), "dw": ref["dw"].copy()}  # dx agrees with its forward, dw does not
    found = _test_causes(ref, {**stu, "@numgrad": numgrad})
    assert any("the bug is in the backward pass" in c for c in found)
    assert not any("comes from the forward" in c for c in found)


def test_a_named_factor_is_not_followed_by_a_residual_that_says_it_is_not_a_scale_error() -> None:
    ref = {"dx": randn(4, 3), "dw": randn(3, 2, seed=1)}
    stu = {"dx": 2 * ref["dx"], "dw": ref["dw"] + 0.3 * randn(3, 2, seed=5)}
    found = _test_causes(ref, stu)
    assert found[0].startswith("Your dx is exactly 2 times")
    assert not any("not only a scale error" in c for c in found)


def test_a_matched_variant_replaces_the_stages_guess_about_an_overflow() -> None:
    ref = {"out": randn(4)}
    nan = {"out": np.array([np.nan, 1.0, 1.0, 1.0])}
    variant = Variant("tanh_exp", "Your tanh overflows: use np.tanh.", {"out": nan["out"].copy()})
    ctx = Context("tanh_forward", inputs={"x": 1000 * randn(4)})
    assert _test_causes(ref, nan, variants=[variant], ctx=ctx) == ["Your tanh overflows: use np.tanh."]


def test_nan_everywhere_matches_only_a_variant_that_matches_every_result() -> None:
    ref = {"loss": np.float64(2.0), "dscores": randn(4, 3)}
    stu = {"loss": np.float64(np.nan), "dscores": np.full((4, 3), np.nan)}
    own = Variant("no_shift", "No max shift.", {"loss": np.float64(np.nan), "dscores": np.full((4, 3), np.nan)})
    other = Variant("batch_axis", "Normalised over the batch.", {"loss": np.float64(np.nan), "dscores": randn(4, 3)})
    assert _test_causes(ref, stu, variants=[other, own]) == ["No max shift."]


def test_a_variant_that_changes_a_result_the_student_got_right_is_not_blamed() -> None:
    ref = {"loss": np.float64(0.75), "dz": randn(6)}
    stu = {"loss": np.float64(0.75), "dz": np.where(np.arange(6) < 3, ref["dz"], 0.0)}
    margin = Variant("margin_zero", "Your hinge loss uses margin 0.", {"loss": np.float64(0.5), "dz": stu["dz"]})
    found = _test_causes(ref, {**stu, "@numgrad": {"dz": ref["dz"].copy()}}, variants=[margin])
    assert len(found) == 1 and "the bug is in the backward pass" in found[0]


def test_a_near_miss_prints_expected_and_got_with_the_digits_that_tell_them_apart() -> None:
    v = verdict(np.float64(0.99999), np.float64(1.00001), name="loss")
    assert "is 1.00001; expected 0.99999" in v.message
    tight = verdict(np.float64(1.0), np.float64(1.5), name="loss", tolerance=Tolerance(rel_norm=1.25e-7))
    assert "(allowed 1.25e-07)" in tight.message


def test_a_parameter_the_forward_never_uses_is_named_not_blamed_on_the_backward() -> None:
    # A forward without its bias b2: the loss is wrong, and the numeric gradient for b2 is exactly 0.
    ref = {"loss": np.float64(1.5), "b2": randn(3)}
    stu = {"loss": np.float64(1.2), "b2": ref["b2"] + 0.3 * randn(3, seed=2)}
    found = _test_causes(ref, {**stu, "@numgrad": {"b2": np.zeros(3)}})
    assert any("is exactly 0 everywhere: your forward pass does not use this parameter" in c for c in found)
    assert not any("the bug is in the backward pass" in c for c in found)


def test_a_backward_that_disagrees_with_a_wrong_forward_does_not_say_the_bug_is_in_the_backward() -> None:
    ref = {"dw": randn(3, 2)}
    stu = {"dw": ref["dw"] + 0.3 * randn(3, 2, seed=5)}
    own = ref["dw"] + 0.2 * randn(3, 2, seed=6)  # the student's forward is wrong too
    found = _test_causes(ref, {**stu, "@numgrad": {"dw": own}})
    assert any("your forward pass is wrong too, so fix the forward first" in c for c in found)
    assert not any("the bug is in the backward pass" in c for c in found)


def test_a_variant_matching_one_result_but_not_another_it_changes_is_not_a_cause() -> None:
    # Two mistakes can both drop one example's share of dW2; only one of them also changes dW1 the way the
    # student's did. The other matches dW2 by coincidence and is not named.
    ref = {"dW1": randn(4, 3), "dW2": randn(3, 2, seed=1)}
    stu = {"dW1": ref["dW1"] + 0.4 * randn(4, 3, seed=2), "dW2": 0.5 * ref["dW2"]}
    other = Variant("assign", "You assign instead of adding.", {"dW1": 3 * ref["dW1"], "dW2": stu["dW2"].copy()})
    found = _test_causes(ref, stu, variants=[other])
    assert "You assign instead of adding." not in found and found


def test_an_all_zero_result_matches_only_a_variant_that_matches_everything() -> None:
    ref = {"db": randn(4), "dw": randn(3, 4, seed=1)}
    stu = {"db": np.zeros(4), "dw": ref["dw"] + 0.3 * randn(3, 4, seed=2)}
    lost = Variant("lost", "The gradient is lost on the way.", {"db": np.zeros(4), "dw": ref["dw"].copy()})
    found = _test_causes(ref, stu, variants=[lost])
    assert "The gradient is lost on the way." not in found
    assert any("Your db is all zeros" in c for c in found)
