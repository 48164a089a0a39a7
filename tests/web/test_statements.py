"""Statements in real Chromium: every formula typeset by KaTeX, and no raw LaTeX or stray dollar left."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Any

import pytest

from app.db.models import Role
from grader.bundle import load_bundle
from tests.app.conftest import load_toy
from tests.web.conftest import LiveServer, screenshot

REFERENCE = Path(__file__).resolve().parents[2] / "reference"
PROBLEMS = sorted(p.parent for p in REFERENCE.glob("*/statement.md"))

# The text a reader sees in the statement, outside code and outside KaTeX's hidden MathML copy.
VISIBLE_TEXT = """el => {
  const skip = "code, pre, .katex-mathml";
  const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
  const parts = [];
  while (walker.nextNode()) {
    if (!walker.currentNode.parentElement.closest(skip)) parts.push(walker.currentNode.textContent);
  }
  return parts.join(" ");
}"""


def _statement_facts(page: Any) -> dict[str, Any]:
    article = page.locator("article.statement")
    return {
        "errors": article.locator(".katex-error").count(),
        "displays": article.locator(".katex-display").count(),
        "untypeset": article.locator(".math:not(:has(.katex))").count(),
        "text": article.evaluate(VISIBLE_TEXT),
    }


def _open_as_student(live: LiveServer, page_for: Any, slug: str) -> Any:
    live.world.user("alice", role=Role.STUDENT)
    page = page_for("alice")
    page.goto(f"/c/dl/p/{slug}")
    page.locator("article.statement .katex").first.wait_for()
    return page


def test_every_built_in_statement_renders_all_its_math(live: LiveServer, page_for: Any) -> None:
    bundles = [load_bundle(path) for path in PROBLEMS]
    assert len(bundles) >= 9
    for bundle in bundles:
        live.world.add_problem(bundle)
    page = _open_as_student(live, page_for, bundles[0].slug)
    for bundle in bundles:
        page.goto(f"/c/dl/p/{bundle.slug}")
        page.locator("article.statement .katex").first.wait_for()
        facts = _statement_facts(page)
        screenshot(page, f"statement-{bundle.slug}")
        assert facts["errors"] == 0, bundle.slug
        assert facts["untypeset"] == 0, bundle.slug
        assert facts["displays"] == bundle.statement.count("$$") // 2, bundle.slug
        assert "$" not in facts["text"], bundle.slug
        assert re.findall(r"\\[A-Za-z]+", facts["text"]) == [], bundle.slug


TRICKY = r"""# Tricky

Prices: books cost $5 and $6, a \$7 fee, and $x$ is a formula.
A display formula right after a line of prose
$$y = \frac{1}{2}x^2$$
and prose right after it.

- an item with its own formula
  $$\sum_i w_i$$
- an item with $a_i$ inline

So $$z = \sqrt{2}$$ inside a line, then two on one line:
$$c = 1$$ or $$d = 2$$
and code: `cost = $5` and

```
echo "$$HOME"
```
"""


@pytest.mark.parametrize("statement", [TRICKY])
def test_an_uploaded_statement_renders_exactly_as_written(live: LiveServer, page_for: Any, statement: str) -> None:
    toy = load_toy("toy-layers")
    files = {**toy.files, toy.spec.statement: statement.encode()}
    live.world.add_problem(dataclasses.replace(toy, files=files))
    page = _open_as_student(live, page_for, toy.slug)
    facts = _statement_facts(page)
    screenshot(page, "statement-tricky")
    assert facts["errors"] == 0 and facts["untypeset"] == 0
    assert facts["displays"] == 5
    assert page.locator("article.statement .katex").count() == 7
    text = " ".join(facts["text"].split())
    assert "books cost $5 and $6, a $7 fee, and" in text
    assert "A display formula right after a line of prose" in text
    assert page.locator("article.statement code", has_text="cost = $5").count() == 1
    assert '"$$HOME"' in page.locator("article.statement pre").inner_text()


# Display formulas wider than their column: each must scroll by itself rather than push the page.
OVERFLOWING_DISPLAYS = """el => [...el.querySelectorAll(".katex-display")].filter(d =>
  d.scrollWidth > d.clientWidth + 1 && !["auto", "scroll"].includes(getComputedStyle(d).overflowX)
).map(d => d.querySelector(".katex-mathml annotation")?.textContent ?? "?")"""


def test_on_a_phone_a_wide_display_formula_scrolls_within_itself(live: LiveServer, page_for: Any) -> None:
    bundles = [load_bundle(path) for path in PROBLEMS]
    for bundle in bundles:
        live.world.add_problem(bundle)
    live.world.user("alice", role=Role.STUDENT)
    page = page_for("alice", phone=True)
    wide = 0
    for bundle in bundles:
        page.goto(f"/c/dl/p/{bundle.slug}")
        article = page.locator("article.statement")
        article.locator(".katex").first.wait_for()
        assert article.evaluate(OVERFLOWING_DISPLAYS) == [], bundle.slug
        wide += article.evaluate(
            'el => [...el.querySelectorAll(".katex-display")].filter(d => d.scrollWidth > d.clientWidth + 1).length'
        )
    screenshot(page, "statement-phone")
    assert wide > 0  # the check above looked at formulas that really are wider than a phone
