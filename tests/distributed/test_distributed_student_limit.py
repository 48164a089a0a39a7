"""On Dramatiq workers too, one student's jobs run one at a time while another student's go ahead."""

from __future__ import annotations

from itertools import pairwise

import pytest
from sqlalchemy import select

from app.db.models import Submission, User
from tests.distributed.conftest import Cluster
from tests.distributed.test_scale_out import CORRECT, _check_each_graded_once, _post


@pytest.mark.slow
def test_two_workers_never_run_two_jobs_of_one_student_at_once(cluster: Cluster) -> None:
    alice, bob = cluster.student("alice"), cluster.student("bob")
    web = cluster.start_web()
    cluster.start_worker()
    cluster.start_worker()
    slow = b"import time\ntime.sleep(0.5)\n" + CORRECT
    sources = {_post(cluster, web, alice, slow): CORRECT for _ in range(4)}
    sources[_post(cluster, web, bob, CORRECT)] = CORRECT
    cluster.wait_all_done(len(sources), timeout=300)
    _check_each_graded_once(cluster, sources)
    with cluster.db.session() as session:
        rows = session.execute(
            select(Submission.started_at, Submission.graded_at)
            .join(User, User.id == Submission.user_id)
            .where(User.username == "alice")
            .order_by(Submission.started_at)
        ).all()
    assert len(rows) == 4
    for before, after in pairwise(rows):
        assert before.graded_at <= after.started_at, "two of one student's jobs ran at the same time"
