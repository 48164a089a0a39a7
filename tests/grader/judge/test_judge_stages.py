"""The staged verdict: type, then shape, then finite, then close, each with its own message."""

from __future__ import annotations

import numpy as np
import pytest
from judge_helpers import causes, randn, verdict

from grader.judge import Context, Tolerance, judge
from grader.values import Opaque


def test_a_matching_array_passes_with_its_errors_reported() -> None:
    right = randn(3, 4)
    v = verdict(right, right.copy(), Context("affine_forward"))
    assert v.passed and v.stage is None and v.rel_error == 0.0 and v.diagnosis == ()


def test_a_string_where_an_array_is_expected_fails_the_type_stage() -> None:
    v = verdict(randn(2, 2), "oops", Context("relu_forward"))
    assert v.stage == "type" and "relu_forward: out should be an array of shape (2, 2); got the string" in v.message


def test_an_opaque_object_is_named_by_its_type() -> None:
    v = verdict(randn(2, 2), Opaque("function"), Context("relu_forward"))
    assert v.stage == "type" and "got a function object" in v.message


def test_none_suggests_a_forgotten_return() -> None:
    v = verdict(randn(2), None, Context("relu_forward"))
    assert "forget a return statement" in v.message


def test_a_list_where_an_array_is_expected_asks_for_an_array() -> None:
    v = verdict(randn(2), [1.0, 2.0], Context("f"))
    assert v.stage == "type" and "np.array" in v.message


def test_a_single_number_where_an_array_is_expected_fails_the_type_stage() -> None:
    v = verdict(randn(3), 1.5, Context("f"))
    assert v.stage == "type" and "got a single number (1.5)" in v.message


def test_a_number_where_a_one_element_array_is_expected_fails_the_shape_stage_and_says_keep_the_axis() -> None:
    v = verdict(np.array([1.5]), 1.5, Context("f"), name="db")
    assert v.stage == "shape" and "np.array([value])" in v.message


def test_a_one_element_array_for_a_scalar_loss_fails_and_says_the_value_matches() -> None:
    v = verdict(0.25, np.array([0.25]), Context("softmax_loss"), name="loss")
    assert v.stage == "type" and "float(value)" in v.message and "the value inside matches" in v.message


def test_a_zero_dimensional_array_for_a_scalar_loss_passes() -> None:
    assert verdict(0.25, np.array(0.25), name="loss").passed
    assert verdict(np.array(0.25), 0.25, name="loss").passed


def test_a_bool_where_a_number_is_expected_fails_the_type_stage() -> None:
    assert verdict(1.0, True, name="loss").stage == "type"


def test_an_int_array_with_the_right_values_passes_for_a_float_reference() -> None:
    assert verdict(np.array([[1.0, 0.0], [2.0, 3.0]]), np.array([[1, 0], [2, 3]])).passed


def test_a_python_int_matches_a_float_reference() -> None:
    assert verdict(3.0, 3, name="loss").passed and not verdict(3.0, 4, name="loss").passed


def test_a_tuple_of_the_wrong_length_fails_the_type_stage() -> None:
    v = verdict((randn(2), randn(2)), (randn(2),), Context("f"))
    assert v.stage == "type" and "tuple of 2 values; got 1" in v.message


def test_list_and_tuple_are_interchangeable_and_compared_element_wise() -> None:
    a, b = randn(2), randn(3)
    verdicts = judge({"out": (a, b)}, {"out": [a, b * 2]}, tolerance=Tolerance(), context=Context("f"))
    assert [v.name for v in verdicts] == ["out[0]", "out[1]"]
    assert verdicts[0].passed and not verdicts[1].passed


def test_a_dict_names_its_missing_and_unexpected_keys_and_still_compares_the_rest() -> None:
    ref = {"W1": randn(2, 2), "b1": randn(2)}
    verdicts = judge(
        {"grads": ref}, {"grads": {"W1": ref["W1"], "B1": ref["b1"]}}, tolerance=Tolerance(), context=Context("f")
    )
    failure = next(v for v in verdicts if not v.passed)
    assert "missing ['b1']" in failure.message and "unexpected ['B1']" in failure.message
    assert any(v.passed and v.name == "grads['W1']" for v in verdicts)


def test_a_missing_result_fails_the_type_stage() -> None:
    verdicts = judge({"dx": randn(2)}, {}, tolerance=Tolerance(), context=Context("f"))
    assert verdicts[0].stage == "type" and "no result named 'dx'" in verdicts[0].message


def test_diagnostic_results_are_never_scored() -> None:
    verdicts = judge(
        {"dx": randn(2), "@numgrad": {"dx": randn(2)}}, {"dx": randn(2)}, tolerance=Tolerance(), context=Context("f")
    )
    assert [v.name for v in verdicts] == ["dx"]


def test_equal_flags_and_strings_pass_and_different_ones_fail() -> None:
    assert verdict(True, np.bool_(True)).passed and not verdict(True, False).passed
    assert verdict("train", "train").passed and verdict("train", "test").stage == "type"


def test_a_transposed_weight_gradient_is_named_as_such() -> None:
    v = verdict(randn(6, 5), randn(5, 6), Context("affine_backward"), name="dw")
    assert v.stage == "shape"
    assert v.message.startswith("affine_backward: dw has shape (5, 6); expected (6, 5). It looks transposed")


def test_a_column_vector_where_a_vector_is_expected_says_squeeze() -> None:
    v = verdict(randn(5), randn(5, 1), Context("f"), name="db")
    assert "(5, 1); expected (5,)" in v.message and "extra axis of length 1" in v.message and "squeeze" in v.message


def test_a_missing_axis_of_one_says_reshape() -> None:
    v = verdict(randn(5, 1), randn(5), Context("f"), name="dW2")
    assert "missing an axis of length 1" in v.message and "reshape" in v.message


def test_a_gradient_with_the_padded_shape_was_not_cropped() -> None:
    v = verdict(randn(2, 3, 4, 4), randn(2, 3, 6, 6), Context("conv_backward", pad=1), name="dx")
    assert "dx was not cropped from the padded buffer" in v.message


def test_a_bias_gradient_with_a_batch_axis_says_sum_over_the_batch() -> None:
    v = verdict(randn(3), randn(4, 3), Context("affine_backward", x=randn(4, 5)), name="db")
    assert "sum over the batch (axis=0)" in v.message


def test_a_flattened_gradient_says_reshape_to_the_input_shape() -> None:
    v = verdict(randn(2, 3, 4), randn(2, 12), Context("affine_backward"), name="dx")
    assert "right number of elements" in v.message


def test_nan_values_fail_the_finite_stage_with_count_and_place() -> None:
    right = randn(3, 4)
    wrong = right.copy()
    wrong[1, 2] = np.nan
    wrong[2, 0] = np.inf
    v = verdict(right, wrong, Context("f"))
    assert v.stage == "finite" and "1 NaN and 1 Inf value(s) at [1, 2], [2, 0] out of 12" in v.message


def test_overflow_with_large_logits_suggests_subtracting_the_max() -> None:
    scores = 300 * randn(4, 5)
    v = verdict(randn(4, 5), np.full((4, 5), np.nan), Context("softmax_loss", inputs={"scores": scores}))
    assert "subtract the max before exp" in causes(v)


def test_an_infinite_loss_is_named_the_log_of_a_zero_probability_with_the_log_softmax_fix() -> None:
    scores = 300 * randn(4, 5)
    v = verdict(np.float64(210.5), np.float64(np.inf), Context("softmax_loss", inputs={"scores": scores}), name="loss")
    assert len(v.diagnosis) == 1
    assert "-log of a probability that came out as exactly 0" in v.diagnosis[0]
    assert "log-probabilities from the logits" in v.diagnosis[0]


def test_overflow_in_a_tanh_is_not_blamed_on_a_softmax() -> None:
    v = verdict(randn(4), np.array([np.nan, 1, 1, 1.0]), Context("tanh_forward", inputs={"x": 1000 * randn(4)}))
    assert "np.tanh for tanh" in causes(v) and "did you subtract the max" not in causes(v)


def test_a_loss_of_plus_inf_names_the_log_of_a_probability_that_rounded_to_0_before_the_max_shift_advice() -> None:
    scores = 300 * randn(4, 5)
    v = verdict(np.float64(2.5), np.float64(np.inf), Context("softmax_loss", inputs={"scores": scores}))
    assert v.stage == "finite" and v.diagnosis[0].startswith("A loss of +inf is -log of a probability that came out")


def test_a_nan_loss_from_a_missing_max_shift_is_not_blamed_on_log_of_0() -> None:
    scores = 300 * randn(4, 5)
    v = verdict(np.float64(2.5), np.float64(np.nan), Context("softmax_loss", inputs={"scores": scores}))
    assert "A loss of +inf" not in causes(v) and "subtract the max before exp" in causes(v)


def test_overflow_in_a_sigmoid_suggests_a_stable_form() -> None:
    v = verdict(randn(4), np.array([np.inf, 1, 1, 1.0]), Context("sigmoid", inputs={"z": 1000 * randn(4)}))
    assert "np.exp(-np.abs(z))" in causes(v)


def test_non_finite_values_where_the_reference_has_them_too_pass() -> None:
    right = np.array([1.0, np.inf, np.nan])
    assert verdict(right, right.copy()).passed


def test_a_close_failure_reports_both_errors_and_the_worst_element() -> None:
    right = np.array([[1.0, 2.0], [3.0, 4.0]])
    wrong = right.copy()
    wrong[1, 0] = 3.5
    v = verdict(right, wrong, Context("affine_forward"))
    assert v.stage == "close" and v.worst_index == (1, 0) and v.expected == 3.0 and v.got == 3.5
    assert v.max_rel_error == pytest.approx(0.5 / 6.5) and v.rel_error == pytest.approx(0.5 / np.sqrt(30))
    assert "Worst element out[1, 0]: expected 3, got 3.5" in v.message and "CS231n rel_error 0.07692" in v.message


def test_a_scalar_close_failure_says_what_was_expected() -> None:
    v = verdict(2.0, 2.5, Context("mse_loss"), name="loss")
    assert v.message.startswith("mse_loss: loss is 2.5; expected 2 (relative error 0.25")


def test_an_array_far_larger_than_the_reference_is_refused_on_its_shape_before_any_conversion() -> None:
    huge = np.broadcast_to(np.int8(1), (3, 1_000_000))  # 3 MB of int8 that float64 would make 24 MB
    v = verdict(randn(3, 4), huge, Context("affine_forward"), name="out")
    assert v.stage == "shape" and not v.passed
    assert v.message == "affine_forward: out has shape (3, 1000000), 3000000 values; expected shape (3, 4)."


def test_a_modest_wrong_shape_still_gets_the_usual_message_and_diagnosis() -> None:
    ref = randn(3, 4)
    v = verdict(ref, ref.T.copy(), Context("affine_forward"), name="out")
    assert v.stage == "shape" and "has shape (4, 3); expected (3, 4)" in v.message
