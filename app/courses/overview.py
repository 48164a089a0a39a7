"""What an instructor sees of a class: who submitted, how scores spread, what fails and why."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.models import Course, Problem, Submission, SubmissionState, TestResult


@dataclass
class ProblemStats:
    problem: Problem
    students: int = 0
    submissions: int = 0
    late: int = 0
    failed: int = 0  # infrastructure failures
    best_scores: list[float] = field(default_factory=list)
    max_score: float = 0.0
    failing_tests: list[tuple[str, int]] = field(default_factory=list)
    diagnoses: list[tuple[str, int]] = field(default_factory=list)
    accuracies: list[float] = field(default_factory=list)


def course_overview(session: Session, course: Course, top: int = 5) -> list[ProblemStats]:
    """Per problem: submitters, best score per student, the most failed tests and most given diagnoses.

    Failing tests and diagnoses are counted on each student's latest graded submission, so one
    student resubmitting the same mistake twenty times counts once.
    """
    problems = list(session.scalars(select(Problem).where(Problem.course_id == course.id).order_by(Problem.id)))
    stats = {p.id: ProblemStats(p) for p in problems}
    best: dict[tuple[int, int], float] = {}
    latest: dict[tuple[int, int], int] = {}
    students: dict[int, set[int]] = {p.id: set() for p in problems}
    rows = session.execute(
        select(
            Submission.id,
            Submission.problem_id,
            Submission.user_id,
            Submission.state,
            Submission.score,
            Submission.max_score,
            Submission.late,
        )
        .join(Problem)
        .where(Problem.course_id == course.id, Submission.regrade_id.is_(None))
        .order_by(Submission.id)
    )
    for sid, pid, uid, state, score, max_score, late in rows:
        entry = stats[pid]
        entry.submissions += 1
        entry.late += int(late)
        students[pid].add(uid)
        if state is SubmissionState.FAILED:
            entry.failed += 1
        if state is SubmissionState.GRADED and score is not None:
            key = (pid, uid)
            best[key] = max(best.get(key, 0.0), score)
            latest[key] = sid
            entry.max_score = max(entry.max_score, max_score or 0.0)
    for (pid, _), score in best.items():
        stats[pid].best_scores.append(score)
    for pid, who in students.items():
        stats[pid].students = len(who)
    _failures(session, stats, latest, top)
    return list(stats.values())


def _failures(session: Session, stats: dict[int, ProblemStats], latest: dict[tuple[int, int], int], top: int) -> None:
    by_submission = {sid: pid for (pid, _), sid in latest.items()}
    if not by_submission:
        return
    tests: dict[int, Counter[str]] = {pid: Counter() for pid in stats}
    diagnoses: dict[int, Counter[str]] = {pid: Counter() for pid in stats}
    best_accuracy: dict[tuple[int, int], float] = {}
    ids = list(by_submission)
    for chunk in range(0, len(ids), 500):
        part = ids[chunk : chunk + 500]
        for sid, name, passed, diagnosis, accuracy in session.execute(
            select(
                TestResult.submission_id, TestResult.name, TestResult.passed, TestResult.diagnosis, TestResult.accuracy
            ).where(TestResult.submission_id.in_(part))
        ):
            pid = by_submission[sid]
            if not passed:
                tests[pid][name] += 1
                for text in diagnosis or []:
                    diagnoses[pid][_headline(str(text))] += 1
            if accuracy is not None:
                best_accuracy[(pid, sid)] = max(best_accuracy.get((pid, sid), 0.0), float(accuracy))
    for pid, entry in stats.items():
        entry.failing_tests = tests[pid].most_common(top)
        entry.diagnoses = diagnoses[pid].most_common(top)
    for (pid, _), acc in best_accuracy.items():
        stats[pid].accuracies.append(acc)


_NUMBER = re.compile(r"(?<![A-Za-z_])[-+]?\d+(?:\.\d+)?(?:e[-+]?\d+)?")


def _headline(text: str) -> str:
    """A diagnosis with its numbers blanked, so the same mistake on different shapes counts together."""
    first = text.strip().split("\n", 1)[0]
    return _NUMBER.sub("#", first)[:240]
