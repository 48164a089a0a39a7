"""The instructors' submissions table: every sort column both ways, filters, pages and their edges, the CSV of
the filtered view, clear refusals of bad parameters; on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
import re
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from app.db import migrate as migrations
from app.db.models import Problem, Role, Submission, SubmissionState, User
from app.main import create_app
from app.web.session import COOKIE
from tests.app.conftest import World, WorldFactory, load_toy, settings_for
from tests.app.test_overview import tables

STUDENTS = {
    "ada": "Ada Lovelace",
    "alan": "Alan Turing",
    "grace": "Grace Hopper",
    "linus": '=HYPERLINK("http://x")',  # a name that is a spreadsheet formula
    "barbara": "Barbara Liskov",
    "edsger": "@Edsger",
    "donald": "Donald Knuth",
    "emile": "Émile Borel",
}
BASE = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)


@dataclass(frozen=True)
class Made:
    id: int
    student: str
    problem: str
    when: dt.datetime
    state: str
    late: bool
    score: float | None


def add_submissions(world: World, count: int, seed: int = 7) -> list[Made]:
    """`count` submissions spread over the class and both problems: every state, late ones, equal scores and
    equal times (so the tie order shows), stored as rows the way intake and grading leave them."""
    rng = random.Random(seed)
    made = []
    with world.db.session() as s:
        users = {u.username: u for u in s.scalars(select(User).where(User.username.in_(list(STUDENTS))))}
        problems = list(s.scalars(select(Problem).order_by(Problem.id)))
        for i in range(count):
            who = rng.choice(list(STUDENTS))
            problem = rng.choice(problems)
            state = rng.choice([SubmissionState.GRADED] * 6 + [SubmissionState.QUEUED, SubmissionState.FAILED])
            score = float(rng.choice([0, 1.5, 3, 3, 4, 6])) if state is SubmissionState.GRADED else None
            when = BASE + dt.timedelta(minutes=i // 3)  # three at a time share a minute
            row = Submission(
                problem_id=problem.id,
                version_id=problem.current_version_id,
                user_id=users[who].id,
                created_at=when,
                late=rng.random() < 0.2,
                state=state,
                score=score,
                raw_score=score,
                max_score=6.0 if score is not None else None,
            )
            s.add(row)
            s.flush()
            made.append(Made(row.id, who, problem.slug, when, state.value, row.late, score))
    return made


def build_class(world: World) -> World:
    world.user("prof", role=Role.INSTRUCTOR)
    world.user("outsider")
    for name, full in STUDENTS.items():
        world.user(name, role=Role.STUDENT)
        with world.db.session() as s:
            user = s.scalar(select(User).where(User.username == name))
            assert user is not None
            user.full_name = full
    world.add_problem(load_toy("toy-layers"))
    world.add_problem(load_toy("toy-classifier"))
    return world


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def built(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[World, list[Made]]]:
    """One class with 130 submissions per database, shared by the read-only tests of this module."""
    tmp = tmp_path_factory.mktemp("table")
    if request.param == "sqlite":
        url = f"sqlite:///{tmp / 'test.db'}"
    else:
        url = request.getfixturevalue("postgres_server").new_database(f"t_{uuid.uuid4().hex[:12]}")
    migrations.upgrade(url)
    app = create_app(settings_for(url, tmp), start_grading=False)
    with TestClient(app, raise_server_exceptions=False) as client:
        world = World(db=app.state.runtime.db, client=client)
        world.add_course("dl")
        build_class(world)
        yield world, add_submissions(world, 130)


@pytest.fixture
def world(built: tuple[World, list[Made]]) -> World:
    return built[0]


@pytest.fixture
def rows(built: tuple[World, list[Made]]) -> list[Made]:
    return built[1]


def get(world: World, query: str, path: str = "/c/dl/submissions", who: str = "prof") -> tuple[int, str]:
    response = world.client.get(f"{path}?{query}", headers={"Cookie": f"{COOKIE}={world.tokens[who]}"})
    return response.status_code, response.text


def ids_on(html: str) -> list[int]:
    body = tables(html)["grid submissions"][1:]
    return [int(r[0]) for r in body if r[0].isdigit()]


def expected(made: list[Made], sort: str, direction: str) -> list[int]:
    """The order the table promises, worked out here independently: equal values newest (highest id) first,
    and rows with no score last whichever way scores are sorted."""
    newest_first = sorted(made, key=lambda m: -m.id)
    if sort == "id":
        return [m.id for m in sorted(made, key=lambda m: m.id, reverse=direction == "desc")]
    if sort == "score":
        scored = sorted(
            (m for m in newest_first if m.score is not None), key=lambda m: m.score or 0.0, reverse=direction == "desc"
        )
        return [m.id for m in scored] + [m.id for m in newest_first if m.score is None]
    key = {
        "student": lambda m: m.student,
        "problem": lambda m: m.problem,
        "when": lambda m: m.when,
        "state": lambda m: m.state,
    }[sort]
    return [m.id for m in sorted(newest_first, key=key, reverse=direction == "desc")]


@pytest.mark.parametrize("sort", ["id", "student", "problem", "when", "state", "score"])
@pytest.mark.parametrize("direction", ["asc", "desc"])
def test_every_column_sorts_both_ways_across_pages(world: World, rows: list[Made], sort: str, direction: str) -> None:
    shown: list[int] = []
    for page in (1, 2, 3):
        status, html = get(world, f"sort={sort}&dir={direction}&page={page}")
        assert status == 200
        assert f"130 submissions match · page {page} of 3" in html
        shown += ids_on(html)
    assert shown == expected(rows, sort, direction)


def test_a_header_click_sorts_by_its_column_and_a_second_click_reverses(world: World, rows: list[Made]) -> None:
    _, html = get(world, "student=a&state=graded")
    link = re.search(r'<a href="\?([^"]+)">Score</a>', html)
    assert link is not None
    query = link.group(1).replace("&amp;", "&")
    assert query == "student=a&state=graded&sort=score&dir=desc"  # the filters stay, the page goes back to 1
    _, html = get(world, query)
    assert 'aria-sort="descending"' in html
    again = re.search(r'<a href="\?([^"]+)">Score</a>', html)
    assert again is not None and again.group(1).replace("&amp;", "&").endswith("sort=score&dir=asc")


def test_filters_by_part_of_a_name_any_case_and_by_problem_state_and_lateness(world: World, rows: list[Made]) -> None:
    def match(m: Made) -> bool:
        name = f"{m.student} {STUDENTS[m.student]}".lower()
        return "ed" in name and m.problem == "toy-layers" and m.state == "graded"

    want = [m.id for m in sorted(rows, key=lambda m: -m.id) if match(m)]
    assert 0 < len(want) < 50
    status, html = get(world, "student=ED&problem=toy-layers&state=graded")
    assert status == 200
    assert f"{len(want)} submission{'s' if len(want) != 1 else ''} match" in html
    assert ids_on(html) == want
    assert {row[1].split()[0] for row in tables(html)["grid submissions"][1:]} == {"edsger"}
    late = [m.id for m in sorted(rows, key=lambda m: -m.id) if m.late]
    _, html = get(world, "late=yes")
    assert f"{len(late)} submissions match" in html and ids_on(html) == late[:50]


def test_the_name_filter_folds_the_case_of_every_letter(world: World, rows: list[Made]) -> None:
    want = [m.id for m in sorted(rows, key=lambda m: -m.id) if m.student == "emile"]
    assert want
    for needle in ("ÉMILE", "émile", "Émile"):
        _, html = get(world, f"student={needle}")
        assert f"{len(want)} submission" in html and ids_on(html) == want[:50]


def test_a_name_filter_is_text_not_a_pattern(world: World, rows: list[Made]) -> None:
    for needle in ("%", "_", "a%d"):
        status, html = get(world, f"student={needle}")
        assert status == 200 and "0 submissions match · page 1 of 1" in html and "No submissions match." in html


def test_pages_have_fifty_rows_and_links_that_keep_the_filters(world: World, rows: list[Made]) -> None:
    _, first = get(world, "sort=when&dir=asc")
    assert len(ids_on(first)) == 50 and 'rel="prev"' not in first
    assert 'rel="next" href="?sort=when&amp;dir=asc&amp;page=2"' in first
    _, last = get(world, "sort=when&dir=asc&page=3")
    assert len(ids_on(last)) == 30 and 'rel="next"' not in last
    assert 'rel="prev" href="?sort=when&amp;dir=asc&amp;page=2"' in last
    assert "page 3 of 3" in last
    # past the end: the last page, said so
    status, past = get(world, "sort=when&dir=asc&page=99")
    assert status == 200 and "There is no page beyond 3: this is the last page." in past
    assert ids_on(past) == ids_on(last)


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("page=0", "page must be a whole number from 1, not &#39;0&#39;"),
        ("page=-2", "page must be a whole number from 1"),
        ("page=two", "page must be a whole number from 1, not &#39;two&#39;"),
        ("page=99999999999999999999", "page must be a whole number from 1"),
        ("sort=grade", "cannot sort by &#39;grade&#39;: sort by one of id, student, problem, when, state, score"),
        ("sort=score&dir=up", "dir must be asc or desc, not &#39;up&#39;"),
        ("state=done", "unknown state &#39;done&#39;: use one of"),
        ("late=maybe", "late must be yes, no or empty"),
        (
            "problem=nope",
            "there is no problem &#39;nope&#39; in this course (its problems: toy-layers, toy-classifier)",
        ),
        ("sort=%3Cscript%3E", "cannot sort by &#39;&lt;script&gt;&#39;"),
    ],
)
def test_bad_parameters_get_a_clear_422_page_saying_what_to_send(world: World, query: str, message: str) -> None:
    for path in ("/c/dl/submissions", "/c/dl/submissions.csv"):
        status, html = get(world, query, path)
        assert status == 422, (path, html)
        assert message in html
        assert "<script>" not in html


def test_the_csv_is_the_filtered_sorted_view_every_page_of_it(world: World, rows: list[Made]) -> None:
    query = "student=L&sort=score&dir=asc"
    shown: list[list[str]] = []
    page = 1
    while True:
        _, html = get(world, f"{query}&page={page}")
        shown += tables(html)["grid submissions"][1:]
        if 'rel="next"' not in html:
            break
        page += 1
    assert page > 1  # more than one page: the CSV is not just the page on screen
    status, text = get(world, query, "/c/dl/submissions.csv")
    assert status == 200
    lines = list(csv.reader(io.StringIO(text)))
    assert lines[0] == [
        "id",
        "student",
        "full_name",
        "problem",
        "submitted_at",
        "state",
        "late",
        "score",
        "max_score",
        "adjustment",
        "adjusted_score",
    ]
    assert [int(r[0]) for r in lines[1:]] == [int(r[0]) for r in shown]
    by_id = {m.id: m for m in rows}
    for line in lines[1:]:
        m = by_id[int(line[0])]
        assert line[1] == m.student and line[3] == m.problem and line[5] == m.state
        assert line[4] == m.when.isoformat(timespec="seconds")
        assert line[6] == ("yes" if m.late else "no")
        assert line[7] == ("" if m.score is None else f"{m.score:g}")
        assert (line[9], line[10]) == ("0", line[7])  # no manual adjustments here
        name = STUDENTS[m.student]
        assert line[2] == ("'" + name if name[0] in "=@" else name)
    assert any(line[2] == '\'=HYPERLINK("http://x")' for line in lines[1:])
    # the link on the page downloads exactly this
    _, html = get(world, query)
    assert 'href="/c/dl/submissions.csv?student=L&amp;sort=score&amp;dir=asc"' in html
    _, text = get(world, "student=edsger", "/c/dl/submissions.csv")
    assert {line[2] for line in list(csv.reader(io.StringIO(text)))[1:]} == {"'@Edsger"}


def test_only_instructors_see_the_table(world: World, rows: list[Made]) -> None:
    assert get(world, "", who="ada")[0] == 403
    assert get(world, "", "/c/dl/submissions.csv", who="ada")[0] == 403
    assert get(world, "", who="outsider")[0] in (403, 404)


def test_measure_the_table_with_a_thousand_submissions(
    make_world: WorldFactory, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    world = build_class(make_world(database_url))
    add_submissions(world, 1000, seed=11)
    timings = {}
    start = time.perf_counter()
    assert get(world, "")[0] == 200
    timings["first request (templates compiled, caches cold)"] = time.perf_counter() - start
    for query in ("", "sort=score&dir=desc&page=10", "student=a&state=graded&sort=student", "sort=when&page=20"):
        start = time.perf_counter()
        status, html = get(world, query)
        timings[query or "(default)"] = time.perf_counter() - start
        assert status == 200 and "page " in html
    start = time.perf_counter()
    status, text = get(world, "sort=score", "/c/dl/submissions.csv")
    timings["csv of all 1000"] = time.perf_counter() - start
    assert status == 200 and text.count("\n") == 1001
    with capsys.disabled():
        print(
            f"\nsubmissions table, 1000 submissions, {database_url.split(':')[0]}:",
            ", ".join(f"{q}: {t * 1000:.0f} ms" for q, t in timings.items()),
        )
