"""The schema of problem.toml: every malformed field is named with its place, in the instructor's terms."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest
from pydantic import ValidationError

from grader.bundle import ProblemSpec
from grader.bundle._schema import explain

Raw = dict[str, Any]


def minimal() -> Raw:
    """A valid problem.toml, as the dict tomllib would give."""
    return {
        "slug": "toy-layers",
        "title": "Toy layers",
        "version": "1",
        "files": ["toy.py"],
        "tests": [
            {"name": "relu_small", "function": "relu_forward", "case": "relu", "points": 1},
            {"name": "mse_small", "function": "mse_loss", "case": "mse", "points": 2},
        ],
    }


def accuracy_test(**fields: Any) -> Raw:
    test: Raw = {
        "name": "train",
        "kind": "accuracy",
        "function": "train",
        "data": "data/blobs.npz",
        "labels": "y_test",
        "points": 3,
        "thresholds": [{"accuracy": 0.9, "fraction": 1.0}, {"accuracy": 0.6, "fraction": 0.5}],
    }
    test.update(fields)
    return {k: v for k, v in test.items() if v is not None}


def errors_of(raw: Raw) -> list[str]:
    with pytest.raises(ValidationError) as info:
        ProblemSpec.model_validate(raw)
    return explain(info.value)


def edited(change: Callable[[Raw], None]) -> Raw:
    raw = copy.deepcopy(minimal())
    change(raw)
    return raw


def test_the_minimal_spec_is_valid_and_fills_in_the_documented_defaults() -> None:
    spec = ProblemSpec.model_validate(minimal())
    assert spec.statement == "statement.md"
    assert spec.optional_files == []
    assert (spec.limits.time_seconds, spec.limits.memory_mb, spec.limits.output_kb) == (10.0, 1024, 64)
    assert (spec.tolerance.rel_norm, spec.tolerance.rtol, spec.tolerance.atol) == (1e-6, 1e-5, 1e-8)
    first = spec.tests[0]
    assert (first.kind, first.visible, first.prediction, first.driver_name) == ("unit", True, "pred", "relu_forward")


def test_a_test_names_its_driver_when_it_differs_from_the_function() -> None:
    raw = edited(lambda r: r["tests"][0].update(driver="relu_forward_driver"))
    assert ProblemSpec.model_validate(raw).tests[0].driver_name == "relu_forward_driver"


def test_a_valid_accuracy_test_is_accepted() -> None:
    raw = edited(lambda r: r["tests"].append(accuracy_test()))
    assert ProblemSpec.model_validate(raw).tests[2].kind == "accuracy"


def _set(path: str, value: Any) -> Callable[[Raw], None]:
    """An edit that sets a dotted path (`tests.1.points`), creating tables on the way."""

    def change(raw: Raw) -> None:
        node: Any = raw
        *parents, last = path.split(".")
        for part in parents:
            node = node[int(part)] if part.isdigit() else node.setdefault(part, {})
        node[int(last) if last.isdigit() else last] = value

    return change


def _drop(path: str) -> Callable[[Raw], None]:
    def change(raw: Raw) -> None:
        node: Any = raw
        *parents, last = path.split(".")
        for part in parents:
            node = node[int(part)] if part.isdigit() else node[part]
        del node[last]

    return change


SLUG_PATTERN = "^[a-z0-9][a-z0-9-]{0,62}$"
PY_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]{0,60}\.py$"
NAME_PATTERN = "^[A-Za-z0-9_.-]{1,80}$"

MALFORMED = {
    "points_zero": (_set("tests.1.points", 0), "problem.toml: tests[1].points must be > 0"),
    "points_negative": (_set("tests.0.points", -2), "problem.toml: tests[0].points must be > 0"),
    "missing_slug": (_drop("slug"), "problem.toml: slug is required"),
    "missing_points": (_drop("tests.0.points"), "problem.toml: tests[0].points is required"),
    "bad_slug_chars": (
        _set("slug", "Toy_Layers"),
        f"problem.toml: slug 'Toy_Layers' is not allowed here (expected a name matching {SLUG_PATTERN})",
    ),
    "slug_with_a_slash": (
        _set("slug", "../etc"),
        f"problem.toml: slug '../etc' is not allowed here (expected a name matching {SLUG_PATTERN})",
    ),
    "unknown_top_level_field": (_set("titel", "x"), "problem.toml: titel is not a known field (check the spelling)"),
    "unknown_test_field": (
        _set("tests.0.visibel", False),
        "problem.toml: tests[0].visibel is not a known field (check the spelling)",
    ),
    "unknown_limits_field": (
        _set("limits.time", 3),
        "problem.toml: limits.time is not a known field (check the spelling)",
    ),
    "duplicate_test_names": (
        _set("tests.1.name", "relu_small"),
        "problem.toml: tests: test name 'relu_small' appears more than once",
    ),
    "bad_test_name": (
        _set("tests.0.name", "relu small!"),
        f"problem.toml: tests[0].name 'relu small!' is not allowed here (expected a name matching {NAME_PATTERN})",
    ),
    "unit_test_without_case": (
        _drop("tests.0.case"),
        "problem.toml: tests[0]: a unit test needs `case` (a generator in cases.py)",
    ),
    "unit_test_with_thresholds": (
        _set("tests.0.thresholds", [{"accuracy": 0.5, "fraction": 1.0}]),
        "problem.toml: tests[0]: `data`, `labels` and `thresholds` belong to accuracy tests",
    ),
    "accuracy_test_without_data": (
        lambda r: r["tests"].append(accuracy_test(data=None)),
        "problem.toml: tests[2]: an accuracy test needs data",
    ),
    "accuracy_test_without_data_labels_or_thresholds": (
        lambda r: r["tests"].append(accuracy_test(data=None, labels=None, thresholds=None)),
        "problem.toml: tests[2]: an accuracy test needs data, labels, thresholds",
    ),
    "accuracy_test_without_thresholds": (
        lambda r: r["tests"].append(accuracy_test(thresholds=[])),
        "problem.toml: tests[2]: an accuracy test needs thresholds",
    ),
    "threshold_fraction_zero": (
        lambda r: r["tests"].append(accuracy_test(thresholds=[{"accuracy": 0.9, "fraction": 0}])),
        "problem.toml: tests[2].thresholds[0].fraction must be > 0",
    ),
    "threshold_accuracy_above_one": (
        lambda r: r["tests"].append(accuracy_test(thresholds=[{"accuracy": 90, "fraction": 1}])),
        "problem.toml: tests[2].thresholds[0].accuracy must be <= 1",
    ),
    "unknown_kind": (
        _set("tests.0.kind", "integration"),
        "problem.toml: tests[0].kind input should be 'unit' or 'accuracy' (got 'integration')",
    ),
    "tolerance_above_one": (_set("tolerance.rtol", 2.0), "problem.toml: tolerance.rtol must be <= 1"),
    "tolerance_negative": (_set("tolerance.atol", -1e-8), "problem.toml: tolerance.atol must be >= 0"),
    "test_tolerance_out_of_range": (
        _set("tests.0.tolerance", {"rel_norm": 5}),
        "problem.toml: tests[0].tolerance.rel_norm must be <= 1",
    ),
    "per_result_tolerance_out_of_range": (
        _set("tests.0.tolerance", {"results": {"loss": {"atol": -1}}}),
        "problem.toml: tests[0].tolerance.results.loss.atol must be >= 0",
    ),
    "time_seconds_zero": (_set("limits.time_seconds", 0), "problem.toml: limits.time_seconds must be > 0"),
    "test_time_seconds_zero": (_set("tests.0.time_seconds", 0), "problem.toml: tests[0].time_seconds must be > 0"),
    "time_seconds_huge": (_set("limits.time_seconds", 10_000), "problem.toml: limits.time_seconds must be <= 900"),
    "memory_too_small": (_set("limits.memory_mb", 64), "problem.toml: limits.memory_mb must be >= 128"),
    "test_memory_too_small": (_set("tests.1.memory_mb", 1), "problem.toml: tests[1].memory_mb must be >= 128"),
    "file_not_python": (
        _set("files", ["toy.txt"]),
        f"problem.toml: files[0] 'toy.txt' is not allowed here (expected a name matching {PY_PATTERN})",
    ),
    "file_in_a_folder": (
        _set("files", ["pkg/toy.py"]),
        f"problem.toml: files[0] 'pkg/toy.py' is not allowed here (expected a name matching {PY_PATTERN})",
    ),
    "no_files": (_set("files", []), "problem.toml: files must have at least 1 item(s)"),
    "no_tests": (_set("tests", []), "problem.toml: tests must have at least 1 item(s)"),
    "file_both_required_and_optional": (
        _set("optional_files", ["toy.py"]),
        "problem.toml: ['toy.py'] listed in both `files` and `optional_files`",
    ),
    "empty_title": (_set("title", ""), "problem.toml: title must not be empty"),
    "mistake_hint_too_short": (
        _set("mistakes", [{"name": "m", "file": "mistakes/m.py", "hint": "wrong", "breaks": ["relu*"]}]),
        "problem.toml: mistakes[0].hint must be at least 10 characters long",
    ),
    "mistake_breaks_nothing": (
        _set("mistakes", [{"name": "m", "file": "mistakes/m.py", "hint": "a long enough hint", "breaks": []}]),
        "problem.toml: mistakes[0].breaks must have at least 1 item(s)",
    ),
    "mistake_module_not_python": (
        _set(
            "mistakes", [{"name": "m", "file": "m.py", "module": "toy", "hint": "long enough hint", "breaks": ["r*"]}]
        ),
        f"problem.toml: mistakes[0].module 'toy' is not allowed here (expected a name matching {PY_PATTERN})",
    ),
    "duplicate_mistake_names": (
        _set(
            "mistakes",
            [
                {"name": "m", "file": f"mistakes/m{i}.py", "hint": "a long enough hint", "breaks": ["r*"]}
                for i in (1, 2)
            ],
        ),
        "problem.toml: mistakes: mistake name 'm' appears more than once",
    ),
    "secret_not_an_identifier": (
        _set("data", [{"file": "data/x.npz", "secret": ["y-test"]}]),
        "problem.toml: data[0].secret[0] 'y-test' is not allowed here (expected a name matching "
        "^[A-Za-z_][A-Za-z0-9_]{0,79}$)",
    ),
    "diagnose_input_path_malformed": (
        _set("tests.0.diagnose", {"x": "x..y"}),
        "problem.toml: tests[0].diagnose.x 'x..y' is not allowed here (expected a name matching "
        r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z0-9_]+)*$)",
    ),
    "seed_negative": (_set("tests.0.seed", -1), "problem.toml: tests[0].seed must be >= 0"),
}


@pytest.mark.parametrize(("change", "message"), MALFORMED.values(), ids=MALFORMED.keys())
def test_each_malformed_field_is_reported_with_its_place(change: Callable[[Raw], None], message: str) -> None:
    assert errors_of(edited(change)) == [message]


def test_a_misspelt_required_field_reports_both_the_unknown_and_the_missing_name() -> None:
    def misspell(raw: Raw) -> None:
        raw["tests"][0]["pionts"] = raw["tests"][0].pop("points")

    assert errors_of(edited(misspell)) == [
        "problem.toml: tests[0].points is required",
        "problem.toml: tests[0].pionts is not a known field (check the spelling)",
    ]


def test_independent_problems_are_all_reported_at_once() -> None:
    def break_everything(raw: Raw) -> None:
        raw["slug"] = "Bad Slug"
        raw["tests"][1]["points"] = 0
        raw["tests"][0]["visibel"] = True
        raw["limits"] = {"memory_mb": 64, "time_seconds": 0}
        raw["tolerance"] = {"rtol": 3}

    errors = errors_of(edited(break_everything))
    assert len(errors) == 6
    assert "problem.toml: tests[1].points must be > 0" in errors
    assert "problem.toml: tests[0].visibel is not a known field (check the spelling)" in errors
    assert "problem.toml: limits.memory_mb must be >= 128" in errors
    assert "problem.toml: limits.time_seconds must be > 0" in errors
    assert "problem.toml: tolerance.rtol must be <= 1" in errors
    assert any(e.startswith("problem.toml: slug 'Bad Slug' is not allowed here") for e in errors)


def test_each_of_several_bad_tests_is_named_by_its_own_index() -> None:
    def bad_points(raw: Raw) -> None:
        raw["tests"] = [dict(raw["tests"][0], name=f"t{i}", points=0 if i % 2 else 1) for i in range(5)]

    assert errors_of(edited(bad_points)) == [
        "problem.toml: tests[1].points must be > 0",
        "problem.toml: tests[3].points must be > 0",
    ]


def test_a_result_name_that_is_not_an_identifier_is_quoted_in_the_place() -> None:
    raw = edited(_set("tests.0.tolerance", {"results": {"@numgrad": {"rtol": 2}}}))
    assert errors_of(raw) == ["problem.toml: tests[0].tolerance.results['@numgrad'].rtol must be <= 1"]


def test_a_wrongly_typed_value_names_what_it_got() -> None:
    assert errors_of(edited(_set("tests.0.points", "many"))) == [
        "problem.toml: tests[0].points input should be a valid number, unable to parse string as a number (got 'many')"
    ]


def test_the_file_name_in_messages_can_be_changed() -> None:
    with pytest.raises(ValidationError) as info:
        ProblemSpec.model_validate(edited(_drop("slug")))
    assert explain(info.value, filename="upload/problem.toml") == ["upload/problem.toml: slug is required"]


def test_a_spec_is_frozen() -> None:
    spec = ProblemSpec.model_validate(minimal())
    with pytest.raises(ValidationError):
        spec.slug = "other"  # type: ignore[misc]
