"""The class overview counts each student once, on their best graded submission, and groups causes by kind.

The reports are real: each distinct file is graded once in the real sandbox, and every student's
submission stores one of them through the same path a grading worker uses (claim, then finish).
"""

from __future__ import annotations

import csv
import io
from html.parser import HTMLParser

import pytest
from sqlalchemy import func, select

from app.courses.overview import _identified
from app.db.models import Role, Submission, User
from app.jobs import lease
from app.web.session import COOKIE
from grader.bundle import Bundle
from grader.grading import GradeReport, ReferenceCache, grade_files
from grader.judge import Tier
from grader.sandbox import Sandbox
from tests.app.conftest import World, WorldFactory, load_toy, solution_of, starter_of


class Tables(HTMLParser):
    """The text of every cell of every table, by the table's class; and the captions."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self._table: list[list[str]] | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self._table = self.tables.setdefault(dict(attrs).get("class") or "", [])
        elif tag == "tr" and self._table is not None:
            self._table.append([])
        elif tag in ("td", "th") and self._table is not None:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None and self._table is not None:
            self._table[-1].append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "table":
            self._table = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def tables(html: str) -> dict[str, list[list[str]]]:
    parser = Tables()
    parser.feed(html)
    return parser.tables


@pytest.fixture(scope="session")
def reports(toy_layers: Bundle, sandbox: Sandbox, reference_cache: ReferenceCache) -> dict[str, GradeReport]:
    """Five files graded for real: right, two known mistakes, an unnamed scale error, and the starter."""
    solution = toy_layers.files["solution/toy.py"].decode()
    sources = {
        "right": solution,
        "relu_mask": solution + "\n\n" + toy_layers.files["mistakes/relu_mask_from_dout.py"].decode(),
        "mse_sum": solution + "\n\n" + toy_layers.files["mistakes/mse_sum.py"].decode(),
        "scaled": solution + "\n\ndef relu_backward(dout, cache):\n    return 1.7 * dout * (cache > 0)\n",
        "starter": toy_layers.files["starter/toy.py"].decode(),
    }
    out = {
        name: grade_files(toy_layers, {"toy.py": src.encode()}, sandbox, reference_cache)
        for name, src in sources.items()
    }
    assert {k: r.score for k, r in out.items()} == {"right": 6, "relu_mask": 4, "mse_sum": 3, "scaled": 4, "starter": 0}
    return out


def store(world: World, who: str, report: GradeReport) -> int:
    """Submit as `who` and store `report` as its result, as a grading worker does."""
    answer = world.submit(who, "toy-layers", starter_of(load_toy("toy-layers")))
    assert answer.status_code == 202, answer.text
    sid = int(answer.json()["id"])
    with world.db.session() as s:
        claim = lease.claim(s, sid, "test-worker", 30)
        assert claim is not None
        assert lease.finish(s, claim, report, late_penalty=0.0)
    return sid


# Each student's submissions in order, and (in comments) the one that counts: the best, on a tie the latest.
CLASS = {
    "ada": ["mse_sum", "right"],  # right: fails nothing
    "alan": ["relu_mask", "mse_sum"],  # relu_mask (4) beats the later mse_sum (3)
    "grace": ["relu_mask", "relu_mask", "relu_mask"],  # the same mistake three times counts once
    "linus": ["scaled", "relu_mask"],  # both 4: the latest, relu_mask
    "barbara": ["relu_mask", "scaled"],  # both 4: the latest, scaled
    "edsger": ["scaled"],
    "donald": ["starter", "mse_sum"],  # mse_sum (3) beats the starter (0)
}


@pytest.fixture
def klass(make_world: WorldFactory, database_url: str, reports: dict[str, GradeReport]) -> World:
    world = make_world(database_url)
    world.user("prof", role=Role.INSTRUCTOR)
    for name in [*CLASS, "margaret"]:  # margaret is enrolled and never submits
        world.user(name, role=Role.STUDENT)
    world.add_problem(load_toy("toy-layers"))
    for name, files in CLASS.items():
        for which in files:
            store(world, name, reports[which])
    # an instructor's own tries are not the class's, and a queued submission has no result to count
    store(world, "prof", reports["relu_mask"])
    store(world, "prof", reports["starter"])
    assert world.submit("ada", "toy-layers", solution_of(load_toy("toy-layers"))).status_code == 202
    return world


def overview_page(world: World) -> str:
    response = world.client.get("/c/dl/overview", headers={"Cookie": f"{COOKIE}={world.tokens['prof']}"})
    assert response.status_code == 200, response.text
    return str(response.text)


def test_the_overview_counts_each_student_once_on_their_best_submission(klass: World) -> None:
    html = overview_page(klass)
    assert "8 students enrolled" in html
    assert "7 of 8 students submitted · 7 with a graded submission · 15 submissions · 0 late" in html
    failing = tables(html)["grid failing-tests"]
    assert failing[0] == ["Test", "Students whose counting submission fails this test"]
    # relu_backward: alan, grace, linus (relu_mask) and barbara, edsger (scaled); mse: donald only
    assert failing[1:] == [["relu_backward_small", "5 of 7"], ["mse_hidden", "1 of 7"], ["mse_small", "1 of 7"]]
    assert "Every student's counting submission" not in html


def test_causes_are_grouped_by_kind_specific_first_with_a_readable_example(
    klass: World, reports: dict[str, GradeReport]
) -> None:
    causes = tables(overview_page(klass))["grid causes"]
    assert causes[0] == ["Cause", "Students whose counting submission shows it", "Example message"]
    relu_hint = next(t.diagnosis[0] for t in reports["relu_mask"].tests if not t.passed)
    mse_hint = next(t.diagnosis[0] for t in reports["mse_sum"].tests if not t.passed)
    scaled = next(t for t in reports["scaled"].tests if not t.passed)
    assert relu_hint == "The ReLU gradient passes where the INPUT x was positive; you built the mask from dout."
    assert causes[1:3] == [
        ["mistake:relu_mask_from_dout specific", "3 of 7", relu_hint],  # alan, grace, linus
        ["mistake:mse_sum specific", "1 of 7", mse_hint],  # donald: fails two tests, counted once
    ]
    # the unnamed scale error's causes describe the difference only: generic, after every named mistake,
    # though two students show them, more than the mse mistake's one
    generic = causes[3:]
    assert [row[0] for row in generic] == [
        "region:one sample generic",
        "region:x > 0 generic",
        "own-forward:disagrees, forward right generic",
    ]
    assert all(row[1] == "2 of 7" for row in generic)  # barbara and edsger
    x_positive, one_sample, own_forward = scaled.diagnosis
    assert [row[2] for row in generic] == [one_sample, x_positive, own_forward]
    for row in causes[1:]:
        assert int(row[1].split(" of ")[0]) <= 7


def test_the_gradebook_picks_the_same_submission_as_the_overview(klass: World) -> None:
    rows = {
        r["username"]: r
        for r in csv.DictReader(io.StringIO(klass.get("prof", "/api/v1/courses/dl/gradebook.csv").text))
    }
    with klass.db.session() as s:
        latest = dict(
            s.execute(select(User.username, func.max(Submission.id)).join(User).group_by(User.username)).all()
        )
    # linus and barbara scored 4 twice: the latest counts; grace's three equal tries: the third
    for name in ("linus", "barbara", "grace"):
        assert (rows[name]["toy-layers"], rows[name]["toy-layers:submission"]) == ("4", str(latest[name]))
    assert rows["margaret"]["toy-layers"] == ""


def test_a_result_stored_before_causes_were_recorded_groups_by_its_exact_text_as_generic() -> None:
    texts = ["Your dx is exactly 2 times the reference.", "Only row 3 of dx is wrong."]
    assert _identified(texts, None) == [(t, int(Tier.SHAPELESS), t) for t in texts]
    kinds = [{"kind": "factor:N", "tier": 3}, {"kind": "region:one row", "tier": 4}]
    assert _identified(texts, kinds) == [("factor:N", 3, texts[0]), ("region:one row", 4, texts[1])]
    assert _identified(texts, kinds[:1]) == [(t, int(Tier.SHAPELESS), t) for t in texts]  # not one per text
