"""Grading through the real sandbox: scores, feedback, and hostile submissions."""

from __future__ import annotations

from pathlib import Path

import pytest

from grader.bundle import Bundle
from grader.grading import GradeReport, ReferenceCache, SubmissionError, grade_files, mutated_files, student_view
from grader.sandbox import Sandbox

SOLUTION = (Path(__file__).resolve().parents[2] / "bundles/toy-layers/solution/toy.py").read_text()


@pytest.fixture(params=["default", "cold"])
def either_backend(request: pytest.FixtureRequest, sandbox: Sandbox) -> Sandbox:
    """The default sandbox, then the cold one: for what the harness must hold on both backends."""
    if request.param == "cold":
        from grader.sandbox import ensure_sandbox

        return ensure_sandbox(backend="cold")
    return sandbox


def grade(bundle: Bundle, source: str, sandbox: Sandbox, cache: ReferenceCache, name: str = "toy.py") -> GradeReport:
    return grade_files(bundle, {name: source.encode()}, sandbox, cache)


def by_name(report: GradeReport) -> dict[str, object]:
    return {t.name: t for t in report.tests}


def with_function(source: str) -> str:
    """The correct solution with one function replaced (appended definitions win)."""
    return SOLUTION + "\n\n" + source


def test_reference_solution_scores_full_marks(
    toy_layers: Bundle, sandbox: Sandbox, reference_cache: ReferenceCache
) -> None:
    report = grade(toy_layers, SOLUTION, sandbox, reference_cache)
    assert report.status == "graded"
    assert report.score == report.max_score == 6
    assert all(t.passed for t in report.tests)


def test_starter_scores_zero_with_not_implemented_feedback(
    toy_layers: Bundle, sandbox: Sandbox, reference_cache: ReferenceCache
) -> None:
    starter = toy_layers.folder("starter")["toy.py"].decode()
    report = grade(toy_layers, starter, sandbox, reference_cache)
    assert report.score == 0
    for test in report.tests:
        assert test.stage == "ran"
        assert f"{test.function} is not implemented yet" in test.feedback


def test_known_mistake_loses_points_only_on_its_tests_and_shows_its_hint(
    toy_layers: Bundle, sandbox: Sandbox, reference_cache: ReferenceCache
) -> None:
    mistake = next(m for m in toy_layers.spec.mistakes if m.name == "mse_sum")
    report = grade_files(toy_layers, mutated_files(toy_layers, mistake), sandbox, reference_cache)
    tests = {t.name: t for t in report.tests}
    assert tests["relu_forward_small"].passed and tests["relu_backward_small"].passed
    assert not tests["mse_small"].passed and not tests["mse_hidden"].passed
    assert tests["mse_small"].feedback.count(mistake.hint) == 1  # loss and dpred both fail: one hint
    assert report.score == 3


def test_relu_mask_from_dout_is_diagnosed(
    toy_layers: Bundle, sandbox: Sandbox, reference_cache: ReferenceCache
) -> None:
    source = with_function("def relu_backward(dout, cache):\n    return dout * (dout > 0)\n")
    report = grade(toy_layers, source, sandbox, reference_cache)
    test = next(t for t in report.tests if t.name == "relu_backward_small")
    assert not test.passed and test.stage == "close"
    assert "you built the mask from dout" in test.feedback
    assert "Smallest failing input" in test.feedback


def test_hidden_tests_keep_only_their_score_in_the_student_view(
    toy_layers: Bundle, sandbox: Sandbox, reference_cache: ReferenceCache
) -> None:
    source = with_function(
        "def mse_loss(pred, target):\n    d = pred - target\n    return float((d**2).sum()), 2 * d\n"
    )
    report = grade(toy_layers, source, sandbox, reference_cache)
    hidden = next(t for t in student_view(report)["tests"] if not t["visible"])
    assert hidden["name"] == "hidden test 1" and hidden["stage"] is None and hidden["seconds"] is None
    assert hidden["feedback"].startswith("Hidden test") and hidden["diagnosis"] == []
    full = next(t for t in report.tests if t.name == "mse_hidden")
    assert "mean over all N*K elements" in full.feedback


def test_a_hanging_function_costs_only_its_own_tests(
    toy_layers: Bundle, sandbox: Sandbox, reference_cache: ReferenceCache
) -> None:
    source = with_function("def relu_forward(x):\n    while True:\n        pass\n")
    report = grade(toy_layers, source, sandbox, reference_cache)
    tests = {t.name: t for t in report.tests}
    assert not tests["relu_forward_small"].passed
    assert "time limit" in tests["relu_forward_small"].feedback
    assert tests["mse_small"].passed and tests["mse_hidden"].passed


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("import os\n    os._exit(0)", "ended its process"),
        ("import sys\n    sys.exit(0)", "called sys.exit()"),
        ("import os, signal\n    os.kill(os.getpid(), signal.SIGSEGV)", "segmentation fault"),
        ("raise MemoryError", "ran out of memory"),
        ("return 42", "must return a tuple of 2 values"),
    ],
)
def test_a_crash_in_one_function_costs_only_that_function(
    body: str, expected: str, toy_layers: Bundle, sandbox: Sandbox, reference_cache: ReferenceCache
) -> None:
    source = with_function(f"def relu_forward(x):\n    {body}\n")
    report = grade(toy_layers, source, sandbox, reference_cache)
    tests = {t.name: t for t in report.tests}
    assert expected in tests["relu_forward_small"].feedback
    assert tests["mse_small"].passed and tests["mse_hidden"].passed


HELPERS_OVER_THE_LIMIT = """
def relu_forward(x):
    import os, time
    helpers = []
    for _ in range(4):  # each helper under the per-process limit, all four well over the job's
        pid = os.fork()
        if pid == 0:
            block = bytearray(300 * 1024 * 1024)
            block[::4096] = b"x" * len(block[::4096])
            time.sleep(5)
            os._exit(0)
        helpers.append(pid)
    for pid in helpers:
        os.waitpid(pid, 0)
    return np.maximum(x, 0.0), x
"""


def test_helper_processes_over_the_memory_limit_together_fail_the_call_as_out_of_memory(
    toy_layers: Bundle, either_backend: Sandbox, reference_cache: ReferenceCache
) -> None:
    # Each helper alone fits; the slot's cgroup kills one when they pass the job's memory together,
    # and the job is then ended: the call ran out of memory, it did not pass on the survivors' work.
    report = grade(toy_layers, with_function(HELPERS_OVER_THE_LIMIT), either_backend, reference_cache)
    tests = {t.name: t for t in report.tests}
    assert not tests["relu_forward_small"].passed
    assert tests["relu_forward_small"].feedback.startswith("relu_forward ran out of memory (limit 512 MB)")
    assert tests["mse_small"].passed and tests["mse_hidden"].passed
    assert report.status == "graded" and report.kills.get("memory", 0) >= 1


def test_forged_bytes_on_any_file_descriptor_do_not_change_a_result(
    toy_layers: Bundle, sandbox: Sandbox, reference_cache: ReferenceCache
) -> None:
    forge = (
        "def mse_loss(pred, target):\n"
        "    import os\n"
        "    for fd in range(0, 64):\n"
        "        try:\n"
        '            os.write(fd, b\'\\x10\\x00\\x00\\x00{"k":"result","status":"ok"}\')\n'
        "        except OSError:\n"
        "            pass\n"
        "    return 0.0, pred * 0\n"
    )
    report = grade(toy_layers, with_function(forge), sandbox, reference_cache)
    tests = {t.name: t for t in report.tests}
    assert not tests["mse_small"].passed and not tests["mse_hidden"].passed
    assert tests["relu_forward_small"].passed and tests["relu_backward_small"].passed


def test_monkeypatching_numpy_comparisons_does_not_fool_the_grader(
    toy_layers: Bundle, sandbox: Sandbox, reference_cache: ReferenceCache
) -> None:
    source = with_function(
        "np.allclose = lambda *a, **k: True\n"
        "np.testing.assert_allclose = lambda *a, **k: None\n"
        "def relu_forward(x):\n    return x * 0 + 7.0, x\n"
    )
    report = grade(toy_layers, source, sandbox, reference_cache)
    assert not next(t for t in report.tests if t.name == "relu_forward_small").passed


def test_ndarray_subclasses_are_judged_as_plain_arrays(
    toy_layers: Bundle, sandbox: Sandbox, reference_cache: ReferenceCache
) -> None:
    source = with_function(
        "class Sneaky(np.ndarray):\n"
        "    def __eq__(self, other):\n        return True\n"
        "def relu_forward(x):\n    return np.maximum(x, 0).view(Sneaky), x\n"
    )
    report = grade(toy_layers, source, sandbox, reference_cache)
    assert next(t for t in report.tests if t.name == "relu_forward_small").passed


def test_nan_results_fail_the_finite_stage(
    toy_layers: Bundle, sandbox: Sandbox, reference_cache: ReferenceCache
) -> None:
    source = with_function(
        "def relu_forward(x):\n    out = np.maximum(x, 0)\n    out[0, 0] = np.nan\n    return out, x\n"
    )
    report = grade(toy_layers, source, sandbox, reference_cache)
    test = next(t for t in report.tests if t.name == "relu_forward_small")
    assert test.stage == "finite"


def test_printed_output_is_captured_as_text(
    toy_layers: Bundle, sandbox: Sandbox, reference_cache: ReferenceCache
) -> None:
    source = with_function("print('<script>alert(1)</script>')\n")
    report = grade(toy_layers, source, sandbox, reference_cache)
    assert "<script>alert(1)</script>" in report.stdout
    assert report.score == report.max_score


def test_an_output_flood_stops_only_the_flooding_function(
    toy_layers: Bundle, sandbox: Sandbox, reference_cache: ReferenceCache
) -> None:
    source = with_function("def relu_forward(x):\n    while True:\n        print('x' * 10000)\n")
    report = grade(toy_layers, source, sandbox, reference_cache)
    tests = {t.name: t for t in report.tests}
    assert not tests["relu_forward_small"].passed
    assert tests["mse_small"].passed


def test_a_syntax_error_names_the_file_and_line(
    toy_layers: Bundle, sandbox: Sandbox, reference_cache: ReferenceCache
) -> None:
    report = grade(toy_layers, "def relu_forward(x):\n    return (x,\n", sandbox, reference_cache)
    assert report.score == 0
    assert "Could not import toy.py: SyntaxError" in report.tests[0].feedback


def test_wrong_file_names_are_refused_before_grading(
    toy_layers: Bundle, sandbox: Sandbox, reference_cache: ReferenceCache
) -> None:
    with pytest.raises(SubmissionError, match=r"'evil\.py' is not a file of this problem; submit toy\.py"):
        grade_files(toy_layers, {"toy.py": b"", "evil.py": b""}, sandbox, reference_cache)
    with pytest.raises(SubmissionError, match="not UTF-8"):
        grade_files(toy_layers, {"toy.py": b"\xff\xfe"}, sandbox, reference_cache)


def test_accuracy_is_scored_against_secret_labels_with_its_history(
    toy_classifier: Bundle, sandbox: Sandbox, reference_cache: ReferenceCache
) -> None:
    files = {"clf.py": toy_classifier.folder("solution")["clf.py"]}
    report = grade_files(toy_classifier, files, sandbox, reference_cache)
    assert report.score == report.max_score
    assert report.metrics["accuracy"]["train_accuracy"] >= 0.9
    assert len(report.metrics["history"]["train_accuracy"]) == 200


def test_secret_labels_never_enter_the_student_sandbox(
    toy_classifier: Bundle, sandbox: Sandbox, reference_cache: ReferenceCache
) -> None:
    solution = toy_classifier.folder("solution")["clf.py"].decode()
    secret = toy_classifier.data("data/blobs.npz")["y_test"].astype("<i8").tobytes()
    spy = (
        "\n_real_train = train\n"
        "def train(X, y, num_classes):\n"
        "    import os, sys\n"
        f"    needle = bytes.fromhex({secret.hex()!r})\n"
        "    skip = (sys.prefix, sys.base_prefix, '/proc', '/sys', '/dev', '/usr')\n"
        "    for root, dirs, names in os.walk('/'):\n"
        "        dirs[:] = [d for d in dirs if not os.path.join(root, d).startswith(skip)]\n"
        "        for name in names:\n"
        "            try:\n"
        "                data = open(os.path.join(root, name), 'rb').read(1 << 24)\n"
        "            except OSError:\n"
        "                continue\n"
        "            if needle in data:\n"
        "                raise RuntimeError('found the secret labels in ' + os.path.join(root, name))\n"
        "    return _real_train(X, y, num_classes)\n"
    )
    report = grade_files(toy_classifier, {"clf.py": (solution + spy).encode()}, sandbox, reference_cache)
    test = next(t for t in report.tests if t.name == "train_accuracy")
    assert test.passed, test.feedback


def test_numeric_gradients_are_computed_only_to_diagnose_a_failing_test(sandbox: Sandbox) -> None:
    """The first run skips the drivers' numeric gradients; a failing backward test gets them on a second run."""
    from grader.bundle import load_bundle
    from grader.grading._grade import _run_tests

    bundle = load_bundle(Path(__file__).resolve().parents[3] / "reference" / "layers")
    cache = ReferenceCache()
    prepared = cache.prepared(bundle, sandbox)
    tests = [t for t in bundle.spec.tests if t.name == "max_pool_backward_basic"]
    solution = {"layers.py": bundle.files["solution/layers.py"]}
    first = _run_tests(bundle, tests, solution, prepared, sandbox)
    assert all("@numgrad" not in r.value for r in first.results.values() if isinstance(r.value, dict))
    mistake = bundle.files["mistakes/max_pool_grad_to_every_element.py"]
    # average pooling's gradient: close to a known variant but none of them, so the numeric gradient is the diagnosis
    average = b"\n_every = max_pool_backward\n\ndef max_pool_backward(dout, cache):\n"
    average += b"    return 0.25 * _every(dout, cache)\n"
    wrong = {"layers.py": bundle.files["solution/layers.py"] + b"\n" + mistake + average}
    report = grade_files(bundle, wrong, sandbox, cache)
    failing = next(t for t in report.tests if t.name == "max_pool_backward_basic")
    assert not failing.passed
    assert any("numeric gradient of your own forward pass" in d for d in failing.diagnosis), failing.diagnosis


def test_visible_tests_never_see_or_show_anything_of_the_hidden_ones(
    toy_layers: Bundle, either_backend: Sandbox, reference_cache: ReferenceCache
) -> None:
    """Visible and hidden tests share a job: the hidden ones' inputs are sealed away from every visible
    call (not on disk, not in memory, not behind /proc), their names never reach a visible call, and
    whatever a hidden call prints goes nowhere."""
    sandbox = either_backend
    ref = reference_cache.get(toy_layers, sandbox)
    hidden_pred = ref.inputs["mse_hidden"]["pred"]
    visible_pred = ref.inputs["mse_small"]["pred"]
    backwards = (hidden_pred.astype("<f8").tobytes()[::-1], b"mse_hidden"[::-1])  # never whole in the spy
    spy = (
        "def relu_forward(x):\n"
        "    import ctypes, os, re\n"
        "    ctypes.CDLL(None).prctl(4, 1, 0, 0, 0)  # PR_SET_DUMPABLE: its own memory becomes readable\n"
        f"    needles_r = [bytes.fromhex({backwards[0].hex()!r}), bytes.fromhex({backwards[1].hex()!r})]\n"
        "    found = []\n"
        "    # every readable byte of this process first (before the needles exist here the right way round)\n"
        "    chunks = []\n"
        "    with open('/proc/self/maps') as maps, open('/proc/self/mem', 'rb', 0) as mem:\n"
        "        for line in maps.read().splitlines():\n"
        "            m = re.match(r'([0-9a-f]+)-([0-9a-f]+) r', line)\n"
        "            if m and not line.endswith(('[vvar]', '[vsyscall]', '[vvar_vclock]')):\n"
        "                start, end = int(m.group(1), 16), int(m.group(2), 16)\n"
        "                try:\n"
        "                    mem.seek(start)\n"
        "                    chunks.append(mem.read(end - start))\n"
        "                except (OSError, ValueError, OverflowError):\n"
        "                    pass\n"
        "    for chunk in chunks:\n"
        "        back = chunk[::-1]\n"
        "        if any(n in back for n in needles_r):\n"
        "            found.append('this process memory')\n"
        "            break\n"
        "    del chunks\n"
        "    needles = [n[::-1] for n in needles_r]\n"
        "    for root, dirs, names in os.walk('/job'):\n"
        "        for name in names:\n"
        "            data = open(os.path.join(root, name), 'rb').read()\n"
        "            print(name, len(data))  # short: the submission's output allowance is one limit in all\n"
        "            if any(n in data for n in needles):\n"
        "                found.append(os.path.join(root, name))\n"
        "    for pid in os.listdir('/proc'):\n"
        "        if pid.isdigit():\n"
        "            try:\n"
        "                fds = os.listdir(f'/proc/{pid}/fd')\n"
        "            except OSError:\n"
        "                continue\n"
        "            for fd in fds:\n"
        "                try:\n"
        "                    handle = os.open(f'/proc/{pid}/fd/{fd}', os.O_RDONLY | os.O_NONBLOCK)\n"
        "                except OSError:\n"
        "                    continue\n"
        "                try:\n"
        "                    if any(n in os.pread(handle, 1 << 20, 0) for n in needles):\n"
        "                        found.append(f'/proc/{pid}/fd/{fd}')\n"
        "                except OSError:\n"
        "                    pass\n"
        "                os.close(handle)\n"
        "    if found:\n"
        "        raise RuntimeError('found the hidden test in ' + ', '.join(found))\n"
        "    return np.maximum(x, 0), x\n"
        "\n"
        "def mse_loss(pred, target):\n"
        "    print('PRED', pred.astype('<f8').tobytes().hex())\n"
        "    d = pred - target\n"
        "    return float((d**2).mean()), 2 * d / d.size\n"
    )
    report = grade(toy_layers, with_function(spy), sandbox, reference_cache)
    tests = by_name(report)
    assert tests["relu_forward_small"].passed, tests["relu_forward_small"].feedback
    assert tests["mse_small"].passed and tests["mse_hidden"].passed
    assert "PRED " + visible_pred.astype("<f8").tobytes().hex() in report.stdout  # visible output is shown
    assert hidden_pred.astype("<f8").tobytes().hex() not in report.stdout
    assert "mse_hidden" not in report.stdout and "mse_hidden" not in report.stderr


_LEFTOVER_SPY = (
    "import os, sys, threading, time\n"
    "SEEN = []\n"
    "SHAPES = set()\n"
    "\n"
    "def relu_forward(x):\n"
    "    if not SEEN:  # once: a thread and a process that outlive this visible call\n"
    "        SEEN.append(None)\n"
    "        fds = [os.dup(1), os.dup(2)]\n"
    "        def spy():\n"
    "            shown = set()\n"
    "            for _ in range(2000):\n"
    "                for text in SEEN[1:]:\n"
    "                    if text not in shown:\n"
    "                        shown.add(text)\n"
    "                        print('LEAK', text, flush=True)\n"
    "                        print('LEAK', text, file=sys.stderr, flush=True)\n"
    "                        for fd in fds:\n"
    "                            os.write(fd, ('LEAK ' + text + '\\n').encode())\n"
    "                time.sleep(0.001)\n"
    "        threading.Thread(target=spy, daemon=True).start()\n"
    "        if os.fork() == 0:  # races the runner for every socket it inherited, and shows what comes\n"
    "            try:\n"
    "                import socket\n"
    "                deadline = time.monotonic() + 3\n"
    "                while time.monotonic() < deadline:\n"
    "                    for name in os.listdir('/proc/self/fd'):\n"
    "                        try:\n"
    "                            sock = socket.socket(fileno=os.dup(int(name)))\n"
    "                        except Exception:\n"
    "                            continue\n"
    "                        try:\n"
    "                            sock.setblocking(False)  # for the runner too: one open file, shared\n"
    "                            _, got, _, _ = socket.recv_fds(sock, 65536, 64)\n"
    "                            for fd in got:\n"
    "                                data = os.pread(fd, 1 << 20, 0)\n"
    "                                for out in fds:\n"
    "                                    os.write(out, b'STOLEN ' + data.hex().encode() + b'\\n')\n"
    "                        except Exception:\n"
    "                            pass\n"
    "                        finally:\n"
    "                            sock.detach()\n"
    "                    time.sleep(0.0005)\n"
    "            finally:\n"
    "                os._exit(0)\n"
    "    print('VISIBLE relu', x.shape)\n"
    "    return np.maximum(x, 0), x\n"
    "\n"
    "def mse_loss(pred, target):\n"
    "    if pred.shape not in SHAPES:  # the first call for each test (not the numeric gradient's)\n"
    "        SHAPES.add(pred.shape)\n"
    "        SEEN.append(pred.astype('<f8').tobytes().hex())\n"
    "        time.sleep(0.3)  # time for the spies to show it\n"
    "    d = pred - target\n"
    "    return float((d**2).mean()), 2 * d / d.size\n"
)


def test_what_a_visible_call_leaves_running_cannot_show_a_hidden_one(
    toy_layers: Bundle, either_backend: Sandbox, reference_cache: ReferenceCache
) -> None:
    """One process runs the visible calls and then the hidden ones. A thread and a process started by a
    visible call (holding copies of stdout and stderr, and racing for every inherited socket) are still
    there during the hidden calls; nothing they write from then on is shown, whatever they hold."""
    sandbox = either_backend
    ref = reference_cache.get(toy_layers, sandbox)
    hidden = ref.inputs["mse_hidden"]["pred"].astype("<f8").tobytes().hex()
    visible = ref.inputs["mse_small"]["pred"].astype("<f8").tobytes().hex()
    report = grade(toy_layers, with_function(_LEFTOVER_SPY), sandbox, reference_cache)
    tests = by_name(report)
    assert tests["relu_forward_small"].passed and tests["mse_small"].passed, (report.stderr, report.stdout)
    assert "VISIBLE relu (3, 4)" in report.stdout  # what visible calls print is shown
    assert "LEAK " + visible in report.stdout and "LEAK " + visible in report.stderr  # and so is their spies'
    for shown in (report.stdout, report.stderr):
        assert hidden not in shown and hidden[:64] not in shown
        assert "mse_hidden" not in shown


def test_a_failed_call_leaves_no_state_behind_for_the_next(
    toy_layers: Bundle, sandbox: Sandbox, reference_cache: ReferenceCache
) -> None:
    """Calls share a process while they succeed; after one fails, the next starts in a fresh one."""
    source = with_function(
        "def relu_forward(x):\n"
        "    global POISONED\n"
        "    POISONED = True\n"
        "    raise ValueError('broken on purpose')\n"
        "\n"
        "_real_mse = mse_loss\n"
        "def mse_loss(pred, target):\n"
        "    if globals().get('POISONED'):\n"
        "        return 0.0, pred * 0\n"
        "    return _real_mse(pred, target)\n"
    )
    report = grade(toy_layers, source, sandbox, reference_cache)
    tests = by_name(report)
    assert "raised ValueError: broken on purpose" in tests["relu_forward_small"].feedback
    assert not tests["relu_backward_small"].passed
    assert tests["mse_small"].passed and tests["mse_hidden"].passed


def test_an_import_that_ends_its_process_fails_every_test_with_that_reason(
    toy_layers: Bundle, sandbox: Sandbox, reference_cache: ReferenceCache
) -> None:
    report = grade(toy_layers, "import os\nos._exit(0)\n", sandbox, reference_cache)
    assert report.score == 0 and len(report.tests) == 4
    for test in report.tests:
        assert "ended its process" in test.feedback, test.feedback


def test_the_grading_process_cannot_be_signalled_from_the_submission(
    toy_layers: Bundle, either_backend: Sandbox, reference_cache: ReferenceCache
) -> None:
    """The harness is the job's init: signals from inside the job never reach it."""
    sandbox = either_backend
    source = with_function(
        "def relu_forward(x):\n"
        "    import os, signal\n"
        "    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGSTOP, signal.SIGKILL):\n"
        "        os.kill(os.getppid(), sig)\n"
        "        os.kill(1, sig)\n"
        "    return np.maximum(x, 0), x\n"
    )
    report = grade(toy_layers, source, sandbox, reference_cache)
    assert all(t.passed for t in report.tests), [t.feedback for t in report.tests if not t.passed]


def test_a_process_that_hangs_on_its_way_out_costs_no_other_test(
    toy_layers: Bundle, sandbox: Sandbox, reference_cache: ReferenceCache
) -> None:
    """After a failed call its process ends; one that hangs while ending is stopped, and the next
    call gets a fresh process without being charged for the wait."""
    source = with_function(
        "def relu_forward(x):\n"
        "    import sys, time\n"
        "    class Stuck:\n"
        "        def write(self, text):\n"
        "            return len(text)\n"
        "        def flush(self):\n"
        "            time.sleep(3600)\n"
        "    sys.stdout = Stuck()\n"
        "    raise ValueError('broken on purpose')\n"
    )
    report = grade(toy_layers, source, sandbox, reference_cache)
    tests = by_name(report)
    assert "raised ValueError: broken on purpose" in tests["relu_forward_small"].feedback
    assert "raised ValueError: broken on purpose" in tests["relu_backward_small"].feedback
    assert tests["mse_small"].passed and tests["mse_hidden"].passed
