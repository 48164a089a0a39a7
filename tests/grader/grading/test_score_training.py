"""Training tests: what a model below its bar is told, with the bar's numbers exactly as the bundle gives them."""

from __future__ import annotations

import numpy as np
import pytest

from grader import bundle
from grader.bundle import Bundle
from grader.grading import ReferenceCache, grade_files
from grader.grading._messages import accuracy_message
from grader.judge import training_causes
from grader.sandbox import Sandbox


def _accuracy_test(*bars: tuple[float, float]) -> bundle.TestSpec:
    return bundle.TestSpec.model_validate(
        {
            "name": "train",
            "kind": "accuracy",
            "function": "train",
            "data": "data/d.npz",
            "labels": "y_test",
            "points": 4,
            "thresholds": [{"accuracy": a, "fraction": f} for a, f in bars],
        }
    )


def test_a_bar_keeps_every_digit_the_bundle_gives_it() -> None:
    message = accuracy_message(_accuracy_test((0.995, 1.0), (0.9875, 0.5)), 0.99, 990, 1000)
    assert "below the bar of 0.995 (>= 0.995: 1 of the points, >= 0.9875: 0.5 of the points)" in message


def test_an_accuracy_just_under_the_bar_never_prints_as_the_bar() -> None:
    message = accuracy_message(_accuracy_test((0.995, 1.0)), 1989 / 1999, 1989, 1999)
    shown = message.split("Test accuracy ")[1].split(" ")[0]
    assert float(shown) < 0.995 and "(1989 of 1999 right)" in message


def test_a_model_far_below_chance_is_told_its_update_goes_uphill() -> None:
    labels = np.array([0, 1] * 50)
    pred = 1 - labels
    pred[:6] = labels[:6]
    cause = training_causes(pred, labels, None)[0]
    assert cause.startswith("The update goes uphill: accuracy 0.06 is far below chance (0.5 for 2 classes).")
    assert "adds the gradient (subtract it: w -= lr * dw)" in cause and "learning rate is so large" in cause


def test_a_loss_history_that_climbs_is_named_as_uphill_even_near_chance() -> None:
    labels = np.array([0, 1, 2] * 30)
    pred = np.roll(labels, 1)
    pred[:30] = labels[:30]  # a third right: chance, not below it
    causes = training_causes(pred, labels, [1.1, 1.5, 2.3, 4.0, 9.5])
    assert causes[0].startswith("The update goes uphill: the loss in your training history grows.")
    assert "adds the gradient" in causes[0] and "learning rate is so large" in causes[0]


@pytest.mark.parametrize("history", [[0.2, 0.5, 0.7, 0.85], None, [2.3, 1.2, 0.9]])
def test_a_model_that_learns_too_little_is_not_accused_of_going_uphill(history: list[float] | None) -> None:
    labels = np.array([0, 1, 2] * 30)
    pred = labels.copy()
    pred[:40] = (labels[:40] + 1) % 3  # an accuracy history rising to 0.85 is not a loss going up
    assert not training_causes(pred, labels, history)


def test_a_model_stuck_on_one_class_is_told_it_did_not_learn() -> None:
    labels = np.array([0, 1, 2] * 30)
    causes = training_causes(np.zeros_like(labels), labels, None)
    assert causes == [c for c in causes if "Every prediction is class 0" in c] and causes


@pytest.mark.slow
def test_training_by_gradient_ascent_is_named_through_the_sandbox(
    toy_classifier: Bundle, sandbox: Sandbox, reference_cache: ReferenceCache
) -> None:
    source = toy_classifier.folder("solution")["clf.py"].replace(b"W -= 0.5", b"W += 0.5")
    report = grade_files(toy_classifier, {"clf.py": source}, sandbox, reference_cache)
    test = next(t for t in report.tests if t.name == "train_accuracy")
    assert not test.passed and test.diagnosis
    assert test.diagnosis[0].startswith("The update goes uphill: ") and "adds the gradient" in test.diagnosis[0]
    assert "Likely cause: The update goes uphill" in test.feedback
