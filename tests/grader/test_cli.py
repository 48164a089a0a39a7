"""`python -m grader`: the JSON contract outside users rely on, and clear errors with exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from grader.sandbox import Sandbox

BUNDLE = Path(__file__).resolve().parents[1] / "bundles" / "toy-layers"


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "grader", *args], capture_output=True, text=True, timeout=300)


def test_grade_json_prints_one_object_with_the_contract_fields(sandbox: Sandbox) -> None:
    done = cli("grade", "--problem", str(BUNDLE), str(BUNDLE / "solution" / "toy.py"), "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert {"score", "max_score", "status", "tests", "metrics"} <= set(report)
    assert report["status"] == "graded" and report["score"] == report["max_score"] == 6
    for test in report["tests"]:
        assert {"name", "points", "max_points", "passed", "feedback"} <= set(test)


def test_grade_table_names_the_diagnosis_of_a_wrong_file(sandbox: Sandbox, tmp_path: Path) -> None:
    wrong = tmp_path / "toy.py"
    wrong.write_bytes((BUNDLE / "solution" / "toy.py").read_bytes() + (BUNDLE / "mistakes" / "mse_sum.py").read_bytes())
    done = cli("grade", "--problem", str(BUNDLE), str(wrong))
    assert done.returncode == 0, done.stderr
    assert "score: 3 / 6" in done.stdout
    assert "your loss and gradient are sums" in done.stdout


def test_an_unknown_problem_is_a_clear_error() -> None:
    done = cli("grade", "--problem", "no-such-problem", str(BUNDLE / "solution" / "toy.py"))
    assert done.returncode == 2
    assert "error: no problem 'no-such-problem'" in done.stderr and "layers" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_wrongly_named_file_is_a_clear_error(tmp_path: Path) -> None:
    other = tmp_path / "mine.py"
    other.write_text("x = 1\n")
    done = cli("grade", "--problem", str(BUNDLE), str(other))
    assert done.returncode == 2
    assert "'mine.py' is not a file of this problem; submit toy.py" in done.stderr
    assert "Traceback" not in done.stderr


def test_check_problem_passes_on_the_example_bundle(sandbox: Sandbox) -> None:
    done = cli("check-problem", str(BUNDLE))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "bundle OK" in done.stdout
    assert "[FAIL]" not in done.stdout
