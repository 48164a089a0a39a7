"""The harness as a job carries it: its entry and its modules under lib/, importing nothing of the project."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from grader._harness import LIB_MODULES, RESERVED_NAMES, harness_files

HERE = Path(__file__).resolve().parents[3] / "grader" / "_harness"


def test_a_job_carries_the_entry_and_every_module_of_the_harness_byte_for_byte() -> None:
    files = harness_files()
    assert sorted(files) == [
        "harness.py",
        "lib/gradelib.py",
        "lib/harness_relay.py",
        "lib/harness_runner.py",
        "lib/harness_state.py",
        "lib/wire.py",
    ]
    for path, data in files.items():
        assert data == (HERE / Path(path).name).read_bytes(), path
    assert {Path(p).name for p in files} | {"driver.py"} == RESERVED_NAMES
    assert LIB_MODULES == ("harness_state", "harness_runner", "harness_relay")


def test_the_harness_modules_import_nothing_of_the_project_and_nothing_of_the_job(tmp_path: Path) -> None:
    """Imported alone, with the standard library and NumPy, as the pre-forked sandbox does ahead of any job."""
    for path, data in harness_files().items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_bytes(data)
    probe = (
        "import json, sys; sys.path.insert(0, sys.argv[1] + '/lib'); "
        "import harness_relay, harness_runner, harness_state; "
        "s = harness_state.HarnessState(); "
        "print(json.dumps([sorted({m.split('.')[0] for m in sys.modules} & {'grader', 'app', 'pydantic'}), "
        "harness_state.JOB, harness_state.SUB, s.plan, s.isolated, list(s.streams)]))"
    )
    done = subprocess.run(
        [sys.executable, "-I", "-c", probe, str(tmp_path)], capture_output=True, text=True, check=True
    )
    assert json.loads(done.stdout) == [[], str(tmp_path), f"{tmp_path}/sub", {}, False, []]
