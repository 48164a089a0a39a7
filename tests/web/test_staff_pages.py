"""TAs, manual adjustments and regrade requests in real Chromium, at desktop and phone widths."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from app.db.models import Role
from tests.app.conftest import load_toy, solution_of
from tests.web.conftest import LiveServer, screenshot


def _fits(page: Any) -> bool:
    """The page does not scroll sideways."""
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


def test_a_ta_sees_the_staff_pages_but_not_the_instructors(live: LiveServer, page_for: Any) -> None:
    live.world.user("tara", role=Role.TA)
    live.world.add_problem(load_toy("toy-layers"))
    page = page_for("tara")
    page.goto("/c/dl")
    tabs = page.get_by_role("navigation", name="Course")
    for name in ("Class overview", "Submissions", "Regrade requests", "Gradebook (CSV)", "Gradebook for Canvas"):
        assert tabs.get_by_role("link", name=name).is_visible(), name
    for name in ("Upload a problem", "Roster", "Extensions"):
        assert tabs.get_by_role("link", name=name).count() == 0, name
    assert page.get_by_role("link", name="manage").count() == 0
    screenshot(page, "ta-course")
    page.goto("/c/dl/submissions")
    assert page.get_by_role("heading", name="Submissions").is_visible()
    page.goto("/c/dl/overview")
    assert page.get_by_role("heading", name="Class overview").is_visible()
    for path in ("/c/dl/upload", "/c/dl/roster", "/c/dl/p/toy-layers/manage"):
        answer = page.goto(path)
        assert answer is not None and answer.status == 403, path
        assert "only instructors of dl may do this" in page.locator(".error").inner_text()
    screenshot(page, "ta-forbidden")
    phone = page_for("tara", phone=True)
    phone.goto("/c/dl")
    assert _fits(phone)
    screenshot(phone, "ta-course-phone")


def _submit(page: Any, tmp: Path) -> str:
    path = tmp / "toy.py"
    path.write_bytes(solution_of(load_toy("toy-layers"))["toy.py"])
    page.goto("/c/dl/p/toy-layers")
    page.get_by_label("Solution files").set_input_files(str(path))
    page.get_by_role("button", name="Submit", exact=True).click()
    page.wait_for_url(re.compile(r"/s/\d+$"))
    page.locator("[data-status]", has_text="graded").wait_for(timeout=60_000)
    return str(page.url)


def test_staff_adjust_a_student_asks_a_ta_answers_and_the_student_reads_it_all(
    live: LiveServer, page_for: Any, tmp_path: Path
) -> None:
    live.world.user("alice", role=Role.STUDENT)
    live.world.user("tara", role=Role.TA)
    live.world.user("ian", role=Role.INSTRUCTOR)
    live.world.add_problem(load_toy("toy-layers"))
    student = page_for("alice")
    url = _submit(student, tmp_path)

    ian = page_for("ian")
    ian.goto(url)
    form = ian.locator("[data-adjust-form]")
    form.get_by_label("Points").fill("-1")
    form.get_by_label("Comment").fill("The shapes are hard-coded: see the statement's note on batches.")
    form.get_by_role("button", name="Adjust the score").click()
    ian.locator("[data-adjustment]").wait_for()
    assert ian.locator(".score").inner_text().startswith("Score: 6 − 1 (adjusted) = 5")
    assert "by ian" in ian.locator("[data-adjustment]").inner_text()
    # A comment left empty is refused with a message, and nothing is stored.
    form = ian.locator("[data-adjust-form]")
    form.get_by_label("Points").fill("2")
    form.get_by_label("Comment").fill(" ")
    form.get_by_role("button", name="Adjust the score").click()
    assert "The comment is empty" in ian.locator(".error").inner_text()
    assert ian.locator("[data-adjustment]").count() == 1

    student.goto(url)
    assert student.locator(".score").inner_text().startswith("Score: 6 − 1 (adjusted) = 5")
    assert "hard-coded" in student.locator("[data-adjustment] [data-comment]").inner_text()
    assert "by ian" not in student.locator("[data-adjustment]").inner_text()
    assert student.locator("[data-adjust-form]").count() == 0
    ask = student.locator("[data-ask-form]")
    ask.get_by_label(re.compile("Ask for a regrade")).fill("The statement allows any batch size; my shapes follow it.")
    ask.get_by_role("button", name="Ask for a regrade").click()
    student.locator("[data-request][data-state=open]").wait_for()
    assert student.locator("[data-ask-form]").count() == 0  # one open request at a time

    ta = page_for("tara")
    ta.goto("/c/dl")
    assert "1 open" in ta.get_by_role("link", name=re.compile("Regrade requests")).inner_text()
    ta.get_by_role("link", name=re.compile("Regrade requests")).click()
    row = ta.locator("tr[data-request]")
    assert "open" in row.inner_text() and "alice" in row.inner_text()
    screenshot(ta, "regrade-requests")
    row.get_by_role("link").click()
    answer = ta.locator("[data-answer-form]")
    answer.get_by_label("Answer").fill("Right: the batch size is free. Half a point back.")
    answer.get_by_label(re.compile("Adjust the score by")).fill("0.5")
    screenshot(ta, "staff-submission-review")
    answer.get_by_role("button", name="Answer").click()
    ta.locator("[data-request][data-state=answered]").wait_for()
    assert ta.locator("[data-adjustment]").count() == 2

    student.goto(url)
    assert student.locator(".score").inner_text().startswith("Score: 6 − 0.5 (adjusted) = 5.5")
    assert "Half a point back" in student.locator("[data-answer]").inner_text()
    assert "tara" not in student.locator("[data-answer]").inner_text()
    screenshot(student, "student-submission-adjusted")
    student.goto("/c/dl")
    assert "5.5 / 6" in student.locator("table.grid tbody").inner_text()  # the course page counts it too
    phone = page_for("alice", phone=True)
    phone.goto(url)
    assert _fits(phone)
    screenshot(phone, "student-submission-adjusted-phone")
    ta_phone = page_for("tara", phone=True)
    ta_phone.goto("/c/dl/regrade-requests")
    assert _fits(ta_phone)
    screenshot(ta_phone, "regrade-requests-phone")
