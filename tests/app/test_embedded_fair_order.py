"""The embedded pool grades in the queue's order with the real sandbox, starting from jobs queued before it started."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from app.db.models import Role, Submission, SubmissionState, User
from app.main import create_app
from tests.app.conftest import WorldFactory, load_toy, settings_for, solution_of

EXPECTED = {
    "fair": ["flo", "bea", "cat", "flo", "bea", "flo", "flo"],  # every first before anyone's second
    "fifo": ["flo", "flo", "flo", "flo", "bea", "bea", "cat"],  # as they came
}


@pytest.mark.parametrize("order", ["fair", "fifo"])
def test_the_pool_grades_queued_work_in_the_queues_order(
    make_world: WorldFactory, sqlite_url: str, tmp_path: Path, order: str
) -> None:
    world = make_world(sqlite_url)  # no slots yet: everything waits
    for name in ("flo", "bea", "cat"):
        world.user(name, role=Role.STUDENT)
    world.add_problem(load_toy("toy-layers"))
    world.keep_every_submission()
    files = solution_of(load_toy("toy-layers"))
    for who in ["flo"] * 4 + ["bea"] * 2 + ["cat"]:
        assert world.submit(who, "toy-layers", files).status_code == 202
    settings = settings_for(
        sqlite_url, tmp_path, slots=1, running_per_student=0, queue_order=order, metrics_token="scrape"
    )
    with TestClient(create_app(settings, start_grading=True)) as client:  # a restart: the pool finds the queued jobs
        deadline = time.monotonic() + 180
        while True:
            with world.db.read() as session:
                rows = session.execute(
                    select(User.username, Submission.state, Submission.score)
                    .join(User, User.id == Submission.user_id)
                    .order_by(Submission.started_at)
                ).all()
            if all(r.state is SubmissionState.GRADED for r in rows):
                break
            assert time.monotonic() < deadline, f"not all graded: {rows}"
            time.sleep(0.1)
        metrics = client.get("/metrics", headers={"Authorization": "Bearer scrape"}).text
    assert 'gradelab_queue_wait_seconds_count{priority="live"} 7.0' in metrics
    assert [r.username for r in rows] == EXPECTED[order]
    assert {r.score for r in rows} == {6.0}
