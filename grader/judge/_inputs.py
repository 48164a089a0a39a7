"""Rendering a test's inputs for a visible test's feedback."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from grader.values import Value


def summarise_inputs(inputs: Mapping[str, Value], limit: int = 24) -> str:
    """Shapes always; full values for small arrays; small dicts inline."""
    lines = []
    for name, value in inputs.items():
        lines.append(f"  {name} = {_render(value, limit)}")
    return "\n".join(lines)


def _render(value: Value, limit: int) -> str:
    if isinstance(value, np.ndarray):
        head = f"array shape {value.shape} dtype {value.dtype}"
        if value.size <= limit:
            body = np.array2string(value, precision=4, separator=", ", suppress_small=False, max_line_width=100)
            return head + ":\n      " + body.replace("\n", "\n      ")
        return head
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k!r}: {_render(v, limit)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return repr(value)[:200]
    return repr(value)[:200]
