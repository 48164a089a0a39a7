"""Attacks specific to the pre-forked backend: what one forked job could do to the zygote and the next job."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator

import pytest
from sandbox_helpers import run_job

from grader._harness import LIB_MODULES, harness_files
from grader.sandbox import SlotBusy, self_test
from grader.sandbox._prefork import PreforkSandbox


@pytest.fixture(scope="module")
def prefork() -> Iterator[PreforkSandbox]:
    """A pre-forked slot of its own, self-tested like every backend."""
    for slot in range(1, 256):
        try:
            backend = PreforkSandbox(slot)
        except SlotBusy:
            continue
        with backend:
            report = self_test(backend)
            assert report.ok, report.describe()
            yield backend
            assert not backend.live_pids(), "a job's process survived"
        return
    pytest.fail("no free sandbox slot")


def test_state_left_in_the_zygotes_modules_does_not_reach_the_next_job(prefork: PreforkSandbox) -> None:
    run_job(
        prefork,
        """
        import sys, numpy, random, builtins
        numpy.allclose = lambda *a, **k: True
        numpy.ndarray.poisoned = True if hasattr(numpy.ndarray, "__dict__") else None
        random.random = lambda: 0.5
        builtins.open = None
        sys.modules["gradelab_planted"] = sys
        sys.path.insert(0, "/tmp/planted")
        """,
    )
    outcome, data = run_job(
        prefork,
        """
        import json, os, sys, numpy, random, builtins
        report = {
            "allclose": numpy.allclose(numpy.zeros(2), numpy.ones(2)),
            "random_patched": random.random() == 0.5 and random.random() == 0.5,
            "open": builtins.open is not None,
            "planted": "gradelab_planted" in sys.modules,
            "path": "/tmp/planted" in sys.path,
        }
        os.write(3, json.dumps(report).encode())
        """,
    )
    assert json.loads(data) == {
        "allclose": False,
        "random_patched": False,
        "open": True,
        "planted": False,
        "path": False,
    }, outcome.stderr


def test_forked_jobs_do_not_share_random_state(prefork: PreforkSandbox) -> None:
    source = """
        import json, os, random, numpy
        os.write(3, json.dumps([random.random(), float(numpy.random.random()), os.urandom(8).hex()]).encode())
        """
    first = json.loads(run_job(prefork, source)[1])
    second = json.loads(run_job(prefork, source)[1])
    assert all(a != b for a, b in zip(first, second, strict=True)), (first, second)


def test_the_zygote_is_invisible_and_holds_nothing_of_the_host(prefork: PreforkSandbox) -> None:
    canary = "gradelab-prefork-canary-" + os.urandom(6).hex()
    os.environ["GRADELAB_TEST_CANARY"] = canary  # in the trusted process, which started the zygote
    try:
        outcome, data = run_job(
            prefork,
            f"""
            import gc, json, os
            canary = {canary!r}
            found = [
                type(o).__name__ for o in gc.get_objects() if isinstance(o, str) and canary in o and o is not canary
            ]
            pids = sorted(int(p) for p in os.listdir("/proc") if p.isdigit())
            blobs = []
            for pid in pids:
                for name in ("environ", "cmdline"):
                    try:
                        blobs.append(open(f"/proc/{{pid}}/{{name}}", "rb").read())
                    except OSError:
                        pass
            readable = []
            for pid in pids:
                try:
                    open(f"/proc/{{pid}}/mem", "rb").close()
                    readable.append(pid)
                except OSError:
                    pass
            leaked = any(canary.encode() in b for b in blobs) or canary in str(dict(os.environ))
            fds = sorted(os.listdir("/proc/self/fd"))
            os.write(3, json.dumps({{"found": found, "pids": pids, "leaked": leaked, "fds": fds}}).encode())
            """,
        )
    finally:
        del os.environ["GRADELAB_TEST_CANARY"]
    report = json.loads(data)
    assert report["found"] == [] and not report["leaked"], report
    assert max(report["pids"]) < 10, f"the job sees processes beyond its own namespace: {report['pids']}"
    assert report["fds"] == ["0", "1", "2", "3", "4"], "the job must hold only its own descriptors (4: the listing)"
    assert outcome.exit_code == 0


def test_a_job_that_breaks_its_own_exit_cannot_fall_back_into_the_zygotes_loop(prefork: PreforkSandbox) -> None:
    outcome, data = run_job(
        prefork,
        """
        import os, sys
        os.write(3, b"ran")
        def nothing(*args, **kwargs):
            return None
        os._exit = nothing
        sys.exit = nothing
        import atexit
        atexit.register(lambda: os.write(3, b"+atexit"))
        """,
    )
    assert data.startswith(b"ran") and outcome.killed is None
    # The slot still works, with the zygote it had: nothing of that job took its place.
    zygote = prefork._zygote
    outcome, data = run_job(prefork, "import os\nos.write(3, b'next')\n")
    assert data == b"next" and prefork._zygote is zygote and outcome.exit_code == 0


def test_signals_to_the_jobs_group_and_to_everyone_stop_at_the_job(prefork: PreforkSandbox) -> None:
    zygote = prefork._zygote
    for source in (
        "import os, signal\nos.kill(0, signal.SIGKILL)\n",
        "import os, signal\nos.kill(-1, signal.SIGKILL)\n",
    ):
        run_job(prefork, source)
    _, data = run_job(prefork, "import os\nos.write(3, b'alive')\n")
    assert data == b"alive" and prefork._zygote is zygote, "a job's signal reached the zygote"


def test_a_job_cannot_reach_the_zygotes_control_socket(prefork: PreforkSandbox) -> None:
    _, data = run_job(
        prefork,
        """
        import json, os, socket
        tried = []
        for fd in range(4, 64):
            try:
                s = socket.socket(fileno=os.dup(fd))
                s.send(json.dumps({"op": "kill"}).encode())
                tried.append(fd)
            except OSError:
                pass
        os.write(3, json.dumps(tried).encode())
        """,
    )
    assert json.loads(data) == []


HARNESS_MODULES = ["wire", "gradelib", *LIB_MODULES]
LOADED = """
import json, os, sys
names = json.loads(sys.argv[1])
loaded = {n: getattr(sys.modules.get(n), "__file__", None) for n in names}
sys.path.insert(0, "/job/lib")
import harness_relay, harness_runner, harness_state, wire
os.write(3, json.dumps({
    "loaded": loaded,
    "relay_wire": harness_relay.wire is wire,
    "runner_state": harness_runner.HarnessState is harness_state.HarnessState,
    "relay_state": harness_relay.HarnessState is harness_state.HarnessState,
    "mark": getattr(harness_state, "MARK", None),
}).encode())
"""


@pytest.fixture(scope="module")
def harness_prefork() -> Iterator[PreforkSandbox]:
    """A pre-forked slot handed the harness, as grading opens its slots."""
    for slot in range(100, 256):
        try:
            backend = PreforkSandbox(slot, preload=harness_files())
        except SlotBusy:
            continue
        with backend:
            yield backend
            assert not backend.live_pids(), "a job's process survived"
        return
    pytest.fail("no free sandbox slot")


def test_a_job_carrying_the_harness_finds_its_modules_loaded_each_with_the_ones_it_imports(
    harness_prefork: PreforkSandbox,
) -> None:
    outcome, data = run_job(harness_prefork, LOADED, args=(json.dumps(HARNESS_MODULES),), files=harness_files())
    assert json.loads(data) == {
        "loaded": {name: f"/job/lib/{name}.py" for name in HARNESS_MODULES},
        "relay_wire": True,
        "runner_state": True,
        "relay_state": True,
        "mark": None,
    }, outcome.stderr


def test_a_job_with_a_harness_module_of_its_own_imports_all_of_them_afresh(
    harness_prefork: PreforkSandbox,
) -> None:
    files = harness_files()
    files["lib/harness_state.py"] += b'\nMARK = "the job\'s own"\n'
    outcome, data = run_job(harness_prefork, LOADED, args=(json.dumps(HARNESS_MODULES),), files=files)
    assert json.loads(data) == {
        "loaded": dict.fromkeys(HARNESS_MODULES),  # the ones importing it would hold the zygote's copy
        "relay_wire": True,
        "runner_state": True,
        "relay_state": True,
        "mark": "the job's own",
    }, outcome.stderr


MARKER = b"import os\nZYGOTE_PID = os.getpid()\n"
SEES_MARKER = """
import json, os, sys
os.write(3, json.dumps({"preloaded": "marker" in sys.modules}).encode())
"""


def test_the_zygote_loads_the_files_it_is_handed_and_a_job_gets_them_only_when_it_carries_them() -> None:
    for slot in range(200, 256):
        try:
            backend = PreforkSandbox(slot, preload={"lib/marker.py": MARKER})
        except SlotBusy:
            continue
        with backend:
            _, same = run_job(backend, SEES_MARKER, files={"lib/marker.py": MARKER})
            _, changed = run_job(backend, SEES_MARKER, files={"lib/marker.py": MARKER + b"# changed\n"})
            _, without = run_job(backend, SEES_MARKER)
        assert json.loads(same) == {"preloaded": True}
        assert json.loads(changed) == {"preloaded": False}
        assert json.loads(without) == {"preloaded": False}
        return
    pytest.fail("no free sandbox slot")


def test_a_zygote_handed_nothing_preloads_nothing(prefork: PreforkSandbox) -> None:
    assert prefork.preload == {}
    _, data = run_job(prefork, SEES_MARKER, files={"lib/marker.py": MARKER})
    assert json.loads(data) == {"preloaded": False}
