"""Templates and Markdown: everything a user or a student's program wrote is escaped."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from markupsafe import Markup

from app.web import charts
from app.web.mathdown import math_markdown
from grader.notebooks import rule as notebook_rule

TEMPLATES = Path(__file__).resolve().parent / "templates"
_markdown = math_markdown()


def markdown(text: str) -> Markup:
    """Markdown to HTML with raw HTML disabled (problem statements come from semi-trusted instructors)."""
    return Markup(_markdown.render(text))


def without_diagnosis(feedback: str, diagnosis: list[str]) -> str:
    """The feedback without its "Likely cause" block, which the page shows on its own."""
    block = "\nLikely cause: " + "\n".join(diagnosis)
    return feedback.replace(block, "", 1) if diagnosis else feedback


def local_time(value: dt.datetime | str | None) -> Markup:
    """A time the browser shows in the reader's own zone (app.js); the UTC time without JavaScript and on hover."""
    if value is None:
        return Markup("—")
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    utc = value.astimezone(dt.UTC)
    text = utc.strftime("%Y-%m-%d %H:%M UTC")
    return Markup('<time datetime="{}" title="{}" data-local>{}</time>').format(
        utc.strftime("%Y-%m-%dT%H:%M:%SZ"), text, text
    )


def points(value: float | None) -> str:
    return "—" if value is None else f"{value:g}"


def percent(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.1f}%"


def duration(seconds: float | None) -> str:
    """A wait as people say it: "12 s", "3 min", "1 h 5 min"."""
    if seconds is None:
        return "—"
    if seconds < 90:
        return f"{max(1, round(seconds))} s"
    minutes = round(seconds / 60)
    return f"{minutes} min" if minutes < 60 else f"{minutes // 60} h {minutes % 60} min"


templates = Jinja2Templates(directory=str(TEMPLATES))
templates.env.filters.update(
    markdown=markdown,
    local_time=local_time,
    points=points,
    percent=percent,
    duration=duration,
    without_diagnosis=without_diagnosis,
)
templates.env.globals.update(charts=charts, notebook_rule=notebook_rule)


def page(request: Request, name: str, context: dict[str, Any], status_code: int = 200) -> HTMLResponse:
    context.setdefault("csrf", getattr(request.state, "csrf", ""))
    context.setdefault("user", getattr(request.state, "user", None))
    return templates.TemplateResponse(request, name, context, status_code=status_code)
