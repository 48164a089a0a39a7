"""What an instructor sees of a class: who submitted, how scores spread, what fails and why.

Every figure about failures counts students, not submissions: each student's submission that counts is
the one `counting_submissions` picks (the problem's rule, best or latest by score with manual adjustments, or
the student's own choice), so a student who resubmits the same mistake twenty times, or fails one test with
three causes, counts once.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.models import Course, Enrollment, Problem, Role, Submission, SubmissionState, TestResult
from app.grades.counting import counting_submissions, points
from grader.judge import Tier


@dataclass(frozen=True)
class CauseCount:
    """One likely cause: which it is, how specific (lower tier first), how many students, and one message."""

    kind: str
    tier: int
    students: int
    example: str


@dataclass
class ProblemStats:
    problem: Problem
    students: int = 0  # students with at least one submission
    graded_students: int = 0  # students with a graded submission: each has a counting submission
    submissions: int = 0
    late: int = 0
    failed: int = 0  # infrastructure failures
    best_scores: list[float] = field(default_factory=list)
    max_score: float = 0.0
    failing_tests: list[tuple[str, int]] = field(default_factory=list)  # test, students whose counted one fails it
    causes: list[CauseCount] = field(default_factory=list)
    accuracies: list[float] = field(default_factory=list)  # of each student's counting submission


def course_overview(session: Session, course: Course, top: int = 8) -> list[ProblemStats]:
    """Per problem: submitters, the points of each student's counting submission (`counting_submissions`), and
    on that submission the failing tests and likely causes, each counted once per student."""
    problems = list(session.scalars(select(Problem).where(Problem.course_id == course.id).order_by(Problem.id)))
    stats = {p.id: ProblemStats(p) for p in problems}
    students = set(
        session.scalars(
            select(Enrollment.user_id).where(Enrollment.course_id == course.id, Enrollment.role == Role.STUDENT)
        )
    )
    submitters: dict[int, set[int]] = {p.id: set() for p in problems}
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
    )
    for _sid, pid, uid, state, score, max_score, late in rows:
        if uid not in students:
            continue  # the instructors' own tries are not the class's
        entry = stats[pid]
        entry.submissions += 1
        entry.late += int(late)
        submitters[pid].add(uid)
        if state is SubmissionState.FAILED:
            entry.failed += 1
        if state is SubmissionState.GRADED and score is not None:
            entry.max_score = max(entry.max_score, max_score or 0.0)
    counted = {key: c for key, c in counting_submissions(session, course).items() if key[0] in students}
    for (_, pid), found in counted.items():
        stats[pid].best_scores.append(points(found.submission))
        stats[pid].graded_students += 1
    for pid, who in submitters.items():
        stats[pid].students = len(who)
    _failures(session, stats, {c.submission.id: pid for (_, pid), c in counted.items()}, top)
    return list(stats.values())


@dataclass
class _Seen:
    tier: int
    students: set[int] = field(default_factory=set)
    example: str = ""
    example_from: int = -1  # the submission the example comes from: the newest one shows


def _failures(session: Session, stats: dict[int, ProblemStats], counted: dict[int, int], top: int) -> None:
    """Failing tests and likely causes of the counted submissions (`counted`: submission -> problem)."""
    tests: dict[int, Counter[str]] = {pid: Counter() for pid in stats}
    causes: dict[int, dict[str, _Seen]] = {pid: {} for pid in stats}
    accuracy: dict[int, float] = {}
    failing: dict[int, set[str]] = {}
    ids = sorted(counted)
    for chunk in range(0, len(ids), 500):
        part = ids[chunk : chunk + 500]
        result = session.execute(
            select(
                TestResult.submission_id,
                TestResult.name,
                TestResult.passed,
                TestResult.diagnosis,
                TestResult.causes,
                TestResult.accuracy,
            ).where(TestResult.submission_id.in_(part))
        )
        for sid, name, passed, diagnosis, kinds, acc in result:
            pid = counted[sid]
            if acc is not None:
                accuracy[sid] = max(accuracy.get(sid, 0.0), float(acc))
            if passed:
                continue
            failing.setdefault(sid, set()).add(name)
            for kind, tier, text in _identified(diagnosis, kinds):
                seen = causes[pid].setdefault(kind, _Seen(tier))
                seen.tier = min(seen.tier, tier)
                seen.students.add(sid)  # one counted submission per student: a submission is a student
                if sid > seen.example_from:
                    seen.example, seen.example_from = text, sid
    for sid, names in failing.items():
        tests[counted[sid]].update(names)
    for pid, entry in stats.items():
        entry.failing_tests = sorted(tests[pid].items(), key=lambda item: (-item[1], item[0]))[:top]
        ranked = sorted(causes[pid].items(), key=lambda item: (item[1].tier, -len(item[1].students), item[0]))
        entry.causes = [CauseCount(kind, s.tier, len(s.students), s.example) for kind, s in ranked[:top]]
    for sid, acc in accuracy.items():
        stats[counted[sid]].accuracies.append(acc)


def _identified(diagnosis: Any, kinds: Any) -> list[tuple[str, int, str]]:
    """Each diagnosis of a test result with its kind and tier. A result stored before causes were recorded
    has texts only: each is then its own kind, as generic as the least specific cause."""
    texts = [str(d) for d in diagnosis or []]
    if isinstance(kinds, list) and len(kinds) == len(texts):
        return [
            (str(k.get("kind") or text), int(k.get("tier", Tier.SHAPELESS)), text)
            for k, text in zip(kinds, texts, strict=True)
            if isinstance(k, dict)
        ]
    return [(text, int(Tier.SHAPELESS), text) for text in texts]
