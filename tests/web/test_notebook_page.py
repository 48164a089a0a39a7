"""A notebook submitted from the dashboard in real Chromium: the rule on the form, the cells on the submission page."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import nbformat
from nbformat import v4

from app.db.models import Role
from tests.app.conftest import load_toy, solution_of
from tests.notebook_files import HOSTILE_HTML, OUTPUT_TEXT, as_notebook
from tests.web.conftest import LiveServer, screenshot
from tests.web.test_everywhere import Watch, audit
from tests.web.test_student_pages import _open, _scroll_width, _wait_graded


def _broken_solution() -> str:
    source = solution_of(load_toy("toy-layers"))["toy.py"].decode()
    return source.replace("    return np.maximum", "    1 / 0\n    return np.maximum")


def _send(page: Any, path: Path, label: str = "Solution files") -> None:
    page.get_by_label(label).set_input_files(str(path))
    page.get_by_role("button", name="Submit", exact=True).click()


def test_a_notebook_sent_from_the_form_shows_its_cells_inert_and_its_traceback_names_the_cell(
    browser: Any, live: LiveServer, tmp_path: Path
) -> None:
    live.world.user("alice", role=Role.STUDENT)
    live.world.add_problem(load_toy("toy-layers"))
    data = as_notebook(_broken_solution())
    cells = len(nbformat.reads(data.decode(), as_version=4).cells)
    sent = tmp_path / "homework.ipynb"
    sent.write_bytes(data)

    page = _open(browser, live, "alice")
    page.goto("/c/dl/p/toy-layers")
    rule = page.locator("[data-notebook-rule]").inner_text()
    assert "tagged with a file name (e.g. the tag toy.py)" in rule and '"# file: toy.py"' in rule, rule
    assert "if no cell names a file, all code cells go into it" in rule, rule
    assert ".ipynb" in (page.get_by_label("Solution files").get_attribute("accept") or "")
    _send(page, sent)
    page.wait_for_url(re.compile(r"/s/\d+$"))
    _wait_graded(page)

    figure = page.locator("[data-notebook='homework.ipynb']")
    assert figure.locator("[data-cell]").count() == cells
    markdown = figure.locator("[data-cell='1'] .cell-text")
    assert HOSTILE_HTML in (markdown.text_content() or "")  # shown as text, never as markup
    assert figure.locator("script, img").count() == 0 and page.title() != "owned"
    assert OUTPUT_TEXT not in page.content()  # outputs are not shown
    magic = figure.locator("[data-cell='2']")
    assert "Line(s) 1, 2 left out" in magic.locator("[data-cell-note]").inner_text()
    struck = magic.locator(".hll").first
    assert "line-through" in struck.evaluate("e => getComputedStyle(e).textDecorationLine")
    assert "toy.py" in figure.locator("[data-cell='3'] .cell-head").inner_text()
    feedback = page.locator("pre.feedback").first.inner_text()
    assert re.search(r'toy\.py", line \d+ \[cell \d+ \(In \[\d+\]\), line 2\], in relu_forward', feedback), feedback
    with page.expect_download() as info:
        page.get_by_role("link", name="Download homework.ipynb").click()
    assert info.value.suggested_filename == "homework.ipynb"
    assert Path(info.value.path()).read_bytes() == data
    screenshot(page, "student-notebook-desktop")

    phone = _open(browser, live, "alice", phone=True)
    phone.goto(page.url)
    phone.locator("[data-notebook] [data-cell]").first.wait_for()
    assert _scroll_width(phone) <= 390
    box = phone.locator("[data-notebook] [data-cell='3'] .highlight pre").bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390
    screenshot(phone, "student-notebook-phone")
    phone.context.close()
    page.context.close()

    found: list[str] = []  # no blocked content, console error or serious accessibility violation, at either width
    for width in (False, True):
        viewer = _open(browser, live, "alice", phone=width)
        found += audit(viewer, Watch(viewer), urlsplit(page.url).path, "notebook-" + ("phone" if width else "desktop"))
        viewer.context.close()
    assert found == [], "\n".join(found)


def test_a_notebook_with_a_syntax_error_is_refused_on_the_problem_page_naming_the_cell(
    browser: Any, live: LiveServer, tmp_path: Path
) -> None:
    live.world.user("alice", role=Role.STUDENT)
    live.world.add_problem(load_toy("toy-layers"))
    nb = v4.new_notebook()
    nb.cells = [
        v4.new_code_cell("import numpy as np", execution_count=3),
        v4.new_code_cell("def f(:", execution_count=9),
    ]
    sent = tmp_path / "broken.ipynb"
    sent.write_text(nbformat.writes(nb))
    page = _open(browser, live, "alice")
    page.goto("/c/dl/p/toy-layers")
    _send(page, sent)
    alert = page.get_by_role("alert")
    alert.wait_for()
    assert "broken.ipynb: cell 2 (In [9]): SyntaxError on line 1" in alert.inner_text()
    assert page.url.endswith("/c/dl/p/toy-layers/submit")
    screenshot(page, "student-notebook-error-desktop")
    page.context.close()
