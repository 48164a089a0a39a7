"""The job lifecycle: a submission row from queued to graded, in whichever process grades it.

`app.submissions.intake` commits a queued row, then tells a dispatcher its id: `pool.LocalPool`
(sandbox slots on threads of the web process) or `dramatiq_queue.DramatiqDispatcher` (a message
on Redis for the `worker` processes, `python -m app worker`, one `dramatiq_queue.SlotWorker` each).
A slot runs `grading.Grader.grade`: a fenced claim of the row through `lease`, heartbeats while
grading, the result stored only if the claim is still its own. In every process `periodic.Periodic`
runs `sweeper.sweep_once`, which acts only in the holder of the PostgreSQL lock of `leader`:
expired leases go back to the queue, stale queued jobs are sent again, hopeless ones fail.
"""
