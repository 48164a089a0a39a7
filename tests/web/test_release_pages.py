"""Held results and the submission that counts, in real Chromium: the instructor holds and releases results on the
problem's manage page; the student sees "received" and then the score; the student chooses an earlier submission."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app.db.models import Role
from tests.app.conftest import load_toy, solution_of
from tests.web.conftest import LiveServer, screenshot

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def contexts() -> Iterator[list[Any]]:
    """The browser contexts a test opened, closed after it."""
    opened: list[Any] = []
    yield opened
    for context in opened:
        context.close()


def _open(browser: Any, live: LiveServer, who: str, opened: list[Any], *, phone: bool = False) -> Any:
    options: dict[str, Any] = {"base_url": live.base}
    options.update({"viewport": PHONE, "is_mobile": True, "has_touch": True} if phone else {"viewport": DESKTOP})
    context = browser.new_context(**options)
    opened.append(context)
    page = context.new_page()
    page.set_default_timeout(20_000)
    page.goto("/login")
    page.get_by_label("Username").fill(who)
    page.get_by_label("Password").fill(f"password-of-{who}")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{live.base}/")
    return page


def _submit(page: Any, tmp: Path, content: bytes) -> int:
    tmp.mkdir(parents=True, exist_ok=True)
    path = tmp / "toy.py"
    path.write_bytes(content)
    page.goto("/c/dl/p/toy-layers")
    page.get_by_label("Solution files").set_input_files(str(path))
    page.get_by_role("button", name="Submit", exact=True).click()
    page.wait_for_url(re.compile(r"/s/\d+$"))
    return int(page.url.rsplit("/", 1)[1])


def _wrong() -> bytes:
    bundle = load_toy("toy-layers")
    return bundle.files["solution/toy.py"] + b"\n" + bundle.files["mistakes/mse_sum.py"]


def _scroll_width(page: Any) -> int:
    return int(page.evaluate("document.documentElement.scrollWidth"))


def _people(live: LiveServer) -> None:
    live.world.user("alice", role=Role.STUDENT)
    live.world.user("ian", role=Role.INSTRUCTOR)
    live.world.add_problem(load_toy("toy-layers"))


def test_held_results_read_received_until_the_instructor_releases_them(
    browser: Any, live: LiveServer, tmp_path: Path, contexts: list[Any]
) -> None:
    _people(live)
    ian = _open(browser, live, "ian", contexts)
    ian.goto("/c/dl/p/toy-layers/manage")
    ian.get_by_label("Hold results").check()
    ian.get_by_role("button", name="Save settings").click()
    ian.get_by_text("Saved.").wait_for()
    assert "Held:" in ian.locator("[data-results-state]").inner_text()

    alice = _open(browser, live, "alice", contexts)
    sid = _submit(alice, tmp_path, _wrong())
    alice.locator("[data-status]", has_text="received").wait_for(timeout=90_000)
    assert "results not released yet" in alice.locator("#live").inner_text()
    assert alice.locator("[data-score]").count() == 0 and alice.locator("table.results").count() == 0
    screenshot(alice, "release-held-submission-desktop")
    phone = _open(browser, live, "alice", contexts, phone=True)
    phone.goto("/c/dl/p/toy-layers")
    assert "Results not released yet" in phone.locator("[data-held]").inner_text()
    assert "not released yet" in phone.locator("#mine-h ~ table").inner_text()
    assert _scroll_width(phone) <= 390
    screenshot(phone, "release-held-problem-phone")

    ian.goto(f"/s/{sid}")
    assert ian.locator("[data-score]").inner_text() == "3"  # staff see the result while it is held
    ian.goto("/c/dl/p/toy-layers/manage")
    screenshot(ian, "release-manage-held-desktop")
    ian.get_by_role("button", name="Release results now").click()
    ian.locator(".notice", has_text="Results released").wait_for()
    assert "Released" in ian.locator("[data-results-state]").inner_text()

    alice.goto(f"/s/{sid}")
    assert alice.locator("[data-status]").inner_text() == "graded"
    assert alice.locator("[data-score]").inner_text() == "3"
    assert "Likely cause" in alice.locator("#live").inner_text()


def test_a_student_chooses_an_earlier_submission_to_count(
    browser: Any, live: LiveServer, tmp_path: Path, contexts: list[Any]
) -> None:
    _people(live)
    alice = _open(browser, live, "alice", contexts)
    wrong = _submit(alice, tmp_path, _wrong())
    alice.locator("[data-status]", has_text="graded").wait_for(timeout=90_000)
    right = _submit(alice, tmp_path, solution_of(load_toy("toy-layers"))["toy.py"])
    alice.locator("[data-status]", has_text="graded").wait_for(timeout=90_000)
    alice.reload()
    assert "This submission counts" in alice.locator("[data-counting]").inner_text()
    assert alice.get_by_role("button", name="Count this submission").count() == 0  # it counts already (best)

    alice.goto(f"/s/{wrong}")
    assert f"Submission {right} counts" in alice.locator("[data-counting]").inner_text()
    alice.get_by_role("button", name="Count this submission").click()
    alice.get_by_text(f"Submission {wrong} now counts").wait_for()
    counting = alice.locator("[data-counting]").inner_text()
    assert "This submission counts" in counting and "chosen by the student" in counting
    screenshot(alice, "release-chosen-submission-desktop")

    phone = _open(browser, live, "alice", contexts, phone=True)
    phone.goto("/c/dl/p/toy-layers")
    assert f"Submission {wrong} counts" in phone.locator("p[data-counting]").inner_text()
    row = phone.locator("#mine-h ~ table tr", has=phone.locator("[data-counts]"))
    assert row.locator("a").first.inner_text() == str(wrong)
    assert _scroll_width(phone) <= 390
    screenshot(phone, "release-chosen-problem-phone")
    phone.goto("/c/dl")
    assert "chosen by the student" in phone.locator("table.grid").inner_text()
