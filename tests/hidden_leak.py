"""A submission that tries to carry its hidden tests' inputs out through everything a runner can influence.

It is correct on the visible test. In the hidden tests it sleeps (the test's seconds), prints and raises
with the inputs in the text (output, feedback, stage, diagnosis), and returns the hidden test set's first
values as its training history (metrics); its accuracy is real. `exposed` lists what a student's view
must never contain: the markers and the hidden tests' names (the problem page calls them "hidden").
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from app.db.models import Role
from grader.bundle import Bundle, bundle_from_files, load_bundle

if TYPE_CHECKING:
    from tests.app.conftest import World, WorldFactory

BUNDLES = Path(__file__).resolve().parent / "bundles"
HIDDEN_NAMES = ("softmax_large_logits", "train_accuracy")
MARKERS = ("LEAK", "31337")

SOURCE = b"""
import sys
import time

import numpy as np


def _leak(values):
    return "LEAK" + np.asarray(values, dtype=np.float64).ravel()[:4].tobytes().hex()


def softmax_loss(scores, y):
    if np.abs(scores).max() > 50:  # only the hidden stress test has logits this large
        time.sleep(0.3)
        print(_leak(scores))
        print(_leak(scores), file=sys.stderr)
        raise ValueError(_leak(scores))
    print("visible test output")
    shifted = scores - scores.max(axis=1, keepdims=True)
    logp = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    n = scores.shape[0]
    d = np.exp(logp)
    d[np.arange(n), y] -= 1.0
    return float(-logp[np.arange(n), y].mean()), d / n


def train(X, y, num_classes):
    case = sys._getframe(1).f_locals["case"]  # the driver's inputs: the hidden test set is in them
    W = np.zeros((X.shape[1], num_classes))
    for _ in range(200):
        _, d = softmax_loss(X @ W, y)
        W -= 0.5 * (X.T @ d)
    return W, [31337.0] + [float(v) for v in case["X_test"].ravel()[:64]]
"""


def hidden_classifier_files() -> dict[str, bytes]:
    """toy-classifier with its accuracy test hidden as well as its stress test."""
    files = dict(load_bundle(BUNDLES / "toy-classifier").files)
    toml = files["problem.toml"].decode()
    marker = 'name = "train_accuracy"\n'
    assert marker in toml
    files["problem.toml"] = toml.replace(marker, marker + "visible = false\n").encode()
    return files


def hidden_classifier() -> Bundle:
    return bundle_from_files(hidden_classifier_files(), "toy-classifier, accuracy hidden")


def exposed(text: str) -> list[str]:
    """What of the hidden tests' runs and names appears in `text` (empty when nothing does)."""
    return [word for word in (*MARKERS, *HIDDEN_NAMES) if word in text]


def hidden_world(make_world: WorldFactory, database_url: str) -> World:
    """One grading slot, the student alice, the instructor ian, and `hidden_classifier` as problem toy-classifier."""
    world = make_world(database_url, slots=1)
    world.user("alice", role=Role.STUDENT)
    world.user("ian", role=Role.INSTRUCTOR)
    world.add_problem(hidden_classifier())
    return world
