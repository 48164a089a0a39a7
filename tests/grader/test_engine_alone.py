"""The engine knows no service: nothing under `grader/` imports `app`, at import time or later."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ENGINE = ROOT / "grader"

# Every host-side module of the engine (the files under `_harness` run inside the sandbox, where
# they import one another as top-level modules; they are covered by the source check below).
IMPORT_ALL = """
import importlib, json, pkgutil, sys
import grader
names = [
    m.name
    for m in pkgutil.walk_packages(grader.__path__, "grader.")
    if m.name != "grader.__main__" and not m.name.startswith("grader._harness.")
]
for name in names:
    importlib.import_module(name)
print(json.dumps({"imported": names, "app": sorted(m for m in sys.modules if m.split(".")[0] == "app")}))
"""


def test_importing_every_engine_module_loads_no_service_module() -> None:
    done = subprocess.run(
        [sys.executable, "-c", IMPORT_ALL], cwd=ROOT, capture_output=True, text=True, timeout=120, check=True
    )
    result = json.loads(done.stdout)
    assert {"grader.cli", "grader.bundle", "grader.sandbox", "grader.judge", "grader.grading"} <= set(
        result["imported"]
    )
    assert len(result["imported"]) > 40  # every submodule, not only the packages
    assert result["app"] == []


def test_no_engine_source_file_imports_the_service() -> None:
    offenders = []
    files = sorted(ENGINE.rglob("*.py"))
    assert len(files) > 40
    for path in files:
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules = [node.module]
            else:
                continue
            offenders += [f"{path.relative_to(ROOT)}:{node.lineno} {m}" for m in modules if m.split(".")[0] == "app"]
    assert offenders == []


def test_the_engine_cli_starts_no_worker() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "grader", "worker"], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 2
    assert "invalid choice: 'worker'" in done.stderr  # the service's worker is `python -m app worker`


SANDBOX_ALONE = """
import json, sys
import grader.sandbox
from grader.sandbox import slots
print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] == "grader")))
"""


def test_the_sandbox_loads_nothing_of_grading() -> None:
    """The sandbox runs jobs; what a grading job carries (its harness, what a zygote preloads) is handed in."""
    done = subprocess.run(
        [sys.executable, "-c", SANDBOX_ALONE], cwd=ROOT, capture_output=True, text=True, timeout=120, check=True
    )
    loaded = json.loads(done.stdout)
    assert "grader.sandbox.slots" in loaded and "grader.sandbox._prefork" in loaded
    assert [m for m in loaded if m.startswith(("grader.grading", "grader._harness"))] == []
    offenders = []
    for path in sorted((ENGINE / "sandbox").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            else:
                continue
            offenders += [
                f"{path.name}:{node.lineno} {n}" for n in names if n.startswith(("grader.grading", "grader._harness"))
            ]
    assert offenders == []
