"""Notebooks through the API and the pages: graded like the module they hold, stored as sent, hostile parts inert."""

from __future__ import annotations

import json
import re
import time
from typing import Any

import nbformat
import pytest
from markupsafe import escape
from nbformat import v4

from app.db.models import Role
from app.web.session import COOKIE
from grader.bundle import PACK_DIR, load_bundle
from tests.app.conftest import World, WorldFactory, load_toy, solution_of, wait_graded
from tests.notebook_files import HOSTILE_HTML, OUTPUT_TEXT, as_notebook

COURSE = "/api/v1/courses/dl"


@pytest.fixture
def world(make_world: WorldFactory, database_url: str) -> World:
    world = make_world(database_url, slots=1)
    world.user("alice", role=Role.STUDENT)
    world.user("ian", role=Role.INSTRUCTOR)
    world.add_problem(load_toy("toy-layers"))
    return world


def _toy_notebook() -> bytes:
    return as_notebook(solution_of(load_toy("toy-layers"))["toy.py"].decode())


def _outcome(result: dict[str, Any]) -> tuple[Any, ...]:
    tests = [(t["name"], t["points"], t["max_points"], t["passed"], t["feedback"]) for t in result["tests"]]
    return result["score"], result["max_score"], tests


def _page(world: World, who: str, path: str) -> Any:
    return world.client.get(path, headers={"Cookie": f"{COOKIE}={world.tokens[who]}"})


def test_a_notebook_of_the_pack_solution_grades_exactly_like_the_module(world: World) -> None:
    world.add_problem(load_bundle(PACK_DIR / "layers"))
    module = (PACK_DIR / "layers" / "solution" / "layers.py").read_bytes()
    by_module = world.submit("alice", "layers", {"layers.py": module}).json()["id"]
    created = world.submit("alice", "layers", {"homework.ipynb": as_notebook(module.decode())})
    assert created.status_code == 202, created.text
    assert created.json()["notes"] == [
        "homework.ipynb: cell 2 (In [1]): IPython line(s) 1, 2 (magics, shell commands) left out, not run"
    ]
    as_module = wait_graded(world, "alice", by_module, timeout=300)
    as_cells = wait_graded(world, "alice", created.json()["id"], timeout=300)
    assert as_module["score"] == as_module["max_score"] > 0
    assert _outcome(as_cells) == _outcome(as_module)


def test_the_notebook_is_stored_as_sent_and_its_page_shows_the_cells_and_nothing_it_carries(world: World) -> None:
    data = _toy_notebook()
    sid = world.submit("alice", "toy-layers", {"work.ipynb": data}).json()["id"]
    assert wait_graded(world, "alice", sid)["score"] == 6
    download = _page(world, "alice", f"/s/{sid}/files/work.ipynb")
    assert download.status_code == 200 and download.content == data
    page = _page(world, "alice", f"/s/{sid}")
    assert page.status_code == 200
    text = page.text
    assert HOSTILE_HTML not in text and "onerror=alert" not in text.replace("onerror=alert(1)&gt;", "")
    assert str(escape(HOSTILE_HTML)) in text  # the markdown cell, as plain text
    cells = re.findall(r'data-cell="(\d+)"', text)
    assert cells == [str(n) for n in range(1, len(json.loads(data)["cells"]) + 1)]
    assert "cell 3 (In [2])" in text and "→ <code>toy.py</code>" in text
    assert "Line(s) 1, 2 left out: IPython magics and shell commands are not run." in text
    assert 'class="hll"' in text  # the dropped lines, struck out
    assert OUTPUT_TEXT not in text  # no output is shown


def test_a_notebook_submission_is_regraded_from_the_stored_notebook(world: World) -> None:
    sid = world.submit("alice", "toy-layers", {"work.ipynb": _toy_notebook()}).json()["id"]
    assert wait_graded(world, "alice", sid)["score"] == 6
    regrade = world.post("ian", f"{COURSE}/problems/toy-layers/regrades", json={})
    assert regrade.status_code == 202, regrade.text
    path = f"{COURSE}/problems/toy-layers/regrades/{regrade.json()['id']}"
    for _ in range(1200):
        view = world.get("ian", path).json()
        if view["done"]:
            break
        time.sleep(0.05)
    rows = {r["submission_id"]: r for r in view["rows"]}
    assert rows[sid]["before"] == 6 and rows[sid]["after"] == 6


def _notebook(*sources: str) -> bytes:
    nb = v4.new_notebook()
    nb.cells = [v4.new_code_cell(s, execution_count=i) for i, s in enumerate(sources, start=4)]
    return nbformat.writes(nb).encode()


@pytest.mark.parametrize(
    ("files", "status", "message"),
    [
        ({"w.ipynb": _notebook("import numpy as np", "def relu(x:\n    pass")}, 422, "cell 2 (In [5]): Syntax"),
        ({"w.ipynb": b"{oops"}, 422, "w.ipynb: the notebook is not valid JSON"),
        ({"w.ipynb": json.dumps({"nbformat": 9}).encode()}, 422, "nbformat 9 notebooks are not accepted"),
        ({"w.ipynb": _notebook("x = 1", "y = 2"), "v.ipynb": _notebook("x = 1")}, 422, "2 notebooks submitted"),
        ({"w.ipynb": _notebook(*["x = 1"] * 1001)}, 422, "at most 1,000 are accepted"),
        ({"w.ipynb": _notebook("s = '" + "a" * 10_000_000 + "'")}, 413, "w.ipynb is larger than 2097152 bytes"),
        ({"w.ipynb": _notebook("# file: toy.py"), "toy.py": b"x = 1\n"}, 422, "toy.py sent both as a file and in w"),
        ({"w.ipynb": _notebook("x = 1"), "toy.py": b"x = 1\n"}, 422, "w.ipynb gives none of this problem's files"),
    ],
)
def test_a_notebook_that_cannot_be_used_gets_a_clear_error_and_nothing_is_stored(
    world: World, files: dict[str, bytes], status: int, message: str
) -> None:
    answer = world.submit("alice", "toy-layers", files)
    assert answer.status_code == status, answer.text
    body = answer.json()
    assert message in body["detail"] + " ".join(body.get("errors") or []), body
    assert world.get("alice", f"{COURSE}/submissions").json()["total"] == 0
