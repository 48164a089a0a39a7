"""A student's result the wire cannot carry (a set, a complex or object array) is a graded failure that says so."""

from __future__ import annotations

from pathlib import Path

import pytest

from grader.bundle import Bundle
from grader.grading import ReferenceCache, grade_files
from grader.sandbox import Sandbox

SOLUTION = (Path(__file__).resolve().parents[2] / "bundles/toy-layers/solution/toy.py").read_text()


@pytest.mark.parametrize(
    ("body", "said"),
    [
        (
            "return x.astype(complex), x",
            "got an array of dtype complex128, which the grader cannot compare. "
            "Return a real-valued NumPy array (e.g. float64), not a complex or object one.",
        ),
        (
            "return np.array([object()] * x.size).reshape(x.shape), x",
            "got an array of dtype object, which the grader cannot compare. "
            "Return a real-valued NumPy array (e.g. float64), not a complex or object one.",
        ),
        (
            "return {1, 2}, x",
            "got a set object. Return the computed array itself, not a function or an object holding it.",
        ),
    ],
)
def test_an_uncarried_student_result_is_a_type_failure_naming_it(
    body: str, said: str, toy_layers: Bundle, sandbox: Sandbox, reference_cache: ReferenceCache
) -> None:
    source = SOLUTION + "\n\ndef relu_forward(x):\n    " + body + "\n"
    report = grade_files(toy_layers, {"toy.py": source.encode()}, sandbox, reference_cache)
    test = next(t for t in report.tests if t.name == "relu_forward_small")
    assert report.status == "graded"
    assert (test.passed, test.stage, test.points) == (False, "type", 0)
    assert test.feedback.splitlines()[0] == "relu_forward: out should be an array of shape (3, 4); " + said
