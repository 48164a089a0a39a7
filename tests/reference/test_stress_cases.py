"""The pack's softmax stress cases test the max shift, never a true-class probability that underflows.

A correct softmax that subtracts each row's maximum and then takes np.log of the
true-class probability must get a finite loss on every input the generators can make:
every true-class log-probability stays far above -745 (where exp underflows to 0),
while the raw scores are large enough that exp overflows without the shift. Checked on
many seeds, straight from the generators and the references (no sandbox needed).
"""

from __future__ import annotations

import importlib.util
import tomllib
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pytest

PACK = Path(__file__).resolve().parents[2] / "reference"
SEEDS = range(40)
LOWEST_LOG_PROBABILITY = -250.0  # far above log of the smallest float64 (about -745)
OVERFLOWS = 710.0  # np.exp overflows above about 709.8


def _module(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"pack_{path.parent.name}_{path.stem}".replace("-", "_"), path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _test(slug: str, name: str) -> dict[str, Any]:
    tests = tomllib.loads((PACK / slug / "problem.toml").read_text())["tests"]
    found: dict[str, Any] = next(t for t in tests if t["name"] == name)
    return found


def _cases(slug: str, name: str) -> Iterator[tuple[int, dict[str, Any]]]:
    """Each seed with the case the test's generator makes from it."""
    test = _test(slug, name)
    generator = getattr(_module(PACK / slug / "cases.py"), test["case"])
    for seed in SEEDS:
        yield seed, generator(np.random.default_rng(seed), **test.get("params", {}))


def _true_class_log_probabilities(scores: np.ndarray, y: np.ndarray) -> np.ndarray:
    shifted = scores - scores.max(axis=1, keepdims=True)
    logp = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    return np.asarray(logp[np.arange(len(y)), y])


def _cnn_scores(case: dict[str, Any]) -> np.ndarray:
    return np.asarray(_module(PACK / "cnn" / "solution" / "cnn.py").convnet_scores(case["params"], case["X"]))


def _two_layer_scores(case: dict[str, Any]) -> np.ndarray:
    solution = _module(PACK / "two-layer-net" / "solution" / "two_layer.py")
    return np.asarray(solution.two_layer_scores(case["params"], case["X"]))


def _plain_scores(case: dict[str, Any]) -> np.ndarray:
    return np.asarray(case["scores"])


STRESS = [
    ("linear-classifiers", "softmax_large_logits", _plain_scores),
    ("linear-classifiers", "softmax_offset_logits", _plain_scores),
    ("cnn", "convnet_loss_large_scores", _cnn_scores),
    ("two-layer-net", "loss_softmax_large", _two_layer_scores),
]


@pytest.mark.parametrize(("slug", "name", "scores_of"), STRESS, ids=[f"{s}-{n}" for s, n, _ in STRESS])
def test_softmax_stress_case_needs_the_max_shift_but_never_underflows_the_true_class(
    slug: str, name: str, scores_of: Any
) -> None:
    for seed, case in _cases(slug, name):
        scores = scores_of(case)
        logp = _true_class_log_probabilities(scores, case["y"])
        assert logp.min() >= LOWEST_LOG_PROBABILITY, f"{slug}/{name} seed {seed}: log p_y = {logp.min():.4g}"
        assert np.abs(scores).max() >= OVERFLOWS, f"{slug}/{name} seed {seed}: exp of the raw scores is finite"
        with np.errstate(over="ignore", invalid="ignore"):
            unshifted = np.exp(scores) / np.exp(scores).sum(axis=1, keepdims=True)
        assert not np.isfinite(unshifted).all(), f"{slug}/{name} seed {seed}: a softmax without the shift works"


@pytest.mark.parametrize("name", ["svm_small", "svm_batch", "svm_batch1", "svm_delta", "svm_large_scores"])
def test_every_svm_case_row_has_a_positive_margin_so_the_true_class_gradient_is_never_zero(name: str) -> None:
    for seed, case in _cases("linear-classifiers", name):
        s, y, rows = case["scores"], case["y"], np.arange(len(case["y"]))
        margins = s - s[rows, y][:, None] + case["delta"]
        margins[rows, y] = -np.inf
        assert (margins > 0).any(axis=1).all(), f"{name} seed {seed}: a row without a positive margin"


def _nets_logits(case: dict[str, Any]) -> np.ndarray:
    p = case["params"]
    return np.asarray((np.tanh(case["X"] @ p["W1"] + p["b1"]) @ p["W2"] + p["b2"])[:, 0])


BINARY = [
    ("two-layer-net", "loss_sigmoid_large", lambda case: _two_layer_scores(case)[:, 0]),
    ("regression-and-classification-nets", "classification_large_logits", _nets_logits),
]


@pytest.mark.parametrize(("slug", "name", "logits_of"), BINARY, ids=[f"{s}-{n}" for s, n, _ in BINARY])
def test_binary_stress_case_always_puts_a_probability_that_rounds_to_0_or_1_on_the_wrong_side(
    slug: str, name: str, logits_of: Any
) -> None:
    for seed, case in _cases(slug, name):
        z, y = logits_of(case), case["y"]
        with np.errstate(over="ignore"):
            p = 1.0 / (1.0 + np.exp(-z))
        # a loss written with log(p) and log(1 - p) meets log(0) where the label is on the wrong side
        wrong = ((y == 0) & (p == 1.0)) | ((y == 1) & (p == 0.0))
        assert wrong.any(), f"{slug}/{name} seed {seed}: log of the probabilities stays finite"
