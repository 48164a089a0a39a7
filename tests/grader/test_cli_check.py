"""`python -m grader check-problem` on bundles an instructor made: the lines printed, the exit code."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

from grader.bundle import MAX_BUNDLE_BYTES
from grader.sandbox import Sandbox

TOY = Path(__file__).resolve().parents[1] / "bundles" / "toy-layers"


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "grader", *args], capture_output=True, text=True, timeout=300)


def finder_zip(path: Path, replace: dict[str, bytes]) -> Path:
    """toy-layers as the macOS Finder's "Compress" makes it: a wrapping folder, __MACOSX/ and .DS_Store."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for file in sorted(TOY.rglob("*")):
            if file.is_file() and "__pycache__" not in file.parts:
                rel = file.relative_to(TOY).as_posix()
                archive.writestr(f"toy-layers/{rel}", replace.get(rel, file.read_bytes()))
                archive.writestr(f"__MACOSX/toy-layers/{'/'.join([*rel.split('/')[:-1], '._' + file.name])}", b"\0")
        archive.writestr("toy-layers/.DS_Store", b"\0\0\0\1Bud1")
    return path


def test_a_finder_zip_of_a_sound_bundle_is_ok(sandbox: Sandbox, tmp_path: Path) -> None:
    done = cli("check-problem", str(finder_zip(tmp_path / "toy-layers.zip", {})))
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.splitlines()[-1] == "bundle OK"


def test_a_nan_in_the_reference_gradient_fails_the_check_with_its_place(sandbox: Sandbox, tmp_path: Path) -> None:
    solution = (TOY / "solution" / "toy.py").read_bytes() + (
        b"\n\ndef relu_backward(dout, cache):\n    dx = dout * (cache > 0)\n    dx[0, 2] = np.nan\n    return dx\n"
    )
    done = cli("check-problem", str(finder_zip(tmp_path / "toy.zip", {"solution/toy.py": solution})))
    assert done.returncode == 1, done.stdout + done.stderr
    assert (
        "[FAIL] inputs and reference results are finite values the grader can carry: tests 'relu_backward_small': "
        "reference result 'dx' has 1 NaN at [0, 2] — make the generator and the reference finite, or set "
        "`allow_nonfinite = true` on a test whose right answer holds NaN or infinity"
    ) in done.stdout.splitlines()
    assert done.stdout.splitlines()[-1] == "bundle has problems"


def test_a_zip_over_the_bundle_limit_is_refused_by_the_check_as_the_service_refuses_it(tmp_path: Path) -> None:
    path = tmp_path / "big.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("problem.toml", b"")
        archive.writestr("data/big.npz", bytes(MAX_BUNDLE_BYTES + 1))
    done = cli("check-problem", str(path))
    assert done.returncode == 2
    assert done.stderr == (
        f"error: the zip is {path.stat().st_size} bytes; a bundle may be at most 52428800 bytes (50 MiB): make the "
        "data smaller (fewer or smaller arrays, a subset of the set) and try again\n"
    )
