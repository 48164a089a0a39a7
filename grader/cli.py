"""`python -m grader`: grade files locally, check a bundle, test the sandbox."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from grader.bundle import PACK_DIR, Bundle, BundleError, list_pack, load_bundle, seed_key_from_text
from grader.grading import (
    ReferenceCache,
    ReferenceFailure,
    SandboxFailure,
    SubmissionError,
    check_problem,
    format_table,
    grade_files,
    sandbox_preload,
    student_view,
    validate_submission,
)
from grader.sandbox import Sandbox, SandboxUnavailable, default_sandbox, self_test

EXIT_USAGE = 2
EXIT_SANDBOX = 3
EXIT_CHECK_FAILED = 1


def resolve_problem(name: str) -> Path:
    """A folder or zip path as given, else a slug of the built-in pack."""
    path = Path(name)
    if path.exists():
        return path
    candidate = PACK_DIR / name
    if candidate.is_dir():
        return candidate
    raise BundleError([f"no problem {name!r}: give a bundle folder or zip, or one of: {', '.join(list_pack())}"])


SEED_HELP = "a secret phrase the tests' inputs are seeded from (default: a key derived from the problem's slug)"


def _seed_key(args: argparse.Namespace) -> bytes | None:
    return seed_key_from_text(args.seed_secret) if args.seed_secret else None


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m grader", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    grade = sub.add_parser("grade", help="grade files against a problem through the sandbox")
    grade.add_argument("--problem", required=True, help="a bundle folder or zip, or a built-in slug")
    grade.add_argument("files", nargs="+", type=Path, help="the submitted Python files, or a Jupyter notebook")
    grade.add_argument("--json", action="store_true", help="print one JSON object")
    grade.add_argument(
        "--student-view", action="store_true", help="only what a student sees: hidden tests by pass/fail and points"
    )
    grade.add_argument("--seed-secret", help=SEED_HELP)
    check = sub.add_parser("check-problem", help="validate a bundle end to end")
    check.add_argument("problem", help="a bundle folder or zip, or a built-in slug")
    check.add_argument("--json", action="store_true")
    check.add_argument("--skip-variants", action="store_true", help="do not grade the mistake variants")
    check.add_argument("--seed-secret", help=SEED_HELP)
    sub.add_parser("self-test", help="run the sandbox self-test and say which isolation is active")
    sub.add_parser("list", help="list the built-in problems")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "list":
            print("\n".join(list_pack()))
            return 0
        sandbox = default_sandbox(preload=sandbox_preload())
        if args.command == "self-test":
            return _self_test(sandbox)
        if args.command == "grade":
            return _grade(args, sandbox)
        return _check(args, sandbox)
    except (BundleError, SubmissionError) as exc:
        print("error: " + str(exc).replace("\n", "\nerror: "), file=sys.stderr)
        return EXIT_USAGE
    except SandboxUnavailable as exc:
        print(f"error: the sandbox is unavailable, refusing to run untrusted code: {exc}", file=sys.stderr)
        return EXIT_SANDBOX
    except (ReferenceFailure, SandboxFailure) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_SANDBOX


def _load(name: str) -> Bundle:
    return load_bundle(resolve_problem(name))


def _grade(args: argparse.Namespace, sandbox: Sandbox) -> int:
    bundle = _load(args.problem)
    files = {}
    for path in args.files:
        try:
            files[path.name] = path.read_bytes()
        except OSError as exc:
            raise SubmissionError([f"{path}: cannot read ({exc.strerror})"]) from None
    for note in validate_submission(bundle, files).notes:
        print(f"note: {note}", file=sys.stderr)
    report = grade_files(bundle, files, sandbox, ReferenceCache(), seed_key=_seed_key(args))
    if args.json:
        data = student_view(report) if args.student_view else report.to_dict()
        print(json.dumps(data, indent=None))
    else:
        print(format_table(report, student=args.student_view))
    return 0


def _check(args: argparse.Namespace, sandbox: Sandbox) -> int:
    bundle = _load(args.problem)
    report = check_problem(bundle, sandbox, variants=not args.skip_variants, seed_key=_seed_key(args))
    if args.json:
        print(json.dumps(report.to_dict()))
    else:
        print("\n".join(report.lines()))
    return 0 if report.ok else EXIT_CHECK_FAILED


def _self_test(sandbox: Sandbox) -> int:
    report = self_test(sandbox)
    print(report.describe())
    return 0 if report.ok else EXIT_SANDBOX
