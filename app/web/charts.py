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


LEGEND_ROW = 22  # the height of one row of the legend above the plot


@dataclass(frozen=True)
class _Plot:
    """The plot area inside a chart and its two scales (x in steps or epochs, y linear or log)."""

    left: float
    top: float
    width: float
    height: float
    x_lo: float
    x_hi: float
    y_lo: float
    y_hi: float
    log: bool

    def x(self, value: float) -> float:
        return self.left + self.width * (value - self.x_lo) / (self.x_hi - self.x_lo)

    def y(self, value: float) -> float:
        if self.log:
            t = (math.log10(value) - math.log10(self.y_lo)) / (math.log10(self.y_hi) - math.log10(self.y_lo))
        else:
            t = (value - self.y_lo) / (self.y_hi - self.y_lo)
        return self.top + self.height * (1 - t)


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
    bar = bar if bar is not None and _finite(bar) else None
    gaps = sum(1 for c in curves for v in c.values if not _finite(v))
    legend, rows = _legend(curves, left=62, right=width - 16)
    top = 14 + LEGEND_ROW * rows
    height += LEGEND_ROW * max(0, rows - 1) + 22 * (gaps > 0)
    x_lo, x_hi = min(c.every for c in curves), max(len(c.values) * c.every for c in curves)
    lo, hi = min([*finite, *([bar] if bar is not None else [])]), max([*finite, *([bar] if bar is not None else [])])
    log = log_allowed and lo > 0 and hi / lo > 100
    y_ticks, y_lo, y_hi = _log_ticks(lo, hi) if log else _linear_ticks(lo, hi)
    x_pad = 1 if x_hi == x_lo else 0
    plot = _Plot(62, top, width - 78, height - top - 50 - 22 * (gaps > 0), x_lo - x_pad, x_hi + x_pad, y_lo, y_hi, log)
    body = [
        f'<rect x="{plot.left}" y="{plot.top}" width="{plot.width}" height="{plot.height}" class="frame"/>',
        _axes(plot, y_ticks, _int_ticks(x_lo, x_hi), x_label, f"{y_label} (log scale)" if log else y_label),
        *(_lines(plot, curve, idx) for idx, curve in enumerate(curves)),
        _bar(plot, bar, bar_label) if bar is not None else "",
        legend,
    ]
    if gaps:
        note = (
            f"{gaps} value{'s' if gaps != 1 else ''} not finite (NaN or inf): gap{'s' if gaps != 1 else ''} in the line"
        )
        body.append(f'<text x="{plot.left}" y="{height - 6}" class="note">{escape(note)}</text>')
    label = _summary(curves, x_label, y_label, (bar_label, bar), gaps, log)
    return _svg(width, height, "".join(body), label, css="chart line-chart")


def _axes(plot: _Plot, y_ticks: Sequence[float], x_ticks: Sequence[int], x_label: str, y_label: str) -> str:
    """Grid lines and tick values on both axes, and the axis labels (the y label turned upright)."""
    right, bottom = plot.left + plot.width, plot.top + plot.height
    out = []
    for value in y_ticks:
        y = plot.y(value)
        out.append(
            f'<line x1="{plot.left}" x2="{right}" y1="{y:.1f}" y2="{y:.1f}" class="grid-line"/>'
            f'<text x="{plot.left - 6}" y="{y + 5:.1f}" class="axis tick y-tick" text-anchor="end">'
            f"{escape(_tick(value, [value] if plot.log else y_ticks))}</text>"
        )
    for tick in x_ticks:
        x = plot.x(tick)
        out.append(
            f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{bottom}" y2="{bottom + 4}" class="frame"/>'
            f'<text x="{x:.1f}" y="{bottom + 19}" class="axis tick x-tick" text-anchor="middle">{tick:,}</text>'
        )
    out.append(
        f'<text x="{plot.left + plot.width / 2:.1f}" y="{bottom + 42}" class="axis-label" text-anchor="middle">'
        f"{escape(x_label)}</text>"
        f'<text transform="translate(15 {plot.top + plot.height / 2:.1f}) rotate(-90)" class="axis-label" '
        f'text-anchor="middle">{escape(y_label)}</text>'
    )
    return "".join(out)


def _lines(plot: _Plot, curve: Curve, idx: int) -> str:
    """The curve as polylines broken at its gaps; a point standing alone is a dot."""
    out = []
    for run in _runs(_reduced(curve, int(plot.width))):
        if len(run) == 1:
            x, y = run[0]
            out.append(f'<circle cx="{plot.x(x):.1f}" cy="{plot.y(y):.1f}" r="2.5" class="dot c{idx % 3}"/>')
        else:
            coords = " ".join(f"{plot.x(x):.1f},{plot.y(y):.1f}" for x, y in run)
            out.append(f'<polyline fill="none" class="curve c{idx % 3}" stroke-width="2" points="{coords}"/>')
    return "".join(out)


def _bar(plot: _Plot, bar: float, label: str) -> str:
    """The bar as a dashed line across the plot, labelled at its right end (below it when it is at the top)."""
    y = plot.y(bar)
    label_y = y - 5 if y - 5 > plot.top + 12 else y + 15
    return (
        f'<line x1="{plot.left}" x2="{plot.left + plot.width}" y1="{y:.1f}" y2="{y:.1f}" class="bar-line"/>'
        f'<text x="{plot.left + plot.width - 4}" y="{label_y:.1f}" class="bar-label" text-anchor="end">'
        f"{escape(label)} {escape(_plain(bar))}</text>"
    )


def _legend(curves: Sequence[Curve], left: float, right: float) -> tuple[str, int]:
    """A swatch and name per curve when there are several, in rows that fit the width; and the number of rows."""
    if len(curves) < 2:
        return "", 0
    out, x, row = [], left, 0
    for idx, curve in enumerate(curves):
        name = curve.name if len(curve.name) <= 40 else curve.name[:39] + "…"
        size = 40 + 8 * len(name)
        if x > left and x + size > right:
            x, row = left, row + 1
        y = 14 + LEGEND_ROW * row
        out.append(
            f'<line x1="{x}" x2="{x + 18}" y1="{y - 5}" y2="{y - 5}" class="curve c{idx % 3}" stroke-width="3"/>'
            f'<text x="{x + 22}" y="{y}" class="legend">{escape(name)}</text>'
        )
        x += size
    return "".join(out), row + 1


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
