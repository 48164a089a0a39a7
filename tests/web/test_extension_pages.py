"""Extensions and late days in real Chromium: an instructor gives a student an extension on the page, and the
student's course and problem pages show their own deadline and late days left, at desktop and phone width."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from app.courses.extensions import set_late_days
from app.db import utcnow
from app.db.models import Course, Problem, Role
from tests.app.conftest import load_toy
from tests.web.conftest import LiveServer, screenshot

WIDEST = """[...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > innerWidth + 1)
  .map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right)).slice(0, 8)"""


def _fits(page: Any) -> bool:
    width = page.evaluate("document.documentElement.scrollWidth")
    return bool(width <= page.viewport_size["width"] + 1)


def test_an_extension_set_on_the_page_is_the_students_deadline_with_late_days_left(
    live: LiveServer, page_for: Any, tmp_path: Path
) -> None:
    live.world.user("alice", role=Role.STUDENT)
    live.world.user("bob", role=Role.STUDENT)
    live.world.user("ian", role=Role.INSTRUCTOR)
    live.world.add_problem(load_toy("toy-layers"))
    with live.world.db.session() as session:
        set_late_days(session.query(Course).one(), 2)
        problem = session.query(Problem).one()
        problem.deadline = utcnow() - dt.timedelta(days=5)
        problem.late_days_max = 2
    own = (utcnow() - dt.timedelta(hours=12)).replace(second=0, microsecond=0)

    ian = page_for("ian")
    ian.goto("/c/dl/p/toy-layers/manage")
    ian.get_by_role("link", name="Extensions of this problem").click()
    ian.get_by_label("Student").select_option("alice")
    ian.get_by_label("New deadline (UTC; empty keeps the problem's)").fill(own.strftime("%Y-%m-%dT%H:%M"))
    ian.get_by_label("Extra submissions per quota window").fill("2")
    ian.get_by_label("Reason (for the record)").fill("family emergency")
    ian.get_by_role("button", name="Save extension").click()
    ian.get_by_role("status").filter(has_text="Saved the extension of alice on toy-layers.").wait_for()
    row = ian.locator("[data-extensions] tbody tr").filter(has_text="alice")
    assert "family emergency" in row.inner_text() and "2" in row.inner_text()
    screenshot(ian, "extensions-desktop")

    bad = tmp_path / "extensions.csv"
    bad.write_text("username,problem,deadline,extra_quota,reason\nbob,toy-layers,,1,\nbob,nope,,1,\n")
    ian.get_by_label("Extensions CSV (columns: username, problem, deadline, extra_quota, reason)").set_input_files(bad)
    ian.get_by_role("button", name="Import extensions").click()
    alert = ian.get_by_role("alert")
    assert "nothing was stored" in alert.inner_text() and "line 3: no problem 'nope'" in alert.inner_text()
    assert ian.locator("[data-extensions] tbody tr").filter(has_text="bob").count() == 0
    ian.get_by_label("Student").select_option("bob")
    ian.get_by_label("Extra submissions per quota window").fill("0")
    ian.get_by_role("button", name="Save extension").click()
    assert "needs a new deadline, extra quota, or both" in ian.get_by_role("alert").inner_text()
    ian.goto("/c/dl/roster")
    assert "0 used, 2 left" in ian.locator("[data-late-days]").first.inner_text()

    phone = page_for("ian", phone=True)
    phone.goto("/c/dl/extensions")
    screenshot(phone, "extensions-phone")
    assert _fits(phone), phone.evaluate(WIDEST)

    for width, name in ((False, "desktop"), (True, "phone")):
        alice = page_for("alice", phone=width)
        alice.goto("/c/dl")
        assert "Late days: 2 of 2 left" in alice.locator("[data-late-days]").inner_text()
        assert "your extension" in alice.get_by_role("table").inner_text()
        alice.goto("/c/dl/p/toy-layers")
        due = alice.locator("[data-due]")
        assert "your extension" in due.inner_text()
        assert due.locator("time").get_attribute("datetime") == own.strftime("%Y-%m-%dT%H:%M:%SZ")
        state = alice.locator("[data-submit-state]").inner_text()
        assert "this submission would use 1 late day; you have 2 left" in state
        assert _fits(alice)
        screenshot(alice, f"late-days-problem-{name}")

    bob = page_for("bob")
    bob.goto("/c/dl/p/toy-layers")
    assert "your extension" not in bob.locator("[data-due]").inner_text()
    assert "marked late" in bob.locator("[data-submit-state]").inner_text()  # five days: beyond the problem's two

    ian.goto("/c/dl/extensions?problem=toy-layers")
    ian.get_by_role("button", name="Remove the extension of alice on toy-layers").click()
    ian.get_by_role("status").filter(has_text="Removed the extension of alice on toy-layers.").wait_for()
    alice.goto("/c/dl/p/toy-layers")
    assert "your extension" not in alice.locator("[data-due]").inner_text()
