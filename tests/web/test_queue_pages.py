"""The live submission page says where a waiting submission stands, and moves on by itself once it is graded."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

from sqlalchemy import select

from app.db import utcnow
from app.db.models import Problem, Role, Submission, SubmissionState, User
from app.jobs import lease
from app.runtime import Runtime
from app.submissions import intake
from grader.grading import GradeReport
from grader.grading import TestReport as Report
from tests.app.conftest import load_toy, solution_of
from tests.web.conftest import LiveServer, screenshot

FILES = solution_of(load_toy("toy-layers"))


def _submit(live: LiveServer, who: str) -> int:
    runtime: Runtime = live.app.state.runtime
    with runtime.db.read() as session:
        user = session.scalars(select(User).where(User.username == who)).one()
    return intake.submit(runtime, user, "dl", "toy-layers", FILES).id


def _wait_state(live: LiveServer, sid: int, state: SubmissionState) -> None:
    deadline = time.monotonic() + 120
    while True:
        with live.world.db.read() as session:
            row = session.get(Submission, sid)
            assert row is not None
            if row.state is state:
                return
        assert time.monotonic() < deadline, f"submission {sid} is {row.state}, not {state}"
        time.sleep(0.1)


def _held_elsewhere(live: LiveServer, who: str) -> lease.Claim:
    """A job of `who` running on another slot (another worker, say), which keeps their next one waiting."""
    with live.world.db.session() as session:
        problem = session.scalars(select(Problem)).one()
        user = session.scalars(select(User).where(User.username == who)).one()
        assert problem.current_version_id is not None
        row = Submission(
            problem_id=problem.id,
            version_id=problem.current_version_id,
            user_id=user.id,
            state=SubmissionState.RUNNING,
            attempt=1,
            lease_owner="another-slot",
            lease_expires_at=utcnow() + dt.timedelta(minutes=10),
            started_at=utcnow(),
        )
        session.add(row)
        session.flush()
        return lease.Claim(row.id, 1, "another-slot")


def test_the_live_page_shows_the_place_in_the_queue_then_the_result(browser: Any, live: LiveServer) -> None:
    live.world.user("alice", role=Role.STUDENT)
    live.world.user("bob", role=Role.STUDENT)
    live.world.add_problem(load_toy("toy-layers"))
    _wait_state(live, _submit(live, "bob"), SubmissionState.GRADED)  # a grading time to estimate from
    held = _held_elsewhere(live, "alice")
    waiting = _submit(live, "alice")  # alice may run one job at a time: this one waits its turn

    for phone in (False, True):
        context = browser.new_context(
            base_url=live.base,
            **(
                {"viewport": {"width": 390, "height": 844}, "is_mobile": True}
                if phone
                else {"viewport": {"width": 1280, "height": 800}}
            ),
        )
        page = context.new_page()
        page.set_default_timeout(20_000)
        page.goto("/login")
        page.get_by_label("Username").fill("alice")
        page.get_by_label("Password").fill("password-of-alice")
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(f"{live.base}/")
        page.goto(f"/s/{waiting}")
        place = page.locator("[data-queue]")
        assert place.inner_text().startswith("Position 1 in the queue · starts in about ")
        assert " s · results in about " in place.inner_text()
        assert page.locator("[data-supersede-note]").count() == 1  # submitting again would replace it
        assert page.evaluate("document.documentElement.scrollWidth") <= page.evaluate("window.innerWidth")
        screenshot(page, f"queue-position-{'phone' if phone else 'desktop'}")
        if phone:
            break
        context.close()

    # The other slot finishes alice's first job and says so; the page follows without a reload.
    test = Report("t", "f", 1.0, 1.0, True, True, None, "ok")
    with live.world.db.session() as session:
        assert lease.finish(session, held, GradeReport("toy-layers", "1", 1.0, 1.0, "graded", [test]), late_penalty=0)
    runtime: Runtime = live.app.state.runtime
    runtime.dispatcher.notify(held.submission_id)
    page.locator("[data-status]", has_text="graded").wait_for(timeout=120_000)
    assert page.locator("[data-queue]").count() == 0
    context.close()


def _open(browser: Any, live: LiveServer, who: str, *, phone: bool) -> Any:
    size = {"width": 390, "height": 844} if phone else {"width": 1280, "height": 800}
    context = browser.new_context(base_url=live.base, viewport=size, is_mobile=phone)
    page = context.new_page()
    page.set_default_timeout(20_000)
    page.goto("/login")
    page.get_by_label("Username").fill(who)
    page.get_by_label("Password").fill(f"password-of-{who}")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{live.base}/")
    return page


def test_a_superseded_submission_is_labelled_and_staff_queue_it_again(browser: Any, live: LiveServer) -> None:
    live.world.user("alice", role=Role.STUDENT)
    live.world.user("ian", role=Role.INSTRUCTOR)
    live.world.add_problem(load_toy("toy-layers"))
    _held_elsewhere(live, "alice")  # alice's next submissions wait
    older, newer = _submit(live, "alice"), _submit(live, "alice")

    student = _open(browser, live, "alice", phone=True)
    student.goto(f"/s/{older}")
    label = student.locator("[data-superseded]")
    assert label.inner_text().startswith(f"Superseded by #{newer}: a newer submission")
    assert student.get_by_role("button", name="Queue it again").count() == 0
    student.goto("/me/submissions")
    assert student.get_by_role("link", name=f"#{newer}").count() == 1  # "superseded by #N" in the list
    assert student.evaluate("document.documentElement.scrollWidth") <= student.evaluate("window.innerWidth")
    screenshot(student, "queue-superseded-list-phone")

    for phone in (False, True):
        staff = _open(browser, live, "ian", phone=phone)
        staff.goto(f"/s/{older}")
        assert staff.get_by_role("button", name="Queue it again").count() == 1
        assert staff.evaluate("document.documentElement.scrollWidth") <= staff.evaluate("window.innerWidth")
        screenshot(staff, f"queue-superseded-staff-{'phone' if phone else 'desktop'}")
        staff.goto("/c/dl/overview")
        line = staff.locator("[data-queue-now]").inner_text()
        assert "1 submission of this course waiting" in line and "1 grading" in line, line
        screenshot(staff, f"queue-overview-{'phone' if phone else 'desktop'}")
    staff.goto(f"/s/{older}")
    staff.get_by_role("button", name="Queue it again").click()
    staff.wait_for_url(f"{live.base}/s/{older}")
    assert staff.locator("[data-status]").inner_text() == "queued"
    assert staff.locator("[data-queue]").inner_text().startswith("Position 2 in the queue")  # after the live one
