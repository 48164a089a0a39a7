"""`python -m grader grade` takes a notebook and grades it exactly like the module it holds."""

from __future__ import annotations

import json
from pathlib import Path

from grader.bundle import PACK_DIR
from grader.sandbox import Sandbox
from tests.grader.test_cli import BUNDLE, cli
from tests.notebook_files import as_notebook

LAYERS = PACK_DIR / "layers"


def _graded(*args: str) -> tuple[dict[str, object], str]:
    done = cli("grade", *args, "--json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout), done.stderr


def _outcome(report: dict[str, object]) -> tuple[object, ...]:
    tests = report["tests"]
    assert isinstance(tests, list)
    return (
        report["score"],
        report["max_score"],
        [(t["name"], t["points"], t["max_points"], t["passed"]) for t in tests],
    )


def test_a_notebook_of_the_pack_solution_grades_exactly_like_the_module(sandbox: Sandbox, tmp_path: Path) -> None:
    module = LAYERS / "solution" / "layers.py"
    notebook = tmp_path / "homework.ipynb"
    notebook.write_bytes(as_notebook(module.read_text()))
    as_module, _ = _graded("--problem", "layers", str(module))
    as_cells, stderr = _graded("--problem", "layers", str(notebook))
    assert _outcome(as_cells) == _outcome(as_module)
    assert as_module["score"] == as_module["max_score"]
    assert "note: homework.ipynb: cell 2 (In [1]): IPython line(s) 1, 2 (magics, shell commands) left out" in stderr


def test_a_traceback_from_a_notebook_names_the_cell(sandbox: Sandbox, tmp_path: Path) -> None:
    solution = (BUNDLE / "solution" / "toy.py").read_text()
    source = solution.replace("    return np.maximum", "    1 / 0\n    return np.maximum")
    notebook = tmp_path / "toy.ipynb"
    notebook.write_bytes(as_notebook(source, magics=False))
    report, _ = _graded("--problem", str(BUNDLE), str(notebook))
    failed = [t for t in report["tests"] if not t["passed"]]  # type: ignore[attr-defined]
    assert failed and 'toy.py", line 5 [cell 3 (In [3]), line 2], in relu_forward' in failed[0]["feedback"]


def test_a_syntax_error_in_a_notebook_is_a_clear_error_naming_the_cell(tmp_path: Path) -> None:
    notebook = tmp_path / "toy.ipynb"
    notebook.write_bytes(as_notebook("import numpy as np\n\ndef relu_forward(x):\n    return (x,\n", magics=False))
    done = cli("grade", "--problem", str(BUNDLE), str(notebook))
    assert done.returncode == 2
    assert "error: toy.ipynb: cell 3 (In [3]): SyntaxError on line 2: '(' was never closed" in done.stderr
    assert "Traceback" not in done.stderr
