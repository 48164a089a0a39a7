"""The local check: run the visible tests' driver calls on the student's modules, in this process, and judge
their results with the service's judge against the reference's outputs shipped in the kit.

Shipped as `_gradelab_check/kit_runner.py`; `check.py` puts the kit's folder (with its copy of the judge as the
package `grader`, and `gradelib` in `lib/`) on the path first. It mirrors the service's grading of one unit
test (`grader.grading._grade` and `_score`): the first call runs without numeric gradients, a failing test runs
again with them, and the smallest failing input of each function is shown; what is said comes from
`grader.judge`, the same code as the service's.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import json
import os
import sys
import traceback
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from grader._harness import wire
from grader._vocab import CallStatus, Stage
from grader.judge import (
    Context,
    Failed,
    Tolerance,
    Variant,
    crash_causes,
    judge,
    ran_message,
    smallest_failing,
    unit_outcome,
    with_causes,
)
from grader.values import Value

SERVICE_ONLY = "hidden tests and training run only on the service"
HIDDEN = "hidden test"  # why a test in `service_only` is there (the kit's builder writes it)
DATA = "kit.json"
ARRAYS = "kit.npz"


@dataclass
class Outcome:
    """One visible test's verdict, as the kit reports it."""

    name: str
    function: str
    points: float
    max_points: float
    passed: bool
    stage: str | None
    feedback: str
    diagnosis: list[str] = field(default_factory=list)


class Kit:
    """The kit's data: its tests (JSON) and their arrays (`.npz`, read without pickle)."""

    def __init__(self, folder: str) -> None:
        with open(os.path.join(folder, DATA), encoding="utf-8") as fh:
            self.spec: dict[str, Any] = json.load(fh)
        with np.load(os.path.join(folder, ARRAYS), allow_pickle=False) as npz:
            self._arrays = {name: npz[name] for name in npz.files}

    def value(self, stored: Any) -> Value:
        """A value from its stored form: the wire's JSON tree and the names of its arrays in the .npz (each
        array a fresh copy: what the student's code changes in place, no other call sees)."""
        if stored is None:
            return None
        arrays = [self._arrays[name].copy() for name in stored["arrays"]]
        value: Value = wire._tree(stored["tree"], arrays)  # the wire's own reading of its trees
        return value


class Submission:
    """The student's modules, imported once from their folder (like the service's runner does)."""

    def __init__(self, folder: str, modules: list[str]) -> None:
        self.folder = folder
        self.problem: Failed | None = None
        for name in modules:
            if self.problem is not None:
                break
            self.problem = self._import(name)

    def _import(self, name: str) -> Failed | None:
        if not os.path.exists(os.path.join(self.folder, name)):
            return Failed(CallStatus.IMPORT, f"FileNotFoundError: {name} is not in {self.folder}", "", name)
        try:
            with _student_output():
                importlib.import_module(name[:-3])
        except BaseException as exc:
            if isinstance(exc, KeyboardInterrupt):
                raise
            status = CallStatus.NOTIMPL if isinstance(exc, NotImplementedError) else CallStatus.IMPORT
            return Failed(status, _describe(exc), self.traceback_tail(exc), name)
        return None

    def call(self, name: str, inputs: Value) -> tuple[Value, Failed | None]:
        """The driver's result for these inputs as it would come back from the sandbox, or how the call failed."""
        if self.problem is not None:
            return None, self.problem
        try:
            with _student_output():
                driver = importlib.import_module("driver")  # as the service's runner: once the submission imported
                value = getattr(driver, name)(inputs)
        except KeyboardInterrupt:
            raise
        except BaseException as exc:
            return None, self.failure(exc)
        frame = wire.encode_frame({"k": "result"}, value, with_value=True)
        return wire.decode_body(frame[wire.LENGTH_BYTES :]).value, None

    def failure(self, exc: BaseException) -> Failed:
        """How a call failed, in the harness's words (`harness_runner.failure`)."""
        tail = self.traceback_tail(exc)
        gradelib = importlib.import_module("gradelib")  # the kit's lib/gradelib.py, which the drivers import too
        if isinstance(exc, gradelib.SubmissionTypeError):
            return Failed(CallStatus.TYPE, str(exc)[:2000])
        if isinstance(exc, NotImplementedError):
            return Failed(CallStatus.NOTIMPL, _describe(exc), tail)
        if isinstance(exc, MemoryError):
            return Failed(CallStatus.MEMORY, "MemoryError", tail)
        if isinstance(exc, SystemExit):
            return Failed(CallStatus.EXIT, f"SystemExit({str(exc.code)[:200]})", tail)
        return Failed(CallStatus.ERROR, _describe(exc), tail)

    def traceback_tail(self, exc: BaseException) -> str:
        """The last lines of a traceback, keeping only frames from the student's files (named as the service does)."""
        own = self.folder + os.sep
        frames = [
            f
            for f in traceback.extract_tb(exc.__traceback__)
            if os.path.dirname(f.filename) == self.folder and os.path.basename(f.filename) != "check.py"
        ]
        lines = traceback.format_list(frames[-6:])
        lines += traceback.format_exception_only(type(exc), exc)
        text = "".join(lines).replace(own, "")
        return text[-3000:]


def _describe(exc: BaseException) -> str:
    try:
        text = str(exc)
    except BaseException:
        text = "<unprintable>"
    return f"{type(exc).__name__}: {text}"[:2000]


@contextlib.contextmanager
def _student_output() -> Iterator[None]:
    """What the student's code prints goes to stderr: stdout carries the report (and `--json`)."""
    with contextlib.redirect_stdout(sys.stderr):
        yield


def run_test(kit: Kit, submission: Submission, test: dict[str, Any]) -> tuple[Outcome, Value]:
    """One visible unit test: call, judge, and (when it fails) call again for the numeric gradient."""
    inputs = kit.value(test["inputs"])
    lazy = isinstance(inputs, dict) and inputs.get("numgrad") is True
    if lazy:
        assert isinstance(inputs, dict)
        inputs["numgrad"] = False  # the service computes it on a second run, for the tests that fail
    value, failed = submission.call(test["driver"], inputs)
    if failed is not None:
        return _failed_outcome(test, failed), None
    outcome = _judged(kit, test, value)
    if lazy and not outcome.passed and isinstance(value, dict):
        again = kit.value(test["inputs"])
        second, failed = submission.call(test["driver"], again)
        numgrad = second.get("@numgrad") if failed is None and isinstance(second, dict) else None
        if numgrad is not None:
            outcome = _judged(kit, test, {**value, "@numgrad": numgrad})
    return outcome, kit.value(test["inputs"])


def _failed_outcome(test: dict[str, Any], failed: Failed) -> Outcome:
    feedback = ran_message(test["function"], failed, float(test["seconds"]), int(test["memory_mb"]))
    hints = crash_causes(failed.status, failed.message, [tuple(f) for f in test["failures"]])
    return Outcome(
        test["name"],
        test["function"],
        0.0,
        float(test["points"]),
        False,
        Stage.RAN,
        feedback + with_causes(hints),
        hints,
    )


def _judged(kit: Kit, test: dict[str, Any], value: Value) -> Outcome:
    name, function, points = test["name"], test["function"], float(test["points"])
    if not isinstance(value, dict):
        return Outcome(
            name, function, 0.0, points, False, Stage.TYPE, f"The driver for {function} returned no results."
        )
    reference = kit.value(test["reference"])
    assert isinstance(reference, dict)
    verdicts = judge(
        reference,
        value,
        tolerance=Tolerance(**test["tolerance"]),
        per_result={k: Tolerance(**v) for k, v in test["per_result"].items()},
        context=_context(kit, test),
        variants=[
            Variant(name=v["name"], hint=v["hint"], results=_mapping(kit.value(v["results"]))) for v in test["variants"]
        ],
    )
    got = unit_outcome(function, points, verdicts)
    return Outcome(name, function, got.points, points, got.passed, got.stage, got.feedback, got.diagnosis)


def _mapping(value: Value) -> dict[str, Value]:
    return value if isinstance(value, dict) else {}


def _context(kit: Kit, test: dict[str, Any]) -> Context:
    c = test["context"]
    labels, x = kit.value(c["labels"]), kit.value(c["x"])
    return Context(
        function=c["function"],
        inputs=_mapping(kit.value(test["inputs"])),
        labels=labels if isinstance(labels, np.ndarray) else None,
        x=x if isinstance(x, np.ndarray) else None,
        p_keep=c["p_keep"],
        batchnorm=bool(c["batchnorm"]),
        eps=float(c["eps"]),
        pad=c["pad"],
    )


def check(folder: str, kit_folder: str) -> dict[str, Any]:
    """The verdict on the visible tests of the student's files in `folder`."""
    kit = Kit(kit_folder)
    spec = kit.spec
    sys.path[:0] = [folder, os.path.join(kit_folder, "problem")]
    modules = [f for f in spec["files"]] + [
        f for f in spec["optional_files"] if os.path.exists(os.path.join(folder, f))
    ]
    submission = Submission(folder, modules)
    outcomes, inputs = [], {}
    for test in spec["tests"]:
        outcome, given_inputs = run_test(kit, submission, test)
        outcomes.append(outcome)
        inputs[outcome.name] = given_inputs
    failing = [(o.name, o.function, inputs[o.name]) for o in outcomes if not o.passed and o.stage != Stage.RAN]
    notes = smallest_failing(failing)
    for o in outcomes:
        o.feedback += notes.get(o.name, "")
    return {
        "problem": spec["problem"],
        "version": spec["version"],
        "score": round(sum(o.points for o in outcomes), 6),
        "max_score": round(sum(o.max_points for o in outcomes), 6),
        "tests": [_as_json(o) for o in outcomes],
        "service_only": spec["service_only"],
        "note": SERVICE_ONLY,
    }


def _as_json(o: Outcome) -> dict[str, Any]:
    return {
        "name": o.name,
        "function": o.function,
        "points": o.points,
        "max_points": o.max_points,
        "passed": o.passed,
        "stage": None if o.stage is None else str(o.stage),
        "feedback": o.feedback,
        "diagnosis": o.diagnosis,
    }


def report_lines(verdict: dict[str, Any]) -> list[str]:
    """The verdict as `python check.py` prints it."""
    lines = [f"{verdict['problem']} {verdict['version']}: the visible tests, checked on this machine", ""]
    for t in verdict["tests"]:
        mark = "\u2713" if t["passed"] else "\u2717"
        lines.append(f"{mark} {t['name']} ({_num(t['points'])}/{_count(t['max_points'], 'point')})")
        if not t["passed"]:
            lines += ["    " + line for line in t["feedback"].splitlines()]
    hidden = [t for t in verdict["service_only"] if t["why"] == HIDDEN]
    trained = [t for t in verdict["service_only"] if t["why"] != HIDDEN]
    if hidden or trained:
        lines += ["", "Run only on the service:"]
    if hidden:
        points = sum(t["max_points"] for t in hidden)
        lines.append(f"  {_count(len(hidden), 'hidden test')} ({_count(points, 'point')})")
    lines += [f"  {t['name']} ({_count(t['max_points'], 'point')}, {t['why']})" for t in trained]
    score, total = _num(verdict["score"]), _num(verdict["max_score"])
    return [*lines, "", f"visible tests: {score}/{total} points; {SERVICE_ONLY}"]


def _num(x: float) -> str:
    return f"{x:g}"


def _count(x: float, noun: str) -> str:
    return f"{x:g} {noun}" + ("" if x == 1 else "s")


def main(argv: list[str], *, folder: str, kit: str) -> int:
    """`python check.py [--json]`: 0 when every visible test passed, 1 when one failed."""
    parser = argparse.ArgumentParser(prog="check.py", description="Check your solution on the visible tests.")
    parser.add_argument("--json", action="store_true", help="print the verdict as one JSON object")
    args = parser.parse_args(argv)
    try:
        verdict = check(folder, kit)
    except KeyboardInterrupt:  # a test that never returns: the student stopped it
        print("Stopped (Ctrl-C) before every visible test had run: look for a loop that never ends.", file=sys.stderr)
        return 130
    if args.json:
        print(json.dumps(verdict, indent=2))
    else:
        print("\n".join(report_lines(verdict)))
    return 0 if verdict["score"] == verdict["max_score"] else 1
