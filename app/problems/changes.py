"""What a new version changes for students: tests added or removed, points, limits, and redrawn inputs."""

from __future__ import annotations

from typing import Any

from grader.bundle import Bundle


def inputs_changed(before: dict[str, Any] | None, after: dict[str, Any] | None) -> list[str] | None:
    """Tests in both check reports whose inputs differ; None when either version was not checked."""
    old = (before or {}).get("inputs")
    new = (after or {}).get("inputs")
    if not isinstance(old, dict) or not isinstance(new, dict) or not old or not new:
        return None
    return sorted(name for name in new if name in old and old[name] != new[name])


def _points(bundle: Bundle) -> dict[str, float]:
    return {t.name: t.points for t in bundle.spec.tests}


def _limits(bundle: Bundle) -> dict[str, Any]:
    """The problem's limits, and each test's own time and memory where it sets them."""
    limits: dict[str, Any] = dict(bundle.spec.limits.model_dump())
    for test in bundle.spec.tests:
        for key in ("time_seconds", "memory_mb"):
            value = getattr(test, key)
            if value is not None:
                limits[f"{test.name}.{key}"] = value
    return limits


def describe_changes(
    before: Bundle | None,
    before_report: dict[str, Any] | None,
    after: Bundle,
    after_report: dict[str, Any] | None,
    previous_number: int | None,
) -> dict[str, Any]:
    """A JSON summary of what `after` changes against `before` (None: the problem is new)."""
    new_points = _points(after)
    if before is None:
        return {
            "previous_version": None,
            "tests_added": sorted(new_points),
            "tests_removed": [],
            "points": [],
            "max_score": {"before": None, "after": sum(new_points.values())},
            "limits": [],
            "inputs_changed": [],
        }
    old_points = _points(before)
    old_limits, new_limits = _limits(before), _limits(after)
    return {
        "previous_version": previous_number,
        "tests_added": sorted(set(new_points) - set(old_points)),
        "tests_removed": sorted(set(old_points) - set(new_points)),
        "points": [
            {"test": name, "before": old_points[name], "after": points}
            for name, points in new_points.items()
            if name in old_points and old_points[name] != points
        ],
        "max_score": {"before": sum(old_points.values()), "after": sum(new_points.values())},
        "limits": [
            {"limit": key, "before": old_limits.get(key), "after": new_limits.get(key)}
            for key in sorted(set(old_limits) | set(new_limits))
            if old_limits.get(key) != new_limits.get(key)
        ],
        "inputs_changed": inputs_changed(before_report, after_report),
    }


def summary_lines(changes: dict[str, Any] | None) -> list[str]:
    """The changes as sentences for a page."""
    if not changes:
        return []
    lines = []
    if changes.get("tests_added"):
        lines.append("Tests added: " + ", ".join(changes["tests_added"]))
    if changes.get("tests_removed"):
        lines.append("Tests removed: " + ", ".join(changes["tests_removed"]))
    for row in changes.get("points", []):
        lines.append(f"Points of {row['test']}: {row['before']:g} → {row['after']:g}")
    for row in changes.get("limits", []):
        lines.append(f"Limit {row['limit']}: {_text(row['before'])} → {_text(row['after'])}")
    redrawn = changes.get("inputs_changed")
    if redrawn is None:
        lines.append("Whether inputs changed is not known: a version was stored without a check")
    elif redrawn:
        lines.append("Inputs changed for: " + ", ".join(redrawn))
    elif changes.get("previous_version") is not None:
        lines.append("Every kept test has the same inputs as before")
    return lines


def _text(value: Any) -> str:
    return "default" if value is None else f"{value:g}" if isinstance(value, float) else str(value)
