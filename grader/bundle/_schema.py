"""The schema of `problem.toml`, with errors phrased for the instructor who wrote it."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

Name = Annotated[str, Field(pattern=r"^[A-Za-z0-9_.-]{1,80}$")]
Identifier = Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,79}$")]
PyFile = Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,60}\.py$")]
RelPath = Annotated[str, Field(pattern=r"^[A-Za-z0-9_][A-Za-z0-9_./-]{0,200}$")]
InputPath = Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z0-9_]+)*$")]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LimitsSpec(_Strict):
    """Per-call limits; a test may override each."""

    time_seconds: float = Field(default=10.0, gt=0, le=900)
    memory_mb: int = Field(default=1024, ge=128, le=16384)
    output_kb: int = Field(default=64, ge=1, le=4096)
    fresh_process: bool = False  # run every job in a newly started interpreter (no pre-forked one)
    # Wall time of one generator call, and of one call of the reference (or a mistake variant), when the
    # problem's own code runs before any submission is graded: a loop there is the bundle's bug.
    generator_seconds: float = Field(default=20.0, gt=0, le=900)
    reference_seconds: float = Field(default=30.0, gt=0, le=900)
    # wall-clock budget of one submission's tests all together; unset: the longest test's limit plus 60 s
    submission_seconds: float | None = Field(default=None, gt=0, le=3600)


class TolerancePatch(_Strict):
    """Tolerance fields an override may set."""

    rel_norm: float | None = Field(default=None, ge=0, le=1)
    rtol: float | None = Field(default=None, ge=0, le=1)
    atol: float | None = Field(default=None, ge=0, le=1)


class ToleranceSpec(_Strict):
    """Problem-wide closeness rule."""

    rel_norm: float = Field(default=1e-6, ge=0, le=1)
    rtol: float = Field(default=1e-5, ge=0, le=1)
    atol: float = Field(default=1e-8, ge=0, le=1)


class TestTolerance(TolerancePatch):
    """A test's override, optionally per result."""

    results: dict[str, TolerancePatch] = Field(default_factory=dict)


class DiagnoseSpec(_Strict):
    """What the inputs mean, so the diagnosis can name regions and factors."""

    labels: InputPath | None = None
    x: InputPath | None = None
    p_keep: InputPath | None = None
    pad: InputPath | None = None
    batchnorm: bool = False


class Threshold(_Strict):
    """Accuracy at or above `accuracy` earns `fraction` of the points."""

    accuracy: float = Field(ge=0, le=1)
    fraction: float = Field(gt=0, le=1)


class DataSpec(_Strict):
    """A data file and the arrays in it that must stay secret."""

    file: RelPath
    secret: list[Identifier] = Field(default_factory=list)


class TestSpec(_Strict):
    """One graded test."""

    name: Name
    kind: Literal["unit", "accuracy"] = "unit"
    function: Identifier
    driver: Identifier | None = None
    case: Identifier | None = None
    params: dict[str, Any] = Field(default_factory=dict)
    seed: int | None = Field(default=None, ge=0, lt=2**63)
    allow_nonfinite: bool = False  # NaN or infinity in this test's inputs or reference results is intended
    points: float = Field(gt=0, le=1000)
    visible: bool = True
    time_seconds: float | None = Field(default=None, gt=0, le=900)
    memory_mb: int | None = Field(default=None, ge=128, le=16384)
    tolerance: TestTolerance | None = None
    diagnose: DiagnoseSpec = Field(default_factory=DiagnoseSpec)
    data: RelPath | None = None
    labels: Identifier | None = None
    prediction: Identifier = "pred"
    thresholds: list[Threshold] = Field(default_factory=list)

    @property
    def driver_name(self) -> str:
        return self.driver or self.function

    @model_validator(mode="after")
    def _kind_fields(self) -> TestSpec:
        if self.kind == "unit":
            if self.case is None:
                raise ValueError("a unit test needs `case` (a generator in cases.py)")
            if self.data or self.labels or self.thresholds:
                raise ValueError("`data`, `labels` and `thresholds` belong to accuracy tests")
        else:
            missing = [f for f in ("data", "labels") if getattr(self, f) is None]
            if missing or not self.thresholds:
                need = ", ".join([*missing, *([] if self.thresholds else ["thresholds"])])
                raise ValueError(f"an accuracy test needs {need}")
        return self


class MistakeSpec(_Strict):
    """A known-mistake variant: replacement definitions plus the hint shown on a match."""

    name: Name
    file: RelPath
    module: PyFile | None = None
    hint: str = Field(min_length=10, max_length=2000)
    breaks: list[str] = Field(min_length=1)


class ProblemSpec(_Strict):
    """The whole of problem.toml."""

    slug: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$")]
    title: str = Field(min_length=1, max_length=200)
    version: Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._+-]{0,40}$")]
    files: list[PyFile] = Field(min_length=1, max_length=10)
    optional_files: list[PyFile] = Field(default_factory=list, max_length=10)
    statement: RelPath = "statement.md"
    limits: LimitsSpec = Field(default_factory=LimitsSpec)
    tolerance: ToleranceSpec = Field(default_factory=ToleranceSpec)
    data: list[DataSpec] = Field(default_factory=list)
    tests: list[TestSpec] = Field(min_length=1, max_length=500)
    mistakes: list[MistakeSpec] = Field(default_factory=list, max_length=200)

    @field_validator("tests")
    @classmethod
    def _unique_tests(cls, tests: list[TestSpec]) -> list[TestSpec]:
        _no_duplicates([t.name for t in tests], "test name")
        return tests

    @field_validator("mistakes")
    @classmethod
    def _unique_mistakes(cls, mistakes: list[MistakeSpec]) -> list[MistakeSpec]:
        _no_duplicates([m.name for m in mistakes], "mistake name")
        return mistakes

    @model_validator(mode="after")
    def _files_disjoint(self) -> ProblemSpec:
        both = sorted(set(self.files) & set(self.optional_files))
        if both:
            raise ValueError(f"{both} listed in both `files` and `optional_files`")
        return self


def _no_duplicates(names: list[str], what: str) -> None:
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise ValueError(f"{what} {name!r} appears more than once")
        seen.add(name)


_MESSAGES = {
    "missing": "is required",
    "extra_forbidden": "is not a known field (check the spelling)",
    "greater_than": "must be > {gt}",
    "greater_than_equal": "must be >= {ge}",
    "less_than": "must be < {lt}",
    "less_than_equal": "must be <= {le}",
    "string_too_short": "must not be empty",
    "too_short": "must have at least {min_length} item(s)",
    "too_long": "must have at most {max_length} item(s)",
}


def explain(error: ValidationError, filename: str = "problem.toml") -> list[str]:
    """Pydantic errors as `problem.toml: tests[3].points must be > 0` lines."""
    lines = []
    for err in error.errors():
        where = _location(err["loc"])
        template = _MESSAGES.get(err["type"])
        ctx = err.get("ctx") or {}
        if err["type"] == "string_too_short" and ctx.get("min_length", 1) > 1:
            template = "must be at least {min_length} characters long"
        if template:
            text = template.format(**{k: _number(v) for k, v in ctx.items()})
        elif err["type"] == "string_pattern_mismatch":
            text = f"{err['input']!r} is not allowed here (expected a name matching {ctx.get('pattern')})"
        elif err["type"] == "value_error":
            text = str(ctx.get("error", err["msg"]))
            where += ":" if where else ""
        else:
            text = err["msg"][0].lower() + err["msg"][1:] + f" (got {err.get('input')!r:.60})"
        prefix = f"{filename}: {where} " if where else f"{filename}: "
        lines.append(prefix + text)
    return lines


def _number(value: Any) -> Any:
    """`0` rather than `0.0` for a float bound (`points must be > 0`)."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


def _location(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", part):
            out += f".{part}" if out else part
        else:
            out += f"[{part!r}]"
    return out
