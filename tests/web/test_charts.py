"""The server-side SVG charts: labelled axes with round ticks, the bar, log scale, gaps, escaping, downsampling."""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np

from app.web.charts import Curve, line_chart

SVG = "{http://www.w3.org/2000/svg}"
CSS = Path(__file__).resolve().parents[2] / "app" / "web" / "static" / "app.css"


def _parse(markup: str) -> ET.Element:
    return ET.fromstring(str(markup))  # raises on a broken SVG


def _texts(svg: ET.Element, cls: str | None = None) -> list[str]:
    return ["".join(t.itertext()) for t in svg.iter(f"{SVG}text") if cls is None or cls in t.get("class", "").split()]


def _polylines(svg: ET.Element) -> list[list[tuple[float, float]]]:
    out = []
    for line in svg.iter(f"{SVG}polyline"):
        out.append([(float(x), float(y)) for x, y in (p.split(",") for p in line.get("points", "").split())])
    return out


def _loss(n: int, start: float = 2.3, end: float = 0.41) -> list[float]:
    return list(start * (end / start) ** (np.arange(n) / (n - 1)))


def test_a_loss_curve_has_its_axes_labelled_with_round_ticks_and_a_summary() -> None:
    svg = _parse(line_chart([Curve("loss", _loss(200))], x_label="step", y_label="loss"))
    assert svg.get("role") == "img"
    assert svg.get("aria-label") == "loss from 2.30 to 0.41 over 200 steps"
    assert svg.findtext(f"{SVG}title") == "loss from 2.30 to 0.41 over 200 steps"
    assert _texts(svg, "axis-label") == ["step", "loss"]
    assert _texts(svg, "tick") == ["0.0", "0.5", "1.0", "1.5", "2.0", "2.5", "1", "50", "100", "150", "200"]
    [points] = _polylines(svg)
    assert len(points) == 200
    assert svg.get("viewBox") == "0 0 460 260"  # scales down to a phone's width with the page's CSS


def test_accuracy_curves_have_a_legend_and_the_dashed_bar_with_its_label() -> None:
    curves = [Curve("train accuracy", [0.72, 0.89, 0.92, 0.95]), Curve("validation accuracy", [0.7, 0.85, 0.9, 0.91])]
    markup = line_chart(
        curves, x_label="epoch", y_label="accuracy", bar=0.9, bar_label="required test accuracy", log_allowed=False
    )
    svg = _parse(markup)
    assert _texts(svg, "legend") == ["train accuracy", "validation accuracy"]
    assert _texts(svg, "axis-label") == ["epoch", "accuracy"]
    assert _texts(svg, "tick") == ["0.70", "0.75", "0.80", "0.85", "0.90", "0.95", "1", "2", "3", "4"]
    assert _texts(svg, "bar-label") == ["required test accuracy 0.90"]
    [bar] = [line for line in svg.iter(f"{SVG}line") if line.get("class") == "bar-line"]
    assert bar.get("y1") == bar.get("y2")
    # the bar sits at 0.90 on the axis: the same height as the 0.90 tick's grid line
    grid = {t: line.get("y1") for t, line in zip(_texts(svg, "tick"), svg.iter(f"{SVG}line"), strict=False)}
    assert bar.get("y1") == grid["0.90"]
    assert svg.get("aria-label") == (
        "train accuracy from 0.72 to 0.95 over 4 epochs; validation accuracy from 0.70 to 0.91 over 4 epochs; "
        "required test accuracy 0.90"
    )
    assert "svg .bar-line { stroke: var(--fail); stroke-dasharray" in CSS.read_text()  # dashed by the page's style


def test_a_loss_spanning_more_than_a_factor_of_100_is_drawn_on_a_log_scale_and_says_so() -> None:
    svg = _parse(line_chart([Curve("loss", _loss(50, 1000.0, 0.01))], x_label="step", y_label="loss"))
    assert _texts(svg, "axis-label") == ["step", "loss (log scale)"]
    assert _texts(svg, "tick")[:6] == ["0.01", "0.1", "1", "10", "100", "1,000"]
    assert svg.get("aria-label", "").endswith("; loss on a log scale")
    # a factor of 100 or less stays linear, and an accuracy never goes logarithmic
    assert (
        _texts(_parse(line_chart([Curve("loss", _loss(50, 10.0, 0.1))], x_label="step", y_label="loss")), "axis-label")[
            1
        ]
        == "loss"
    )
    acc = line_chart([Curve("acc", [0.001, 0.5, 0.9])], x_label="epoch", y_label="accuracy", log_allowed=False)
    assert _texts(_parse(acc), "axis-label")[1] == "accuracy"


def test_values_that_are_not_finite_leave_gaps_and_a_note_never_a_broken_svg() -> None:
    values = [2.0, 1.5, math.nan, 1.0, 0.8, math.inf, 0.6, 0.5, -math.inf]
    svg = _parse(line_chart([Curve("loss", values)], x_label="epoch", y_label="loss"))
    lines = _polylines(svg)
    assert [len(line) for line in lines] == [2, 2, 2]
    assert _texts(svg, "note") == ["3 values not finite (NaN or inf): gaps in the line"]
    assert "nan" not in ET.tostring(svg, encoding="unicode").lower().replace("nan or inf", "")
    assert svg.get("aria-label") == "loss from 2.00 to 0.50 over 9 epochs; 3 not finite"
    assert line_chart([Curve("loss", [math.nan, math.inf])], x_label="step", y_label="loss") == ""


def test_a_lone_point_is_drawn_as_a_dot() -> None:
    svg = _parse(line_chart([Curve("loss", [0.7])], x_label="epoch", y_label="loss"))
    assert len(list(svg.iter(f"{SVG}circle"))) == 1 and _polylines(svg) == []


def test_thousands_of_points_are_reduced_to_the_lowest_and_highest_per_pixel_column() -> None:
    values = _loss(100_000)
    values[54_321] = 20.0  # a spike survives the reduction
    svg = _parse(line_chart([Curve("loss", values)], x_label="step", y_label="loss"))
    [points] = _polylines(svg)
    assert len(points) <= 2 * 460
    assert svg.get("aria-label") == "loss from 2.30 to 0.41 over 100,000 steps"
    assert min(y for _, y in points) < 20  # the spike reaches the top of the plot
    assert "100,000" in _texts(svg, "tick")


def test_a_stride_counts_x_in_steps() -> None:
    svg = _parse(line_chart([Curve("loss", _loss(10), every=100)], x_label="step", y_label="loss"))
    assert svg.get("aria-label") == "loss from 2.30 to 0.41 over 1,000 steps"
    assert _texts(svg, "tick")[-1] == "1,000"


def test_every_label_is_escaped() -> None:
    name = '<script>alert("x")</script> & co'
    markup = str(line_chart([Curve(name, [1.0, 0.5]), Curve("b", [0.9, 0.4])], x_label="<x>", y_label='"y"'))
    assert "<script>" not in markup and "&lt;script&gt;" in markup
    svg = _parse(markup)
    assert _texts(svg, "legend")[0] == name
    assert _texts(svg, "axis-label") == ["<x>", '"y"']
