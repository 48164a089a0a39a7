"""A training history as drivers report it (a list of losses, or named series), stored, and read back."""

from __future__ import annotations

import math

import numpy as np

from grader.grading import history_series
from grader.grading._history import MAX_POINTS, loss_values, training_history


def test_a_list_of_losses_is_stored_as_it_was_and_read_as_a_loss_per_step() -> None:
    stored = training_history(np.array([2.0, 1.0, np.nan, np.inf, 0.5]))
    assert isinstance(stored, list) and stored[:2] == [2.0, 1.0] and math.isnan(stored[2]) and math.isnan(stored[3])
    [series] = history_series([2.0, 1.0, None, 0.5])  # the database's JSON holds NaN as null
    assert (series.kind, series.per, series.every, series.label) == ("loss", "step", 1, "loss")
    assert series.values[:2] == [2.0, 1.0] and math.isnan(series.values[2])


def test_named_series_keep_their_unit_and_read_as_loss_or_accuracy_by_name() -> None:
    stored = training_history(
        {
            "loss_history": np.array([2.3, 1.1, 0.4]),
            "train_acc_history": [0.5, 0.8],
            "val_acc_history": np.array([0.4, 0.7]),
            "per": {"loss_history": "step"},
        }
    )
    read = {(s.label, s.kind, s.per) for s in history_series(stored)}
    assert read == {
        ("loss", "loss", "step"),
        ("train accuracy", "accuracy", "epoch"),
        ("validation accuracy", "accuracy", "epoch"),
    }
    assert loss_values(stored) == [2.3, 1.1, 0.4]
    every_epoch = training_history({"loss": [1.0, 0.5], "train_accuracy": [0.6, 0.9], "per": "epoch"})
    assert {s.per for s in history_series(every_epoch)} == {"epoch"}


def test_what_is_not_a_history_is_dropped_and_names_are_cleaned() -> None:
    assert training_history("loss") is None and training_history({"loss": "x"}) is None
    assert training_history(np.zeros((2, 2))) is None
    stored = training_history({"<b>loss</b>": [1.0, True, 0.5], "per": 3})
    assert stored == {"blossb": {"per": "step", "every": 1, "values": [1.0, 0.5]}}
    assert history_series({"x": "not a record", "y": {"values": "nope"}}) == []


def test_a_history_longer_than_the_cap_is_kept_as_block_means_with_its_stride() -> None:
    stored = training_history(np.arange(3 * MAX_POINTS + 3, dtype=np.float64))
    [series] = history_series(stored)
    assert series.every == 4 and len(series.values) <= MAX_POINTS
    assert series.values[0] == 1.5  # the mean of steps 0..3
