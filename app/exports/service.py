"""Grades out: the course gradebook as CSV, and one submission in Gradescope's results.json format."""

from __future__ import annotations

import csv
import enum
import io
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.adjustments.service import adjusted_score
from app.db.models import Course, Enrollment, Problem, Role, Submission, SubmissionState, User
from app.downloads import Download
from app.submissions.service import failure_text, reveals_hidden
from app.submissions.views import result_view


class Pick(enum.StrEnum):
    BEST = "best"
    LATEST = "latest"


def gradebook_download(session: Session, course: Course, pick: Pick) -> Download:
    """The gradebook as the CSV file an instructor saves, named after the course and the pick."""
    text = gradebook_csv(session, course, pick)
    return Download(text, f"{course.slug}-gradebook-{pick.value}.csv", "text/csv; charset=utf-8")


def gradebook_csv(session: Session, course: Course, pick: Pick) -> str:
    """One row per student, and per problem its score with manual adjustments, maximum and late flag (best or
    latest graded; of equal best scores, the latest, as in the class overview)."""
    problems = list(session.scalars(select(Problem).where(Problem.course_id == course.id).order_by(Problem.id)))
    students = list(
        session.scalars(
            select(User)
            .join(Enrollment, Enrollment.user_id == User.id)
            .where(Enrollment.course_id == course.id, Enrollment.role == Role.STUDENT, Enrollment.invited.is_(False))
            .order_by(User.username)
        )
    )
    chosen: dict[tuple[int, int], Submission] = {}
    graded = session.scalars(
        select(Submission)
        .join(Problem)
        .where(
            Problem.course_id == course.id,
            Submission.regrade_id.is_(None),
            Submission.state == SubmissionState.GRADED,
        )
        .order_by(Submission.id)
    )
    for sub in graded:
        key = (sub.user_id, sub.problem_id)
        held = chosen.get(key)
        if held is None or pick is Pick.LATEST or (adjusted_score(sub) or 0.0) >= (adjusted_score(held) or 0.0):
            chosen[key] = sub
    out = io.StringIO()
    writer = csv.writer(out)
    header = ["username", "full_name", "email"]
    for p in problems:
        header += [p.slug, f"{p.slug}:max", f"{p.slug}:late", f"{p.slug}:submission"]
    header.append("total")
    writer.writerow(header)
    for student in students:
        row: list[Any] = [_safe(student.username), _safe(student.full_name), _safe(student.email or "")]
        total = 0.0
        for p in problems:
            found = chosen.get((student.id, p.id))
            if found is None:
                row += ["", "", "", ""]
                continue
            score = adjusted_score(found)
            total += score or 0.0
            row += [_num(score), _num(found.max_score), "yes" if found.late else "no", found.id]
        row.append(_num(total))
        writer.writerow(row)
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
