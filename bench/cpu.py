"""Where the CPU of a burst goes: the whole machine's busy time per graded `layers` submission, split into
the service process (web, dispatch, judge, database) and everything else (the sandbox jobs, SQLite's and
the kernel's work on their behalf, the load generator), from /proc around a burst through HTTP."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from bench._common import table
from bench.service import Service, _burst, _wait

HZ = os.sysconf("SC_CLK_TCK")


def _machine() -> tuple[int, int]:
    """Busy and idle clock ticks of the whole machine so far."""
    fields = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle and iowait
    return sum(fields) - idle, idle


def _process(pid: int) -> int:
    """User and system clock ticks of one process (every thread of it) so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def run(burst: int, slots: int) -> str:
    with tempfile.TemporaryDirectory() as tmp:
        service = Service(Path(tmp), slots)
        try:
            for _ in range(10):  # warm: zygotes, reference run, caches
                service.submit()
            _wait(service, 10, "regrade_id IS NULL")
            (busy0, idle0), own0, me0 = _machine(), _process(service.proc.pid), os.times()
            t0, _ = _burst(service, burst)
            t1 = _wait(service, burst + 10, "regrade_id IS NULL")
            (busy1, idle1), own1, me1 = _machine(), _process(service.proc.pid), os.times()
        finally:
            service.stop()
    per = 1e3 / burst
    busy, idle = (busy1 - busy0) / HZ * per, (idle1 - idle0) / HZ * per
    own = (own1 - own0) / HZ * per
    client = ((me1.user + me1.system) - (me0.user + me0.system)) * per
    rows = [
        ["the whole machine, busy", f"{busy:.1f} ms", "1.00"],
        ["of which the service process", f"{own:.1f} ms", f"{own / busy:.2f}"],
        ["of which the load generator (this process)", f"{client:.1f} ms", f"{client / busy:.2f}"],
        ["of which the rest: sandbox jobs, and the kernel for them", f"{busy - own - client:.1f} ms", ""],
        ["the whole machine, idle", f"{idle:.1f} ms", ""],
        [f"throughput of this burst of {burst}", f"{burst / (t1 - t0):.2f} submissions/s", ""],
    ]
    return table(
        f"7. CPU per graded `layers` submission in a burst of {burst} through HTTP ({slots} slots, {os.cpu_count()} "
        "cores)",
        ["", "per submission", "share of busy"],
        rows,
    )
