"""Attack: hidden tests' inputs carried out through what a runner controls reach no student view."""

from __future__ import annotations

import json

import pytest

from grader.grading import GradeReport, ReferenceCache, format_table, grade_files, student_view
from grader.sandbox import Sandbox
from tests.hidden_leak import HIDDEN_NAMES, SOURCE, exposed, hidden_classifier


@pytest.fixture(scope="module")
def leaky_report(sandbox: Sandbox) -> GradeReport:
    return grade_files(hidden_classifier(), {"clf.py": SOURCE}, sandbox, ReferenceCache())


def test_the_staff_report_holds_what_the_hidden_runs_wrote(leaky_report: GradeReport) -> None:
    # Proof that the attack works: without the redaction, all of this would reach the student.
    full = json.dumps(leaky_report.to_dict())
    assert set(exposed(full)) == {"LEAK", "31337", *HIDDEN_NAMES}
    assert 31337.0 in leaky_report.metrics["history"]["train_accuracy"]
    stress = next(t for t in leaky_report.tests if t.name == "softmax_large_logits")
    assert stress.stage == "ran" and "LEAK" in stress.feedback


def test_a_student_view_holds_nothing_a_hidden_run_produced(leaky_report: GradeReport) -> None:
    view = student_view(leaky_report)
    assert exposed(json.dumps(view)) == []
    assert view["metrics"] == {}
    assert not {"kills", "seconds", "sandbox"} & set(view)
    hidden = [t for t in view["tests"] if not t["visible"]]
    assert [t["name"] for t in hidden] == ["hidden test 1", "hidden test 2"]
    for test in hidden:
        assert test["stage"] is None and test["seconds"] is None and test["accuracy"] is None
        assert test["diagnosis"] == [] and test["feedback"].startswith("Hidden test")


def test_hidden_tests_keep_their_pass_fail_and_points(leaky_report: GradeReport) -> None:
    view = student_view(leaky_report)
    hidden = [t for t in leaky_report.tests if not t.visible]
    shown = [t for t in view["tests"] if not t["visible"]]
    assert [(t.passed, t.points, t.max_points) for t in hidden] == [
        (t["passed"], t["points"], t["max_points"]) for t in shown
    ]
    assert view["score"] == leaky_report.score and view["max_score"] == leaky_report.max_score


def test_the_visible_tests_output_and_results_are_shown_in_full(leaky_report: GradeReport) -> None:
    view = student_view(leaky_report)
    assert "visible test output" in view["stdout"]
    visible = next(t for t in view["tests"] if t["visible"])
    assert visible["name"] == "softmax_small" and visible["passed"]


def test_a_revealed_problem_shows_hidden_tests_in_full(leaky_report: GradeReport) -> None:
    view = student_view(leaky_report, reveal_hidden=True)
    assert "train_accuracy" in view["metrics"]["history"]
    assert {t["name"] for t in view["tests"]} >= set(HIDDEN_NAMES)


def test_the_student_table_is_the_student_view(leaky_report: GradeReport) -> None:
    table = format_table(leaky_report, student=True)
    assert exposed(table) == []
    assert "hidden test 1" in table and "score:" in table
    assert "LEAK" in format_table(leaky_report)
