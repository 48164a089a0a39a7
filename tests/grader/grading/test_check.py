"""`check-problem` as an instructor meets it: each broken bundle gets the exact report line that names the fault."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from grader.bundle import Bundle, bundle_from_files
from grader.bundle._archive import read_folder
from grader.grading import CheckReport, check_problem
from grader.sandbox import Job, Limits, Monitor, Outcome, Sandbox

TOY = Path(__file__).resolve().parents[2] / "bundles" / "toy-layers"
Files = dict[str, bytes]


def toy() -> Files:
    """The toy-layers bundle's files."""
    return read_folder(TOY)


def appended(files: Files, name: str, text: str) -> Files:
    """`text` appended to one file: its definitions replace the earlier ones."""
    return {**files, name: files[name] + b"\n\n" + text.encode()}


def edited(files: Files, name: str, old: str, new: str) -> Files:
    """One file with the first occurrence of `old` replaced by `new`."""
    text = files[name].decode()
    assert old in text, f"{name} no longer contains {old!r}"
    return {**files, name: text.replace(old, new, 1).encode()}


def toml(files: Files, old: str, new: str) -> Files:
    return edited(files, "problem.toml", old, new)


def cut(files: Files, name: str, start: str, end: str | None = None) -> Files:
    """One file without its text from `start` up to `end` (or to the end of the file)."""
    text = files[name].decode()
    assert text.count(start) == 1 and (end is None or text.count(end) == 1), f"{name} changed"
    stop = len(text) if end is None else text.index(end)
    return {**files, name: (text[: text.index(start)] + text[stop:]).encode()}


@pytest.fixture(params=["default", "cold"])
def either_backend(request: pytest.FixtureRequest, sandbox: Sandbox) -> Sandbox:
    """The default sandbox, then the cold one: the problem's own code runs under both."""
    if request.param == "cold":
        from grader.sandbox import ensure_sandbox

        return ensure_sandbox(backend="cold")
    return sandbox


def check(files: Files, sandbox: Sandbox) -> CheckReport:
    bundle: Bundle = bundle_from_files(files, "test")
    return check_problem(bundle, sandbox, variants=False)


def line(report: CheckReport, name: str) -> str:
    """The report's line for the check `name` (as `check-problem` prints it)."""
    found = [x for x in report.lines() if x[7:].startswith(name)]
    assert len(found) == 1, report.lines()
    return found[0]


def test_the_toy_bundle_earns_bundle_ok(sandbox: Sandbox) -> None:
    report = check(toy(), sandbox)
    assert report.lines()[-1] == "bundle OK", report.lines()


def test_a_reference_gradient_with_nan_is_refused_with_test_path_and_places(sandbox: Sandbox) -> None:
    files = appended(
        toy(),
        "solution/toy.py",
        "def relu_backward(dout, cache):\n"
        "    dx = dout * (cache > 0)\n"
        "    dx[0, 2] = np.nan\n"
        "    dx[1, 0] = np.nan\n"
        "    return dx\n",
    )
    report = check(files, sandbox)
    assert line(report, "inputs and reference") == (
        "[FAIL] inputs and reference results are finite values the grader can carry: "
        "tests 'relu_backward_small': reference result 'dx' has 2 NaN at [0, 2], [1, 0] — make the generator "
        "and the reference finite, or set `allow_nonfinite = true` on a test whose right answer holds NaN or infinity"
    )
    assert line(report, "reference gradients agree").startswith(
        "[FAIL] reference gradients agree with centred differences: 3 gradients checked; worst relative error inf "
        "at relu_backward_small: dx"
    )
    assert report.lines()[-1] == "bundle has problems"


def test_a_generated_input_with_infinity_is_refused_unless_the_test_allows_it(sandbox: Sandbox) -> None:
    files = appended(
        toy(),
        "cases.py",
        "def mse(rng, n=4, k=3):\n"
        "    pred = rng.standard_normal((n, k))\n"
        "    pred[1, 1] = np.inf\n"
        "    return {'pred': pred, 'target': rng.standard_normal((n, k))}\n",
    )
    report = check(files, sandbox)
    assert line(report, "inputs and reference") == (
        "[FAIL] inputs and reference results are finite values the grader can carry: "
        "tests 'mse_small': generated input 'pred' has 1 +inf at [1, 1]; tests 'mse_small': reference result "
        "'loss' is +inf; tests 'mse_small': reference result 'dpred' has 1 +inf at [1, 1]; "
        "tests 'mse_hidden': generated input 'pred' has 1 +inf at [1, 1]; tests 'mse_hidden': reference result "
        "'loss' is +inf; tests 'mse_hidden': reference result 'dpred' has 1 +inf at [1, 1] — make the generator "
        "and the reference finite, or set `allow_nonfinite = true` on a test whose right answer holds NaN or infinity"
    )
    allowed = toml(files, 'name = "mse_small"', 'name = "mse_small"\nallow_nonfinite = true')
    allowed = toml(allowed, 'name = "mse_hidden"', 'name = "mse_hidden"\nallow_nonfinite = true')
    report = check(allowed, sandbox)
    assert line(report, "inputs and reference") == (
        "[ok  ] inputs and reference results are finite values the grader can carry"
    )
    assert line(report, "reference gradients agree").startswith("[ok  ] reference gradients agree")
    assert report.lines()[-1] == "bundle OK", report.lines()


def test_a_set_in_generated_inputs_is_refused_with_its_path(sandbox: Sandbox) -> None:
    files = appended(
        toy(),
        "cases.py",
        "def mse(rng, n=4, k=3):\n"
        "    return {'pred': rng.standard_normal((n, k)), 'target': rng.standard_normal((n, k)),\n"
        "            'meta': {'labels': {1, 2}}}\n",
    )
    report = check(files, sandbox)
    assert line(report, "reference runs") == (
        "[FAIL] reference runs: tests 'mse_small': generated input 'meta.labels' is a set object, which cannot be sent "
        "to a submission or compared: use arrays of bool, int or float, numbers, strings, booleans, None, or lists, "
        "tuples and dicts of them"
    )


def test_a_list_too_long_to_carry_whole_is_refused_not_cut_short(sandbox: Sandbox) -> None:
    files = appended(
        toy(),
        "cases.py",
        "def mse(rng, n=4, k=3):\n"
        "    return {'pred': rng.standard_normal((n, k)), 'target': rng.standard_normal((n, k)),\n"
        "            'weights': [1.0] * 10_001}\n",
    )
    report = check(files, sandbox)
    assert line(report, "reference runs") == (
        "[FAIL] reference runs: tests 'mse_small': generated input 'weights' is a list of more than 10000 items, "
        "which cannot be sent to a submission or compared: use arrays of bool, int or float, numbers, strings, "
        "booleans, None, or lists, tuples and dicts of them"
    )


def test_a_complex_or_object_reference_result_is_refused_with_its_path(sandbox: Sandbox) -> None:
    files = appended(
        toy(),
        "driver.py",
        "def relu_forward(case):\n"
        "    out, _ = toy.relu_forward(case['x'])\n"
        "    return {'out': out.astype(complex), 'extra': [1.0, object()]}\n",
    )
    report = check(files, sandbox)
    assert line(report, "inputs and reference") == (
        "[FAIL] inputs and reference results are finite values the grader can carry: "
        "tests 'relu_forward_small': reference result 'out' is an array of dtype complex128, which cannot be sent "
        "to a submission or compared: use arrays of bool, int or float, numbers, strings, booleans, None, or lists, "
        "tuples and dicts of them; tests 'relu_forward_small': reference result 'extra[1]' is a object object, which "
        "cannot be sent to a submission or compared: use arrays of bool, int or float, numbers, strings, booleans, "
        "None, or lists, tuples and dicts of them"
    )


def test_a_looping_generator_is_stopped_at_its_own_limit_and_named(either_backend: Sandbox) -> None:
    files = appended(toy(), "cases.py", "def mse(rng, n=4, k=3):\n    while True:\n        pass\n")
    files = toml(files, "memory_mb = 512", "memory_mb = 512\ngenerator_seconds = 1")
    report = check(files, either_backend)
    assert line(report, "reference runs") == (
        "[FAIL] reference runs: the generator cases.mse for test 'mse_small' ran longer than its wall time limit of "
        "1 s (`generator_seconds` in [limits] of problem.toml): make it faster (smaller inputs, fewer Python loops) "
        "or raise `generator_seconds`."
    )


def test_a_looping_reference_is_stopped_at_its_own_limit_and_named(either_backend: Sandbox) -> None:
    files = appended(toy(), "solution/toy.py", "def mse_loss(pred, target):\n    while True:\n        pass\n")
    files = toml(files, "memory_mb = 512", "memory_mb = 512\nreference_seconds = 1")
    report = check(files, either_backend)
    assert line(report, "reference runs") == (
        "[FAIL] reference runs: the reference (driver mse_loss) on test 'mse_small' ran longer than its wall time "
        "limit of 1 s (`reference_seconds` in [limits] of problem.toml): make it faster (smaller inputs, fewer "
        "Python loops) or raise `reference_seconds`."
    )


def test_a_chatty_reference_is_told_to_stop_printing(either_backend: Sandbox) -> None:
    files = appended(
        toy(),
        "solution/toy.py",
        "def relu_forward(x):\n    print('x' * 100_000)\n    return np.maximum(x, 0.0), x\n",
    )
    report = check(files, either_backend)
    # The cap is on the job's whole output, and relu_backward's driver calls the chatty relu_forward too: the
    # kill lands on whichever call is running when the host has read past 64 KiB, and the sentence says so.
    said = line(report, "reference runs")
    assert said in {
        f"[FAIL] reference runs: the reference (driver {driver}) on test '{test}' was stopped: the output printed "
        "so far (by this call or an earlier one of the same job) passed 64 KiB on stdout or stderr: remove the "
        "print statements (or raise `output_kb` in [limits])."
        for driver, test in (("relu_forward", "relu_forward_small"), ("relu_backward", "relu_backward_small"))
    }, said


def test_a_raising_generator_is_named_with_its_error(sandbox: Sandbox) -> None:
    files = appended(toy(), "cases.py", "def relu(rng, shape=(3, 4)):\n    raise ValueError('bad shape')\n")
    report = check(files, sandbox)
    assert line(report, "reference runs").startswith(
        "[FAIL] reference runs: the generator cases.relu for test 'relu_forward_small' raised ValueError: bad shape.\n"
    )


def test_a_problem_of_forward_passes_only_earns_bundle_ok(sandbox: Sandbox) -> None:
    driver = (
        b"import gradelib\nimport toy\n\n\n"
        b"def relu_forward(case):\n"
        b"    out, _ = gradelib.expect_tuple(toy.relu_forward(case['x']), 2, 'relu_forward')\n"
        b"    return {'out': out}\n"
    )
    files = cut({**toy(), "driver.py": driver}, "problem.toml", '[[tests]]\nname = "relu_backward_small"')
    report = check(files, sandbox)
    assert line(report, "reference gradients agree") == (
        "[ok  ] reference gradients agree with centred differences: "
        "no driver returns @numgrad, so there is no gradient to check"
    )
    assert report.lines()[-1] == "bundle OK", report.lines()


def test_a_starter_without_a_function_the_tests_call_is_reported(sandbox: Sandbox) -> None:
    files = cut(toy(), "starter/toy.py", "def mse_loss")
    report = check(files, sandbox)
    assert line(report, "starter defines") == (
        "[FAIL] starter defines every function the tests call: starter/toy.py does not define mse_loss, which the "
        "drivers of tests 'mse_small', 'mse_hidden' call: add it with a body that raises NotImplementedError"
    )


def test_a_name_imported_from_the_submission_counts_as_called(sandbox: Sandbox) -> None:
    files = edited(toy(), "driver.py", "import toy\n", "import toy\nfrom toy import relu_backward as backward\n")
    files = edited(files, "driver.py", "toy.relu_backward(", "backward(")
    files = cut(files, "starter/toy.py", "def relu_backward", "def mse_loss")
    report = check(files, sandbox)
    assert line(report, "starter defines") == (
        "[FAIL] starter defines every function the tests call: starter/toy.py does not define relu_backward, which "
        "the drivers of tests 'relu_backward_small' call: add it with a body that raises NotImplementedError"
    )


class PlanRecorder:
    """The real sandbox, keeping the calls each job was planned to run (nothing about the job changes)."""

    def __init__(self, inner: Sandbox) -> None:
        self.inner = inner
        self.name = inner.name
        self.plans: list[list[str]] = []

    def run(self, job: Job, limits: Limits, monitor: Monitor) -> Outcome:
        plan = json.loads(job.files["plan.json"])
        self.plans.append([c["id"] for c in plan["calls"]])
        return self.inner.run(job, limits, monitor)


def test_generators_that_loop_for_every_test_cost_their_limit_once_not_once_per_test(sandbox: Sandbox) -> None:
    loop = "    while True:\n        pass\n"
    files = appended(toy(), "cases.py", f"def relu(rng, shape=(3, 4)):\n{loop}\n\ndef mse(rng, n=4, k=3):\n{loop}")
    files = toml(files, "memory_mb = 512", "memory_mb = 512\ngenerator_seconds = 1")
    recorder = PlanRecorder(sandbox)
    report = check_problem(bundle_from_files(files, "test"), recorder, variants=False)
    assert line(report, "reference runs").startswith(
        "[FAIL] reference runs: the generator cases.relu for test 'relu_forward_small' ran longer than its wall time"
    )
    # the first test's generator runs alone first; the other tests, which loop the same way, never run
    assert recorder.plans == [["relu_forward_small"]]


def test_a_variant_that_changes_nothing_is_told_how_to_fix_its_claim(sandbox: Sandbox) -> None:
    files = {**toy(), "mistakes/same.py": b"def relu_forward(x):\n    return np.maximum(x, 0.0), x\n"}
    files = toml(
        files,
        "[[mistakes]]",
        '[[mistakes]]\nname = "same"\nfile = "mistakes/same.py"\nhint = "This hint is never shown."\n'
        'breaks = ["relu_forward*"]\n\n[[mistakes]]',
    )
    report = check_problem(bundle_from_files(files, "test"), sandbox, starter=False)
    assert line(report, "mistake same is caught") == (
        "[FAIL] mistake same is caught: passes relu_forward_small, which it claims to break (drop it from `breaks`, "
        "or give a test inputs that expose the mistake); its hint is not shown on any test it breaks (the diagnosis "
        "never matched the variant's results)"
    )


def test_a_reference_using_most_of_a_time_limit_is_told_what_to_raise(sandbox: Sandbox) -> None:
    files = appended(
        toy(),
        "solution/toy.py",
        "import time\n\ndef relu_forward(x):\n    time.sleep(0.6)\n    return np.maximum(x, 0.0), x\n",
    )
    files = toml(files, 'name = "relu_forward_small"', 'name = "relu_forward_small"\ntime_seconds = 1')
    report = check(files, sandbox)
    text = line(report, "time limits leave room")
    assert text.startswith("[FAIL] time limits leave room (reference under half of each limit): relu_forward_small")
    assert text.endswith("raise those tests' `time_seconds` or make the reference faster")


def test_a_generator_that_fails_for_some_seeds_is_caught_on_other_seeds(sandbox: Sandbox) -> None:
    files = edited(
        toy(),
        "cases.py",
        "def mse(rng, n=4, k=3):\n",
        "def mse(rng, n=4, k=3):\n    if rng.integers(0, 3) == 0:\n        raise RuntimeError('unlucky')\n",
    )
    report = check(files, sandbox)
    got = line(report, "generators draw a case for 8 other seeds")
    print(got)
    assert got.startswith("[FAIL] generators draw a case for 8 other seeds: mse_small: "), got
    assert " of 8 seeds failed, first: cases.mse raised RuntimeError: unlucky." in got, got
    assert got.endswith(
        "a generator must draw a valid case for every seed: construct the case instead of redrawing until it fits, "
        "or raise the number of tries"
    ), got
    assert report.lines()[-1] == "bundle has problems"


def test_generators_that_draw_for_every_seed_pass_the_other_seeds_check(sandbox: Sandbox) -> None:
    report = check(toy(), sandbox)
    got = line(report, "generators draw a case for 8 other seeds")
    assert got.startswith("[ok  ] generators draw a case for 8 other seeds: "), got
