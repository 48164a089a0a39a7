"""The submission quota holds under concurrent posts, on SQLite and on PostgreSQL."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from sqlalchemy import func, select

from app.db.models import Role, Submission
from tests.app.conftest import WorldFactory, load_toy, solution_of

PROBLEM = "/api/v1/courses/dl/problems/toy-layers"
POSTS = 20


def test_twenty_concurrent_posts_store_no_more_than_the_quota(make_world: WorldFactory, database_url: str) -> None:
    world = make_world(database_url)
    world.user("alice", role=Role.STUDENT)
    world.user("ian", role=Role.INSTRUCTOR)
    world.add_problem(load_toy("toy-layers"))
    assert world.patch("ian", PROBLEM, json={"quota_count": 2, "quota_window_seconds": 3600}).status_code == 200
    files = solution_of(load_toy("toy-layers"))
    start = threading.Barrier(POSTS)

    def post(_: int) -> Any:
        start.wait(30)  # all posts leave together, so their transactions overlap
        return world.submit("alice", "toy-layers", files)

    with ThreadPoolExecutor(POSTS) as pool:
        answers = list(pool.map(post, range(POSTS)))
    codes = sorted(a.status_code for a in answers)
    assert codes == [202] * 2 + [429] * (POSTS - 2)
    assert all("Retry-After" in a.headers for a in answers if a.status_code == 429)
    with world.db.read() as session:
        assert session.scalar(select(func.count()).select_from(Submission)) == 2
