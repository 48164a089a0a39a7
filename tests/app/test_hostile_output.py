"""What comes out of a student's job, through the service: a graded result on the first attempt, never a
retry, and never more stored output than one output limit per stream."""

from __future__ import annotations

from tests.app.conftest import World, load_toy, solution_of, wait_graded

# relu_forward first writes a frame of its own, whose array has the shape [0, 2**63], into its runner's pipe.
IMPOSSIBLE_SHAPE = b"""
def _forge():
    import fcntl, json, os, stat, struct
    head = json.dumps({"k": "result", "test": "relu_forward_small", "variant": None, "status": "ok",
                       "v": {"a": 0}, "blobs": [["<f8", [0, 2**63], 0]]}).encode()
    body = struct.pack("<I", len(head)) + head
    for fd in range(3, 256):
        try:
            mode, flags = os.fstat(fd).st_mode, fcntl.fcntl(fd, fcntl.F_GETFL)
        except OSError:
            continue
        if stat.S_ISFIFO(mode) and flags & os.O_ACCMODE == os.O_WRONLY:
            os.write(fd, struct.pack("<I", len(body)) + body)

_real_relu_forward = relu_forward

def relu_forward(x):
    _forge()
    return _real_relu_forward(x)
"""


def test_a_frame_the_decoder_cannot_read_is_that_tests_failure_on_the_first_attempt(world: World) -> None:
    files = {"toy.py": solution_of(load_toy("toy-layers"))["toy.py"] + IMPOSSIBLE_SHAPE}
    sid = world.submit("alice", "toy-layers", files).json()["id"]
    result = wait_graded(world, "alice", sid)
    assert result["status"] == "graded"
    forged = next(t for t in result["tests"] if t["name"] == "relu_forward_small")
    assert not forged["passed"] and "wrote something other than its result" in forged["feedback"]
    assert result["score"] == result["max_score"] - forged["max_points"]
    instructor = world.get("ian", f"/api/v1/submissions/{sid}").json()
    assert (instructor["attempt"], instructor["infra_failures"]) == (1, 0)


def test_output_floods_across_restarted_jobs_store_one_output_limit(world: World) -> None:
    flood = b"import sys as _sys\n\ndef _flood():\n    _sys.stdout.write('x' * 100_000)\n    _sys.stdout.flush()\n"
    wrapped = b"".join(
        b"\n_real_%s = %s\n\ndef %s(*args):\n    _flood()\n    return _real_%s(*args)\n" % ((fn,) * 4)
        for fn in (b"relu_forward", b"relu_backward", b"mse_loss")
    )
    files = {"toy.py": flood + solution_of(load_toy("toy-layers"))["toy.py"] + wrapped}
    sid = world.submit("alice", "toy-layers", files).json()["id"]
    result = wait_graded(world, "alice", sid)
    limit = load_toy("toy-layers").spec.limits.output_kb * 1024
    assert result["status"] == "graded"
    assert 0 < len(result["stdout"]) <= limit
