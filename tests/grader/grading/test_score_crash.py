"""A known mistake that raises is recognised by its error: the student who makes it is shown its hint."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from grader.bundle import Bundle, load_bundle
from grader.grading import ReferenceCache, grade_files
from grader.sandbox import Sandbox

TOY = Path(__file__).resolve().parents[2] / "bundles" / "toy-layers"
HINT = "Your ReLU mask is transposed: build it from cache (shape of x), not cache.T."
TRANSPOSED = "\n\ndef relu_backward(dout, cache):\n    return dout * (cache.T > 0)\n"


@pytest.fixture(scope="module")
def crashing_variant(tmp_path_factory: pytest.TempPathFactory) -> Bundle:
    """toy-layers with one more variant, which raises a broadcasting error on every relu_backward test."""
    folder = tmp_path_factory.mktemp("bundle") / "toy-layers"
    shutil.copytree(TOY, folder)
    (folder / "mistakes" / "relu_mask_transposed.py").write_text(TRANSPOSED)
    with (folder / "problem.toml").open("a") as toml:
        toml.write(
            '\n[[mistakes]]\nname = "relu_mask_transposed"\nfile = "mistakes/relu_mask_transposed.py"\n'
            f'hint = "{HINT}"\nbreaks = ["relu_backward*"]\n'
        )
    return load_bundle(folder)


def _relu_backward(bundle: Bundle, source: str, sandbox: Sandbox, cache: ReferenceCache) -> tuple[str, list[str]]:
    solution = bundle.folder("solution")["toy.py"].decode()
    report = grade_files(bundle, {"toy.py": (solution + source).encode()}, sandbox, cache)
    test = next(t for t in report.tests if t.name == "relu_backward_small")
    assert not test.passed and test.stage == "ran"
    return test.feedback, test.diagnosis


def test_a_student_raising_the_variants_error_is_shown_its_hint(crashing_variant: Bundle, sandbox: Sandbox) -> None:
    feedback, diagnosis = _relu_backward(crashing_variant, TRANSPOSED, sandbox, ReferenceCache())
    assert diagnosis == [HINT]
    assert "raised ValueError" in feedback and f"Likely cause: {HINT}" in feedback


def test_a_different_error_gets_no_variant_hint(crashing_variant: Bundle, sandbox: Sandbox) -> None:
    other = "\n\ndef relu_backward(dout, cache):\n    return dout * (cache.reshape(-1) > 0)\n"
    feedback, diagnosis = _relu_backward(crashing_variant, other, sandbox, ReferenceCache())
    assert "raised ValueError" in feedback and diagnosis == []


def test_the_variants_error_survives_the_reference_cache_on_disk(
    crashing_variant: Bundle, sandbox: Sandbox, tmp_path: Path
) -> None:
    ReferenceCache(tmp_path).get(crashing_variant, sandbox)  # computes and stores
    reloaded = ReferenceCache(tmp_path)  # a new process reads the stored run instead of computing it
    _, diagnosis = _relu_backward(crashing_variant, TRANSPOSED, sandbox, reloaded)
    assert diagnosis == [HINT]
