"""Turning call results into test reports: the staged judgement, in the trusted process."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from grader._vocab import CallStatus, Stage
from grader.bundle import Bundle, TestSpec
from grader.grading._history import loss_values, training_history
from grader.grading._messages import accuracy_message, crash_hints
from grader.grading._reference import ReferenceRun
from grader.grading._report import TestReport
from grader.grading._runner import CallResult
from grader.judge import (
    Context,
    Failed,
    Tier,
    Tolerance,
    judge,
    smallest_failing,
    trained_causes,
    unit_outcome,
    with_causes,
)
from grader.judge import ran_message as judge_ran_message
from grader.values import Value

if TYPE_CHECKING:
    from grader.grading._prepared import PreparedProblem


def ran_message(test: TestSpec, res: CallResult, limit_s: float, memory_mb: int) -> str:
    """The "did it run" stage: what went wrong, naming the function."""
    failed = Failed(res.status, res.message, res.traceback, res.file)
    return judge_ran_message(test.function, failed, limit_s, memory_mb)


def resolve(inputs: Value, path: str | None) -> Value:
    """The input at a dotted path like 'conv_param.pad', or None."""
    if path is None:
        return None
    node = inputs
    for part in path.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def build_context(test: TestSpec, inputs: Value) -> Context:
    """What the diagnosis needs to know about this test's inputs."""
    d = test.diagnose
    labels, x, p_keep, pad = (resolve(inputs, p) for p in (d.labels, d.x, d.p_keep, d.pad))
    eps = resolve(inputs, "bn_param.eps")
    return Context(
        function=test.function,
        inputs=inputs if isinstance(inputs, dict) else {},
        labels=labels if isinstance(labels, np.ndarray) else None,
        x=x if isinstance(x, np.ndarray) else None,
        p_keep=float(p_keep) if isinstance(p_keep, int | float) and not isinstance(p_keep, bool) else None,
        batchnorm=d.batchnorm,
        eps=float(eps) if isinstance(eps, float) else 1e-5,
        pad=int(pad) if isinstance(pad, int) and not isinstance(pad, bool) else None,
    )


def tolerances(bundle: Bundle, test: TestSpec) -> tuple[Tolerance, dict[str, Tolerance]]:
    """The test's tolerance and its per-result overrides."""
    base = bundle.spec.tolerance
    values = {"rel_norm": base.rel_norm, "rtol": base.rtol, "atol": base.atol}
    per: dict[str, Tolerance] = {}
    if test.tolerance is not None:
        values.update({k: v for k, v in _patch(test.tolerance).items() if v is not None})
        for name, patch in test.tolerance.results.items():
            per[name] = Tolerance(**{**values, **{k: v for k, v in _patch(patch).items() if v is not None}})
    return Tolerance(**values), per


def _patch(patch: Any) -> dict[str, float | None]:
    return {"rel_norm": patch.rel_norm, "rtol": patch.rtol, "atol": patch.atol}


def _opening(bundle: Bundle, test: TestSpec, res: CallResult) -> TestReport:
    """A failing report at the "ran" stage, with its message when the call did not return."""
    limits = bundle.spec.limits
    report = TestReport(
        name=test.name,
        function=test.function,
        points=0.0,
        max_points=test.points,
        passed=False,
        visible=test.visible,
        stage=Stage.RAN,
        feedback="",
        seconds=res.seconds,
    )
    if res.status != CallStatus.OK:
        seconds = test.time_seconds or limits.time_seconds
        report.feedback = ran_message(test, res, seconds, test.memory_mb or limits.memory_mb)
    return report


def score_unit(bundle: Bundle, test: TestSpec, res: CallResult, prepared: PreparedProblem) -> TestReport:
    """Judge one unit test against the reference's results."""
    ref = prepared.run
    report = _opening(bundle, test, res)
    if res.status != CallStatus.OK:
        report.diagnosis = crash_hints(bundle, test, res, ref)
        names = {m.hint: m.name for m in bundle.spec.mistakes}
        report.causes = [{"kind": f"mistake:{names[h]}", "tier": int(Tier.VARIANT)} for h in report.diagnosis]
        report.feedback += with_causes(report.diagnosis)
        return report
    if not isinstance(res.value, dict):
        report.stage, report.feedback = Stage.TYPE, f"The driver for {test.function} returned no results."
        return report
    judging = prepared.judging(test)
    verdicts = judge(
        ref.results[test.name],
        res.value,
        tolerance=judging.tolerance,
        per_result=judging.per_result,
        context=judging.context,
        variants=judging.variants,
    )
    outcome = unit_outcome(test.function, test.points, verdicts)
    report.passed, report.points, report.stage = outcome.passed, outcome.points, outcome.stage
    report.feedback, report.diagnosis, report.causes = outcome.feedback, outcome.diagnosis, outcome.causes
    return report


def score_accuracy(bundle: Bundle, test: TestSpec, res: CallResult) -> tuple[TestReport, Mapping[str, Any]]:
    """Accuracy of the returned predictions against the secret labels, through the thresholds."""
    report = _opening(bundle, test, res)
    metrics: dict[str, Any] = {}
    if res.status != CallStatus.OK:
        return report, metrics
    assert test.data is not None and test.labels is not None
    labels = bundle.data(test.data)[test.labels]
    value = res.value if isinstance(res.value, dict) else {}
    history = training_history(value.get("history"))
    if history is not None:
        metrics["history"] = history
    pred, problem = _predictions(value.get(test.prediction), labels)
    if problem:
        report.stage, report.feedback = Stage.TYPE, f"{test.function}: {problem}"
        return report, metrics
    assert pred is not None
    accuracy = float(np.mean(pred == labels.astype(np.int64)))
    metrics["accuracy"] = accuracy
    report.accuracy = accuracy
    report.stage = Stage.ACCURACY
    fraction = next((t.fraction for t in test.thresholds if accuracy >= t.accuracy), 0.0)
    report.points = round(test.points * fraction, 6)
    report.passed = fraction >= 1.0
    report.feedback = accuracy_message(test, accuracy, int(np.sum(pred == labels)), labels.size)
    if report.passed:
        report.stage = None
    else:
        found = trained_causes(pred, labels.astype(np.int64), loss_values(history))
        report.diagnosis = [c.text for c in found]
        report.causes = [c.identity for c in found]
        report.feedback += with_causes(report.diagnosis)
    return report, metrics


def _predictions(pred: Value, labels: np.ndarray) -> tuple[np.ndarray | None, str]:
    if not isinstance(pred, np.ndarray):
        return None, f"the predictions must be an array of class labels; got {type(pred).__name__}"
    if pred.shape != labels.shape:
        return None, f"the predictions have shape {pred.shape}; expected {labels.shape} (one label per test example)"
    if pred.dtype.kind == "f" and (not np.all(np.isfinite(pred)) or not np.all(pred == np.round(pred))):
        return None, "the predictions must be whole class labels, not scores or probabilities"
    return pred.astype(np.int64), ""


def smallest_failing_inputs(reports: list[TestReport], ref: ReferenceRun) -> None:
    """Append the smallest failing input of each function to its visible failing test."""
    failing = [
        (rep.name, rep.function, ref.inputs[rep.name])
        for rep in reports
        if not rep.passed and rep.visible and rep.name in ref.inputs and rep.stage != Stage.RAN
    ]
    notes = smallest_failing(failing)
    for rep in reports:
        rep.feedback += notes.get(rep.name, "")
