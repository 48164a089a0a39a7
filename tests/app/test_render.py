"""Statements' Markdown: every formula becomes one element for KaTeX, and nothing else does."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from app.web.render import markdown

REFERENCE = Path(__file__).resolve().parents[2] / "reference"


def inline(html: str) -> list[str]:
    return re.findall(r'<span class="math inline">(.*?)</span>', html, re.S)


def display(html: str) -> list[str]:
    return re.findall(r'<(?:div|span) class="math display">(.*?)</(?:div|span)>', html, re.S)


def test_a_display_formula_right_after_a_paragraph_line_is_a_block_of_its_own() -> None:
    html = markdown("Text before\n$$a = b$$\nText after")
    assert display(html) == ["a = b"]
    assert "<p>Text before</p>" in html and "<p>Text after</p>" in html
    assert "$" not in html


def test_a_display_formula_over_several_lines_inside_a_paragraph_is_one_block() -> None:
    html = markdown("and use\n$$\\sigma(x) = 1,\\qquad\nf'(x) = 2.$$\nso that")
    assert display(html) == ["\\sigma(x) = 1,\\qquad\nf'(x) = 2."]
    assert "<p>and use</p>" in html and "<p>so that</p>" in html


def test_display_formulas_with_blank_lines_around_them_and_on_their_own_lines() -> None:
    html = markdown("A\n\n$$\nx^2\n$$\n\nB\n$$a$$\n$$b$$\n")
    assert display(html) == ["x^2", "a", "b"]


def test_display_formulas_inside_list_items_and_block_quotes() -> None:
    html = markdown("- first\n  $$x^2$$\n- second $y$\n\n1. $$z$$\n\n> quoted\n> $$q$$\n")
    assert display(html) == ["x^2", "z", "q"]
    assert inline(html) == ["y"]
    assert "<li>first" in html and "<blockquote>" in html


def test_double_dollars_inside_a_line_are_a_display_formula_not_two_inline_ones() -> None:
    html = markdown("so $$z = 1$$ holds, and $w$ too")
    assert display(html) == ["z = 1"] and inline(html) == ["w"]
    assert "<div" not in html  # a div may not sit inside a <p>


def test_a_line_with_two_display_formulas_is_two_formulas_not_one() -> None:
    html = markdown("Either\n$$a = 1$$ or $$b = 2$$\nholds.\n\n$$c$$ and $$d$$\n")
    assert display(html) == ["a = 1", "b = 2", "c", "d"]


def test_markdown_leaves_the_latex_of_a_formula_exactly_as_written() -> None:
    html = markdown("$\\texttt{running\\_mean}$ and $a*b*c_1 + d_2$ and $x < y$")
    assert inline(html) == ["\\texttt{running\\_mean}", "a*b*c_1 + d_2", "x &lt; y"]
    assert "<em>" not in html


def test_a_backslash_dollar_is_a_literal_dollar_in_prose_and_in_a_formula() -> None:
    html = markdown("It costs \\$5, and $\\$3 + x$ is math.")
    assert "It costs $5, and " in html
    assert inline(html) == ["\\$3 + x"]


@pytest.mark.parametrize(
    "prose",
    ["Books cost $5 and $6 today.", "From $10 to $20,000 per year.", "$5 to $10 per hour"],
)
def test_prices_in_prose_stay_prose(prose: str) -> None:
    html = markdown(prose)
    assert "math" not in html
    assert html == f"<p>{prose}</p>\n"


def test_a_price_before_a_formula_does_not_swallow_the_text_between_them() -> None:
    html = markdown("$5 to $10 per hour, where $x$ is the rate")
    assert inline(html) == ["x"]
    assert "$5 to $10 per hour, where" in html


def test_dollars_in_code_spans_and_code_blocks_are_left_alone() -> None:
    html = markdown("Call `f($x$)` now.\n\n```\n$$ y $$\nprint('$a$')\n```\n\n    $$ indented $$\n")
    assert "math" not in html
    assert "<code>f($x$)</code>" in html and "$$ y $$" in html and "$$ indented $$" in html


def test_a_dollar_in_a_code_span_never_closes_a_formula_opened_before_it() -> None:
    html = markdown("Pay $5 for `a$b`, then $x$.")
    assert inline(html) == ["x"]
    assert "Pay $5 for <code>a$b</code>, then" in html


def test_a_formula_cannot_inject_html() -> None:
    html = markdown("$<script>alert(1)</script>$\n\n$$</div><img src=x onerror=alert(1)>$$\n")
    assert "<script>" not in html and "<img" not in html
    assert inline(html) == ["&lt;script&gt;alert(1)&lt;/script&gt;"]


def test_an_unclosed_display_formula_does_not_swallow_the_following_paragraphs() -> None:
    html = markdown("$$ a\n\nnext paragraph\n\nlast $$\n")
    assert "math" not in html
    assert "<p>next paragraph</p>" in html


@pytest.mark.parametrize("statement", sorted(REFERENCE.glob("*/statement.md")), ids=lambda p: p.parent.name)
def test_every_display_formula_of_a_built_in_statement_renders_as_a_display_block(statement: Path) -> None:
    source = statement.read_text(encoding="utf-8")
    html = markdown(source)
    formulas = display(html)
    assert len(formulas) == source.count("$$") // 2
    # Outside formulas and code, no dollar is left for a reader to see.
    prose = re.sub(r'<(span|div) class="math (inline|display)">.*?</\1>', "", html, flags=re.S)
    prose = re.sub(r"<code>.*?</code>", "", prose, flags=re.S)
    assert "$" not in prose


def test_a_formula_at_the_start_of_a_text_that_ends_in_a_digit_is_a_formula() -> None:
    html = markdown("| case | tests |\n|---|---|\n| a | $N = 5$ (visible); scores near 1000 |\n\n$x$ costs 1000")
    assert inline(html) == ["N = 5", "x"]
