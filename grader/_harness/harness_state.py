"""What both sides of the harness's forks share: the job's paths, the runner's markers, writes, and the state.

Shipped into the job as `lib/harness_state.py` (the pre-forked sandbox imports it ahead of any job), so
nothing here depends on the job at import time: what does (the plan, the job's streams, whether the
harness is the namespace's init) is taken in `HarnessState.start`, by the harness's entry.

Imports only the standard library and the sibling modules in /job/lib.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:  # the same file, as the grader imports it
    from grader._harness import wire
else:
    import wire

JOB = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # this file is /job/lib/harness_state.py
SUB = JOB + "/sub"
PROBLEM = JOB + "/problem"
LIB = JOB + "/lib"
CHANNEL_FD = 3
MAX_CALL_OUTPUT = 256 * 1024 * 1024
STOP_GRACE_SECONDS = 1.0  # a runner that said it stops must be gone by then
PIPE_BYTES = 1 << 20  # a call's frames usually fit whole: one read of them, no reassembly
_IOV_MAX = 512

RAN = wire.encode_frame({"k": "ran"})  # after a call's frames: it returned (or raised)
STOP = wire.encode_frame({"k": "stop"})  # after `ran`: this runner ends now
QUIET = wire.encode_frame({"k": "quiet"})  # after `ran`: this runner's output goes nowhere from now on

Key = tuple[str, str | None]  # a call: its test and the name of its variant


@dataclass
class HarnessState:
    """Everything the harness keeps for the whole job; one object, made by the entry, passed to what needs it.

    The parent (the job's init) fills it before it forks its first runner; each runner is forked with a
    copy of it, and what either side changes after that the other never sees. Which side owns what:

    - `plan`, `streams`, `isolated`: set once by the parent at start; runners only read `plan` and `streams`.
    - `begun`, `lingered`: the parent's (its relays), across runners; a runner never uses them.
    - `sealed`: the parent opens them (`seal`) and hands them to a runner switching to quiet calls
      (`Switch.go_quiet`); a runner of visible calls closes its copies first thing, a runner of quiet
      calls keeps them, and one switching to quiet calls gets them in its copy (`go_quiet`).
    - `mapped`: a runner's own (`inputs_file`); the parent never maps inputs.
    """

    plan: dict[str, Any] = field(default_factory=dict)
    # the job's own stdout and stderr, whatever a submission puts in their place
    streams: tuple[TextIO, ...] = ()
    begun: set[Key] = field(default_factory=set)  # calls whose `begin` went out on the channel
    lingered: set[Key] = field(default_factory=set)  # calls a stopping runner delayed once already
    sealed: dict[str, int] = field(default_factory=dict)  # inputs of hidden tests: open files no longer on disk
    mapped: dict[str, memoryview] = field(default_factory=dict)  # inputs files this runner has mapped
    # kill(-1) is only safe in a fresh pid namespace as an unprivileged uid, where it reaches nothing but
    # this job's processes; the harness runs as its init (pid 1) there.
    isolated: bool = False

    @classmethod
    def start(cls, plan: dict[str, Any]) -> HarnessState:
        """The state of a job starting now, in the harness's own process (before any runner)."""
        return cls(plan=plan, streams=(sys.stdout, sys.stderr), isolated=os.getpid() <= 4 and os.getuid() != 0)


def emit(fd: int, header: dict[str, Any], value: Any = None, with_value: bool = False) -> None:
    write_parts(fd, [wire.encode_frame(header, value, with_value=with_value)])


def write_parts(fd: int, parts: list[Any]) -> None:
    """Write byte strings and views in order with gathered writes: no joined copy of them."""
    views = [memoryview(p).cast("B") for p in parts if len(p)]
    while views:
        done = os.writev(fd, views[:_IOV_MAX])
        while views and done >= len(views[0]):
            done -= len(views.pop(0))
        if done:
            views[0] = views[0][done:]
