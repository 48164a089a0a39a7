"""A submitted notebook as the submission page shows it: its cells numbered, code highlighted, nothing rendered.

The notebook is hostile: its markdown is shown as plain text and its outputs not at all; code goes
through Pygments, which escapes it. Which module each cell went into, and which lines were left out,
come from `validate_submission`, the same reading that grading uses.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass

from markupsafe import Markup
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import PythonLexer

from app.web.code_view import CSS_CLASS, MAX_VIEW_CHARS, STYLE
from grader.bundle import Bundle
from grader.grading import SubmissionError, validate_submission
from grader.notebooks import Cell, NotebookError, read_cells

MAX_TEXT_CHARS = 2000  # of one markdown or raw cell


@dataclass(frozen=True)
class CellView:
    index: int
    label: str
    kind: str  # code | markdown | raw
    module: str | None  # the module a code cell went into; None: left out
    html: Markup | None  # highlighted code
    text: str | None  # a markdown or raw cell's text, plain
    note: str | None


@dataclass(frozen=True)
class NotebookView:
    name: str
    size: int
    cells: list[CellView]
    notes: list[str]  # how it was read, or why it could not be
    capped: str | None


def notebook_view(name: str, content: bytes, bundle: Bundle, files: Mapping[str, bytes]) -> NotebookView:
    """The notebook's cells as read for grading against `bundle` (`files`: everything submitted with it)."""
    assigned, notes = _as_graded(bundle, tuple(sorted(files.items())))
    try:
        cells = read_cells(content)
    except NotebookError as exc:
        return NotebookView(name, len(content), [], exc.errors, None)
    views: list[CellView] = []
    budget = MAX_VIEW_CHARS
    for cell in cells:
        if cell.kind == "code" and len(cell.source) > budget:
            capped = f"Showing the first {len(views)} of {len(cells)} cells: download the notebook to read all of it."
            return NotebookView(name, len(content), views, notes, capped)
        views.append(_cell_view(cell, assigned.get(cell.index)))
        budget -= len(cell.source) if cell.kind == "code" else 0
    return NotebookView(name, len(content), views, notes, None)


@functools.lru_cache(maxsize=16)
def _as_graded(bundle: Bundle, files: tuple[tuple[str, bytes], ...]) -> tuple[dict[int, str], list[str]]:
    """Which module each cell went into, and the notes or errors: submitted files never change, so a page
    read again is not checked again (the check parses the cells in a child process)."""
    try:
        submitted = validate_submission(bundle, dict(files))
    except SubmissionError as exc:
        return {}, exc.errors
    return (submitted.extraction.assigned if submitted.extraction else {}), submitted.notes


def _cell_view(cell: Cell, module: str | None) -> CellView:
    if cell.kind != "code":
        text = cell.source if len(cell.source) <= MAX_TEXT_CHARS else cell.source[:MAX_TEXT_CHARS] + " …"
        return CellView(cell.index, cell.label, cell.kind, None, None, text, None)
    html = Markup(_highlighted(cell.source, tuple(range(1, len(cell.lines) + 1)) if cell.cell_magic else cell.dropped))
    note: str | None = None
    if module is None and cell.source.strip():
        note = "Left out: it names no file of this problem."
    elif cell.cell_magic:
        note = "Left out: a %% cell magic is not run."
    elif cell.dropped:
        note = f"Line(s) {', '.join(map(str, cell.dropped))} left out: IPython magics and shell commands are not run."
    return CellView(cell.index, cell.label, cell.kind, module, html, None, note)


@functools.lru_cache(maxsize=256)
def _highlighted(source: str, struck: tuple[int, ...]) -> str:
    """Pygments escapes the source; struck lines are wrapped in `hll` spans, crossed out by app.css."""
    formatter = HtmlFormatter(style=STYLE, cssclass=CSS_CLASS, wrapcode=True, linenos="inline", hl_lines=struck)
    return str(highlight(source, PythonLexer(stripnl=False, ensurenl=False), formatter))
