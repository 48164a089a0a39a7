"""A newer submission supersedes the student's older one still waiting; staff can queue it again; a waiting
submission shows its place in the queue and when it should start and finish."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from app.config import QueueOrder
from app.db import utcnow
from app.db.models import Course, Problem, ProblemVersion, Role, Submission, SubmissionState, User
from app.jobs import lease
from app.jobs.standing import course_queue
from app.regrades.service import start_regrade
from app.web.session import COOKIE
from tests.app.conftest import World, WorldFactory, load_toy, solution_of

PROBLEM = "/api/v1/courses/dl/problems/toy-layers"


@pytest.fixture
def world(make_world: WorldFactory, database_url: str) -> World:
    world = make_world(database_url)  # no slots: submissions stay queued until the test claims them
    world.user("alice", role=Role.STUDENT)
    world.user("bob", role=Role.STUDENT)
    world.user("ian", role=Role.INSTRUCTOR)
    world.add_problem(load_toy("toy-layers"))
    return world


def _submit(world: World, who: str) -> int:
    answer = world.submit(who, "toy-layers", solution_of(load_toy("toy-layers")))
    assert answer.status_code == 202, answer.text
    return int(answer.json()["id"])


def _get(world: World, who: str, sid: int) -> dict[str, object]:
    answer = world.get(who, f"/api/v1/submissions/{sid}")
    assert answer.status_code == 200, answer.text
    body: dict[str, object] = answer.json()
    return body


def _claim_next(world: World) -> int | None:
    with world.db.session() as session:
        claim = lease.claim_next(session, "slot", 300.0, QueueOrder.FAIR)
    return None if claim is None else claim.submission_id


def test_a_new_submission_supersedes_the_students_older_one_still_queued(world: World) -> None:
    first, second = _submit(world, "alice"), _submit(world, "alice")
    bobs = _submit(world, "bob")
    old = _get(world, "alice", first)
    assert (old["status"], old["superseded_by"], old["score"], old["queue"]) == ("superseded", second, None, None)
    assert _get(world, "alice", second)["status"] == "queued"
    assert _get(world, "bob", bobs)["status"] == "queued"  # someone else's is theirs
    listed = world.get("alice", "/api/v1/courses/dl/submissions").json()["items"]
    assert [(s["id"], s["status"]) for s in listed] == [(second, "queued"), (first, "superseded")]
    assert [_claim_next(world), _claim_next(world), _claim_next(world)] == [second, bobs, None]  # never graded


def test_a_running_submission_is_not_superseded(world: World) -> None:
    first = _submit(world, "alice")
    assert _claim_next(world) == first
    _submit(world, "alice")
    assert _get(world, "alice", first)["status"] == "running"


def test_a_problem_can_turn_superseding_off(world: World) -> None:
    answer = world.patch("ian", PROBLEM, json={"supersede_queued": False})
    assert answer.status_code == 200, answer.text
    assert world.get("ian", PROBLEM).json()["supersede_queued"] is False
    first, second = _submit(world, "alice"), _submit(world, "alice")
    assert [_get(world, "alice", s)["status"] for s in (first, second)] == ["queued", "queued"]


def test_a_superseded_submission_still_counts_against_the_quota(world: World) -> None:
    assert world.patch("ian", PROBLEM, json={"quota_count": 2}).status_code == 200
    _submit(world, "alice")
    _submit(world, "alice")
    refused = world.submit("alice", "toy-layers", solution_of(load_toy("toy-layers")))
    assert refused.status_code == 429


def test_staff_queue_a_superseded_submission_again_after_live_work(world: World) -> None:
    first, second = _submit(world, "alice"), _submit(world, "alice")
    refused = world.post("alice", f"/api/v1/submissions/{first}/requeue")
    assert refused.status_code == 403 and "instructors" in refused.json()["detail"]
    not_superseded = world.post("ian", f"/api/v1/submissions/{second}/requeue")
    assert not_superseded.status_code == 422 and "only a superseded submission" in not_superseded.json()["detail"]
    assert world.post("ian", "/api/v1/submissions/999999/requeue").status_code == 404
    again = world.post("ian", f"/api/v1/submissions/{first}/requeue")
    assert again.status_code == 200 and again.json()["status"] == "queued"
    bobs = _submit(world, "bob")
    assert [_claim_next(world), _claim_next(world), _claim_next(world)] == [second, bobs, first]


def test_a_regrade_leaves_superseded_submissions_alone(world: World) -> None:
    first, second = _submit(world, "alice"), _submit(world, "alice")
    with world.db.session() as session:
        problem = session.scalars(select(Problem)).one()
        version = session.get(ProblemVersion, problem.current_version_id)
        ian = session.scalars(select(User).where(User.username == "ian")).one()
        assert version is not None
        _, shadows = start_regrade(session, problem, version, ian)
    with world.db.read() as session:
        sources = set(session.scalars(select(Submission.source_id).where(Submission.id.in_(shadows))))
    assert sources == {second}
    assert first not in sources


def _graded_before(world: World, seconds: float) -> None:
    """A job graded earlier that took `seconds`: the grading time the estimates go by."""
    with world.db.session() as session:
        problem = session.scalars(select(Problem)).one()
        bob = session.scalars(select(User).where(User.username == "bob")).one()
        assert problem.current_version_id is not None
        end = utcnow() - dt.timedelta(minutes=1)
        session.add(
            Submission(
                problem_id=problem.id,
                version_id=problem.current_version_id,
                user_id=bob.id,
                state=SubmissionState.GRADED,
                started_at=end - dt.timedelta(seconds=seconds),
                graded_at=end,
            )
        )


def test_a_queued_submission_shows_its_place_and_estimated_start_and_finish(world: World) -> None:
    assert world.patch("ian", PROBLEM, json={"supersede_queued": False}).status_code == 200
    first, _, third = _submit(world, "alice"), _submit(world, "alice"), _submit(world, "alice")
    bobs = _submit(world, "bob")
    unknown = _get(world, "alice", third)["queue"]
    assert unknown == {
        "position": 4,  # bob's first goes before alice's second and third
        "ahead": 3,
        "queued": 4,
        "estimated_start": None,
        "estimated_finish": None,
        "starts_in_seconds": None,
        "finishes_in_seconds": None,
    }
    assert _get(world, "bob", bobs)["queue"]["position"] == 2  # type: ignore[index]
    _graded_before(world, 2.0)
    before = utcnow()
    place = _get(world, "alice", third)["queue"]
    after = utcnow()
    assert isinstance(place, dict)
    # one slot (nothing runs, so none is known to be busy): three jobs of 2 s each before it
    assert (place["starts_in_seconds"], place["finishes_in_seconds"]) == (6.0, 8.0)
    start = dt.datetime.fromisoformat(place["estimated_start"])
    assert before + dt.timedelta(seconds=6) <= start <= after + dt.timedelta(seconds=6)
    assert _get(world, "alice", first)["queue"]["position"] == 1  # type: ignore[index]
    assert _claim_next(world) == first
    assert _get(world, "alice", first)["queue"] is None  # running: no longer in the queue


def _page(world: World, who: str, path: str) -> str:
    answer = world.client.get(path, headers={"Cookie": f"{COOKIE}={world.tokens[who]}"})
    assert answer.status_code == 200, answer.text[:500]
    return str(answer.text)


def test_the_submission_page_labels_a_superseded_submission_and_staff_queue_it_again(world: World) -> None:
    first, second = _submit(world, "alice"), _submit(world, "alice")
    student = _page(world, "alice", f"/s/{first}")
    assert "data-superseded" in student and f'href="/s/{second}">#{second}</a>' in student
    assert "Queue it again" not in student
    staff = _page(world, "ian", f"/s/{first}")
    assert "Queue it again" in staff and f'action="/s/{first}/requeue"' in staff
    waiting = _page(world, "alice", f"/s/{second}")
    assert "Position 1 in the queue" in waiting


def test_the_class_overview_shows_the_queue_now_and_recent_waits(world: World) -> None:
    assert world.patch("ian", PROBLEM, json={"supersede_queued": False}).status_code == 200
    first = _submit(world, "alice")
    _submit(world, "alice")
    _submit(world, "bob")
    assert _claim_next(world) == first
    with world.db.read() as session:
        course = session.scalars(select(Course)).one()
        queue = course_queue(session, course.id)
    assert (queue.queued, queue.queued_regrade, queue.queued_everywhere, queue.running) == (2, 0, 2, 1)
    assert queue.started_recently == 1 and queue.median_wait_seconds is not None
    assert queue.longest_wait_seconds is not None and queue.longest_wait_seconds >= 0
    html = _page(world, "ian", "/c/dl/overview")
    assert "2 submissions of this course waiting" in html and "1 grading" in html
    assert "median wait over the last hour" in html
