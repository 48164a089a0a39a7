"""Wording shared by every stage: numbers that keep their meaning, shapes, indices, kinds of value."""

from __future__ import annotations

import math

import numpy as np

from grader.values import Opaque


class Missing:
    """Stands for a result or key the student did not return."""


MISSING = Missing()


def num(value: float) -> str:
    """A number to 4 significant digits, without float noise."""
    if math.isnan(value):
        return "nan"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return f"{value + 0.0:.4g}"  # + 0.0 turns -0.0 into 0.0


def given(value: float) -> str:
    """A number exactly as precise as it was given (a bar of 0.995 stays 0.995, 10.0 prints as 10)."""
    if not math.isfinite(value):
        return num(value)
    if value == int(value) and abs(value) < 1e16:
        return str(int(value))
    return repr(float(value) + 0.0)


def apart(a: float, b: float) -> tuple[str, str]:
    """Both numbers to at least 4 significant digits, and to as many more as it takes to tell them apart."""
    if not (math.isfinite(a) and math.isfinite(b)) or a == b:
        return num(a), num(b)
    gap = abs(a - b)
    for digits in range(4, 18):
        x, y = f"{a + 0.0:.{digits}g}", f"{b + 0.0:.{digits}g}"
        # enough digits when the printed numbers differ by about as much as the numbers themselves do
        if x != y and abs(abs(float(x) - float(y)) - gap) <= 0.25 * gap:
            return x, y
    return repr(a), repr(b)


def shape(dims: tuple[int, ...]) -> str:
    """A shape as students see it printed by NumPy."""
    return str(tuple(int(d) for d in dims))


def at(path: str, index: tuple[int, ...]) -> str:
    """The element `index` of the result at `path`, e.g. dw[2, 3]."""
    return f"{path}[{', '.join(str(i) for i in index)}]" if index else path


def indices(index_list: list[tuple[int, ...]], limit: int = 3) -> str:
    """A few indices, e.g. '[0, 1], [2, 0] and 5 more'."""
    shown = ", ".join("[" + ", ".join(str(i) for i in idx) + "]" for idx in index_list[:limit])
    rest = len(index_list) - limit
    return shown + (f" and {rest} more" if rest > 0 else "")


def describe(value: object) -> str:
    """A short phrase for a value's kind, e.g. 'an array of shape (2, 3)', 'a dict with keys [...]'."""
    if isinstance(value, Missing):
        return "nothing"
    if isinstance(value, np.ndarray):
        kind = "" if value.dtype.kind in "biuf" else f" of {value.dtype}"
        return f"an array{kind} of shape {shape(value.shape)}"
    if isinstance(value, bool | np.bool_):
        return f"a bool ({bool(value)})"
    if isinstance(value, int | float | np.number):
        return f"a single number ({num(float(value))})" if not isinstance(value, np.complexfloating) else "a complex"
    if isinstance(value, dict):
        return f"a dict with keys {sorted(str(k) for k in value)}"
    if isinstance(value, list | tuple):
        return f"a {type(value).__name__} of {len(value)} value{'s' if len(value) != 1 else ''}"
    if isinstance(value, Opaque) and value.type_name.startswith("ndarray["):  # complex, object, datetime arrays
        return f"{describe_opaque(value)}, which the grader cannot compare"
    if isinstance(value, Opaque):
        return describe_opaque(value)
    if isinstance(value, str):
        return f"the string {value[:40]!r}"
    return "None" if value is None else f"a {type(value).__name__}"


def describe_opaque(value: Opaque) -> str:
    """What a value the wire could not carry was: 'an array of dtype complex128', 'a set object', ..."""
    name = value.type_name
    if name.startswith("ndarray["):  # complex, object, datetime arrays
        return f"an array of dtype {name[len('ndarray[') : -1]}"
    if name.startswith("a "):  # a value too big or deep to carry
        return name
    return f"a {name} object"


def type_advice(value: object) -> str:
    """What to do about a wrong kind of value where a number or an array was expected."""
    if value is None:
        return " Did you forget a return statement, or return the result of an in-place operation?"
    if isinstance(value, list | tuple):
        return " Return a NumPy array (np.array(...)), not a Python sequence."
    if isinstance(value, Opaque) and value.type_name.startswith("ndarray["):
        return " Return a real-valued NumPy array (e.g. float64), not a complex or object one."
    if isinstance(value, Opaque) and value.type_name.startswith("a "):
        return " Return only the results the statement asks for, as NumPy arrays."
    if isinstance(value, Opaque):
        return " Return the computed array itself, not a function or an object holding it."
    if isinstance(value, str):
        return " Return the computed value, not text."
    if isinstance(value, bool | np.bool_):
        return " That is a comparison's result, not a value."
    return ""


def join_causes(causes: list[str]) -> str:
    """'a', 'a or b', 'a, b or c'."""
    if len(causes) <= 1:
        return "".join(causes)
    return ", ".join(causes[:-1]) + " or " + causes[-1]
