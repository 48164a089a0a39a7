"""Each likely cause carries a kind that names the mistake or the check, never a number measured on the data:
the class overview groups students by it."""

from __future__ import annotations

import numpy as np
from judge_helpers import randn, verdict

from grader.judge import Context, Tier, Variant, ranked_causes


def kinds(v: object) -> list[str]:
    return [str(c.identity["kind"]) for c in ranked_causes([v])]  # type: ignore[list-item]


def test_a_known_mistake_is_its_variant_name() -> None:
    right = randn(3, 4)
    wrong = right * 2
    v = verdict(right, wrong, variants=[Variant("doubled", "You doubled it.", {"out": wrong})])
    assert kinds(v) == ["mistake:doubled"]
    assert ranked_causes([v])[0].identity == {"kind": "mistake:doubled", "tier": int(Tier.VARIANT)}


def test_the_same_factor_on_different_batch_sizes_is_one_kind() -> None:
    found = set()
    for n in (4, 7):
        scores = randn(n, 3)
        ctx = Context("softmax_loss", inputs={"scores": scores, "y": np.arange(n) % 3})
        right = randn(n, 3, seed=n)
        v = verdict(right, n * right, ctx)
        assert f"N = {n}" in v.diagnosis[0]
        found.add(kinds(v)[0])
    assert found == {"factor:N"}


def test_one_wrong_sample_is_one_kind_whichever_sample_it_is() -> None:
    found = set()
    for i in (0, 2):
        right = randn(4, 5)
        wrong = right.copy()
        wrong[i] += 1.0
        v = verdict(right, wrong, Context("f", inputs={"x": randn(4, 5)}))
        assert f"Only sample {i}" in "\n".join(v.diagnosis)
        found.add(next(k for k in kinds(v) if k.startswith("region:")))
    assert found == {"region:one sample"}


def test_an_overflow_is_its_source_not_the_size_of_the_inputs() -> None:
    found = set()
    for scale in (300, 900):
        scores = scale * randn(4, 5)
        v = verdict(randn(4, 5), np.full((4, 5), np.nan), Context("softmax_loss", inputs={"scores": scores}))
        found.update(kinds(v))
    assert found == {"non-finite:exp overflow"}


def test_a_wrong_formula_is_named_by_the_formula() -> None:
    right = randn(4, 4)
    v = verdict(right, right.T.copy())
    assert kinds(v)[0] == "formula:transpose"
    assert ranked_causes([v])[0].identity["tier"] == int(Tier.FORMULA)
