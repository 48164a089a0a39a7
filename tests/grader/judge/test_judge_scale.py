"""Pure scale errors are named by their factor, with the mistake each factor usually means."""

from __future__ import annotations

import numpy as np
import pytest
from judge_helpers import causes, randn, verdict

from grader.judge import Context

N, K, P = 4, 3, 0.8


def batch_context() -> Context:
    return Context("softmax_loss", inputs={"scores": randn(N, K), "y": np.array([0, 2, 1, 0])})


@pytest.mark.parametrize(
    ("factor", "phrase"),
    [
        (N, "summed instead of averaged over the batch"),
        (1 / N, "averaged where it should be summed"),
        (1 / N, "extra 1/N"),
        (K, "averaged over N only: the mean runs over all N*K elements"),
        (N * K, "summed over all N*K elements instead of averaged"),
        (1 / K, "an extra 1/K"),
        (-1, "sign flipped"),
        (2, "an extra factor 2"),
        (0.5, "a missing factor 2"),
    ],
)
def test_a_scaled_gradient_is_named_by_its_factor(factor: float, phrase: str) -> None:
    right = randn(N, K)
    v = verdict(right, factor * right, batch_context())
    assert v.stage == "close"
    assert phrase in causes(v)
    assert "exactly" in v.diagnosis[0]


@pytest.mark.parametrize(
    ("factor", "phrase"),
    [
        (P, "not rescaled by 1/p_keep"),
        (P**2, "multiplied by p_keep where you should divide by it"),
        (1 / P, "divided by p_keep once too often"),
        (P / (1 - P), "p was taken as the drop probability"),
    ],
)
def test_a_dropout_gradient_off_by_the_keep_probability_is_named(factor: float, phrase: str) -> None:
    right = randn(5, 6)
    v = verdict(right, factor * right, Context("dropout_backward", x=randn(5, 6), p_keep=P))
    assert phrase in causes(v)


def test_a_flipped_sign_combined_with_a_missing_average_says_both() -> None:
    right = randn(N, K)
    text = causes(verdict(right, -N * right, batch_context()))
    assert "sign flipped" in text and "summed instead of averaged over the batch" in text


def test_an_unnamed_factor_is_printed_plainly() -> None:
    right = randn(N, K)
    text = causes(verdict(right, 1.37 * right, batch_context()))
    assert "exactly 1.37 times the reference" in text and "pure scale error" in text


def test_a_factor_that_means_two_things_names_both() -> None:
    right = randn(2, 5)
    text = causes(verdict(right, 2 * right, Context("f", inputs={"x": randn(2, 5)})))
    assert "N = 2" in text and "an extra factor 2" in text


def test_an_error_that_is_not_a_pure_scale_reports_the_best_scale_and_residual() -> None:
    right = randn(6, 5)
    wrong = 0.9 * right + 0.05 * randn(6, 5, seed=1)
    text = causes(verdict(right, wrong, Context("f")))
    assert "Least-squares scale" in text and "not only a scale error" in text
    assert "exactly" not in text


def test_a_scalar_loss_off_by_the_batch_size_is_named() -> None:
    v = verdict(0.75, 0.75 * N, batch_context(), name="loss")
    assert "summed instead of averaged over the batch" in causes(v)
