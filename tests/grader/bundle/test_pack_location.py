"""The built-in pack's location lives in the engine; its CLI and the service's installer list the same problems."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from grader.bundle import PACK_DIR, list_pack, load_bundle

ROOT = Path(__file__).resolve().parents[3]
NINE = [
    "activations",
    "cnn",
    "computational-graph",
    "layers",
    "linear-classifiers",
    "linear-model-losses",
    "logistic-regression",
    "regression-and-classification-nets",
    "two-layer-net",
]


def test_the_pack_is_the_reference_folder_and_lists_its_nine_problems_not_its_tools() -> None:
    assert PACK_DIR == ROOT / "reference"
    assert list_pack() == NINE  # `_tools` and the README are not problems
    assert load_bundle(PACK_DIR / "layers").slug == "layers"


def test_the_engine_cli_finds_the_pack_by_slug() -> None:
    listed = subprocess.run([sys.executable, "-m", "grader", "list"], cwd=ROOT, capture_output=True, text=True)
    assert listed.returncode == 0 and listed.stdout.split() == NINE
    unknown = subprocess.run(
        [sys.executable, "-m", "grader", "check-problem", "no-such-problem"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert unknown.returncode == 2
    assert unknown.stderr.strip() == (
        "error: no problem 'no-such-problem': give a bundle folder or zip, or one of: " + ", ".join(NINE)
    )
