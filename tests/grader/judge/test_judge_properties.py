"""Properties of the judge: self-agreement, noise within tolerance, large errors, and never raising."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from grader.judge import Context, Tolerance, judge
from grader.values import Opaque

finite = hnp.arrays(
    np.float64,
    hnp.array_shapes(min_dims=0, max_dims=4, min_side=1, max_side=5),
    elements=st.floats(-1e6, 1e6, allow_nan=False),
)
noise_unit = st.floats(-1.0, 1.0)
CTX = Context("f")


def passes(ref: np.ndarray, stu: np.ndarray) -> bool:
    return all(v.passed for v in judge({"out": ref}, {"out": stu}, tolerance=Tolerance(), context=CTX))


@given(finite)
def test_an_array_always_passes_against_itself(a: np.ndarray) -> None:
    assert passes(a, a.copy())


@given(finite, st.integers(0, 2**32 - 1))
def test_noise_well_within_tolerance_always_passes(a: np.ndarray, seed: int) -> None:
    noise = np.random.default_rng(seed).uniform(-1, 1, a.shape)
    assert passes(a, a + 1e-8 * np.abs(a) * noise)


@given(finite, st.integers(0, 2**32 - 1))
def test_a_large_perturbation_never_passes(a: np.ndarray, seed: int) -> None:
    rng = np.random.default_rng(seed)
    bump = np.zeros(a.size)
    bump[rng.integers(a.size)] = 1.0
    perturbed = a + (0.01 * max(1.0, float(np.max(np.abs(a))))) * bump.reshape(a.shape)
    assert not passes(a, perturbed)


any_dtype = st.sampled_from(["float64", "float32", "int64", "int8", "uint8", "uint64", "bool"])
leaf_arrays = any_dtype.flatmap(
    lambda dt: hnp.arrays(
        np.dtype(dt),
        hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4),
        elements=None if dt != "float64" else st.floats(allow_nan=True, allow_infinity=True),
    )
)
leaves = st.one_of(
    leaf_arrays,
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(-(2**70), 2**70),
    st.booleans(),
    st.text(max_size=5),
    st.none(),
    st.builds(Opaque, st.sampled_from(["function", "Foo"])),
)
values = st.recursive(
    leaves,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.lists(inner, max_size=3).map(tuple),
        st.dictionaries(st.sampled_from(["dx", "dw", "W1", "b"]), inner, max_size=3),
    ),
    max_leaves=8,
)
results = st.dictionaries(st.sampled_from(["out", "dx", "loss", "grads", "@numgrad"]), values, max_size=3)
contexts = st.builds(
    Context,
    function=st.sampled_from(["svm_loss", "softmax_loss", "f"]),
    inputs=st.dictionaries(st.sampled_from(["x", "dout", "reg", "delta", "params"]), values, max_size=3),
    labels=st.none() | hnp.arrays(np.int64, st.integers(0, 4), elements=st.integers(-2, 3)),
    x=st.none() | leaf_arrays,
    p_keep=st.none() | st.floats(0, 1),
    batchnorm=st.booleans(),
    pad=st.none() | st.integers(0, 3),
)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(results, results, contexts)
def test_judge_never_raises_on_arbitrary_value_trees(ref: dict, stu: dict, ctx: Context) -> None:  # type: ignore[type-arg]
    for v in judge(ref, stu, tolerance=Tolerance(), context=ctx):
        assert isinstance(v.message, str) and v.message
        assert v.passed == (v.stage is None)


@settings(max_examples=200, deadline=None)
@given(results, contexts)
def test_every_result_compared_with_itself_passes_with_one_verdict_per_value(ref: dict, ctx: Context) -> None:  # type: ignore[type-arg]
    verdicts = judge(ref, ref, tolerance=Tolerance(), context=ctx)
    assert [v.message for v in verdicts if not v.passed] == []
    assert len(verdicts) == sum(_leaf_count(value) for name, value in ref.items() if name != "@numgrad")


def _leaf_count(value: object) -> int:
    """How many values a result holds: a list, tuple or dict holds its items' (an empty one none)."""
    if isinstance(value, dict):
        return sum(_leaf_count(item) for item in value.values())
    if isinstance(value, list | tuple):
        return sum(_leaf_count(item) for item in value)
    return 1


magnitudes = st.integers(-300, 300)  # inside and outside the range where norms are plain dot products
small_arrays = hnp.arrays(
    np.float64, hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=6), elements=st.floats(-10, 10)
)


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(
    small_arrays,
    magnitudes,
    st.floats(-12, -1),
    st.integers(0, 2**32 - 1),
)
def test_the_closeness_decision_and_measures_are_the_documented_ones(
    base: np.ndarray, exponent: int, noise: float, seed: int
) -> None:
    from grader.judge._closeness import measure

    rng = np.random.default_rng(seed)
    r = base * 10.0**exponent
    s = r * (1 + 10.0**noise * rng.uniform(-1, 1, r.shape)) + 10.0 ** (noise + exponent) * rng.uniform(-1, 1, r.shape)
    tol = Tolerance()
    c = measure(s, r, tol)
    with np.errstate(all="ignore"):
        d = s - r
        scale = max(float(np.max(np.abs(d))), float(np.max(np.abs(r))), 1e-300)
        rel = float(np.linalg.norm(d / scale)) / max(float(np.linalg.norm(r / scale)), 1e-12 / scale)
        close = bool(np.allclose(s, r, rtol=tol.rtol, atol=tol.atol * max(1.0, float(np.max(np.abs(r))))))
    assert np.isclose(c.rel_error, rel, rtol=1e-9, atol=0.0)
    if abs(rel - tol.rel_norm) > 1e-9 * tol.rel_norm:  # off the boundary, where rounding cannot decide it
        assert c.passed == (close and rel <= tol.rel_norm)
    if np.any(d):
        assert abs(d[c.worst_index]) == np.max(np.abs(d))
        assert (c.expected, c.got) == (float(r[c.worst_index]), float(s[c.worst_index]))
    else:
        assert c.passed and c.rel_error == 0.0 and c.max_rel_error == 0.0
