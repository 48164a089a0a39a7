"""Submitting and reading results through the API, graded by real sandbox slots in the app."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from tests.app.conftest import World, load_toy, solution_of, starter_of, wait_graded

COURSE = "/api/v1/courses/dl"


def test_correct_solution_scores_full_marks(world: World) -> None:
    created = world.submit("alice", "toy-layers", solution_of(load_toy("toy-layers")))
    assert created.status_code == 202
    assert created.json()["status"] in ("queued", "running", "graded")
    result = wait_graded(world, "alice", created.json()["id"])
    assert result["status"] == "graded"
    assert result["score"] == result["max_score"] == 6
    assert all(t["passed"] for t in result["tests"])


def test_starter_scores_zero_with_not_implemented_feedback(world: World) -> None:
    sid = world.submit("alice", "toy-layers", starter_of(load_toy("toy-layers"))).json()["id"]
    result = wait_graded(world, "alice", sid)
    assert result["score"] == 0
    visible = [t for t in result["tests"] if t["visible"]]
    assert visible and all("not implemented" in t["feedback"] for t in visible)


def test_hidden_tests_count_but_their_messages_are_withheld_from_students(world: World) -> None:
    files = {
        "toy.py": solution_of(load_toy("toy-layers"))["toy.py"] + b"\ndef mse_loss(p, y):\n    raise ValueError('x')\n"
    }
    sid = world.submit("alice", "toy-layers", files).json()["id"]
    student = wait_graded(world, "alice", sid)
    hidden = [t for t in student["tests"] if not t["visible"]]
    assert hidden and not hidden[0]["passed"]
    assert hidden[0]["feedback"].startswith("Hidden test") and hidden[0]["diagnosis"] == []
    assert "ValueError" not in json.dumps(hidden)
    instructor = world.get("ian", f"/api/v1/submissions/{sid}").json()
    assert "ValueError" in next(t for t in instructor["tests"] if not t["visible"])["feedback"]


def test_hidden_details_are_revealed_after_the_deadline_when_the_instructor_allows(world: World) -> None:
    files = {
        "toy.py": solution_of(load_toy("toy-layers"))["toy.py"] + b"\ndef mse_loss(p, y):\n    raise ValueError('x')\n"
    }
    sid = world.submit("alice", "toy-layers", files).json()["id"]
    wait_graded(world, "alice", sid)
    past = (dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)).isoformat()
    assert world.patch("ian", f"{COURSE}/problems/toy-layers", json={"deadline": past}).status_code == 200
    hidden = [t for t in world.get("alice", f"/api/v1/submissions/{sid}").json()["tests"] if not t["visible"]]
    assert hidden[0]["feedback"].startswith("Hidden test")
    world.patch("ian", f"{COURSE}/problems/toy-layers", json={"reveal_hidden_after_deadline": True})
    hidden = [t for t in world.get("alice", f"/api/v1/submissions/{sid}").json()["tests"] if not t["visible"]]
    assert "ValueError" in hidden[0]["feedback"]


def test_a_crashing_submission_is_a_result_not_a_retry(world: World) -> None:
    files = {"toy.py": b"import os\nos._exit(3)\n"}
    sid = world.submit("alice", "toy-layers", files).json()["id"]
    result = wait_graded(world, "alice", sid)
    assert result["status"] == "graded" and result["score"] == 0
    instructor = world.get("ian", f"/api/v1/submissions/{sid}").json()
    assert instructor["attempt"] == 1 and instructor["infra_failures"] == 0


def test_an_endless_loop_is_stopped_and_scored(world: World) -> None:
    files = {
        "toy.py": solution_of(load_toy("toy-layers"))["toy.py"]
        + b"\ndef relu_forward(x):\n    while True:\n        pass\n"
    }
    sid = world.submit("alice", "toy-layers", files).json()["id"]
    result = wait_graded(world, "alice", sid, timeout=120)
    assert result["status"] == "graded"
    looping = [t for t in result["tests"] if t["function"] == "relu_forward"]
    assert looping and all(not t["passed"] and "time limit" in t["feedback"] for t in looping)
    assert 0 < result["score"] < result["max_score"]
    world.user("root", admin=True)
    metrics = world.get("root", "/metrics").text
    assert 'gradelab_sandbox_kills_total{reason="timeout"}' in metrics or 'reason="cpu"' in metrics


def test_live_status_stream_ends_when_graded(world: World) -> None:
    sid = world.submit("alice", "toy-layers", solution_of(load_toy("toy-layers"))).json()["id"]
    with world.client.stream("GET", f"/api/v1/submissions/{sid}/events", headers=world.headers("alice")) as stream:
        assert stream.status_code == 200
        assert stream.headers["content-type"].startswith("text/event-stream")
        text = "".join(stream.iter_text())
    events = [block for block in text.split("\n\n") if block.startswith("event:")]
    statuses = [json.loads(b.split("data: ", 1)[1])["status"] for b in events if b.startswith("event: status")]
    assert statuses[-1] == "graded"
    assert events[-1].startswith("event: end")


@pytest.mark.parametrize(
    ("files", "status", "message"),
    [
        ({"other.py": b"x = 1\n"}, 422, "'other.py' is not a file of this problem"),
        ({"toy.py": b"\xff\xfe not utf-8"}, 422, "is not UTF-8"),
        ({"toy.py": b"x = 1\x00"}, 422, "NUL bytes"),
        ({"toy.py": b"#" * (512 * 1024 + 1)}, 413, "larger than"),
    ],
)
def test_bad_files_get_a_clear_error_and_nothing_is_stored(
    world: World, files: dict[str, bytes], status: int, message: str
) -> None:
    answer = world.submit("alice", "toy-layers", files)
    assert answer.status_code == status, answer.text
    body = answer.json()
    assert message in body["detail"] + " ".join(body["errors"])
    assert world.get("alice", f"{COURSE}/submissions").json()["total"] == 0


def test_no_files_is_a_clear_error(world: World) -> None:
    answer = world.post("alice", f"{COURSE}/problems/toy-layers/submissions")
    assert answer.status_code == 422
    assert "files" in answer.json()["detail"]


def test_the_same_file_twice_is_refused(world: World) -> None:
    parts = [("files", ("toy.py", b"x=1\n", "text/x-python")), ("files", ("toy.py", b"x=2\n", "text/x-python"))]
    answer = world.post("alice", f"{COURSE}/problems/toy-layers/submissions", files=parts)
    assert answer.status_code == 422
    assert "sent twice" in answer.json()["detail"]


def test_a_path_in_the_file_name_is_reduced_to_the_name(world: World) -> None:
    source = solution_of(load_toy("toy-layers"))["toy.py"]
    parts = [("files", ("C:\\Users\\me\\hw\\toy.py", source, "text/x-python"))]
    answer = world.post("alice", f"{COURSE}/problems/toy-layers/submissions", files=parts)
    assert answer.status_code == 202
    assert wait_graded(world, "alice", answer.json()["id"])["score"] == 6


def test_unknown_problem_and_course_are_404(world: World) -> None:
    files = solution_of(load_toy("toy-layers"))
    assert world.submit("alice", "no-such-problem", files).status_code == 404
    assert world.submit("alice", "toy-layers", files, course="no-course").status_code == 404


def test_running_out_of_memory_is_a_result_not_a_retry(world: World) -> None:
    hog = (
        b"import numpy as np\n_keep = []\ndef relu_forward(x):\n    while True:\n        _keep.append(np.ones(2**27))\n"
    )
    files = {"toy.py": solution_of(load_toy("toy-layers"))["toy.py"] + b"\n" + hog}
    sid = world.submit("alice", "toy-layers", files).json()["id"]
    result = wait_graded(world, "alice", sid, timeout=120)
    assert result["status"] == "graded"
    relu = next(t for t in result["tests"] if t["function"] == "relu_forward")
    assert not relu["passed"] and "memory" in relu["feedback"].lower()
    instructor = world.get("ian", f"/api/v1/submissions/{sid}").json()
    assert (instructor["attempt"], instructor["infra_failures"]) == (1, 0)


def test_nul_characters_printed_by_student_code_are_stored_on_every_database(world: World) -> None:
    noisy = b"import sys\nprint('a\\x00b')\nsys.stderr.write('c\\x00d')\n"
    files = {"toy.py": noisy + solution_of(load_toy("toy-layers"))["toy.py"]}
    sid = world.submit("alice", "toy-layers", files).json()["id"]
    result = wait_graded(world, "alice", sid)
    assert result["status"] == "graded" and result["score"] == 6
    assert "a\ufffdb" in result["stdout"]
