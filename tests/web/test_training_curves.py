"""A graded training submission in real Chromium: its curves' axes, ticks and bar are drawn, legible and unclipped,
on a desktop and at a phone's width."""

from __future__ import annotations

import itertools
import re
from pathlib import Path
from typing import Any

from app.db.models import Role
from grader.bundle import load_bundle
from tests.app.conftest import solution_of
from tests.web.conftest import ARTIFACTS, LiveServer, screenshot

PACK = Path(__file__).resolve().parents[2] / "reference"


def _box(locator: Any) -> dict[str, float]:
    box = locator.bounding_box()
    assert box is not None, "not rendered"
    return dict(box)


def _inside(inner: dict[str, float], outer: dict[str, float]) -> bool:
    return (
        inner["x"] >= outer["x"] - 0.5
        and inner["y"] >= outer["y"] - 0.5
        and inner["x"] + inner["width"] <= outer["x"] + outer["width"] + 0.5
        and inner["y"] + inner["height"] <= outer["y"] + outer["height"] + 0.5
    )


def _check_chart(svg: Any, x_label: str, y_label: str) -> list[str]:
    """Axis labels visible, every text inside the chart, x ticks apart; returns the x ticks' texts."""
    chart = _box(svg)
    for label in (x_label, y_label):
        text = svg.locator("text.axis-label", has_text=re.compile(f"^{re.escape(label)}$"))
        assert text.is_visible(), f"axis label {label!r} not visible"
        assert _box(text)["height"] >= 9, f"axis label {label!r} too small to read"
    texts = svg.locator("text")
    for i in range(texts.count()):
        assert _inside(_box(texts.nth(i)), chart), f"{texts.nth(i).text_content()!r} is clipped"
    ticks = sorted((_box(t) for t in svg.locator("text.x-tick").all()), key=lambda b: b["x"])
    assert all(a["x"] + a["width"] <= b["x"] for a, b in itertools.pairwise(ticks)), "x ticks overlap"
    return [t.text_content() or "" for t in svg.locator("text.x-tick").all()]


def test_a_graded_training_submission_shows_legible_curves_with_the_bar(
    live: LiveServer, page_for: Any, tmp_path: Path
) -> None:
    bundle = load_bundle(PACK / "linear-classifiers")
    live.world.user("alice", role=Role.STUDENT)
    live.world.add_problem(bundle)
    page = page_for("alice")
    page.goto("/c/dl/p/linear-classifiers")
    path = tmp_path / "classifiers.py"
    path.write_bytes(solution_of(bundle)["classifiers.py"])
    page.get_by_label("Solution files").set_input_files(str(path))
    page.get_by_role("button", name="Submit", exact=True).click()
    page.wait_for_url(re.compile(r"/s/\d+$"))
    page.locator("[data-status]", has_text="graded").wait_for(timeout=300_000)

    figure = page.locator("figure.training-curve", has_text="Training history of train_softmax")
    loss, accuracy = figure.locator("svg").all()
    assert loss.get_attribute("role") == "img"
    assert re.fullmatch(r"loss from [\d.]+ to [\d.]+ over 570 steps", loss.get_attribute("aria-label") or "")
    assert _check_chart(loss, "step", "loss") == ["1", "100", "200", "300", "400", "500"]
    assert _check_chart(accuracy, "epoch", "accuracy") == ["2", "4", "6", "8", "10", "12", "14"]
    bar = accuracy.locator("text.bar-label")
    assert bar.text_content() == "required test accuracy 0.87" and bar.is_visible()
    assert accuracy.locator("line.bar-line").get_attribute("class") == "bar-line"
    assert page.evaluate(
        "getComputedStyle(document.querySelector('figure.training-curve line.bar-line')).strokeDasharray"
    ) not in ("", "none")
    screenshot(page, "training-curves-desktop")
    figure.screenshot(path=str(ARTIFACTS / "training-curves-figure.png"))

    phone = page_for("alice", phone=True)
    phone.goto(page.url)
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390 + 1, f"the submission page scrolls sideways on a phone ({width}px)"
    small_figure = phone.locator("figure.training-curve", has_text="Training history of train_svm")
    small = small_figure.locator("svg").first
    assert _box(small)["width"] <= 390
    _check_chart(small, "step", "loss")
    screenshot(phone, "training-curves-phone")
    small_figure.screenshot(path=str(ARTIFACTS / "training-curves-phone-figure.png"))
