"""On Dramatiq workers the database picks the next job: a flooder's queue does not hold up another student."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.db.models import Submission, User
from tests.distributed.conftest import Cluster
from tests.distributed.test_scale_out import CORRECT, _check_each_graded_once, _post


@pytest.mark.slow
def test_a_worker_claims_another_students_first_job_before_a_flooders_second(cluster: Cluster) -> None:
    flooder, bea = cluster.student("flo"), cluster.student("bea")
    web = cluster.start_web()
    sources = {_post(cluster, web, flooder, CORRECT): CORRECT for _ in range(20)}  # all queued: no worker yet
    late = _post(cluster, web, bea, CORRECT)
    sources[late] = CORRECT
    cluster.start_worker()  # one slot, twenty-one messages, the last of them sent for bea's job
    cluster.wait_all_done(len(sources), timeout=300)
    _check_each_graded_once(cluster, sources)
    with cluster.db.session() as session:
        order = list(
            session.scalars(
                select(User.username).join(Submission, Submission.user_id == User.id).order_by(Submission.started_at)
            )
        )
    assert order.index("bea") <= 1, f"bea's only job was claimed after {order.index('bea')} of the flooder's"
