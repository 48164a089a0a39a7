"""The first code a cold sandbox runs (`python -I -B -c` this text): see `grader.sandbox._bootstrap`.

Its one argument is the descriptor of the result channel; the job's archive is on stdin.
"""

import os
import runpy
import sys

from grader.sandbox.inside.unpack import start_job, unpack  # inside: the text of unpack.py


def channel(argv: list[str]) -> int:
    # The result channel's descriptor, the bootstrap's one argument.
    if len(argv) != 2 or not argv[1].isdigit():
        raise SystemExit("usage: bootstrap CHANNEL_FD")
    return int(argv[1])


if __name__ == "__main__":
    chan = channel(sys.argv)
    index = unpack(0)
    null = os.open("/dev/null", os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    if chan != 3:
        os.dup2(chan, 3)
        os.close(chan)
    os.set_inheritable(3, True)
    os.closerange(4, 65536)
    start_job(index)
    sys.stdin = open(0, closefd=False)  # noqa: SIM115 (the job's stdin, open for its whole life)
    entry = os.path.join("/job", index["entry"])
    sys.argv = [entry, *index["args"]]
    sys.path.insert(0, os.path.dirname(entry))
    del index, chan, null
    runpy.run_path(entry, run_name="__main__")
