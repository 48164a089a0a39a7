"""Markdown with `$...$` and `$$...$$` math, each formula marked as an element for KaTeX to typeset.

The browser typesets only the elements made here (app.js), never by scanning the page's text
for dollars, so whatever Markdown leaves as text stays text: `\\$`, currency, code.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from html import escape
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.rules_block import StateBlock
from markdown_it.rules_inline import StateInline
from markdown_it.token import Token
from mdit_py_plugins.dollarmath import dollarmath_plugin
from mdit_py_plugins.dollarmath.index import math_block_dollar

BlockRule = Callable[[StateBlock, int, int, bool], bool]

# Block kinds a `$$` line may interrupt without a blank line before it, as a fence can.
_INTERRUPTS = ["paragraph", "reference", "blockquote", "list"]


def _one_formula_block(rule: BlockRule) -> BlockRule:
    """The block rule, taking only lines that hold one formula, and leaving no token when asked silently.

    A paragraph asks its terminators silently; the plugin's rule would push its token anyway
    and so typeset the formula twice. A line such as `$$a$$ or $$b$$` ends in `$$` too, but is
    two formulas: the inline rule takes it.
    """

    def checked(state: StateBlock, start: int, end: int, silent: bool) -> bool:
        line, count = state.line, len(state.tokens)
        found = rule(state, start, end, False)
        one = found and "$$" not in state.tokens[-1].content
        if one and not silent:
            return True
        state.line = line
        del state.tokens[count:]
        return one

    return checked


def _escaped(src: str, pos: int) -> bool:
    """Whether the character at `pos` follows an odd number of backslashes."""
    start = pos
    while start > 0 and src[start - 1] == "\\":
        start -= 1
    return (pos - start) % 2 == 1


def _closing(src: str, start: int, marker: str) -> int:
    """Where the first unescaped `marker` at or after `start` is, or -1."""
    end = src.find(marker, start)
    while end != -1 and _escaped(src, end):
        end = src.find(marker, end + 1)
    return end


def _inline_math(state: StateInline, silent: bool) -> bool:
    """`$x$` (Pandoc's rule: no space just inside a dollar, no digit after the closing one) or `$$x$$`."""
    src, pos = state.src, state.pos
    if src[pos] != "$" or _escaped(src, pos):
        return False
    double = src.startswith("$$", pos)
    marker = "$$" if double else "$"
    begin = pos + len(marker)
    end = _closing(src, begin, marker)
    if end <= begin:
        return False
    if not double:
        after = src[end + 1 : end + 2]
        # A backtick inside would put the closing dollar in a code span: "$5 for `a$b`" is prose.
        if src[begin].isspace() or src[end - 1].isspace() or after.isdigit() or "`" in src[begin:end]:
            return False
    if not silent:
        token = state.push("math_inline_double" if double else "math_inline", "math", 0)
        token.content, token.markup = src[begin:end], marker
    state.pos = end + len(marker)
    return True


def _element(tag: str, display: bool) -> Callable[..., str]:
    kind = "display" if display else "inline"

    def render(_self: Any, tokens: Sequence[Token], idx: int, _options: Any, _env: Any) -> str:
        latex = escape(tokens[idx].content.strip(), quote=False)
        return f'<{tag} class="math {kind}">{latex}</{tag}>' + ("\n" if tag == "div" else "")

    return render


def math_markdown() -> MarkdownIt:
    """CommonMark with tables and math, raw HTML disabled (statements come from semi-trusted instructors)."""
    md = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")
    dollarmath_plugin(md, allow_labels=False)
    # The plugin's inline rule reads the end of the text as the character before the first one
    # (a cell ending in a digit loses its leading formula), so it is replaced.
    md.inline.ruler.at("math_inline", _inline_math)
    block = math_block_dollar(allow_labels=False, allow_blank_lines=False)
    md.block.ruler.at("math_block", _one_formula_block(block), {"alt": _INTERRUPTS})
    md.add_render_rule("math_inline", _element("span", display=False))
    md.add_render_rule("math_inline_double", _element("span", display=True))
    md.add_render_rule("math_block", _element("div", display=True))
    return md
