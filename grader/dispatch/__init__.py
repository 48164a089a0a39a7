"""Getting queued jobs to sandbox slots: the dispatcher boundary and the embedded pool."""

from grader.dispatch._dramatiq import DramatiqDispatcher, SlotWorker, make_broker
from grader.dispatch._periodic import Periodic
from grader.dispatch._pool import Dispatcher, LocalPool, acquire_sandboxes

__all__ = [
    "Dispatcher",
    "DramatiqDispatcher",
    "LocalPool",
    "Periodic",
    "SlotWorker",
    "acquire_sandboxes",
    "make_broker",
]
