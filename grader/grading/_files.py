"""The submitted files: what may be submitted, and the files a grading job of them carries."""

from __future__ import annotations

import functools
import importlib.util
import marshal
import sys
from collections.abc import Mapping
from dataclasses import dataclass

from grader.bundle import Bundle
from grader.notebooks import Extraction, NotebookError, extract, is_notebook

MAX_FILE_BYTES = 512 * 1024
MAX_FILES = 10


class SubmissionError(ValueError):
    """The submitted files cannot be graded; `errors` says what to fix."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("\n".join(errors))
        self.errors = errors


@dataclass(frozen=True)
class Submitted:
    """What a submission gives the job: the modules, and the notebook they came from if it was one."""

    modules: dict[str, bytes]
    notebook: str | None = None  # the notebook's file name
    extraction: Extraction | None = None

    @property
    def notes(self) -> list[str]:
        """What the student should know about how their notebook was read (left-out lines and cells)."""
        return [f"{self.notebook}: {note}" for note in self.extraction.notes] if self.extraction else []


def validate_submission(bundle: Bundle, files: Mapping[str, bytes]) -> Submitted:
    """Names must be the problem's, each UTF-8 Python source within the size cap; a notebook gives modules.

    This is the one place a submission becomes modules: intake checks it, the grading job (and a regrade,
    against another version) runs what it returns."""
    errors = []
    if len(files) > MAX_FILES:
        errors.append(f"{len(files)} files submitted; at most {MAX_FILES} are accepted")
    modules = {n: c for n, c in files.items() if not is_notebook(n)}
    notebooks = sorted(n for n in files if is_notebook(n))
    extraction = None
    if len(notebooks) > 1:
        errors.append(f"{len(notebooks)} notebooks submitted ({', '.join(notebooks)}): submit one")
    elif notebooks:
        extraction = _extracted(bundle, notebooks[0], files[notebooks[0]], modules, errors)
        if extraction is not None:
            modules.update(extraction.modules)
    allowed = bundle.submitted_files
    for name, content in modules.items():
        if name not in allowed:
            errors.append(f"{name!r} is not a file of this problem; submit {', '.join(allowed)} or a notebook")
        elif len(content) > MAX_FILE_BYTES:
            errors.append(f"{name} is {len(content)} bytes; a submitted file may be at most {MAX_FILE_BYTES}")
        elif b"\x00" in content:
            errors.append(f"{name} contains NUL bytes: submit Python source text, not a binary file")
        else:
            try:
                content.decode("utf-8")
            except UnicodeDecodeError as exc:
                errors.append(f"{name} is not UTF-8 text (byte {exc.start}): save it as UTF-8")
    missing = [f for f in bundle.spec.files if f not in modules]
    if missing and not (notebooks and extraction is None):  # a notebook's own errors say what it lacks
        errors.append(f"missing {', '.join(missing)}: this problem needs {', '.join(bundle.spec.files)}")
    if errors:
        raise SubmissionError(errors)
    return Submitted(modules, notebooks[0] if notebooks else None, extraction)


def _extracted(
    bundle: Bundle, name: str, data: bytes, files: Mapping[str, bytes], errors: list[str]
) -> Extraction | None:
    required = [f for f in bundle.spec.files if f not in files]
    try:
        extraction = extract(data, bundle.submitted_files, required)
    except NotebookError as exc:
        errors.extend(f"{name}: {e}" for e in exc.errors)
        return None
    if not extraction.modules:
        errors.append(
            f"{name} gives none of this problem's files: tag its cells {' or '.join(bundle.submitted_files)}, "
            "or start them with the line # file: <name>"
        )
        return None
    twice = sorted(set(extraction.modules) & set(files))
    if twice:
        errors.append(f"{', '.join(twice)} sent both as a file and in {name}: send each once")
        return None
    return extraction


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
