"""The built-in pack: every bundle passes check-problem through the real sandbox.

check-problem grades the reference as a student (full marks, training bars included),
checks every @numgrad against the reference's own gradients, grades the starter (0, with
"not implemented" on every test) and grades every known-mistake variant as a student
(it must fail exactly the tests in its `breaks`, with its hint shown).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from grader.bundle import load_bundle
from grader.grading import check_problem
from grader.sandbox import Sandbox

PACK = Path(__file__).resolve().parents[2] / "reference"
SLUGS = [
    "logistic-regression",
    "two-layer-net",
    "activations",
    "regression-and-classification-nets",
    "linear-model-losses",
    "layers",
    "linear-classifiers",
    "cnn",
    "computational-graph",
]


def test_the_pack_holds_exactly_the_nine_problems() -> None:
    assert sorted(p.name for p in PACK.iterdir() if (p / "problem.toml").is_file()) == sorted(SLUGS)


@pytest.mark.slow
@pytest.mark.parametrize("slug", SLUGS)
def test_bundle_passes_check_problem(slug: str, sandbox: Sandbox) -> None:
    bundle = load_bundle(PACK / slug)
    assert bundle.slug == slug
    report = check_problem(bundle, sandbox)
    failed = [f"{i.name}: {i.detail}" for i in report.items if not i.ok]
    assert report.ok, "\n".join(failed)
    assert len(bundle.spec.mistakes) >= 4
