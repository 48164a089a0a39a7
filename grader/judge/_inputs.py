"""Rendering a test's inputs for a visible test's feedback."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from grader.judge._messages import describe, given, shape
from grader.values import Opaque, Value

MAX_TEXT = 200


def summarise_inputs(inputs: Mapping[str, Value], limit: int = 24) -> str:
    """One line per input: shapes always, full values for arrays of at most `limit` elements, dicts inline."""
    return "\n".join(f"  {name} = {_render(value, limit, 0)}" for name, value in inputs.items())


def _render(value: Value, limit: int, depth: int) -> str:
    if isinstance(value, np.ndarray):
        return _render_array(value, limit)
    if depth > 3:
        return describe(value)
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k!r}: {_render(v, limit, depth + 1)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        items = [_render(v, limit, depth + 1) for v in value[:limit]]
        more = ", ..." if len(value) > limit else ""
        body = ", ".join(items) + more
        return f"[{body}]" if isinstance(value, list) else f"({body}{',' if len(value) == 1 else ''})"
    if isinstance(value, float):
        return given(value)  # a keep probability of 0.995 or an eps of 1e-05 is shown exactly as the test sets it
    if isinstance(value, Opaque):
        return f"<{value.type_name}>"
    return repr(value)[:MAX_TEXT]


def _render_array(value: np.ndarray, limit: int) -> str:
    head = f"array of shape {shape(value.shape)}, {value.dtype}"
    if value.size == 0 or value.size > limit or value.dtype.kind not in "biuf":
        return head
    if value.dtype.kind == "f":
        body = np.array2string(value, separator=", ", formatter={"float_kind": _four_digits}, max_line_width=100)
    else:
        body = np.array2string(value, separator=", ", max_line_width=100)
    return head + ":\n      " + body.replace("\n", "\n      ")


def _four_digits(v: np.floating) -> str:
    return f"{float(v):.4g}"
