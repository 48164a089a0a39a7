"""Whole-array mistakes: a wrong formula, a loss offset, an L2 convention, a broken batch-norm path."""

from __future__ import annotations

import numpy as np
from judge_helpers import causes, randn, verdict

from grader.judge import Context


def test_a_relu_mask_built_from_dout_is_named() -> None:
    x, dout = randn(3, 4), randn(3, 4, seed=1)
    v = verdict(dout * (x > 0), dout * (dout > 0), Context("relu_backward", inputs={"dout": dout}, x=x), name="dx")
    assert "the mask must come from the input x" in v.diagnosis[0]


def test_a_tanh_derivative_from_the_pre_activation_is_named() -> None:
    x, dout = randn(3, 4), randn(3, 4, seed=1)
    ctx = Context("tanh_backward", inputs={"dout": dout}, x=x)
    assert "1 - tanh(x)**2" in causes(verdict(dout * (1 - np.tanh(x) ** 2), dout * (1 - x**2), ctx, name="dx"))


def test_a_sigmoid_derivative_from_the_pre_activation_is_named() -> None:
    x, dout = randn(3, 4), randn(3, 4, seed=1)
    sig = 1 / (1 + np.exp(-x))
    ctx = Context("sigmoid_backward", inputs={"dout": dout}, x=x)
    assert "s * (1 - s)" in causes(verdict(dout * sig * (1 - sig), dout * x * (1 - x), ctx, name="dx"))


def test_the_values_of_a_transposed_square_matrix_are_named() -> None:
    right = randn(4, 4)
    assert "transpose of the reference" in causes(verdict(right, right.T, Context("affine_backward"), name="dw"))


def test_a_flipped_kernel_is_named_as_true_convolution() -> None:
    right = randn(2, 3, 3, 3)
    text = causes(verdict(right, right[:, :, ::-1, ::-1].copy(), Context("conv_backward"), name="dw"))
    assert "true convolution" in text


def test_a_constant_offset_on_every_entry_is_named() -> None:
    right = randn(3, 4)
    assert "off by the same constant 0.5" in causes(verdict(right, right + 0.5, Context("f")))


def test_a_loss_offset_is_reported_with_the_ratio() -> None:
    text = causes(verdict(2.0, 2.5, Context("mse_loss"), name="loss"))
    assert "differs from the reference by 0.5" in text and "1.25 times the reference's" in text


def test_an_svm_loss_counting_the_true_class_is_off_by_exactly_delta_from_the_inputs() -> None:
    ctx = Context("svm_loss", inputs={"scores": randn(4, 3), "delta": 2.5})
    assert "did you count j = y_i" in causes(verdict(1.25, 3.75, ctx, name="loss"))


def test_an_svm_loss_without_delta_in_the_inputs_uses_one() -> None:
    text = causes(verdict(1.25, 2.25, Context("svm_loss"), name="loss"))
    assert "exactly delta = 1" in text


def test_an_offset_of_one_is_not_called_delta_outside_svm() -> None:
    assert "delta" not in causes(verdict(1.25, 2.25, Context("mse_loss"), name="loss"))


def l2_context() -> tuple[Context, np.ndarray]:
    w1, w2 = randn(3, 4), randn(4, 2, seed=1)
    params = {"W1": w1, "b1": randn(4, seed=2), "W2": w2, "b2": randn(2, seed=3)}
    return Context("two_layer_loss", inputs={"params": params, "X": randn(5, 3), "reg": 0.1}), w1


def test_a_loss_with_half_the_l2_term_is_named() -> None:
    ctx, _ = l2_context()
    params = ctx.inputs["params"]
    assert isinstance(params, dict)
    penalty = 0.1 * sum(float(np.sum(params[k] ** 2)) for k in ("W1", "W2"))
    assert "has a 1/2" in causes(verdict(1.0 + penalty, 1.0 + penalty / 2, ctx, name="loss"))
    assert "missing the L2 term" in causes(verdict(1.0 + penalty, 1.0, ctx, name="loss"))


def test_a_weight_gradient_without_the_l2_term_is_named() -> None:
    ctx, w1 = l2_context()
    data_grad = randn(3, 4, seed=9)
    right = data_grad + 2 * 0.1 * w1
    judged = verdict({"W1": right}, {"W1": data_grad}, ctx, name="grads")
    assert judged.name == "grads['W1']"
    assert "missing the regularisation gradient 2*reg*W" in causes(judged)
    half = verdict({"W1": right}, {"W1": data_grad + 0.1 * w1}, ctx, name="grads")
    assert "the gradient of reg*sum(W**2) is 2*reg*W" in causes(half)


def bn_backward(dout: np.ndarray, x: np.ndarray, *, mean_path: bool = True, var_path: bool = True) -> np.ndarray:
    """Batch-norm dx (gamma = 1, eps = 1e-5) by the staged chain rule, with either path removable."""
    n, eps = x.shape[0], 1e-5
    xc = x - x.mean(axis=0)
    std = np.sqrt((xc**2).mean(axis=0) + eps)
    dvar = (dout * xc).sum(axis=0) * -0.5 * std**-3
    dmu = -dout.sum(axis=0) / std + dvar * (-2 * xc).mean(axis=0)
    dx = dout / std
    if var_path:
        dx = dx + dvar * 2 * xc / n
    if mean_path:
        dx = dx + dmu / n
    return dx


def test_batch_norm_without_the_mean_path_fails_only_the_column_sum_invariant() -> None:
    x, dout = 3 + 2 * randn(8, 5), randn(8, 5, seed=1)
    ctx = Context("batchnorm_backward", x=x, batchnorm=True)
    text = causes(verdict(bn_backward(dout, x), bn_backward(dout, x, mean_path=False), ctx, name="dx"))
    assert "zero column sums; yours does not: the mean path is missing" in text
    assert "variance path" not in text


def test_batch_norm_without_the_variance_path_fails_only_the_x_hat_invariant() -> None:
    x, dout = 3 + 2 * randn(8, 5), randn(8, 5, seed=1)
    ctx = Context("batchnorm_backward", x=x, batchnorm=True)
    text = causes(verdict(bn_backward(dout, x), bn_backward(dout, x, var_path=False), ctx, name="dx"))
    assert "the variance path is missing or wrong" in text
    assert "mean path" not in text


def test_a_batch_norm_dx_that_keeps_both_invariants_blames_neither_path() -> None:
    x, dout = randn(8, 5), randn(8, 5, seed=1)
    right = bn_backward(dout, x)
    text = causes(verdict(right, 3 * right, Context("batchnorm_backward", x=x, batchnorm=True), name="dx"))
    assert "path" not in text and "exactly 3 times" in text


def test_a_bias_left_out_is_named_on_a_dense_and_on_a_per_channel_output() -> None:
    x, w, b = randn(4, 5), randn(5, 3, seed=1), randn(3, seed=2)
    ctx = Context("affine_forward", inputs={"x": x, "w": w, "b": b}, x=x)
    v = verdict(x @ w + b, x @ w, ctx, name="out")
    assert v.diagnosis[0] == "Your out is the reference minus the input b: b is never added (out + b would be right)."
    conv, cb = randn(2, 4, 3, 3, seed=3), randn(4, seed=4)  # F = 4 channels; a 3x3 map, so no other axis fits
    placed = cb[None, :, None, None]
    ctx = Context("conv_forward", inputs={"x": randn(2, 3, 5, 5, seed=5), "b": cb})
    assert "b is never added" in verdict(conv + placed, conv, ctx, name="out").diagnosis[0]
    assert "b is added twice" in verdict(conv + placed, conv + 2 * placed, ctx, name="out").diagnosis[0]


def test_an_input_equal_to_the_reference_is_not_named_when_a_scale_factor_says_it() -> None:
    x = randn(4, 5)  # test-mode dropout returns x: 2x is "twice the reference", not "x added twice"
    v = verdict(x.copy(), 2 * x, Context("dropout_forward", inputs={"x": x}, x=x), name="out")
    assert "added twice" not in causes(v) and "exactly 2 times the reference" in v.diagnosis[0]


def test_an_offset_that_is_not_an_input_is_not_named_as_one() -> None:
    x, w, b = randn(4, 5), randn(5, 3, seed=1), randn(3, seed=2)
    ctx = Context("affine_forward", inputs={"x": x, "w": w, "b": b}, x=x)
    v = verdict(x @ w + b, x @ w + b + 0.5 * randn(3, seed=9), ctx, name="out")
    assert "input b" not in causes(v)


def test_a_backward_that_returns_the_local_derivative_without_dout_is_named() -> None:
    x, dout = randn(3, 4), randn(3, 4, seed=1)
    sig = 1 / (1 + np.exp(-x))
    ctx = Context("sigmoid_backward", inputs={"dout": dout}, x=x)
    v = verdict(dout * sig * (1 - sig), sig * (1 - sig), ctx, name="dx")
    assert v.diagnosis[0].startswith("Your dx is the local derivative alone, the reference divided by dout")


def test_relu_without_its_mask_is_named_once_by_the_sign_of_x() -> None:
    x, dout = randn(4, 5), randn(4, 5, seed=1)
    v = verdict(dout * (x > 0), dout.copy(), Context("relu_backward", inputs={"dout": dout}, x=x), name="dx")
    assert "where x < 0 are wrong" in causes(v) and "exactly 0" not in causes(v)
