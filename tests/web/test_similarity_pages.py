"""Code similarity in real Chromium: an instructor runs the report, reads the pairs and compares a pair side
by side with the matching regions marked; on a phone the two sides stack; students are kept out."""

from __future__ import annotations

from typing import Any

from app.db.models import Role
from tests.app.conftest import load_toy
from tests.app.test_similarity_reports import _class
from tests.web.conftest import LiveServer, screenshot
from tests.web.test_everywhere import Watch, audit

NO_SIDEWAYS_SCROLL = "document.documentElement.scrollWidth <= window.innerWidth"


def _setup(live: LiveServer) -> None:
    world = live.world
    world.user("prof", role=Role.INSTRUCTOR)
    for name in ("alice", "bob", "carol", "dora"):
        world.user(name, role=Role.STUDENT)
    world.add_problem(load_toy("toy-layers"))
    _class(world)


def test_an_instructor_runs_the_report_and_compares_the_most_similar_pair(live: LiveServer, page_for: Any) -> None:
    _setup(live)
    prof = page_for("prof")
    prof.goto("/c/dl/p/toy-layers/manage")
    prof.get_by_role("link", name="The most similar pairs of students' submissions").click()
    prof.get_by_text("No report yet").wait_for()
    prof.get_by_role("button", name="Compare now").click()
    pairs = prof.get_by_role("table", name="Most similar pairs")  # once the page has updated itself
    pairs.locator("tbody tr").first.wait_for()
    assert prof.locator("[data-report-state]").get_attribute("data-report-state") == "done"
    first = " ".join(pairs.locator("tbody tr").first.inner_text().split())
    assert "alice" in first and "bob" in first, first
    assert prof.get_by_role("button", name="Run again").is_enabled()
    assert prof.evaluate(NO_SIDEWAYS_SCROLL)
    screenshot(prof, "instructor-similarity")

    pairs.locator("tbody tr").first.get_by_role("link", name="side by side").click()
    prof.get_by_role("heading", name="Matching regions").wait_for()
    for side in ("a", "b"):
        marked = prof.locator(f'figure[data-side="{side}"] mark.match')
        assert marked.count() >= 5, side  # most of alice's functions are bob's too
        assert (marked.first.get_attribute("aria-label") or "").startswith("matching region ")
    # Region 1 has the same colour on both sides, and the legend says where it is on each.
    colour = [
        c
        for c in (
            prof.locator('figure[data-side="a"] mark[data-region="1"]').first.get_attribute("class") or ""
        ).split()
        if c.startswith("m")
    ]
    assert colour and colour == [
        c
        for c in (
            prof.locator('figure[data-side="b"] mark[data-region="1"]').first.get_attribute("class") or ""
        ).split()
        if c.startswith("m")
    ]
    assert "toy.py" in prof.locator("[data-legend] li").first.inner_text()
    assert prof.evaluate("document.querySelector('.side-by-side').getBoundingClientRect().width > 1000")
    boxes = [prof.locator(f"section.side >> nth={i}").bounding_box() for i in (0, 1)]
    assert boxes[0] and boxes[1] and boxes[0]["y"] == boxes[1]["y"]  # side by side on a desktop
    screenshot(prof, "instructor-similarity-pair")

    phone = page_for("prof", phone=True)
    phone.goto(prof.url)
    phone.get_by_role("heading", name="Matching regions").wait_for()
    boxes = [phone.locator(f"section.side >> nth={i}").bounding_box() for i in (0, 1)]
    assert boxes[0] and boxes[1] and boxes[1]["y"] > boxes[0]["y"] + boxes[0]["height"] - 1  # stacked
    assert phone.evaluate(NO_SIDEWAYS_SCROLL)
    screenshot(phone, "instructor-similarity-pair-phone")
    phone.goto("/c/dl/p/toy-layers/similarity")
    assert phone.evaluate(NO_SIDEWAYS_SCROLL)
    screenshot(phone, "instructor-similarity-phone")

    # Both pages at both widths: nothing blocked by the CSP, no console error, no serious axe violation.
    pair_path = prof.url.removeprefix(live.base)
    for page, width in ((prof, "desktop"), (phone, "phone")):
        watch = Watch(page)
        found = audit(page, watch, "/c/dl/p/toy-layers/similarity", f"similarity-{width}")
        found += audit(page, watch, pair_path, f"similarity-pair-{width}")
        assert found == [], found


def _colour(page: Any, selector: str) -> str:
    classes = (page.locator(selector).first.get_attribute("class") or "").split()
    return next((c for c in classes if c[0] == "m" and c[1:].isdigit()), "")


def test_students_get_an_error_page_not_the_pairs(live: LiveServer, page_for: Any) -> None:
    _setup(live)
    alice = page_for("alice")
    response = alice.goto("/c/dl/p/toy-layers/similarity")
    assert response is not None and response.status == 403
    assert "only instructors" in alice.locator("main").inner_text()
    response = alice.goto("/c/dl/p/toy-layers/similarity/1/1")
    assert response is not None and response.status == 403
    prof = page_for("prof")
    response = prof.goto("/c/dl/p/toy-layers/similarity/999/1")
    assert response is not None and response.status == 404
    assert "no similarity report 999" in prof.locator("main").inner_text()
