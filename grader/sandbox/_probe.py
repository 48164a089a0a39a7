"""The self-test's probe: runs inside the sandbox and reports what it could (not) do.

Arguments: the canary string, the port of a live listener on the host's loopback, the
names of the fixed environment (comma-separated), then paths of canary files on the
host. It writes `R` to the channel, waits a moment so the host can look at it from
outside, then writes a JSON object of check name -> bool.
"""

from grader.sandbox.inside import probe_program

# The probe's text (see grader/sandbox/inside/probe.py), the entry of the self-test's job.
PROBE = probe_program()
