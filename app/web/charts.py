"""Small server-side SVG pictures: sparklines, histograms, training curves, pass/fail strips.

Every number is formatted by us and every label escaped, so the SVG is safe to inline.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

from markupsafe import Markup


def _svg(width: int, height: int, body: str, label: str) -> Markup:
    return Markup(
        f'<svg class="chart" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
        f'aria-label="{escape(label)}"><title>{escape(label)}</title>{body}</svg>'
    )


def sparkline(
    values: Sequence[float | None], maximum: float | None, label: str, width: int = 120, height: int = 28
) -> Markup:
    """A line through the scores, oldest on the left, on a 0..maximum scale."""
    points = [v for v in values if v is not None]
    if not points:
        return Markup("")
    top = maximum or max(points) or 1.0
    n = len(points)
    step = (width - 4) / max(1, n - 1)
    coords = [(2 + i * step, height - 2 - (height - 4) * max(0.0, min(1.0, v / top))) for i, v in enumerate(points)]
    path = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
    last_x, last_y = coords[-1]
    body = (
        f'<polyline fill="none" stroke="currentColor" stroke-width="1.5" points="{path}"/>'
        f'<circle cx="{last_x:.1f}" cy="{last_y:.1f}" r="2.5" fill="currentColor"/>'
    )
    return _svg(width, height, body, label)


def histogram(
    values: Sequence[float], lo: float, hi: float, label: str, bins: int = 10, width: int = 260, height: int = 90
) -> Markup:
    """Counts of `values` in `bins` equal bins over [lo, hi], with the bin edges below."""
    if hi <= lo:
        hi = lo + 1.0
    counts = [0] * bins
    for v in values:
        i = int((v - lo) / (hi - lo) * bins)
        counts[min(bins - 1, max(0, i))] += 1
    tallest = max(counts) or 1
    bar_w = (width - 10) / bins
    plot_h = height - 18
    bars = []
    for i, c in enumerate(counts):
        h = plot_h * c / tallest
        x = 5 + i * bar_w
        left, right = _fmt(lo + i * (hi - lo) / bins), _fmt(lo + (i + 1) * (hi - lo) / bins)
        bars.append(
            f'<rect x="{x + 1:.1f}" y="{plot_h - h:.1f}" width="{bar_w - 2:.1f}" height="{h:.1f}" class="bar">'
            f"<title>{escape(left)}–{escape(right)}: {c}</title></rect>"
        )
    axis = (
        f'<text x="5" y="{height - 4}" class="axis">{escape(_fmt(lo))}</text>'
        f'<text x="{width - 5}" y="{height - 4}" class="axis" text-anchor="end">{escape(_fmt(hi))}</text>'
    )
    return _svg(width, height, "".join(bars) + axis, label)


def line_plot(
    series: dict[str, Sequence[float]], label: str, bar: float | None = None, width: int = 420, height: int = 160
) -> Markup:
    """One or more curves (e.g. loss and accuracy per epoch), each scaled to its own range, with an optional bar."""
    curves = {k: [float(v) for v in vs if isinstance(v, int | float) and math.isfinite(v)] for k, vs in series.items()}
    curves = {k: v for k, v in curves.items() if len(v) >= 1}
    if not curves:
        return Markup("")
    pad, plot_w, plot_h = 30, width - 40, height - 30
    body = [f'<rect x="{pad}" y="5" width="{plot_w}" height="{plot_h}" class="frame"/>']
    for idx, (name, values) in enumerate(curves.items()):
        lo, hi = min(values), max(values)
        if bar is not None and name.startswith("acc"):
            lo, hi = min(lo, bar), max(hi, bar)
        span = (hi - lo) or 1.0
        step = plot_w / max(1, len(values) - 1)
        pts = " ".join(
            f"{pad + i * step:.1f},{5 + plot_h - plot_h * (v - lo) / span:.1f}" for i, v in enumerate(values)
        )
        body.append(f'<polyline fill="none" class="curve c{idx % 3}" stroke-width="2" points="{pts}"/>')
        body.append(
            f'<text x="{pad + 4}" y="{18 + 14 * idx}" class="legend c{idx % 3}">{escape(name)} '
            f"({escape(_fmt(values[0]))} → {escape(_fmt(values[-1]))})</text>"
        )
        if bar is not None and name.startswith("acc"):
            y = 5 + plot_h - plot_h * (bar - lo) / span
            body.append(f'<line x1="{pad}" x2="{pad + plot_w}" y1="{y:.1f}" y2="{y:.1f}" class="bar-line"/>')
    body.append(f'<text x="{pad}" y="{height - 6}" class="axis">epoch / step →</text>')
    return _svg(width, height, "".join(body), label)


def pass_strip(results: Sequence[bool | None], label: str, cell: int = 10) -> Markup:
    """One square per test: filled green when passed, red when failed, grey when not run."""
    width = max(cell, len(results) * (cell + 2))
    rects = []
    for i, ok in enumerate(results):
        cls = "pass" if ok else ("fail" if ok is False else "none")
        rects.append(f'<rect x="{i * (cell + 2)}" y="0" width="{cell}" height="{cell}" class="{cls}"/>')
    return _svg(width, cell, "".join(rects), label)


def _fmt(x: float) -> str:
    return f"{x:.3g}"
