"""The training curves of a submission's visible training tests: one chart per quantity and x unit."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup

from app.web.charts import Curve, line_chart
from grader.grading import history_series


@dataclass(frozen=True)
class TrainingFigure:
    """A training test's charts (loss, accuracy), or none with the reason."""

    test: str
    charts: list[Markup]


def training_figures(metrics: Mapping[str, Any], bars: Mapping[str, float]) -> list[TrainingFigure]:
    """A figure per test with a history in `metrics` (already redacted for the viewer)."""
    histories = metrics.get("history")
    if not isinstance(histories, Mapping):
        return []
    figures = []
    for test, stored in histories.items():
        groups: dict[tuple[str, str], list[Curve]] = {}
        for series in history_series(stored):
            groups.setdefault((series.kind, series.per), []).append(Curve(series.label, series.values, series.every))
        charts = [
            line_chart(
                curves,
                x_label=per,
                y_label=kind,
                bar=bars.get(test) if kind == "accuracy" else None,
                bar_label="required test accuracy",
                log_allowed=kind == "loss",
            )
            for (kind, per), curves in sorted(groups.items(), key=lambda g: (g[0][0] != "loss", g[0][1]))
        ]
        charts = [c for c in charts if c]
        if charts:
            figures.append(TrainingFigure(str(test), charts))
    return figures
