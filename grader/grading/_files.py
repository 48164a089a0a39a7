"""The submitted files: what may be submitted, and the files a grading job of them carries."""

from __future__ import annotations

import functools
import importlib.util
import marshal
import sys
from collections.abc import Mapping

from grader.bundle import Bundle

MAX_FILE_BYTES = 512 * 1024
MAX_FILES = 10


class SubmissionError(ValueError):
    """The submitted files cannot be graded; `errors` says what to fix."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("\n".join(errors))
        self.errors = errors


def validate_submission(bundle: Bundle, files: Mapping[str, bytes]) -> None:
    """Names must be the problem's, each UTF-8 Python source within the size cap."""
    allowed = bundle.submitted_files
    errors = []
    if len(files) > MAX_FILES:
        errors.append(f"{len(files)} files submitted; at most {MAX_FILES} are accepted")
    for name, content in files.items():
        if name not in allowed:
            errors.append(f"{name!r} is not a file of this problem; submit {', '.join(allowed)}")
        elif len(content) > MAX_FILE_BYTES:
            errors.append(f"{name} is {len(content)} bytes; a submitted file may be at most {MAX_FILE_BYTES}")
        elif b"\x00" in content:
            errors.append(f"{name} contains NUL bytes: submit Python source text, not a binary file")
        else:
            try:
                content.decode("utf-8")
            except UnicodeDecodeError as exc:
                errors.append(f"{name} is not UTF-8 text (byte {exc.start}): save it as UTF-8")
    missing = [f for f in bundle.spec.files if f not in files]
    if missing:
        errors.append(f"missing {', '.join(missing)}: this problem needs {', '.join(bundle.spec.files)}")
    if errors:
        raise SubmissionError(errors)


def student_files(bundle: Bundle, files: Mapping[str, bytes]) -> dict[str, bytes]:
    """The job's files for a submission: support files, the driver, their bytecode, the submitted files."""
    out = {f"sub/{k}": v for k, v in bundle.folder("support").items()}
    out["problem/driver.py"] = bundle.files["driver.py"]
    out.update(bytecode_for(bundle, tuple(out)))  # the problem's own modules, compiled once per bundle
    out.update({f"sub/{k}": v for k, v in files.items()})
    for name in files:  # a submitted file replaces a support file of the same name, and its bytecode with it
        out.pop(_pyc_path(f"sub/{name}"), None)
    return out


def _pyc_path(path: str) -> str:
    folder, _, name = path.rpartition("/")
    return f"{folder}/__pycache__/{name[:-3]}.{sys.implementation.cache_tag}.pyc"


@functools.lru_cache(maxsize=64)
def bytecode_for(bundle: Bundle, paths: tuple[str, ...]) -> dict[str, bytes]:
    """Unchecked hash-based .pyc files (PEP 552) of a bundle's own Python files, by their path in the job.

    Every job imports the problem's driver and support modules; compiling them here once saves each job
    the compile. Python loads such a file without looking at the source again; a job that brings a
    different source under the same name (a submitted file) never gets the .pyc (see `student_files`).
    """
    out = {}
    for path in paths:
        if not path.endswith(".py"):
            continue
        source = (
            bundle.files["driver.py"]
            if path == "problem/driver.py"
            else bundle.files.get(path.replace("sub/", "support/", 1))
        )
        if source is None:
            continue
        try:
            code = compile(source, "/job/" + path, "exec", dont_inherit=True)
        except (SyntaxError, ValueError, RecursionError, MemoryError, OverflowError):
            continue  # the job reports it, with the line, when it imports the file
        header = importlib.util.MAGIC_NUMBER + (0b01).to_bytes(4, "little") + importlib.util.source_hash(source)
        out[_pyc_path(path)] = header + marshal.dumps(code)
    return out
