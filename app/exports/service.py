"""Grades out: the gradebook as CSV (ours, Canvas's, Moodle's), and a submission as Gradescope's results.json."""

from __future__ import annotations

import csv
import enum
import io
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.adjustments.service import adjusted_score
from app.courses.deadlines import late_days_used
from app.db.models import Counting, Course, Enrollment, Problem, ProblemVersion, Role, Submission, SubmissionState, User
from app.downloads import Download
from app.errors import Invalid
from app.grades.counting import counting_submissions, points
from app.submissions.service import failure_text, reveals_hidden
from app.submissions.views import result_view
from grader.bundle import load_bundle_zip


class Pick(enum.StrEnum):
    """An override of every problem's counting rule (and of students' choices) for the plain gradebook."""

    BEST = "best"
    LATEST = "latest"


class GradebookFormat(enum.StrEnum):
    PLAIN = "plain"  # ours: username, name, email, per problem score, max, late, submission and why it counts
    CANVAS = "canvas"  # Canvas's gradebook import: a Points Possible row, one column per assignment
    MOODLE = "moodle"  # Moodle's "Import grades from CSV": an identifier column, one column per grade item


def gradebook_download(
    session: Session, course: Course, pick: Pick | None = None, fmt: GradebookFormat = GradebookFormat.PLAIN
) -> Download:
    """The gradebook as the CSV file an instructor saves, named after the course and the rule or format."""
    if fmt is not GradebookFormat.PLAIN:
        if pick is not None:
            raise Invalid(f"pick applies to the plain gradebook only: the {fmt.value} export uses the counting rule")
        text = lms_csv(session, course, fmt)
        return Download(text, f"{course.slug}-gradebook-{fmt.value}.csv", "text/csv; charset=utf-8")
    text = gradebook_csv(session, course, pick)
    name = f"{course.slug}-gradebook-{pick.value if pick else 'counting'}.csv"
    return Download(text, name, "text/csv; charset=utf-8")


def _problems(session: Session, course: Course) -> list[Problem]:
    return list(session.scalars(select(Problem).where(Problem.course_id == course.id).order_by(Problem.id)))


def _students(session: Session, course: Course) -> list[User]:
    return list(
        session.scalars(
            select(User)
            .join(Enrollment, Enrollment.user_id == User.id)
            .where(Enrollment.course_id == course.id, Enrollment.role == Role.STUDENT, Enrollment.invited.is_(False))
            .order_by(User.username)
        )
    )


def gradebook_csv(session: Session, course: Course, pick: Pick | None = None) -> str:
    """One row per student, and per problem the counting submission's points, maximum, late flag, id and why it
    counts (the problem's rule or the student's choice; `pick` applies best or latest to every problem instead)."""
    problems = _problems(session, course)
    override = Counting(pick.value) if pick else None
    chosen = counting_submissions(session, course, override=override)
    out = io.StringIO()
    writer = csv.writer(out)
    header = ["username", "full_name", "email"]
    for p in problems:
        header += [p.slug, f"{p.slug}:max", f"{p.slug}:late", f"{p.slug}:submission", f"{p.slug}:counts"]
    header += ["total", "late_days_used"]
    writer.writerow(header)
    spent = late_days_used(session, course)
    for student in _students(session, course):
        row: list[Any] = [_safe(student.username), _safe(student.full_name), _safe(student.email or "")]
        total = 0.0
        for p in problems:
            found = chosen.get((student.id, p.id))
            if found is None:
                row += ["", "", "", "", ""]
                continue
            sub = found.submission
            total += points(sub)
            row += [_num(points(sub)), _num(sub.max_score), "yes" if sub.late else "no", sub.id, found.reason.value]
        row += [_num(total), spent.get(student.id, 0)]
        writer.writerow(row)
    return out.getvalue()


def _points_possible(session: Session, problem: Problem) -> float | None:
    """The problem's maximum: its current version's test points."""
    if problem.current_version_id is None:
        return None
    version = session.get(ProblemVersion, problem.current_version_id)
    if version is None:
        return None
    return float(sum(t.points for t in load_bundle_zip(version.bundle_zip, source="gradebook").spec.tests))


def lms_csv(session: Session, course: Course, fmt: GradebookFormat) -> str:
    """The counting points of every student per problem, in the CSV an LMS imports (Canvas or Moodle)."""
    problems = _problems(session, course)
    chosen = counting_submissions(session, course)
    out = io.StringIO()
    writer = csv.writer(out)
    columns = [_safe(f"{p.title} ({p.slug})") for p in problems]
    if fmt is GradebookFormat.CANVAS:
        writer.writerow(["Student", "ID", "SIS User ID", "SIS Login ID", "Section", *columns])
        possible = [_num(_points_possible(session, p)) for p in problems]
        writer.writerow(["    Points Possible", "", "", "", "", *possible])
    else:
        writer.writerow(["Username", "Email address", *columns])
    for student in _students(session, course):
        scores = []
        for p in problems:
            found = chosen.get((student.id, p.id))
            scores.append("" if found is None else _num(points(found.submission)))
        if fmt is GradebookFormat.CANVAS:
            name = _safe(student.full_name or student.username)
            login = _safe(student.email or student.username)
            writer.writerow([name, "", _safe(student.username), login, "", *scores])
        else:
            writer.writerow([_safe(student.username), _safe(student.email or ""), *scores])
    return out.getvalue()


def _num(x: float | None) -> str:
    return "" if x is None else f"{x:g}"


def _safe(text: str) -> str:
    """Defuse spreadsheet formulas in names people typed themselves."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def gradescope_results(submission: Submission) -> dict[str, Any]:
    """The submission as Gradescope's autograder `results.json`: what its student may see, and nothing more.

    Gradescope shows this file to the student, so it is built from the student's view: a hidden
    test by its pass/fail and points, no total grading time (hidden tests' time is in it), and
    the leaderboard and output of visible tests only.
    """
    view = result_view(submission, staff=False, reveal_hidden=reveals_hidden(submission.problem))
    tests = [
        {
            "name": t.name,
            "score": t.points,
            "max_score": t.max_points,
            "status": "passed" if t.passed else "failed",
            "output": t.feedback + "".join("\n" + d for d in t.diagnosis),
            "visibility": "visible" if t.visible else "after_published",
        }
        for t in view.tests
    ]
    accuracy = view.metrics.get("accuracy", {})
    result: dict[str, Any] = {
        "score": adjusted_score(submission),  # with manual adjustments, as the gradebook
        "output": view.stdout,
        "visibility": "visible",
        "stdout_visibility": "visible",
        "tests": tests,
    }
    if accuracy:
        result["leaderboard"] = [{"name": f"accuracy[{k}]", "value": v} for k, v in sorted(accuracy.items())]
    if submission.state is SubmissionState.FAILED:
        result["output"] = failure_text(submission, staff=False)
        result["score"] = 0.0
    return result
