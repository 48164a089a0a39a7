"""The check kit as a student runs it: unpacked beside their files, in a plain interpreter with NumPy alone."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from grader.bundle import Bundle

PYTHON = sys.executable  # the real interpreter (not a shim); `-S` keeps the venv's site-packages away


def plain_env(tmp: Path) -> dict[str, str]:
    """An environment whose only importable package besides the standard library is NumPy (a symlink to it)."""
    pure = tmp / "numpy-only"
    if not pure.exists():
        pure.mkdir(parents=True)
        site = Path(np.__file__).resolve().parent.parent
        for name in ("numpy", "numpy.libs"):
            if (site / name).exists():
                (pure / name).symlink_to(site / name)
    return {"PATH": "/usr/bin:/bin", "HOME": str(tmp), "PYTHONPATH": str(pure), "PYTHONDONTWRITEBYTECODE": "1"}


def unpack(folder: Path, bundle: Bundle, kit: Mapping[str, bytes], files: Mapping[str, bytes]) -> Path:
    """The starter folder as the zip unpacks (support, starter, kit), then the student's own files."""
    for name, data in {**bundle.folder("support"), **bundle.folder("starter"), **kit, **files}.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return folder


def run_check(folder: Path, env: Mapping[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """`python -S check.py ARGS` in the unpacked folder."""
    return subprocess.run(
        [PYTHON, "-S", "check.py", *args], cwd=folder, env=dict(env), capture_output=True, text=True, check=False
    )


def check_json(folder: Path, env: Mapping[str, str]) -> dict[str, Any]:
    """The kit's `--json` verdict (the run must print one JSON object, whatever the student's code did)."""
    ran = run_check(folder, env, "--json")
    assert ran.returncode in (0, 1), ran.stderr
    verdict: dict[str, Any] = json.loads(ran.stdout)
    return verdict


def importable(module: str, env: Mapping[str, str], cwd: Path) -> bool:
    """Whether `module` imports in the plain interpreter."""
    ran = subprocess.run(
        [PYTHON, "-S", "-c", f"import {module}"], cwd=cwd, env=dict(env), capture_output=True, check=False
    )
    return ran.returncode == 0
