"""The check kit: what it carries (never a hidden test, the reference or the seed key), how it reports a broken
file, and its `--json` verdict. It runs as a student runs it: a plain interpreter that can import NumPy alone."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from grader.bundle import Bundle, load_bundle
from grader.grading import KIT_FOLDER, ReferenceCache, check_kit, grade_files, kit_size
from grader.sandbox import Sandbox
from tests._kit import check_json, plain_env, run_check, unpack

ROOT = Path(__file__).resolve().parents[3]
SEED_KEY = b"the seed key of one deployment"
SOLUTION = (ROOT / "tests/bundles/toy-layers/solution/toy.py").read_bytes()

BROKEN = {
    "syntax error": b"def relu_forward(x):\n    return (x, x\n",
    "missing function": SOLUTION.replace(b"def mse_loss(", b"def mse_loss_renamed("),
    "exception": SOLUTION.replace(
        b"def relu_backward(dout, cache):\n", b"def relu_backward(dout, cache):\n    1 / 0\n"
    ),
    "sys.exit at import": b"import sys\nsys.exit(3)\n",
    "prints": b"print('{not json')\n" + SOLUTION,
    "wrong return type": SOLUTION + b"\n\ndef relu_forward(x):\n    return x\n",
}


@pytest.fixture(scope="module")
def cache() -> ReferenceCache:
    return ReferenceCache()


def _kit(bundle: Bundle, sandbox: Sandbox, cache: ReferenceCache) -> dict[str, bytes]:
    return check_kit(cache.prepared(bundle, sandbox, SEED_KEY))


def _arrays(value: Any) -> list[np.ndarray]:
    if isinstance(value, np.ndarray):
        return [value]
    if isinstance(value, dict):
        return [a for v in value.values() for a in _arrays(v)]
    if isinstance(value, list | tuple):
        return [a for v in value for a in _arrays(v)]
    return []


@pytest.mark.parametrize("where", ["tests/bundles/toy-layers", "reference/logistic-regression"])
def test_the_kit_carries_no_hidden_test_no_reference_code_and_no_seed_key(
    where: str, sandbox: Sandbox, cache: ReferenceCache
) -> None:
    bundle = load_bundle(ROOT / where)
    kit = _kit(bundle, sandbox, cache)
    run = cache.prepared(bundle, sandbox, SEED_KEY).run
    problem_code = [
        v
        for k, v in bundle.files.items()
        if k.split("/")[0] in ("solution", "mistakes", "alternatives") or k == "cases.py"
    ]
    for name, data in kit.items():
        assert name == "check.py" or name.startswith(KIT_FOLDER + "/"), name
        assert not name.endswith((".pkl", ".pickle")) and not (name.endswith(".npz") and "kit.npz" not in name)
        for source in problem_code:
            assert source.strip() not in data, f"{name} holds problem code"
        assert SEED_KEY not in data and SEED_KEY.hex().encode() not in data
    with np.load(io.BytesIO(kit[f"{KIT_FOLDER}/kit.npz"]), allow_pickle=False) as npz:
        shipped = [npz[k] for k in npz.files]
    hidden = [t for t in bundle.spec.tests if not t.visible and t.kind == "unit"]
    assert hidden
    secret = [a for t in hidden for a in _arrays(run.inputs[t.name]) + _arrays(dict(run.results[t.name])) if a.size > 1]
    for t in hidden:
        secret += [a for (_, test), res in run.variants.items() if test == t.name for a in _arrays(dict(res))]
    for data_file in bundle.spec.data:  # a data set's arrays (the training split and the secret labels) stay home
        secret += [a for a in bundle.data(data_file.file).values() if a.size > 1]
    assert secret and not any(a.shape == s.shape and np.array_equal(a, s) for a in shipped for s in secret)
    spec = json.loads(kit[f"{KIT_FOLDER}/kit.json"])
    assert {t["name"] for t in spec["tests"]} == {t.name for t in bundle.spec.tests if t.visible and t.kind == "unit"}
    assert {t["name"] for t in spec["service_only"]} >= {t.name for t in hidden}
    assert kit_size(kit) < 400_000


def test_a_kit_follows_the_deployment_seed_key(toy_layers: Bundle, sandbox: Sandbox, cache: ReferenceCache) -> None:
    ours = _kit(toy_layers, sandbox, cache)[f"{KIT_FOLDER}/kit.npz"]
    local = check_kit(cache.prepared(toy_layers, sandbox, None))[f"{KIT_FOLDER}/kit.npz"]
    assert ours != local  # another deployment's visible inputs are drawn from its own key


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_a_broken_file_is_reported_per_test_as_the_service_says_it(
    case: str, toy_layers: Bundle, sandbox: Sandbox, cache: ReferenceCache, tmp_path: Path
) -> None:
    files = {"toy.py": BROKEN[case]}
    folder = unpack(tmp_path / "kit", toy_layers, _kit(toy_layers, sandbox, cache), files)
    env = plain_env(tmp_path)
    verdict = check_json(folder, env)
    report = grade_files(toy_layers, files, sandbox, cache, units_only=True, seed_key=SEED_KEY)
    service = {t.name: (t.passed, t.points, t.diagnosis, t.feedback) for t in report.tests if t.visible}
    assert {t["name"]: (t["passed"], t["points"], t["diagnosis"], t["feedback"]) for t in verdict["tests"]} == service
    text = run_check(folder, env)
    assert "Traceback (most recent call last)" not in text.stdout + text.stderr
    assert text.stdout.rstrip().endswith("hidden tests and training run only on the service")
    if case != "prints":
        assert text.returncode == 1 and "\u2717" in text.stdout


def test_a_syntax_error_names_the_file_and_line(
    toy_layers: Bundle, sandbox: Sandbox, cache: ReferenceCache, tmp_path: Path
) -> None:
    folder = unpack(tmp_path / "kit", toy_layers, _kit(toy_layers, sandbox, cache), {"toy.py": BROKEN["syntax error"]})
    out = run_check(folder, plain_env(tmp_path)).stdout
    assert "\u2717 relu_forward_small (0/1 point)" in out
    assert "Could not import toy.py: SyntaxError" in out and 'File "toy.py", line 2' in out


def test_the_json_verdict_has_its_documented_fields(
    toy_layers: Bundle, sandbox: Sandbox, cache: ReferenceCache, tmp_path: Path
) -> None:
    folder = unpack(tmp_path / "kit", toy_layers, _kit(toy_layers, sandbox, cache), {"toy.py": SOLUTION})
    verdict = check_json(folder, plain_env(tmp_path))
    assert set(verdict) == {"problem", "version", "score", "max_score", "tests", "service_only", "note"}
    assert (verdict["problem"], verdict["version"], verdict["score"], verdict["max_score"]) == ("toy-layers", "1", 5, 5)
    assert verdict["note"] == "hidden tests and training run only on the service"
    for test in verdict["tests"]:
        assert set(test) == {"name", "function", "points", "max_points", "passed", "stage", "feedback", "diagnosis"}
        assert test["passed"] is True and test["stage"] is None and test["points"] == test["max_points"]
    assert verdict["service_only"] == [
        {"name": "mse_hidden", "function": "mse_loss", "max_points": 1, "why": "hidden test"}
    ]
    text = run_check(folder, plain_env(tmp_path))
    assert text.returncode == 0
    assert (
        text.stdout.splitlines()[-1] == "visible tests: 5/5 points; hidden tests and training run only on the service"
    )
    assert "  1 hidden test (1 point)" in text.stdout
