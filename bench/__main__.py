"""`python -m bench`: every benchmark, each figure with its baseline measured in the same run.

.venv/bin/python -m bench                      # every table (about 15 minutes on 2 cores)
.venv/bin/python -m bench --only 1,2 --runs 20
"""

from __future__ import annotations

import argparse
import os
import platform
import time

from bench import cpu, deadline, distributed, harness, hostile, sandbox, service, similarity


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--runs", type=int, default=30, help="jobs or submissions per row of tables 1 and 2")
    parser.add_argument("--burst", type=int, default=500, help="submissions in the burst of table 3")
    parser.add_argument("--slots", type=int, default=os.cpu_count() or 2, help="sandbox slots of the service")
    parser.add_argument(
        "--only",
        default="1,2,3,6,7,8,9,10",
        help="parts: 1 sandbox, 2 harness, 3 service (3-5), 6 workers, 7 CPU split, 8 peak RSS, hostile, "
        "9 deadline (fair vs first come, first served), 10 code similarity",
    )
    parser.add_argument("--cpu-burst", type=int, default=300, help="submissions in the burst of table 7")
    parser.add_argument("--distributed", type=int, default=60, help="submissions per run of table 6")
    parser.add_argument("--deadline-scale", type=float, default=1.0, help="counts and times of table 9 times this")
    args = parser.parse_args()
    parts = {p.strip() for p in args.only.split(",")}
    lacking = distributed.missing() if parts & {"6", "9"} else None
    if lacking is not None:
        parser.error(f"{lacking}; or leave tables 6 and 9 out: --only {','.join(sorted(parts - {'6', '9'}))}")
    if not args.deadline_scale > 0:
        parser.error("--deadline-scale must be above 0")
    print(
        f"# gradelab benchmarks, {time.strftime('%Y-%m-%d')}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, {platform.machine()}\n"
    )
    if "1" in parts:
        print(sandbox.run(args.runs), flush=True)
    if "2" in parts:
        print(harness.run(args.runs), flush=True)
    if "3" in parts:
        print(service.run(args.burst, args.slots), flush=True)
    if "6" in parts:
        print(distributed.run(args.distributed), flush=True)
    if "7" in parts:
        print(cpu.run(args.cpu_burst, args.slots), flush=True)
    if "8" in parts:
        print(hostile.run(), flush=True)
    if "9" in parts:
        print(deadline.run(args.deadline_scale, args.slots), flush=True)
    if "10" in parts:
        print(similarity.run(), flush=True)


if __name__ == "__main__":
    main()
