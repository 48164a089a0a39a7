"""`gradelib.training_log`: a driver records each call of a submitted loss function during training."""

from __future__ import annotations

import types

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


def _correct(arguments: list[object]) -> tuple[int, int]:
    scores, y, delta = arguments
    assert delta == 2.0
    return int(np.sum(np.argmax(scores, axis=1) == y)), len(y)  # type: ignore[arg-type]


def test_every_call_is_a_step_and_the_accuracy_is_counted_per_epoch() -> None:
    module = _module()
    X = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0], [0.0, 1.0]])
    y = np.array([0, 0, 0, 0])
    original = module.loss
    with gradelib.training_log(module, "loss", 2, _correct) as log:
        assert module.train(X, y) == "trained"
    assert module.loss is original
    history = log.history()
    assert history["loss"].tolist() == [1.0, 1.0]
    assert history["train_accuracy"].tolist() == [0.5, 0.5]
    assert history["per"] == {"loss": "step", "train_accuracy": "epoch"}


def test_a_count_that_fails_does_not_disturb_the_training_and_errors_pass_through() -> None:
    module = types.ModuleType("student")

    def loss(x):  # type: ignore[no-untyped-def]
        if x < 0:
            raise ValueError("negative")
        return x, None

    module.loss = loss  # type: ignore[attr-defined]
    with gradelib.training_log(module, "loss", 1, lambda arguments: 1 // 0) as log:  # type: ignore[arg-type,return-value]
        assert module.loss(3.0) == (3.0, None)
        with pytest.raises(ValueError, match="negative"):
            module.loss(-1.0)
    assert log.history()["loss"].tolist() == [3.0] and "train_accuracy" not in log.history()


def test_a_long_run_travels_as_block_means() -> None:
    log = gradelib.TrainingLog(10, None)
    for i in range(gradelib.MAX_STEPS * 2 + 1):
        log.record((float(i),), [])
    history = log.history()
    assert history["every"] == {"loss": 3} and history["loss"][0] == 1.0 and history["loss"].size <= gradelib.MAX_STEPS
