"""Two submissions side by side, highlighted on the server, with the matching regions marked line by line.

Region i has colour class `m{i % COLOURS}` on both sides, so the reader sees which part matches which;
each marked line says its region in an aria-label. No inline style (the CSP forbids it): classes only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup, escape
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import PythonLexer, TextLexer

from app.web.code_view import CSS_CLASS, MAX_VIEW_LINES, STYLE

COLOURS = 6


@dataclass(frozen=True)
class LegendEntry:
    number: int  # 1-based, as the page says it
    colour: int
    a_file: str
    a_lines: tuple[int, int]
    b_file: str
    b_lines: tuple[int, int]


@dataclass(frozen=True)
class SideFile:
    name: str
    html: Markup
    lines: int
    marked: int  # lines inside a matching region
    note: str | None


def legend(regions: Sequence[Mapping[str, Any]]) -> list[LegendEntry]:
    return [
        LegendEntry(
            i + 1,
            i % COLOURS,
            str(r["a"]["file"]),
            (int(r["a"]["lines"][0]), int(r["a"]["lines"][1])),
            str(r["b"]["file"]),
            (int(r["b"]["lines"][0]), int(r["b"]["lines"][1])),
        )
        for i, r in enumerate(regions)
    ]


def side(files: Mapping[str, bytes], entries: Sequence[LegendEntry], which: str) -> list[SideFile]:
    """Every file of one side (`which` is "a" or "b"), its lines marked with the regions that cover them."""
    out = []
    for name in sorted(files):
        marks: dict[int, LegendEntry] = {}
        for entry in entries:
            file, (first, last) = (entry.a_file, entry.a_lines) if which == "a" else (entry.b_file, entry.b_lines)
            if file == name:
                for line in range(first, last + 1):
                    marks.setdefault(line, entry)  # a line in two regions shows the first
        out.append(_file(name, files[name], marks, which))
    return out


def _file(name: str, content: bytes, marks: Mapping[int, LegendEntry], which: str) -> SideFile:
    text = content.decode("utf-8", errors="replace")
    lines = text.splitlines()
    note = None
    if len(lines) > MAX_VIEW_LINES:
        note = f"Showing the first {MAX_VIEW_LINES:,} of {len(lines):,} lines."
        lines = lines[:MAX_VIEW_LINES]
    lexer = PythonLexer(stripnl=False, ensurenl=False) if name.endswith(".py") else TextLexer()
    body = "\n".join(lines)
    coloured = highlight(body, lexer, HtmlFormatter(style=STYLE, nowrap=True)).split("\n") if body else []
    rows = []
    for number, html in enumerate(coloured[: len(lines)], start=1):
        anchor = f'<span class="ln" id="{which}-{escape(name)}-{number}">{number}</span>'
        entry = marks.get(number)
        if entry is None:
            rows.append(f"{anchor}{html}")
        else:
            label = escape(f"matching region {entry.number}")
            rows.append(
                f'<mark class="match m{entry.colour}" data-region="{entry.number}" aria-label="{label}">'
                f"{anchor}{html}</mark>"
            )
    html = Markup(f'<div class="{CSS_CLASS}"><pre><code>' + "\n".join(rows) + "\n</code></pre></div>")
    return SideFile(name, html, len(lines), sum(1 for n in marks if n <= len(lines)), note)
