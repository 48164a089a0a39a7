"""Values a bundle's own code produced that no submission could be judged fairly against.

A value the wire cannot carry (a set, a complex or object array, any other object) would reach a
submission as something else, and a NaN or an infinity in a reference result makes every correct
answer fail; both are refused, with the test and the value's path named.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from grader.judge import describe_opaque
from grader.values import Opaque, Value

PLAIN = "use arrays of bool, int or float, numbers, strings, booleans, None, or lists, tuples and dicts of them"


def leaves(value: Value, path: str = "") -> Iterator[tuple[str, Value]]:
    """Every leaf of a value with its path (`grads.W1`, `cache[2]`)."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from leaves(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list | tuple):
        for i, item in enumerate(value):
            yield from leaves(item, f"{path}[{i}]")
    else:
        yield path, value


def uncarried(test: str, what: str, value: Value) -> list[str]:
    """A sentence for every leaf that the wire turned into an opaque placeholder."""
    out = []
    for path, leaf in leaves(value):
        if isinstance(leaf, Opaque):
            out.append(
                f"tests {test!r}: {what} {path or '(the whole value)'!r} is {describe_opaque(leaf)}, "
                f"which cannot be sent to a submission or compared: {PLAIN}"
            )
    return out


def nonfinite(test: str, what: str, value: Value) -> list[str]:
    """A sentence for every leaf holding NaN or an infinity."""
    out = []
    for path, leaf in leaves(value):
        found = _count(leaf)
        if found:
            out.append(f"tests {test!r}: {what} {path or '(the whole value)'!r} {found}")
    return out


def _count(leaf: Value) -> str:
    """'has 3 NaN at [0, 2], ...' for an array, 'is NaN' for a number, '' when finite."""
    if isinstance(leaf, np.ndarray) and leaf.ndim == 0 and leaf.dtype.kind == "f":
        leaf = float(leaf)
    if isinstance(leaf, float):
        return "" if np.isfinite(leaf) else f"is {_name(leaf)}"
    if not isinstance(leaf, np.ndarray) or leaf.dtype.kind != "f" or bool(np.isfinite(leaf).all()):
        return ""
    parts = []
    for label, mask in (("NaN", np.isnan(leaf)), ("+inf", np.isposinf(leaf)), ("-inf", np.isneginf(leaf))):
        count = int(mask.sum())
        if count:
            where = [list(map(int, i)) for i in np.argwhere(mask)[:3]]
            more = ", ..." if count > len(where) else ""
            parts.append(f"{count} {label} at {', '.join(map(str, where))}{more}")
    return "has " + "; ".join(parts)


def _name(x: float) -> str:
    return "NaN" if np.isnan(x) else ("+inf" if x > 0 else "-inf")
