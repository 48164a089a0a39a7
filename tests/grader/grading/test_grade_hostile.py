"""Hostile submissions against what comes out of their own job: forged frames, impossible shapes, huge
results, floods across restarts and slow tests. Each is a graded result for the tests it touches (with a
sentence saying why), never an infrastructure failure, and never costs the service more than its caps."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from grader.bundle import Bundle, load_bundle
from grader.grading import GradeReport, ReferenceCache, TestReport, grade_files
from grader.grading._calls import Budget
from grader.sandbox import Sandbox

BUNDLES = Path(__file__).resolve().parents[2] / "bundles"
SOLUTION = (BUNDLES / "toy-layers/solution/toy.py").read_text()

# Code a submission runs to write a frame of its own into the pipe its runner sends results through: the
# one descriptor above 2 that is the write end of a pipe.
FORGE = """
def _forge(header, blobs=(), tail=b""):
    import fcntl, json, os, stat, struct
    head = json.dumps({**header, "blobs": list(blobs)}).encode()
    body = struct.pack("<I", len(head)) + head + tail
    frame = struct.pack("<I", len(body)) + body
    for fd in range(3, 256):
        try:
            mode = os.fstat(fd).st_mode
            flags = fcntl.fcntl(fd, fcntl.F_GETFL)
        except OSError:
            continue
        if stat.S_ISFIFO(mode) and flags & os.O_ACCMODE == os.O_WRONLY:
            os.write(fd, frame)
"""


@pytest.fixture(params=["default", "cold"])
def either_backend(request: pytest.FixtureRequest, sandbox: Sandbox) -> Sandbox:
    """The default sandbox, then the cold one: what comes out of a job must be handled on both."""
    if request.param == "cold":
        from grader.sandbox import ensure_sandbox

        return ensure_sandbox(backend="cold")
    return sandbox


def grade(bundle: Bundle, source: str, sandbox: Sandbox, cache: ReferenceCache) -> GradeReport:
    return grade_files(bundle, {"toy.py": source.encode()}, sandbox, cache)


def by_name(report: GradeReport) -> dict[str, TestReport]:
    return {t.name: t for t in report.tests}


def forged_relu_forward(header: str, blobs: str = "()", tail: str = 'b""') -> str:
    """The correct solution whose relu_forward first writes a forged result frame for its own call."""
    return (
        SOLUTION
        + FORGE
        + "\n_real_relu_forward = relu_forward\n\n"
        + "def relu_forward(x):\n"
        + f"    _forge({header}, {blobs}, {tail})\n"
        + "    return _real_relu_forward(x)\n"
    )


@pytest.mark.parametrize(
    ("blobs", "tail"),
    [
        ('[["<f8", [0, 2**63], 0]]', 'b""'),  # NumPy's reshape refuses it: it used to escape the decoder
        ('[["<f8", [0, 2**31 - 1, 2**31 - 1, 2**31 - 1], 0]]', 'b""'),
        ('[["<f8", [1, -1], 8]]', "bytes(8)"),
        ('[["<c16", [1], 16]]', "bytes(16)"),
        ('[["<f8", [2], 16]]', "bytes(8)"),  # shorter than it claims
    ],
)
def test_a_forged_frame_with_an_impossible_array_fails_only_its_own_test(
    blobs: str, tail: str, toy_layers: Bundle, either_backend: Sandbox, reference_cache: ReferenceCache
) -> None:
    header = '{"k": "result", "test": "relu_forward_small", "variant": None, "status": "ok", "v": {"a": 0}}'
    report = grade(toy_layers, forged_relu_forward(header, blobs, tail), either_backend, reference_cache)
    tests = by_name(report)
    forged = tests["relu_forward_small"]
    assert report.status == "graded"
    assert not forged.passed and forged.stage == "ran"
    assert "wrote something other than its result" in forged.feedback
    assert all(t.passed for name, t in tests.items() if name != "relu_forward_small")


def test_a_frame_header_field_that_is_not_a_plain_value_fails_only_its_own_test(
    toy_layers: Bundle, either_backend: Sandbox, reference_cache: ReferenceCache
) -> None:
    header = '{"k": "result", "test": "relu_forward_small", "variant": None, "status": "ok", "sec": 10**400}'
    report = grade(toy_layers, forged_relu_forward(header), either_backend, reference_cache)
    forged = by_name(report)["relu_forward_small"]
    assert not forged.passed and "wrote something other than its result" in forged.feedback
    assert report.score == report.max_score - 1


def test_the_time_of_a_call_comes_from_the_harness_not_from_a_frame_the_runner_wrote(
    toy_layers: Bundle, either_backend: Sandbox, reference_cache: ReferenceCache
) -> None:
    header = '{"k": "result", "test": "relu_forward_small", "variant": None, "status": "ok", "sec": 4242.5}'
    report = grade(toy_layers, forged_relu_forward(header), either_backend, reference_cache)
    assert all(0 <= t.seconds < 4242 for t in report.tests), [t.seconds for t in report.tests]


def test_the_time_of_a_call_comes_from_the_harness_not_from_the_runners_clock(
    toy_layers: Bundle, either_backend: Sandbox, reference_cache: ReferenceCache
) -> None:
    # Every reading of the runner's clock is 1000 s after the one before: a figure taken from it is 1000 s.
    clock = "import time as _time\n_ticks = [0]\n\ndef _tick():\n    _ticks[0] += 1\n    return 1000.0 * _ticks[0]\n\n"
    source = clock + SOLUTION + "\n_time.perf_counter = _tick\n_time.monotonic = _tick\n_time.time = _tick\n"
    report = grade(toy_layers, source, either_backend, reference_cache)
    assert report.score == report.max_score
    assert all(0 <= t.seconds < 1000 for t in report.tests), [t.seconds for t in report.tests]


def test_a_result_far_larger_than_the_references_fails_that_test_and_is_never_passed_on(
    toy_layers: Bundle, either_backend: Sandbox, reference_cache: ReferenceCache
) -> None:
    source = SOLUTION + "\n\ndef relu_forward(x):\n    import numpy as np\n    return np.ones(8 * 2**20), None\n"
    report = grade(toy_layers, source, either_backend, reference_cache)
    tests = by_name(report)
    big = tests["relu_forward_small"]
    assert not big.passed and big.stage == "ran"
    assert "returned more data than the grader accepts" in big.feedback
    assert tests["mse_small"].passed and tests["mse_hidden"].passed


def test_output_floods_in_restarted_jobs_store_at_most_one_output_limit(
    toy_layers: Bundle, sandbox: Sandbox, reference_cache: ReferenceCache
) -> None:
    # Each visible function prints past the output limit, which ends its job; the next job starts afresh.
    flood = "import sys as _sys\n\ndef _flood():\n    _sys.stdout.write('x' * 100_000)\n    _sys.stdout.flush()\n\n"
    wrapped = "".join(
        f"\n_real_{fn} = {fn}\n\ndef {fn}(*args):\n    _flood()\n    return _real_{fn}(*args)\n"
        for fn in ("relu_forward", "relu_backward", "mse_loss")
    )
    report = grade(toy_layers, flood + SOLUTION + wrapped, sandbox, reference_cache)
    limit = toy_layers.spec.limits.output_kb * 1024
    assert report.output_truncated
    assert 0 < len(report.stdout.encode()) <= limit
    assert (
        sum(
            1
            for t in report.tests
            if "printed so far (in this test or an earlier one) passed the output limit" in t.feedback
        )
        >= 2
    )


@pytest.fixture()
def budgeted_toy(tmp_path: Path) -> Bundle:
    """toy-layers with a per-submission wall budget of 3 s (each test keeps its own 5 s limit)."""
    folder = tmp_path / "toy-layers"
    shutil.copytree(BUNDLES / "toy-layers", folder)
    toml = folder / "problem.toml"
    toml.write_text(toml.read_text().replace("[limits]\n", "[limits]\nsubmission_seconds = 3\n", 1))
    return load_bundle(folder)


def test_a_submission_that_spends_its_time_budget_fails_the_remaining_tests_with_a_sentence_saying_so(
    budgeted_toy: Bundle, either_backend: Sandbox
) -> None:
    # Each function sleeps 4 s: under its own 5 s limit, but the first one alone spends the 3 s budget.
    slow = "import time as _time\n"
    slow += "".join(
        f"\n_real_{fn} = {fn}\n\ndef {fn}(*args):\n    _time.sleep(4)\n    return _real_{fn}(*args)\n"
        for fn in ("relu_forward", "relu_backward", "mse_loss")
    )
    report = grade(budgeted_toy, SOLUTION + slow, either_backend, ReferenceCache())
    assert report.status == "graded" and report.score == 0
    for test in report.tests:
        assert "total time budget (3 s) for all its tests together was used up" in test.feedback, test.feedback
    assert report.kills == {"budget": len(report.tests)}


def test_a_result_over_its_cap_is_stopped_in_the_job_and_never_crosses_the_channel(
    toy_layers: Bundle, either_backend: Sandbox, reference_cache: ReferenceCache
) -> None:
    from grader.grading._grade import _run_tests

    prepared = reference_cache.prepared(toy_layers, either_backend)
    source = SOLUTION + "\n\ndef relu_forward(x):\n    import numpy as np\n    return np.ones(8 * 2**20), None\n"
    tests = [t for t in toy_layers.spec.tests if t.name in ("relu_forward_small", "mse_small")]
    budget = Budget()
    run = _run_tests(toy_layers, tests, {"toy.py": source.encode()}, prepared, either_backend, budget=budget)
    assert run.results["relu_forward_small"].status == "overflow"
    assert run.results["mse_small"].status == "ok"
    assert budget.used_bytes < 2 * 2**20  # the 64 MB result stayed in the job
    # The harness stopped it (the job went on to the next call); had the host had to, it would have ended the job.
    assert len(run.output.outcomes) == 1 and run.output.outcomes[0].killed is None


def test_a_spent_channel_budget_fails_every_call_left_without_an_infrastructure_error(
    toy_layers: Bundle, either_backend: Sandbox, reference_cache: ReferenceCache
) -> None:
    from grader.grading._grade import _run_tests

    prepared = reference_cache.prepared(toy_layers, either_backend)
    budget = Budget(channel_bytes=1)
    run = _run_tests(
        toy_layers, list(toy_layers.spec.tests), {"toy.py": SOLUTION.encode()}, prepared, either_backend, budget=budget
    )
    assert {r.status for r in run.results.values()} == {"overflow"}
    assert set(run.results) == {t.name for t in toy_layers.spec.tests}
