"""Whole-array patterns: the student's array equals a recognisable wrong formula applied to the inputs."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

import numpy as np

from grader.judge._closeness import agrees
from grader.judge._infer import number
from grader.judge._messages import num
from grader.judge._types import Cause, Context, Tier, Tolerance
from grader.values import Value

Alternative = tuple[np.ndarray, str, str]  # the wrong formula's result, its kind, and the message


def pattern_diagnosis(path: str, s: np.ndarray, r: np.ndarray, ctx: Context, tol: Tolerance) -> list[Cause]:
    """Every known wrong formula the student's array agrees with."""
    if s.ndim == 0:
        return []
    return [
        Cause.of(hint, Tier.FORMULA, path, kind=f"formula:{kind}")
        for alt, kind, hint in _alternatives(path, r, ctx)
        if alt.shape == s.shape and agrees(s, alt, tol)
    ]


def _alternatives(path: str, r: np.ndarray, ctx: Context) -> Iterator[Alternative]:
    if r.ndim == 2 and r.shape[0] == r.shape[1] > 1:
        yield (
            r.T,
            "transpose",
            f"Your {path} is the transpose of the reference (it is square, so the shape could not show it).",
        )
    if r.ndim == 4 and r.shape[2] * r.shape[3] > 1:
        yield (
            r[:, :, ::-1, ::-1],
            "flipped kernel",
            f"Your {path} is the reference with every kernel flipped: that is true convolution, but this layer "
            "is cross-correlation (do not flip w).",
        )
    yield from _activation_mistakes(path, r, ctx)
    yield from _input_offsets(path, r, ctx)
    yield from _upstream_left_out(path, r, ctx)


def _upstream_left_out(path: str, r: np.ndarray, ctx: Context) -> Iterator[Alternative]:
    """A backward that returns the local derivative alone: the reference divided by dout."""
    dout = ctx.inputs.get("dout")
    if not (isinstance(dout, np.ndarray) and dout.shape == r.shape and dout.dtype.kind == "f" and dout.size > 1):
        return
    if not np.all(np.abs(dout) > 1e-12) or _proportional(dout, r):
        return
    with np.errstate(all="ignore"):
        local = r / dout
    yield (
        local,
        "upstream gradient left out",
        f"Your {path} is the local derivative alone, the reference divided by dout: multiply by the upstream "
        f"gradient dout (chain rule: {path} = dout * the local derivative).",
    )


def _input_offsets(path: str, r: np.ndarray, ctx: Context) -> Iterator[Alternative]:
    """The reference without an input added to it (a bias left out), or with it added twice."""
    for name, value in _named_arrays(ctx.inputs):
        if value.dtype.kind != "f" or value.size < 2 or not value.any():
            continue
        for placed in _broadcasts(value, r.shape):
            if _proportional(placed, r):
                continue  # r + x = 2r when x = r (test-mode dropout): the scale factor says it better
            yield (
                r - placed,
                f"input missing:{name}",
                f"Your {path} is the reference minus the input {name}: {name} is never added "
                f"({path} + {name} would be right).",
            )
            yield (
                r + placed,
                f"input twice:{name}",
                f"Your {path} is the reference plus the input {name} once more: {name} is added twice.",
            )


def _named_arrays(inputs: Mapping[str, Value]) -> Iterator[tuple[str, np.ndarray]]:
    """The array inputs by name, and the arrays of a dict input (a model's parameters) as name['key']."""
    for name, value in inputs.items():
        if isinstance(value, np.ndarray):
            yield name, value
        elif isinstance(value, dict):
            for key, inner in value.items():
                if isinstance(inner, np.ndarray):
                    yield f"{name}[{key!r}]", inner


def _proportional(a: np.ndarray, r: np.ndarray) -> bool:
    """Whether `a` is a multiple of `r` (0 included), up to rounding."""
    with np.errstate(all="ignore"):
        rr = float(np.vdot(r, r))
        if not np.isfinite(rr):
            return False
        if rr == 0.0:
            return True
        k = float(np.vdot(a, r)) / rr
        residual = float(np.linalg.norm(a - k * r))
        return np.isfinite(residual) and residual <= 1e-9 * max(float(np.linalg.norm(a)), 1e-300)


def _broadcasts(value: np.ndarray, shape: tuple[int, ...]) -> Iterator[np.ndarray]:
    """`value` spread over an array of `shape`: by NumPy's rule (trailing axes), or, for a vector, along any one
    axis of its length (a per-channel bias b[None, :, None, None])."""
    seen: set[tuple[int, ...]] = set()
    if len(shape) >= value.ndim and all(
        a in (1, b) for a, b in zip(value.shape, shape[len(shape) - value.ndim :], strict=True)
    ):
        placed = value.reshape((1,) * (len(shape) - value.ndim) + value.shape)
        seen.add(placed.shape)
        yield np.broadcast_to(placed, shape)
    if value.ndim != 1:
        return
    for axis, size in enumerate(shape):
        form = tuple(size if i == axis else 1 for i in range(len(shape)))
        if size == value.size and form not in seen:
            seen.add(form)
            yield np.broadcast_to(value.reshape(form), shape)


def _activation_mistakes(path: str, r: np.ndarray, ctx: Context) -> Iterator[Alternative]:
    x, dout = ctx.x, ctx.inputs.get("dout")
    if not (isinstance(x, np.ndarray) and isinstance(dout, np.ndarray) and x.shape == dout.shape == r.shape):
        return
    x, dout = x.astype(np.float64), dout.astype(np.float64)
    yield (
        dout * (dout > 0),
        "mask from dout",
        f"Your {path} masks dout by its own sign: the mask must come from the input x (x > 0).",
    )
    yield (
        dout * (1 - x**2),
        "tanh derivative on the pre-activation",
        f"Your {path} uses 1 - x**2, the tanh derivative evaluated on the pre-activation: use 1 - tanh(x)**2.",
    )
    yield (
        dout * x * (1 - x),
        "sigmoid derivative on the pre-activation",
        f"Your {path} uses x * (1 - x), the sigmoid derivative evaluated on the pre-activation: "
        "use s * (1 - s) with s = sigmoid(x).",
    )


def constant_offset(path: str, s: np.ndarray, r: np.ndarray) -> list[str]:
    """An array that is the reference plus one constant everywhere."""
    if s.ndim == 0:
        return []
    d = s - r
    c = float(np.mean(d))
    if s.size < 2 or c == 0.0 or float(np.max(np.abs(d - c))) > 1e-6 * abs(c):
        return []
    return [f"Every entry of your {path} is off by the same constant {num(c)}."]


def regularisation_diagnosis(
    path: str, keys: tuple[str | int, ...], s: np.ndarray, r: np.ndarray, ctx: Context
) -> list[Cause]:
    """L2 mistakes: a 1/2 in the penalty, no penalty, a penalised bias, a missing 2*reg*W in the gradient."""
    reg = number(ctx.inputs.get("reg"))
    if not reg:
        return []
    weights, biases = _parameters(ctx.inputs)
    if s.ndim == 0:
        return [
            Cause.of(text, Tier.FORMULA, path, kind=f"l2-loss:{kind}")
            for kind, text in _loss_penalty(path, float(s - r), reg, weights, biases)
        ]
    name = _parameter_of(keys)
    d = s - r
    for param, hint in ((weights.get(name), "weight"), (biases.get(name), "bias")):
        if isinstance(param, np.ndarray) and param.shape == s.shape:
            found = _gradient_penalty(path, d, reg, param.astype(np.float64), hint)
            return [Cause.of(text, Tier.FORMULA, path, kind=f"l2-gradient:{kind}") for kind, text in found]
    return []


def _parameters(inputs: object) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Weight matrices (names starting with W/w) and biases (names starting with b) among the inputs."""
    pool: dict[str, Value] = {}
    if isinstance(inputs, dict):
        params = inputs.get("params")
        pool = {**inputs, **(params if isinstance(params, dict) else {})}
    arrays = {k: v for k, v in pool.items() if isinstance(v, np.ndarray) and v.dtype.kind in "iuf"}
    weights = {k: v for k, v in arrays.items() if k[:1] in ("W", "w")}
    return weights, {k: v for k, v in arrays.items() if k[:1] == "b"}


def _parameter_of(keys: tuple[str | int, ...]) -> str:
    """The parameter a gradient belongs to: grads['W1'] -> 'W1', dw -> 'w'."""
    last = str(keys[-1])
    return last[1:] if len(keys) == 1 and last.startswith("d") else last


def _loss_penalty(
    path: str, offset: float, reg: float, weights: dict[str, np.ndarray], biases: dict[str, np.ndarray]
) -> list[tuple[str, str]]:
    total = reg * sum(float(np.sum(w.astype(np.float64) ** 2)) for w in weights.values())
    bias = reg * sum(float(np.sum(b.astype(np.float64) ** 2)) for b in biases.values())
    cases = [
        (-total, "missing", "it is missing the L2 term reg * sum(W**2)"),
        (-total / 2, "half", "your L2 term has a 1/2: here it is reg * sum(W**2), without the 1/2"),
        (total, "twice", "the L2 term is counted twice"),
        (bias, "biases", "you regularised the biases too: only the weight matrices are penalised"),
    ]
    return [
        (kind, f"Your {path} is off by {num(offset)}: {hint}.") for value, kind, hint in cases if _close(offset, value)
    ]


def _gradient_penalty(path: str, d: np.ndarray, reg: float, param: np.ndarray, kind: str) -> list[tuple[str, str]]:
    if kind == "bias":
        said = f"Your {path} has 2*reg*b added: biases are not regularised."
        return [("biases", said)] if _close_arr(d, 2 * reg * param) else []
    if _close_arr(d, -2 * reg * param):
        return [("missing", f"Your {path} is missing the regularisation gradient 2*reg*W.")]
    if _close_arr(d, -reg * param):
        return [("half", f"Your {path} adds reg*W: the gradient of reg*sum(W**2) is 2*reg*W (no 1/2 in this L2 term).")]
    return []


def _close(a: float, b: float) -> bool:
    return b != 0.0 and abs(a - b) <= 1e-6 * abs(b)


def _close_arr(a: np.ndarray, b: np.ndarray) -> bool:
    nb = float(np.linalg.norm(b))
    return nb > 0.0 and float(np.linalg.norm(a - b)) <= 1e-6 * nb
