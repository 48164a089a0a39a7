"""Courses, the roster import, problem pages and starter downloads, and a responsive API while grading."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

import pytest

from app.db.models import Role
from tests._kit import check_json, plain_env, run_check
from tests.app.conftest import World, WorldFactory, load_toy, solution_of, wait_graded

COURSE = "/api/v1/courses/dl"


@pytest.fixture
def world(make_world: WorldFactory, database_url: str) -> World:
    world = make_world(database_url)
    world.user("ian", role=Role.INSTRUCTOR)
    world.user("alice", role=Role.STUDENT)
    world.add_problem(load_toy("toy-layers"))
    return world


def _roster(world: World, text: str) -> Any:
    return world.post("ian", f"{COURSE}/roster", files={"roster": ("r.csv", text.encode(), "text/csv")})


def test_roster_import_invites_newcomers_and_updates_members(world: World) -> None:
    answer = _roster(world, "Username,Full_Name,Email,Role\ncarol,Carol C,c@x.org,student\nalice,,,instructor\n")
    assert answer.status_code == 200
    assert answer.json() == {"invited": ["carol"], "updated": ["alice"]}
    roster = {m["username"]: (m["role"], m["invited"]) for m in world.get("ian", f"{COURSE}/roster").json()}
    assert roster == {"alice": ("instructor", False), "carol": ("student", True), "ian": ("instructor", False)}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("name,email\nx,y\n", "'username' column"),
        ("username,role\ncarol,teacher\n", "line 2: role 'teacher'"),
        ("username\ncarol\ncarol\n", "line 3: carol appears twice"),
        ("username\nbad name!\n", "line 2: username"),
        ("username\n", "no rows"),
    ],
)
def test_a_bad_roster_imports_nothing_and_says_which_line(world: World, text: str, message: str) -> None:
    answer = _roster(world, text + "dave\n" if "twice" in message else text)
    assert answer.status_code == 422
    body = answer.json()
    assert message in body["detail"] + " | ".join(body["errors"])
    assert {m["username"] for m in world.get("ian", f"{COURSE}/roster").json()} == {"alice", "ian"}


def test_a_roster_that_is_not_utf8_is_refused(world: World) -> None:
    answer = world.post("ian", f"{COURSE}/roster", files={"roster": ("r.csv", b"username\n\xff\xfe\n", "text/csv")})
    assert answer.status_code == 422
    assert "UTF-8" in answer.json()["detail"]


def test_the_problem_page_has_the_statement_limits_and_hides_hidden_test_names(world: World) -> None:
    body = world.get("alice", f"{COURSE}/problems/toy-layers").json()
    assert body["statement"].strip() and body["files"] == ["toy.py"]
    assert body["max_score"] == 6 and body["time_seconds"] == 5
    assert [t["name"] for t in body["tests"] if not t["visible"]] == ["hidden test 1"]  # as on a submission
    assert "mse_hidden" not in str(body)


def test_the_starter_download_has_the_starter_files_and_a_check_kit_that_runs(world: World, tmp_path: Path) -> None:
    answer = world.get("alice", f"{COURSE}/problems/toy-layers/starter.zip")
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(answer.content))
    names = archive.namelist()
    assert {"toy-layers/toy.py", "toy-layers/check.py", "toy-layers/_gradelab_check/kit.json"} <= set(names)
    assert [n for n in names if not n.startswith("toy-layers/_gradelab_check/")] == [
        "toy-layers/check.py",
        "toy-layers/toy.py",
    ]
    archive.extractall(tmp_path)
    folder = tmp_path / "toy-layers"
    env = plain_env(tmp_path)
    starter = run_check(folder, env)
    assert starter.returncode == 1 and "relu_forward is not implemented yet" in starter.stdout
    (folder / "toy.py").write_bytes(solution_of(load_toy("toy-layers"))["toy.py"])
    assert check_json(folder, env)["score"] == 5


def test_the_api_answers_while_every_slot_is_busy(make_world: WorldFactory, sqlite_url: str) -> None:
    world = make_world(sqlite_url, slots=1)
    world.user("alice", role=Role.STUDENT)
    world.add_problem(load_toy("toy-layers"))
    slow = b"import time\ntime.sleep(3)\n" + solution_of(load_toy("toy-layers"))["toy.py"]
    sid = world.submit("alice", "toy-layers", {"toy.py": slow}).json()["id"]
    for _ in range(200):
        if world.get("alice", f"/api/v1/submissions/{sid}").json()["status"] == "running":
            break
        import time

        time.sleep(0.02)
    answered = [world.get("alice", "/api/v1/me").status_code for _ in range(20)]
    queued = world.submit("alice", "toy-layers", solution_of(load_toy("toy-layers")))
    still = world.get("alice", f"/api/v1/submissions/{sid}").json()["status"]
    assert answered == [200] * 20 and queued.status_code == 202
    assert still == "running"  # every answer above came while the only slot was grading
    assert wait_graded(world, "alice", queued.json()["id"])["score"] == 6


def test_a_framework_in_both_starter_and_support_is_in_the_starter_zip_once() -> None:
    from app.problems.service import starter_zip
    from grader.bundle import bundle_from_files
    from grader.bundle._archive import read_folder
    from tests.app.conftest import BUNDLES

    framework = b"class Node:\n    pass\n"
    files = {**read_folder(BUNDLES / "toy-layers"), "starter/edf.py": framework, "support/edf.py": framework}
    archive = zipfile.ZipFile(io.BytesIO(starter_zip(bundle_from_files(files, "toy-layers"))))
    assert sorted(archive.namelist()) == ["toy-layers/edf.py", "toy-layers/toy.py"]
    assert archive.read("toy-layers/edf.py") == framework


def test_the_computational_graph_download_has_its_framework_and_the_file_to_write() -> None:
    from app.problems.service import starter_zip
    from grader.bundle import load_bundle
    from tests.app.conftest import BUNDLES

    pack = BUNDLES.parent.parent / "reference" / "computational-graph"
    archive = zipfile.ZipFile(io.BytesIO(starter_zip(load_bundle(pack))))
    assert sorted(archive.namelist()) == ["computational-graph/edf.py", "computational-graph/nodes.py"]
    assert archive.read("computational-graph/edf.py") == (pack / "support" / "edf.py").read_bytes()


def test_the_dashboard_and_the_api_hand_out_the_same_starter_zip_and_gradebook(world: World) -> None:
    api_starter = world.get("alice", f"{COURSE}/problems/toy-layers/starter.zip")
    api_book = world.get("ian", f"{COURSE}/gradebook.csv?pick=latest")
    world.client.cookies.set("gradelab_session", world.tokens["alice"])
    page_starter = world.client.get("/c/dl/p/toy-layers/starter.zip")
    world.client.cookies.set("gradelab_session", world.tokens["ian"])
    page_book = world.client.get("/c/dl/gradebook.csv?pick=latest")
    world.client.cookies.clear()
    for api, page, name in [
        (api_starter, page_starter, "toy-layers-starter.zip"),
        (api_book, page_book, "dl-gradebook-latest.csv"),
    ]:
        assert (api.status_code, page.status_code) == (200, 200)
        assert api.content == page.content
        assert api.headers["content-type"] == page.headers["content-type"]
        assert (
            api.headers["content-disposition"]
            == page.headers["content-disposition"]
            == (f'attachment; filename="{name}"')
        )
    assert page_book.text.splitlines()[0].startswith("username,full_name,email,toy-layers,")
