"""Grading: reference runs, student runs, judgement and reports."""

from grader.grading._check import CheckItem, CheckReport, check_problem, mutated_files
from grader.grading._grade import (
    MAX_FILE_BYTES,
    MAX_FILES,
    SubmissionError,
    Submitted,
    grade_files,
    public_data,
    validate_submission,
)
from grader.grading._history import Series, history_series
from grader.grading._kit import KIT_FOLDER, check_kit, kit_size
from grader.grading._reference import (
    ReferenceCache,
    ReferenceFailure,
    ReferenceRun,
    compute_reference,
)
from grader.grading._report import (
    HIDDEN_NOTE,
    GradeReport,
    TestReport,
    format_table,
    shown_metrics,
    student_names,
    student_view,
)
from grader.grading._runner import SandboxFailure, sandbox_preload

__all__ = [
    "HIDDEN_NOTE",
    "KIT_FOLDER",
    "MAX_FILES",
    "MAX_FILE_BYTES",
    "CheckItem",
    "CheckReport",
    "GradeReport",
    "ReferenceCache",
    "ReferenceFailure",
    "ReferenceRun",
    "SandboxFailure",
    "Series",
    "SubmissionError",
    "Submitted",
    "TestReport",
    "check_kit",
    "check_problem",
    "compute_reference",
    "format_table",
    "grade_files",
    "history_series",
    "kit_size",
    "mutated_files",
    "public_data",
    "sandbox_preload",
    "shown_metrics",
    "student_names",
    "student_view",
    "validate_submission",
]
