"""`gradelib.training_log`: a driver records each call of a submitted loss function during training."""

from __future__ import annotations

import math
import time
import types
from typing import Any

import numpy as np
import pytest

from grader._harness import gradelib

STUDENT = """
import numpy as np

def loss(scores, y, delta=1.0):
    return float(np.mean(scores)) * delta, np.ones_like(scores)

def train(X, y):
    for start in range(0, len(y), 2):
        loss(X[start : start + 2], y[start : start + 2], delta=2.0)  # found by its name, as students do
    return "trained"
"""


def _module() -> types.ModuleType:
    module = types.ModuleType("student")
    exec(STUDENT, module.__dict__)
    return module


def _predicted(arguments: list[Any]) -> np.ndarray:
    scores, _, delta = arguments
    assert delta == 2.0  # the arguments come in the function's order, keywords and defaults included
    return np.argmax(scores, axis=1)


def test_every_call_is_a_step_and_the_accuracy_is_counted_per_epoch() -> None:
    module = _module()
    X = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0], [0.0, 1.0]])
    y = np.array([0, 0, 0, 0])
    original = module.loss
    with gradelib.training_log(module, "loss", 2, labels=1, predict=_predicted) as log:
        assert module.train(X, y) == "trained"
    assert module.loss is original
    history = log.history()
    assert history["loss"].tolist() == [1.0, 1.0]
    assert history["train_accuracy"].tolist() == [0.5, 0.5]
    assert history["per"] == {"loss": "step", "train_accuracy": "epoch"}


def test_a_prediction_that_fails_does_not_disturb_the_training_and_errors_pass_through() -> None:
    module = types.ModuleType("student")

    def loss(x: float, y: np.ndarray) -> tuple[float, None]:
        if x < 0:
            raise ValueError("negative")
        return x, None

    module.loss = loss  # type: ignore[attr-defined]
    with gradelib.training_log(module, "loss", 1, labels=1, predict=lambda arguments: 1 // 0) as log:
        assert module.loss(3.0, np.array([1])) == (3.0, None)
        with pytest.raises(ValueError, match="negative"):
            module.loss(-1.0, np.array([1]))
    assert log.history()["loss"].tolist() == [3.0] and "train_accuracy" not in log.history()


def test_past_its_allowance_predicting_counts_only_the_first_call_of_each_epoch() -> None:
    calls = []

    def slow(arguments: list[Any]) -> np.ndarray:
        calls.append(1)
        time.sleep(gradelib.OVERHEAD_SECONDS * 0.6)
        return np.asarray(arguments[1])

    log = gradelib.TrainingLog(4, 1, slow)  # an epoch of four calls of one example each
    for _ in range(8):
        log.record((1.0,), [None, np.array([1])])
    # the first two calls fit the allowance; then only the second epoch's first call is counted
    assert len(calls) == 3 and log.accuracy == [1.0, 1.0]


def test_an_epoch_whose_predictions_all_failed_is_a_gap() -> None:
    log = gradelib.TrainingLog(1, 1, lambda arguments: np.asarray(arguments[1]) if arguments[0] else 1 // 0)
    for ok in (True, False, True):
        log.record((1.0,), [ok, np.array([1])])
    assert log.accuracy[0] == 1.0 and math.isnan(log.accuracy[1]) and log.accuracy[2] == 1.0
    assert math.isnan(log.history()["train_accuracy"][1])


def test_a_long_run_travels_as_block_means() -> None:
    log = gradelib.TrainingLog(10, 0, None)
    for i in range(gradelib.MAX_STEPS * 2 + 1):
        log.record((float(i),), [np.array([0])])
    history = log.history()
    assert history["every"] == {"loss": 3} and history["loss"][0] == 1.0 and history["loss"].size <= gradelib.MAX_STEPS
