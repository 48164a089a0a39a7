"""The service grades every submission with inputs drawn from its problem's own seed key, never the public one."""

from __future__ import annotations

import re

import numpy as np
from sqlalchemy import select

from app.db.models import Problem, Role
from grader.bundle import local_seed_key
from grader.grading import compute_reference
from grader.sandbox import Sandbox
from tests.app.conftest import WorldFactory, load_toy, solution_of, wait_graded

# A correct solution that also prints the sum of each input it is given (a visible test's output is shown).
PRINTS_ITS_INPUT = b"""

_relu_forward = relu_forward


def relu_forward(x):
    print(f"sum={x.sum():.12e}")
    return _relu_forward(x)
"""


def test_a_submission_is_graded_on_inputs_drawn_from_its_problems_secret_key(
    make_world: WorldFactory, sqlite_url: str, sandbox: Sandbox
) -> None:
    world = make_world(sqlite_url, slots=1)
    world.user("alice", role=Role.STUDENT)
    bundle = load_toy("toy-layers")
    world.add_problem(bundle)
    files = {"toy.py": solution_of(bundle)["toy.py"] + PRINTS_ITS_INPUT}
    result = wait_graded(world, "alice", world.submit("alice", "toy-layers", files).json()["id"])
    assert result["score"] == result["max_score"]
    printed = {float(s) for s in re.findall(r"sum=(\S+)", result["stdout"])}
    assert printed, result["stdout"]
    with world.db.session() as session:
        key = session.scalars(select(Problem.seed_secret)).one()

    def visible_sum(seed_key: bytes) -> float:
        inputs = compute_reference(bundle, sandbox, seed_key).inputs["relu_forward_small"]
        assert isinstance(inputs, dict)
        return float(np.asarray(inputs["x"]).sum())

    assert any(abs(p - visible_sum(key)) < 1e-9 for p in printed)
    assert all(abs(p - visible_sum(local_seed_key(bundle.slug))) > 1e-9 for p in printed)
