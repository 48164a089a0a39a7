"""The check kit agrees with the service: every pack problem, every known-mistake variant, graded both ways.

The service grades through the real sandbox; the kit runs as a student runs it (`python -S check.py --json` in
the unpacked starter folder, NumPy the only package it can import). On every visible unit test both say the
same: passed or not, the points, the likely causes and the whole feedback.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from grader.bundle import Bundle, load_bundle
from grader.grading import ReferenceCache, check_kit, grade_files, mutated_files
from grader.sandbox import Sandbox
from tests._kit import check_json, importable, plain_env, unpack

PACK = Path(__file__).resolve().parents[2] / "reference"
SLUGS = sorted(p.name for p in PACK.iterdir() if (p / "problem.toml").is_file())
SEED_KEY = b"a deployment's own seed key, not the local one"


def _students(bundle: Bundle) -> dict[str, dict[str, bytes]]:
    """The solution, the starter, and the solution with each known mistake."""
    out = {
        "solution": {k: v for k, v in bundle.folder("solution").items() if k in bundle.submitted_files},
        "starter": {k: v for k, v in bundle.folder("starter").items() if k in bundle.submitted_files},
    }
    out |= {f"mistake:{m.name}": mutated_files(bundle, m) for m in bundle.spec.mistakes}
    return out


def _service(bundle: Bundle, files: dict[str, bytes], sandbox: Sandbox, cache: ReferenceCache) -> dict[str, Any]:
    report = grade_files(bundle, files, sandbox, cache, units_only=True, seed_key=SEED_KEY)
    return {t.name: _said(t.passed, t.points, t.diagnosis, t.feedback) for t in report.tests if t.visible}


def _kit(verdict: dict[str, Any]) -> dict[str, Any]:
    return {t["name"]: _said(t["passed"], t["points"], t["diagnosis"], t["feedback"]) for t in verdict["tests"]}


def _said(passed: bool, points: float, diagnosis: list[str], feedback: str) -> dict[str, Any]:
    return {"passed": passed, "points": points, "likely causes": diagnosis, "feedback": feedback}


@pytest.mark.slow
@pytest.mark.parametrize("slug", SLUGS)
def test_the_kit_and_the_service_agree_on_every_mistake_variant(slug: str, sandbox: Sandbox, tmp_path: Path) -> None:
    bundle = load_bundle(PACK / slug)
    cache = ReferenceCache()
    kit = check_kit(cache.prepared(bundle, sandbox, SEED_KEY))
    env = plain_env(tmp_path)
    assert not importable("grader", env, tmp_path) and not importable("app", env, tmp_path)
    assert importable("numpy", env, tmp_path)
    students = _students(bundle)
    folders = {name: unpack(tmp_path / f"s{i}", bundle, kit, files) for i, (name, files) in enumerate(students.items())}
    with ThreadPoolExecutor(max_workers=2) as pool:  # the kit runs beside the service's grading
        kit_runs = {name: pool.submit(check_json, folder, env) for name, folder in folders.items()}
        service = {name: _service(bundle, files, sandbox, cache) for name, files in students.items()}
        kits = {name: _kit(run.result()) for name, run in kit_runs.items()}
    visible_units = {t.name for t in bundle.spec.tests if t.visible and t.kind == "unit"}
    for name in students:
        assert set(service[name]) >= visible_units
        assert {k: v for k, v in service[name].items() if k in visible_units} == kits[name], name
    assert all(v["passed"] for v in kits["solution"].values())
    caught = [n for n in students if n.startswith("mistake:") and not all(v["passed"] for v in kits[n].values())]
    assert caught, "no variant fails a visible test: the sweep would compare nothing but passes"
