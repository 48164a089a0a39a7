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


def _leaky_problem(tmp_path: Path) -> tuple[Path, Path]:
    from tests.hidden_leak import SOURCE, hidden_classifier_files

    folder = tmp_path / "problem"
    for name, content in hidden_classifier_files().items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(content)
    (tmp_path / "clf.py").write_bytes(SOURCE)
    return folder, tmp_path / "clf.py"


def test_student_view_hides_what_hidden_tests_wrote_in_json_and_in_the_table(sandbox: Sandbox, tmp_path: Path) -> None:
    from tests.hidden_leak import exposed

    folder, source = _leaky_problem(tmp_path)
    table = cli("grade", "--problem", str(folder), str(source), "--student-view")
    as_json = cli("grade", "--problem", str(folder), str(source), "--student-view", "--json")
    assert table.returncode == as_json.returncode == 0, table.stderr + as_json.stderr
    assert exposed(table.stdout) == [] and exposed(as_json.stdout) == []
    assert "hidden test 1" in table.stdout
    hidden = [t for t in json.loads(as_json.stdout)["tests"] if not t["visible"]]
    assert [(t["stage"], t["seconds"]) for t in hidden] == [(None, None), (None, None)]
    staff = cli("grade", "--problem", str(folder), str(source))
    assert "LEAK" in staff.stdout and "softmax_large_logits" in staff.stdout
