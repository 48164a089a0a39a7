"""The job lifecycle: a submission row from queued to graded, in whichever process grades it.

`app.submissions.intake` commits a queued row, then tells a dispatcher its id: `pool.LocalPool`
(sandbox slots on threads of the web process) or `dramatiq_queue.DramatiqDispatcher` (a message
on Redis for the `worker` processes, `python -m app worker`, one `dramatiq_queue.SlotWorker` each).
A slot runs `grading.Grader.grade_next`: a fenced claim through `lease.claim_next` of whichever
queued row comes first in the queue's order (live before regrades, each student's first before
anyone's second; the id a dispatcher was told is only a hint), heartbeats while grading, the
result stored only if the claim is still its own. `standing` says where a queued job stands.
In every process `periodic.Periodic` runs `sweeper.sweep_once`, which acts only in the holder of
the PostgreSQL lock of `leader`: expired leases go back to the queue, stale queued jobs are sent
again, hopeless ones fail.
"""
