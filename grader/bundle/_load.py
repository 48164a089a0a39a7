"""Loading and validating a problem bundle: every error with its place."""

from __future__ import annotations

import ast
import fnmatch
import hashlib
import io
import tomllib
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np
from pydantic import ValidationError

from grader._harness import RESERVED_NAMES
from grader.bundle._archive import ArchiveError, ArchiveLimits, read_folder, read_zip
from grader.bundle._npz import DataError, load_npz
from grader.bundle._schema import DataSpec, MistakeSpec, ProblemSpec, TestSpec, explain
from grader.bundle._seeds import derive_seed, local_seed_key

DEFAULT_LIMITS = ArchiveLimits()


class BundleError(ValueError):
    """A bundle failed validation; `errors` lists each problem with its place."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("\n".join(errors))
        self.errors = errors


@dataclass(frozen=True, eq=False)
class Bundle:
    """A validated problem: its spec and all its files, in memory."""

    spec: ProblemSpec
    files: Mapping[str, bytes]
    source: str
    _data: dict[str, dict[str, np.ndarray]] = field(default_factory=dict, repr=False)

    @cached_property
    def digest(self) -> str:
        h = hashlib.sha256()
        for name in sorted(self.files):
            h.update(name.encode() + b"\0" + hashlib.sha256(self.files[name]).digest())
        return h.hexdigest()

    @property
    def slug(self) -> str:
        return self.spec.slug

    @property
    def statement(self) -> str:
        return self.files[self.spec.statement].decode("utf-8")

    @property
    def submitted_files(self) -> list[str]:
        return [*self.spec.files, *self.spec.optional_files]

    def folder(self, prefix: str) -> dict[str, bytes]:
        """Files under `prefix/`, keyed relative to it."""
        head = prefix.rstrip("/") + "/"
        return {k[len(head) :]: v for k, v in self.files.items() if k.startswith(head)}

    def solution_files(self) -> dict[str, bytes]:
        """The reference solution as a student would submit it: the solution's files that are submitted."""
        return {k: v for k, v in self.folder("solution").items() if k in self.submitted_files}

    def test(self, name: str) -> TestSpec:
        return next(t for t in self.spec.tests if t.name == name)

    def seed_for(self, test: TestSpec, seed_key: bytes | None = None) -> int:
        """The test's generator seed from the problem's seed key (the local key without one); never shown."""
        return derive_seed(seed_key if seed_key is not None else local_seed_key(self.slug), test)

    def data(self, name: str) -> dict[str, np.ndarray]:
        """The arrays of one data file (validated at load time)."""
        if name not in self._data:
            self._data[name] = load_npz(name, self.files[name])
        return self._data[name]

    def data_spec(self, name: str) -> DataSpec:
        for spec in self.spec.data:
            if spec.file == name:
                return spec
        return DataSpec(file=name)

    def mistake_module(self, mistake: MistakeSpec) -> str:
        return mistake.module or self.spec.files[0]

    def tests_matching(self, patterns: list[str]) -> list[TestSpec]:
        return [
            t for t in self.spec.tests if t.kind == "unit" and any(fnmatch.fnmatchcase(t.name, p) for p in patterns)
        ]


def load_bundle(source: str | Path, limits: ArchiveLimits = DEFAULT_LIMITS) -> Bundle:
    """Load a bundle from a folder or a `.zip` file."""
    path = Path(source)
    try:
        files = read_zip(path.read_bytes(), limits) if path.is_file() else read_folder(path, limits)
    except ArchiveError as exc:
        raise BundleError([str(exc)]) from None
    except OSError as exc:
        raise BundleError([f"{path}: cannot read ({exc.strerror})"]) from None
    return bundle_from_files(files, str(path))


def load_bundle_zip(data: bytes, source: str = "upload", limits: ArchiveLimits = DEFAULT_LIMITS) -> Bundle:
    """Load a bundle from the bytes of an uploaded zip."""
    try:
        files = read_zip(data, limits)
    except ArchiveError as exc:
        raise BundleError([str(exc)]) from None
    return bundle_from_files(files, source)


def bundle_to_zip(bundle: Bundle) -> bytes:
    """The bundle's files as a zip (sorted, fixed timestamps: the same bundle always gives the same bytes)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(bundle.files):
            info = zipfile.ZipInfo(name, date_time=(2000, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, bundle.files[name])
    return out.getvalue()


def bundle_from_files(files: dict[str, bytes], source: str) -> Bundle:
    """Validate a bundle given as relative path -> bytes."""
    spec = _parse_spec(files)
    errors = _Checker(spec, files).run()
    if errors:
        raise BundleError(errors)
    return Bundle(spec=spec, files=dict(files), source=source)


def _parse_spec(files: Mapping[str, bytes]) -> ProblemSpec:
    if "problem.toml" not in files:
        raise BundleError(["problem.toml is missing from the bundle's top level"])
    try:
        raw = tomllib.loads(files["problem.toml"].decode("utf-8"))
    except UnicodeDecodeError:
        raise BundleError(["problem.toml: not UTF-8 text"]) from None
    except tomllib.TOMLDecodeError as exc:
        raise BundleError([f"problem.toml: not valid TOML ({exc})"]) from None
    try:
        return ProblemSpec.model_validate(raw)
    except ValidationError as exc:
        raise BundleError(explain(exc)) from None


class _Checker:
    """Cross-file checks: every reference in problem.toml points at something real."""

    def __init__(self, spec: ProblemSpec, files: Mapping[str, bytes]) -> None:
        self.spec = spec
        self.files = files
        self.errors: list[str] = []

    def run(self) -> list[str]:
        self._check_python_files()
        self._check_statement()
        self._check_file_sets()
        driver_fns = self._functions("driver.py", required=True)
        needs_cases = any(t.kind == "unit" for t in self.spec.tests)
        case_fns = self._functions("cases.py", required=needs_cases)
        for i, test in enumerate(self.spec.tests):
            self._check_test(i, test, driver_fns, case_fns)
        for i, mistake in enumerate(self.spec.mistakes):
            self._check_mistake(i, mistake)
        self._check_data()
        return self.errors

    def _check_python_files(self) -> None:
        for name, content in sorted(self.files.items()):
            if not name.endswith(".py"):
                continue
            try:
                ast.parse(content.decode("utf-8"), filename=name)
            except UnicodeDecodeError:
                self.errors.append(f"{name}: not UTF-8 text")
            except SyntaxError as exc:
                self.errors.append(f"{name} line {exc.lineno}: {exc.msg}")

    def _check_statement(self) -> None:
        content = self.files.get(self.spec.statement)
        if content is None:
            self.errors.append(f"problem.toml: statement {self.spec.statement!r} is not in the bundle")
            return
        try:
            content.decode("utf-8")
        except UnicodeDecodeError:
            self.errors.append(f"{self.spec.statement}: not UTF-8 text")

    def _check_file_sets(self) -> None:
        submitted = set(self.spec.files) | set(self.spec.optional_files)
        for folder, required in (("solution", self.spec.files), ("starter", self.spec.files)):
            for name in required:
                if f"{folder}/{name}" not in self.files:
                    self.errors.append(f"{folder}/{name} is missing: `files` lists {name!r}")
        for name in self.files:
            if name.startswith("support/"):
                rel = name[len("support/") :]
                if rel in submitted:
                    self.errors.append(f"{name}: a support file cannot have the name of a submitted file")
                if rel in RESERVED_NAMES:
                    self.errors.append(f"{name}: this name is reserved by the grader")

    def _functions(self, name: str, required: bool) -> set[str] | None:
        """The top-level functions of `name`, or None when it is missing or unparseable (reported once)."""
        content = self.files.get(name)
        if content is None:
            if required:
                self.errors.append(f"{name} is missing from the bundle's top level")
            return None
        try:
            tree = ast.parse(content.decode("utf-8"))
        except (SyntaxError, UnicodeDecodeError):
            return None  # already reported
        return {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}

    def _check_test(self, i: int, test: TestSpec, driver_fns: set[str] | None, case_fns: set[str] | None) -> None:
        where = f"problem.toml: tests[{i}]"
        if driver_fns is not None and test.driver_name not in driver_fns:
            self.errors.append(f"{where}.driver {test.driver_name!r} is not a function in driver.py")
        if test.kind == "unit" and case_fns is not None and test.case not in case_fns:
            self.errors.append(f"{where}.case {test.case!r} is not a function in cases.py")
        if test.kind == "accuracy" and test.data is not None:
            self._check_accuracy_test(where, test)

    def _check_accuracy_test(self, where: str, test: TestSpec) -> None:
        assert test.data is not None
        if test.data not in self.files:
            self.errors.append(f"{where}.data {test.data!r} is not in the bundle")
            return
        secret = next((d.secret for d in self.spec.data if d.file == test.data), [])
        if test.labels not in secret:
            self.errors.append(f"{where}.labels {test.labels!r} must be listed as secret in [[data]] for {test.data!r}")
        bars = [t.accuracy for t in test.thresholds]
        if bars != sorted(bars, reverse=True):
            self.errors.append(f"{where}.thresholds must be listed from the highest accuracy down")

    def _check_mistake(self, i: int, mistake: MistakeSpec) -> None:
        where = f"problem.toml: mistakes[{i}]"
        if mistake.file not in self.files:
            self.errors.append(f"{where}.file {mistake.file!r} is not in the bundle")
        submitted = [*self.spec.files, *self.spec.optional_files]
        module = mistake.module or self.spec.files[0]
        if module not in submitted:
            self.errors.append(f"{where}.module {module!r} is not one of the submitted files {submitted}")
        elif module not in self.spec.files and f"solution/{module}" not in self.files:  # else reported once above
            self.errors.append(f"{where}.module {module!r} has no reference in solution/")
        units = [t.name for t in self.spec.tests if t.kind == "unit"]
        for pattern in mistake.breaks:
            if not any(fnmatch.fnmatchcase(name, pattern) for name in units):
                self.errors.append(f"{where}.breaks {pattern!r} matches no unit test")

    def _check_data(self) -> None:
        for i, spec in enumerate(self.spec.data):
            where = f"problem.toml: data[{i}]"
            if spec.file not in self.files:
                self.errors.append(f"{where}.file {spec.file!r} is not in the bundle")
                continue
            try:
                arrays = load_npz(spec.file, self.files[spec.file])
            except DataError as exc:
                self.errors.append(str(exc))
                continue
            for key in spec.secret:
                if key not in arrays:
                    self.errors.append(f"{where}.secret {key!r} is not an array in {spec.file}")
        if self.spec.data and "DATA.md" not in self.files:
            self.errors.append("DATA.md is missing: say where the data came from and under which licence")
