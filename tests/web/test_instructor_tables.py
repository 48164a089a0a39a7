"""The instructor's class overview and submissions table in real Chromium: read the causes, then sort, filter
and page the table by clicking."""

from __future__ import annotations

import datetime as dt
import random
import re
from typing import Any

from sqlalchemy import select

from app.db.models import Problem, Role, Submission, SubmissionState, User
from app.jobs import lease
from grader.grading import GradeReport
from tests.app.conftest import World, load_toy
from tests.app.test_overview import CLASS, reports  # noqa: F401  (the session's real graded reports)
from tests.web.conftest import LiveServer, screenshot


def _store(world: World, who: str, report: GradeReport, when: dt.datetime) -> int:
    """A submission whose result is `report`, written the way a grading worker finishes its claim (the row is
    created already claimed, so the live server's own worker leaves it alone)."""
    with world.db.session() as s:
        user = s.scalar(select(User).where(User.username == who))
        problem = s.scalar(select(Problem).where(Problem.slug == "toy-layers"))
        assert user is not None and problem is not None and problem.current_version_id is not None
        row = Submission(
            problem_id=problem.id,
            version_id=problem.current_version_id,
            user_id=user.id,
            created_at=when,
            state=SubmissionState.RUNNING,
            attempt=1,
            lease_owner="test",
            lease_expires_at=dt.datetime.now(dt.UTC) + dt.timedelta(hours=1),
        )
        s.add(row)
        s.flush()
        sid = row.id
    with world.db.session() as s:
        assert lease.finish(s, lease.Claim(sid, 1, "test"), report, late_penalty=0.0)
    return sid


def _scores(page: Any) -> list[float]:
    cells = page.locator("table.submissions tbody tr td:nth-child(6)").all_inner_texts()
    return [float(c.split(" / ")[0]) for c in cells]


def _students(page: Any) -> list[str]:
    return [c.split()[0] for c in page.locator("table.submissions tbody tr td:nth-child(2)").all_inner_texts()]


def test_an_instructor_reads_the_causes_then_sorts_filters_and_pages_the_table_by_clicking(
    live: LiveServer,
    page_for: Any,
    reports: dict[str, GradeReport],  # noqa: F811
) -> None:
    world = live.world
    world.user("prof", role=Role.INSTRUCTOR)
    for name in CLASS:
        world.user(name, role=Role.STUDENT)
    world.add_problem(load_toy("toy-layers"))
    start = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)
    n = 0
    for name, files in CLASS.items():
        for which in files:
            _store(world, name, reports[which], start + dt.timedelta(minutes=n))
            n += 1
    rng = random.Random(3)
    while n < 120:  # enough for three pages of fifty; none beats a best submission, so the overview stays
        who, which = rng.choice(list(CLASS)), rng.choice(["mse_sum", "starter"])
        _store(world, who, reports[which], start + dt.timedelta(minutes=n))
        n += 1

    prof = page_for("prof")
    prof.goto("/c/dl/overview")
    causes = prof.get_by_role("table", name="Likely causes, most specific first")
    rows = [" ".join(r.split()) for r in causes.locator("tbody tr").all_inner_texts()]
    assert [r.split(" of 7")[0] for r in rows] == [
        "mistake:relu_mask_from_dout specific 3",
        "mistake:mse_sum specific 1",
        "region:one sample generic 2",
        "region:x > 0 generic 2",
        "own-forward:disagrees, forward right generic 2",
    ]
    assert "The ReLU gradient passes where the INPUT x was positive" in rows[0]
    failing = prof.get_by_role("table", name="Most failed tests").locator("tbody tr").all_inner_texts()
    assert [" ".join(r.split()) for r in failing] == [
        "relu_backward_small 5 of 7",
        "mse_hidden 1 of 7",
        "mse_small 1 of 7",
    ]
    screenshot(prof, "instructor-overview-causes")

    prof.goto("/c/dl/submissions")
    summary = prof.locator("#table-summary")
    assert summary.inner_text().startswith("120 submissions match · page 1 of 3")
    prof.get_by_role("link", name="Score", exact=True).click()
    prof.wait_for_url(re.compile(r"sort=score&dir=desc"))
    scores = _scores(prof)
    assert len(scores) == 50 and scores == sorted(scores, reverse=True) and scores[0] == 6.0
    prof.get_by_role("link", name="Score", exact=True).click()
    prof.wait_for_url(re.compile(r"sort=score&dir=asc"))
    assert _scores(prof)[0] == 0.0 and _scores(prof) == sorted(_scores(prof))

    prof.get_by_role("link", name="Next ›").click()
    prof.wait_for_url(re.compile(r"page=2"))
    assert "page 2 of 3" in summary.inner_text()
    page_two = _scores(prof)
    assert page_two == sorted(page_two)
    prof.get_by_role("link", name="Next ›").click()
    prof.wait_for_url(re.compile(r"page=3"))
    assert "page 3 of 3" in summary.inner_text() and len(_scores(prof)) == 20
    assert prof.get_by_role("link", name="Next ›").count() == 0
    prof.get_by_role("link", name="‹ Previous").click()
    prof.wait_for_url(re.compile(r"page=2"))
    assert _scores(prof) == page_two

    prof.get_by_label("Student name contains").fill("GRA")
    prof.get_by_role("button", name="Filter").click()
    prof.wait_for_url(re.compile(r"student=GRA"))
    assert "sort=score" in prof.url and "page=" not in prof.url  # the order stays, the page starts over
    assert set(_students(prof)) == {"grace"}
    grace_total = int(summary.inner_text().split()[0])
    assert grace_total == len(_students(prof)) >= 3
    screenshot(prof, "instructor-submissions-filtered")

    prof.get_by_label("Student name contains").fill("a")
    prof.get_by_role("button", name="Filter").click()
    prof.wait_for_url(re.compile(r"student=a&"))
    prof.get_by_role("link", name="Student", exact=True).click()
    prof.wait_for_url(re.compile(r"student=a&sort=student&dir=asc"))
    names = _students(prof)
    assert names == sorted(names) and names[0] == "ada" and all("a" in x for x in names)
    prof.get_by_role("link", name="Next ›").click()
    prof.wait_for_url(re.compile(r"student=a&sort=student&dir=asc&page=2"))
    assert _students(prof)[0] >= names[-1]
    screenshot(prof, "instructor-submissions-sorted-paged")
