"""Errors confined to one region of the array are named by that region."""

from __future__ import annotations

import numpy as np
from judge_helpers import causes, randn, verdict

from grader.judge import Context


def test_rows_with_label_zero_only_are_named() -> None:
    y = np.array([0, 1, 1, 0, 1] * 3)
    right = randn(15)
    wrong = np.where(y == 0, right + 0.3, right)
    text = causes(verdict(right, wrong, Context("bce_with_logits", labels=y), name="dz"))
    assert "rows of dz with y = 0 are wrong" in text and "(1 - y) * log(1 - p)" in text


def test_rows_with_label_one_only_are_named() -> None:
    y = np.array([0, 1, 1, 0, 1] * 3)
    right = randn(15)
    wrong = np.where(y[:, None] == 1, 2 * right[:, None] - 1, right[:, None])
    text = causes(verdict(right[:, None], wrong, Context("f", labels=y), name="dz"))
    assert "with y = 1 are wrong" in text


def test_negative_perceptron_labels_only_are_named() -> None:
    y = np.array([-1, 1] * 5)
    right = randn(10)
    wrong = np.where(y < 0, 0.0, right)
    assert "with y = -1 are wrong" in causes(verdict(right, wrong, Context("hinge_loss", labels=y), name="dz"))


def test_a_region_the_few_wrong_entries_could_fall_in_by_luck_is_not_named() -> None:
    y = np.array([-1, 1, -1, 1, -1, 1])
    right = randn(6)
    wrong = right.copy()
    wrong[[0, 2]] += 0.5  # two wrong rows, both y = -1: a coin falls that way one time in four
    assert "with y = -1 are wrong" not in causes(verdict(right, wrong, Context("hinge_loss", labels=y), name="dz"))


def test_an_error_only_at_the_true_class_points_to_the_minus_one() -> None:
    y = np.array([2, 0, 1, 2])
    right = randn(4, 3)
    wrong = right.copy()
    wrong[np.arange(4), y] += 0.25
    text = causes(verdict(right, wrong, Context("softmax_loss", labels=y), name="dscores"))
    assert "Only the true-class entries dscores[i, y_i] are wrong" in text and "subtract 1" in text


def test_an_error_everywhere_but_the_true_class_is_named() -> None:
    y = np.array([2, 0, 1, 2])
    right = randn(4, 3)
    wrong = right * 1.5
    wrong[np.arange(4), y] = right[np.arange(4), y]
    text = causes(verdict(right, wrong, Context("svm_loss", labels=y), name="dscores"))
    assert "except the true-class entries" in text


def test_an_error_only_where_x_is_negative_is_named() -> None:
    x, dout = randn(3, 4), randn(3, 4, seed=1)
    right = dout * (x > 0) + 0.01 * dout * (x < 0)
    wrong = dout * (x > 0)
    text = causes(verdict(right, wrong, Context("leaky_relu_backward", x=x), name="dx"))
    assert "where x < 0 are wrong" in text and "slope alpha" in text


def test_an_error_only_where_x_is_positive_is_named() -> None:
    x, dout = randn(3, 4), randn(3, 4, seed=1)
    right = dout * (x > 0)
    wrong = np.where(x > 0, dout + 1.0, 0.0)
    text = causes(verdict(right, wrong, Context("relu_backward", x=x), name="dx"))
    assert "where x > 0 are wrong" in text


def test_a_pure_scale_confined_by_the_mask_names_the_factor_not_the_region_again() -> None:
    x, dout = randn(3, 4), randn(3, 4, seed=1)
    right = dout * (x > 0)
    found = verdict(right, 2 * right, Context("relu_backward", x=x), name="dx").diagnosis
    assert len(found) == 1 and "exactly 2 times" in found[0]


def test_a_single_wrong_sample_of_the_batch_is_named() -> None:
    right = randn(5, 4)
    wrong = right.copy()
    wrong[3] = 0.0
    text = causes(verdict(right, wrong, Context("f", x=randn(5, 4, seed=3)), name="dx"))
    assert "Only sample 3 of the batch (dx[3]) is wrong" in text


def test_a_single_wrong_row_that_is_not_a_sample_is_called_a_row() -> None:
    right = randn(6, 3)
    wrong = right.copy()
    wrong[1] += 1.0
    text = causes(verdict(right, wrong, Context("f", x=randn(2, 6)), name="dw"))
    assert "Only row 1 of dw is wrong" in text


def test_a_single_wrong_column_is_named() -> None:
    right = randn(5, 4)
    wrong = right.copy()
    wrong[:, 2] *= 3.0
    text = causes(verdict(right, wrong, Context("f"), name="dw"))
    assert "Only column 2 of dw (dw[:, 2]) is wrong" in text


def test_an_error_only_on_the_padding_border_is_named() -> None:
    right = randn(2, 3, 6, 6)
    wrong = right.copy()
    wrong[:, :, 0, :] = 0.0
    wrong[:, :, :, -1] = 0.0
    text = causes(verdict(right, wrong, Context("conv_forward", pad=1)))
    assert "Only the border of width 1" in text and "zero padding" in text


def test_a_wider_padding_border_uses_the_given_pad() -> None:
    right = randn(1, 2, 8, 8)
    wrong = right.copy()
    wrong[:, :, :2, :] += 1.0
    assert "border of width 2" in causes(verdict(right, wrong, Context("conv_forward", pad=2)))


def test_an_error_everywhere_names_no_region() -> None:
    right = randn(4, 3)
    text = causes(
        verdict(right, right + randn(4, 3, seed=5), Context("f", x=randn(4, 3), labels=np.array([0, 1, 2, 0])))
    )
    assert "Only" not in text and "except" not in text


def test_a_gradient_wrong_only_where_the_reference_is_zero_names_a_missing_mask() -> None:
    dout = randn(6, 8)
    mask = randn(6, 8, seed=1) > 0
    v = verdict(dout * mask / 0.5, dout / 0.5, Context("dropout_backward", inputs={"dout": dout}), name="dx")
    zeros = int((~mask).sum())
    expected = f"Your dx is wrong only where the reference's is exactly 0 ({zeros} of those {zeros} entries"
    assert expected in causes(v) and "a mask is missing or not applied there" in causes(v)


def test_a_few_wrong_entries_among_many_zeros_are_not_called_a_mask() -> None:
    right = np.zeros((6, 8))
    right[0, 0] = 1.0  # nearly all zero: one wrong entry landing on a zero says nothing
    wrong = right.copy()
    wrong[3, 4] = 0.7
    assert "exactly 0" not in causes(verdict(right, wrong, Context("relu_backward"), name="dx"))
