"""Walking the reference's results: structural mismatches become verdicts, the rest become leaves."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from grader._vocab import Stage
from grader.judge._messages import MISSING, describe, type_advice
from grader.judge._types import Leaf, ResultVerdict
from grader.values import Value


def leaves(reference: Mapping[str, Value], student: Mapping[str, Value], fn: str) -> Iterator[Leaf | ResultVerdict]:
    """Every scored leaf of the reference, paired with the student's value at the same place."""
    for top, ref in reference.items():
        if top.startswith("@"):
            continue
        if top not in student:
            msg = f"{fn}: no result named {top!r} came back; expected {describe(ref)}."
            yield ResultVerdict(top, False, Stage.TYPE, msg)
            continue
        yield from _walk(top, (top,), ref, student[top], fn)


def _walk(path: str, keys: tuple[str | int, ...], ref: Value, stu: object, fn: str) -> Iterator[Leaf | ResultVerdict]:
    if isinstance(ref, dict):
        yield from _walk_dict(path, keys, ref, stu, fn)
    elif isinstance(ref, list | tuple):
        yield from _walk_sequence(path, keys, ref, stu, fn)
    else:
        yield Leaf(path, keys, ref, stu)


def _walk_dict(
    path: str, keys: tuple[str | int, ...], ref: dict[str, Value], stu: object, fn: str
) -> Iterator[Leaf | ResultVerdict]:
    if not isinstance(stu, dict):
        msg = f"{fn}: {path} should be a dict with keys {sorted(ref)}; got {describe(stu)}."
        yield ResultVerdict(path, False, Stage.TYPE, msg + type_advice(stu))
        return
    missing = [k for k in ref if k not in stu]
    extra = sorted(str(k) for k in stu if k not in ref)
    if missing or extra:
        parts = ([f"missing {missing}"] if missing else []) + ([f"unexpected {extra}"] if extra else [])
        msg = f"{fn}: {path} must be a dict with exactly the keys {sorted(ref)}: {'; '.join(parts)}."
        yield ResultVerdict(path, False, Stage.TYPE, msg)
    for key, value in ref.items():
        if key in stu:
            yield from _walk(f"{path}[{key!r}]", (*keys, key), value, stu[key], fn)


def _walk_sequence(
    path: str, keys: tuple[str | int, ...], ref: list[Value] | tuple[Value, ...], stu: object, fn: str
) -> Iterator[Leaf | ResultVerdict]:
    kind = type(ref).__name__
    if not isinstance(stu, list | tuple):
        msg = f"{fn}: {path} should be a {kind} of {len(ref)} values; got {describe(stu)}."
        yield ResultVerdict(path, False, Stage.TYPE, msg)
        return
    if len(stu) != len(ref):
        msg = f"{fn}: {path} should be a {kind} of {len(ref)} values; got {len(stu)}."
        yield ResultVerdict(path, False, Stage.TYPE, msg)
        return
    for i, value in enumerate(ref):
        yield from _walk(f"{path}[{i}]", (*keys, i), value, stu[i], fn)


def lookup(results: object, keys: tuple[str | int, ...]) -> object:
    """The value at `keys` inside another results tree, or MISSING."""
    node = results
    for key in keys:
        if isinstance(node, dict) and isinstance(key, str):
            if key not in node:
                return MISSING
            node = node[key]
        elif isinstance(node, list | tuple) and isinstance(key, int) and 0 <= key < len(node):
            node = node[key]
        else:
            return MISSING
    return node
