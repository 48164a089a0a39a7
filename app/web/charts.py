"""Small server-side SVG pictures: sparklines, histograms, training curves, pass/fail strips.

Every number is formatted by us and every label escaped, so the SVG is safe to inline.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from markupsafe import Markup


def _svg(width: int, height: int, body: str, label: str, css: str = "chart") -> Markup:
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" class="{css}" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-label="{escape(label)}">'
        f"<title>{escape(label)}</title>{body}</svg>"
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


@dataclass(frozen=True)
class Curve:
    """One line of a chart: its name and its values, point i at x = (i + 1) * every."""

    name: str
    values: Sequence[float]
    every: int = 1


def line_chart(
    curves: Sequence[Curve],
    *,
    x_label: str,
    y_label: str,
    bar: float | None = None,
    bar_label: str = "bar",
    log_allowed: bool = True,
    width: int = 460,
    height: int = 260,
) -> Markup:
    """Curves over a labelled x axis (epochs or steps) and y axis with round ticks, and an optional dashed bar.

    The y axis is logarithmic when every value is positive and they span more than a factor of 100. Values that
    are not finite leave a gap and are counted in a note; more points than the plot is wide are reduced to the
    lowest and highest value per pixel column, so spikes stay visible.
    """
    curves = [c for c in curves if len(c.values) > 0]
    finite = [float(v) for c in curves for v in c.values if _finite(v)]
    if not finite:
        return Markup("")
    if bar is not None and not _finite(bar):
        bar = None
    gaps = sum(1 for c in curves for v in c.values if not _finite(v))
    left, right, top, bottom = 62, 16, 14 + 22 * (len(curves) > 1), 50 + 22 * (gaps > 0)
    plot_w, plot_h = width - left - right, height - top - bottom
    x_hi = max(len(c.values) * c.every for c in curves)
    x_lo = min(c.every for c in curves)
    x_ticks = _int_ticks(x_lo, x_hi)
    if x_hi == x_lo:
        x_lo, x_hi = x_lo - 1, x_hi + 1
    lo, hi = min(finite + ([bar] if bar is not None else [])), max(finite + ([bar] if bar is not None else []))
    log = log_allowed and lo > 0 and hi / lo > 100
    y_ticks, y_lo, y_hi = _log_ticks(lo, hi) if log else _linear_ticks(lo, hi)

    def px(x: float) -> float:
        return left + plot_w * (x - x_lo) / (x_hi - x_lo)

    def py(y: float) -> float:
        if log:
            t = (math.log10(y) - math.log10(y_lo)) / (math.log10(y_hi) - math.log10(y_lo))
        else:
            t = (y - y_lo) / (y_hi - y_lo)
        return top + plot_h * (1 - t)

    body = [f'<rect x="{left}" y="{top}" width="{plot_w}" height="{plot_h}" class="frame"/>']
    for value in y_ticks:
        y = py(value)
        body.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{y:.1f}" y2="{y:.1f}" class="grid-line"/>')
        body.append(
            f'<text x="{left - 6}" y="{y + 5:.1f}" class="axis tick y-tick" text-anchor="end">'
            f"{escape(_tick(value, [value] if log else y_ticks))}</text>"
        )
    for value in x_ticks:
        x = px(value)
        body.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{top + plot_h}" y2="{top + plot_h + 4}" class="frame"/>')
        body.append(
            f'<text x="{x:.1f}" y="{top + plot_h + 19}" class="axis tick x-tick" text-anchor="middle">{value:,}</text>'
        )
    body.append(
        f'<text x="{left + plot_w / 2:.1f}" y="{top + plot_h + 42}" class="axis-label" text-anchor="middle">'
        f"{escape(x_label)}</text>"
    )
    y_text = f"{y_label} (log scale)" if log else y_label
    body.append(
        f'<text transform="translate(15 {top + plot_h / 2:.1f}) rotate(-90)" class="axis-label" '
        f'text-anchor="middle">{escape(y_text)}</text>'
    )
    for idx, curve in enumerate(curves):
        points = _reduced(curve, plot_w)
        for run in _runs(points):
            coords = " ".join(f"{px(x):.1f},{py(y):.1f}" for x, y in run)
            if len(run) == 1:
                x, y = run[0]
                body.append(f'<circle cx="{px(x):.1f}" cy="{py(y):.1f}" r="2.5" class="dot c{idx % 3}"/>')
            else:
                body.append(f'<polyline fill="none" class="curve c{idx % 3}" stroke-width="2" points="{coords}"/>')
    if bar is not None:
        y = py(bar)
        body.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{y:.1f}" y2="{y:.1f}" class="bar-line"/>')
        label_y = y - 4 if y - 4 > top + 10 else y + 12
        body.append(
            f'<text x="{left + plot_w - 4}" y="{label_y:.1f}" class="bar-label" text-anchor="end">'
            f"{escape(bar_label)} {escape(_plain(bar))}</text>"
        )
    if len(curves) > 1:
        x = left
        for idx, curve in enumerate(curves):
            body.append(
                f'<line x1="{x}" x2="{x + 18}" y1="{top - 14}" y2="{top - 14}" class="curve c{idx % 3}" '
                'stroke-width="3"/>'
                f'<text x="{x + 22}" y="{top - 9}" class="legend">{escape(curve.name)}</text>'
            )
            x += 40 + 8 * len(curve.name)
    if gaps:
        note = (
            f"{gaps} value{'s' if gaps != 1 else ''} not finite (NaN or inf): gap{'s' if gaps != 1 else ''} in the line"
        )
        body.append(f'<text x="{left}" y="{height - 6}" class="note">{escape(note)}</text>')
    label = _summary(curves, x_label, y_label, (bar_label, bar), gaps, log)
    return _svg(width, height, "".join(body), label, css="chart line-chart")


def _summary(
    curves: Sequence[Curve], x_label: str, y_label: str, bar: tuple[str, float | None], gaps: int, log: bool
) -> str:
    """`loss from 2.30 to 0.41 over 200 steps`, per curve, with the bar, the scale and the gaps."""
    parts = []
    for curve in curves:
        values = [float(v) for v in curve.values if _finite(v)]
        name = curve.name
        count = len(curve.values) * curve.every
        unit = x_label + ("s" if count != 1 else "")
        if values:
            parts.append(f"{name} from {_plain(values[0])} to {_plain(values[-1])} over {count:,} {unit}")
    text = "; ".join(parts)
    if bar[1] is not None:
        text += f"; {bar[0]} {_plain(bar[1])}"
    if log:
        text += f"; {y_label} on a log scale"
    if gaps:
        text += f"; {gaps} not finite"
    return text


def _finite(v: object) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)


def _reduced(curve: Curve, columns: int) -> list[tuple[float, float] | None]:
    """The curve's (x, y) points, None for a gap; past 2 points per column, the lowest and highest per column."""
    n = len(curve.values)
    xs = [(i + 1) * curve.every for i in range(n)]
    if n <= 2 * columns:
        return [(x, float(v)) if _finite(v) else None for x, v in zip(xs, curve.values, strict=True)]
    out: list[tuple[float, float] | None] = []
    size = n / columns
    for c in range(columns):
        i, j = int(c * size), int((c + 1) * size)
        chunk = [(xs[k], float(curve.values[k])) for k in range(i, j) if _finite(curve.values[k])]
        if len(chunk) < j - i:
            out.append(None)
        if chunk:
            low, high = min(chunk, key=lambda p: p[1]), max(chunk, key=lambda p: p[1])
            out.extend(sorted({low, high}))
    return out


def _runs(points: Sequence[tuple[float, float] | None]) -> list[list[tuple[float, float]]]:
    runs: list[list[tuple[float, float]]] = [[]]
    for p in points:
        if p is None:
            if runs[-1]:
                runs.append([])
        else:
            runs[-1].append(p)
    return [r for r in runs if r]


def _nice_step(span: float, count: int) -> float:
    raw = span / max(1, count)
    power = 10.0 ** math.floor(math.log10(raw))
    return next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)


def _linear_ticks(lo: float, hi: float) -> tuple[list[float], float, float]:
    """Round ticks covering [lo, hi] (about five), and the axis range they span."""
    if hi - lo < 1e-12 * max(1.0, abs(hi)):
        pad = abs(hi) * 0.1 or 1.0
        lo, hi = lo - pad, hi + pad
    step = _nice_step(hi - lo, 5)
    first, last = math.floor(lo / step + 1e-9), math.ceil(hi / step - 1e-9)
    ticks = [k * step for k in range(first, last + 1)]
    return ticks, ticks[0], ticks[-1]


def _log_ticks(lo: float, hi: float) -> tuple[list[float], float, float]:
    """Powers of ten covering [lo, hi] (every other one past eight decades)."""
    first, last = math.floor(math.log10(lo) + 1e-9), math.ceil(math.log10(hi) - 1e-9)
    stride = max(1, math.ceil((last - first) / 8))
    ticks = [10.0**e for e in range(first, last + 1, stride)]
    return ticks, 10.0**first, 10.0**last


def _int_ticks(lo: int, hi: int) -> list[int]:
    """Whole-number ticks at a round stride (1, 2, 5, 10, 20, ...), about seven, and `lo` when it stands apart."""
    if hi <= lo:
        return [lo]
    step = max(1, round(_nice_step(hi - lo, 7)))
    ticks = list(range(-(-lo // step) * step, hi + 1, step))
    if not ticks or ticks[0] - lo > step / 2:
        ticks.insert(0, lo)
    return ticks


def _tick(value: float, ticks: Sequence[float]) -> str:
    """A tick's text with the fewest decimals that write every tick exactly: 0.9, 0.95, 1e-3 on a log axis."""
    if value != 0 and (abs(value) >= 1e5 or abs(value) < 1e-3):
        mantissa, exponent = f"{value:.0e}".split("e")
        return f"{mantissa}e{int(exponent)}"
    decimals = next(
        (d for d in range(7) if all(abs(t * 10**d - round(t * 10**d)) < 1e-6 for t in ticks if abs(t) >= 1e-3)), 6
    )
    return f"{value:,.{decimals}f}"


def _plain(x: float) -> str:
    """A value for a sentence or a label: three significant figures, never scientific below a million."""
    if x != 0 and (abs(x) >= 1e6 or abs(x) < 1e-3):
        return f"{x:.2e}"
    if abs(x) >= 1000:
        return f"{x:,.0f}"
    if abs(x) >= 1:
        return f"{x:.{max(0, 2 - math.floor(math.log10(abs(x))))}f}"
    return f"{x:.2f}" if abs(x) >= 0.01 else f"{x:.3g}"


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
