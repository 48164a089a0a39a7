"""Rendering a visible test's inputs: shapes always, values of small arrays, dicts inline."""

from __future__ import annotations

import numpy as np

from grader.judge import summarise_inputs


def test_small_arrays_show_their_values_to_four_significant_digits() -> None:
    text = summarise_inputs({"x": np.array([[1 / 3, 2.0], [123456.0, -0.5]])})
    assert "x = array of shape (2, 2), float64" in text and "0.3333" in text and "1.235e+05" in text


def test_large_arrays_show_only_their_shape() -> None:
    text = summarise_inputs({"w": np.zeros((10, 10))}, limit=24)
    assert text == "  w = array of shape (10, 10), float64"


def test_dict_parameters_are_rendered_inline() -> None:
    text = summarise_inputs({"conv_param": {"stride": 1, "pad": 2}, "reg": 0.1, "mode": "train"})
    assert "conv_param = {'stride': 1, 'pad': 2}" in text and "reg = 0.1" in text and "mode = 'train'" in text


def test_integer_labels_are_shown_in_full() -> None:
    assert "[0, 2, 1]" in summarise_inputs({"y": np.array([0, 2, 1])})


def test_a_number_input_keeps_every_digit_the_test_gives_it() -> None:
    text = summarise_inputs({"p_keep": 0.99875, "bn_param": {"eps": 1e-05, "momentum": 0.9}, "delta": 2.0})
    assert "p_keep = 0.99875" in text and "'eps': 1e-05" in text and "'momentum': 0.9" in text and "delta = 2" in text
