"""Every generator of the pack draws a case for every seed, not only for the one the pack is checked with.

A deployment draws each test's inputs from a seed keyed by its own secret (`problems.seed_secret`), so a
generator that fails for some seeds breaks the problem for every submission on the deployments that drew
one: the reference run fails and each submission fails "for reasons outside the submission". The cnn
network generator did, for about 1 seed in 4, until it stopped redrawing for units no example activated.
The generators are the pack's own trusted code, so they run here, outside the sandbox, as the harness
calls them: `case(numpy.random.default_rng(seed), **params)`.
"""

from __future__ import annotations

import importlib.util
import sys
import tomllib
from types import ModuleType
from typing import Any

import numpy as np
import pytest

from tests.reference.test_pack import PACK, SLUGS

SEEDS = 200


def _cases(slug: str) -> ModuleType:
    folder = PACK / slug
    spec = importlib.util.spec_from_file_location(f"pack_cases_{slug.replace('-', '_')}", folder / "cases.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.path[:0] = [str(folder), str(folder / "support")]  # as in a job: the bundle's files are importable
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.path[:2]
    return module


def _generated_tests(slug: str) -> list[dict[str, Any]]:
    spec = tomllib.loads((PACK / slug / "problem.toml").read_text())
    return [t for t in spec.get("tests", []) if "case" in t]


@pytest.mark.slow
@pytest.mark.parametrize("slug", [s for s in SLUGS if (PACK / s / "cases.py").exists()])
def test_every_generator_draws_a_case_for_every_seed(slug: str) -> None:
    cases = _cases(slug)
    failed: dict[str, list[str]] = {}
    for test in _generated_tests(slug):
        generate = getattr(cases, test["case"])
        for seed in range(SEEDS):
            rng = np.random.default_rng(seed * 7919 + 13)
            try:
                generate(rng, **test.get("params", {}))
            except Exception as exc:
                failed.setdefault(test["name"], []).append(f"seed {seed}: {exc!r}"[:160])
    assert not failed, {name: (len(errors), errors[:3]) for name, errors in failed.items()}
