"""The student view of a report, built by hand: what a hidden test keeps, and how tests are named."""

from __future__ import annotations

import json

from grader.grading import GradeReport, TestReport, format_table, shown_metrics, student_names, student_view


def _test(name: str, *, visible: bool, passed: bool = False, accuracy: float | None = None) -> TestReport:
    return TestReport(
        name=name,
        function="train",
        points=1.5 if passed else 0.0,
        max_points=3.0,
        passed=passed,
        visible=visible,
        stage=None if passed else "accuracy",
        feedback=f"{name}: runner text 0x5eC2E7",
        diagnosis=[f"{name}: cause 0x5eC2E7"],
        seconds=4.125,
        accuracy=accuracy,
    )


def _report() -> GradeReport:
    tests = [
        _test("curve_shown", visible=True, passed=True, accuracy=0.93),
        _test("secret_split", visible=False, accuracy=0.41),
        _test("secret_stress", visible=False, passed=True),
    ]
    metrics = {
        "accuracy": {"curve_shown": 0.93, "secret_split": 0.41},
        "history": {"curve_shown": [1.0, 0.5], "secret_split": [7.5, 2.25]},
    }
    return GradeReport(
        "p", "1", 1.5, 9.0, "graded", tests, metrics, stdout="visible", seconds=12.5, kills={"timeout": 1}
    )


def test_hidden_tests_are_numbered_among_the_hidden_ones_and_visible_ones_keep_their_names() -> None:
    tests = _report().tests
    assert student_names(tests) == ["curve_shown", "hidden test 1", "hidden test 2"]
    assert student_names(tests, reveal_hidden=True) == ["curve_shown", "secret_split", "secret_stress"]


def test_a_hidden_test_keeps_pass_fail_points_and_its_function_only() -> None:
    view = student_view(_report())
    assert view["tests"][1] == {
        "name": "hidden test 1",
        "function": "train",
        "points": 0.0,
        "max_points": 3.0,
        "passed": False,
        "visible": False,
        "stage": None,
        "feedback": "Hidden test: its inputs and messages are not shown. Failed.",
        "diagnosis": [],
        "seconds": None,
        "accuracy": None,
    }
    text = json.dumps(view)
    assert "secret" not in text and "2.25" not in text and "0.41" not in text and "12.5" not in text
    assert not {"kills", "seconds", "sandbox"} & set(view)


def test_a_visible_accuracy_test_shows_its_accuracy_curve_and_time() -> None:
    view = student_view(_report())
    assert view["tests"][0]["accuracy"] == 0.93 and view["tests"][0]["seconds"] == 4.125
    assert view["metrics"] == {"accuracy": {"curve_shown": 0.93}, "history": {"curve_shown": [1.0, 0.5]}}


def test_metrics_keep_only_the_named_tests_and_drop_anything_not_per_test() -> None:
    metrics = {"accuracy": {"a": 0.9, "b": 0.1}, "total": 3.0, "history": {"b": [1.0]}}
    assert shown_metrics(metrics, ["a"]) == {"accuracy": {"a": 0.9}}


def test_the_student_table_names_no_hidden_test_and_the_staff_table_does() -> None:
    assert "secret" not in format_table(_report(), student=True)
    assert "secret_split" in format_table(_report())
