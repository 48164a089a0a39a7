"""The prepared problem: what every submission graded against one reference run shares is worked out once,
however many submissions are graded, one after another or at the same time."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from grader import bundle as bundles
from grader._harness import wire
from grader.bundle import Bundle, load_bundle
from grader.grading import ReferenceCache, _prepared, grade_files, mutated_files
from grader.grading._prepared import PackedInputs, PreparedProblem
from grader.judge import Context
from grader.sandbox import Sandbox
from grader.values import Value

ROOT = Path(__file__).resolve().parents[3]


class Builds:
    """Counts what a prepared problem builds: each test's encoded inputs and context, each list of tests packed.
    With `linger`, each build lets the other threads run before it goes on, as a slow build would."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, linger: bool = False) -> None:
        self.encoded: Counter[str] = Counter()
        self.contexts: Counter[str] = Counter()
        self.packed: Counter[tuple[str, ...]] = Counter()
        self.tests_of: dict[int, str] = {}  # id of a reference run's inputs -> their test
        self._lock = threading.Lock()
        self._linger = (lambda: time.sleep(0.01)) if linger else (lambda: None)
        encode, context, pack = wire.encode_frame, _prepared.build_context, PreparedProblem.pack

        def encode_frame(header: dict[str, Any], value: Any = None, with_value: bool = False) -> bytes:
            with self._lock:
                self.encoded[self.tests_of.get(id(value), "?")] += 1
            self._linger()
            return encode(header, value, with_value=with_value)

        def build_context(test: bundles.TestSpec, inputs: Value) -> Context:
            with self._lock:
                self.contexts[test.name] += 1
            self._linger()
            return context(test, inputs)

        def counted_pack(prepared: PreparedProblem, tests: Sequence[bundles.TestSpec]) -> PackedInputs:
            with self._lock:
                self.packed[tuple(t.name for t in tests)] += 1
            self._linger()
            return pack(prepared, tests)

        monkeypatch.setattr(_prepared, "wire", SimpleNamespace(encode_frame=encode_frame))
        monkeypatch.setattr(_prepared, "build_context", build_context)
        monkeypatch.setattr(PreparedProblem, "pack", counted_pack)

    def watch(self, prepared: PreparedProblem) -> None:
        self.tests_of.update({id(value): test for test, value in prepared.run.inputs.items()})


def test_gradings_against_one_run_encode_judge_and_pack_each_entry_once(
    toy_layers: Bundle, sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    builds = Builds(monkeypatch)
    cache = ReferenceCache()
    prepared = cache.prepared(toy_layers, sandbox)
    builds.watch(prepared)
    units = [t.name for t in toy_layers.spec.tests if t.kind == "unit"]
    assert units == ["relu_forward_small", "relu_backward_small", "mse_small", "mse_hidden"]
    solution = {"toy.py": toy_layers.files["solution/toy.py"]}
    mistake = next(m for m in toy_layers.spec.mistakes if m.name == "mse_sum")
    scores = []
    for files in (solution, mutated_files(toy_layers, mistake), solution, solution):
        report = grade_files(toy_layers, files, sandbox, cache)
        scores.append((report.score, [t.passed for t in report.tests]))
    # the same grades as ever: the mistake fails both mse tests, the solution passes them all
    assert scores[0] == scores[2] == scores[3] == (report.max_score, [True] * 4)
    assert scores[1][1] == [True, True, False, False]
    assert builds.encoded == Counter({name: 1 for name in units})
    assert builds.contexts == Counter({name: 1 for name in units})
    assert builds.packed == Counter({tuple(units): 1})
    # what was built is what every grading gets back
    assert prepared.inputs_for(toy_layers.spec.tests) is prepared.inputs_for(toy_layers.spec.tests)
    assert prepared.judging(toy_layers.test("mse_small")) is prepared.judging(toy_layers.test("mse_small"))
    assert [v.name for v in prepared.judging(toy_layers.test("mse_small")).variants] == ["mse_sum"]
    assert cache.prepared(toy_layers, sandbox) is prepared
    assert builds.encoded == Counter({name: 1 for name in units})


def test_a_rerun_of_the_failing_tests_is_packed_for_its_submission_alone(
    sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    builds = Builds(monkeypatch)
    layers = load_bundle(ROOT / "reference" / "layers")
    cache = ReferenceCache()
    builds.watch(cache.prepared(layers, sandbox))
    mistake = next(m for m in layers.spec.mistakes if m.name == "max_pool_grad_to_every_element")
    broken = {t.name for t in layers.tests_matching(mistake.breaks)}
    for _ in range(2):
        report = grade_files(layers, mutated_files(layers, mistake), sandbox, cache)
        assert {t.name for t in report.tests if not t.passed} == broken
    everything = tuple(t.name for t in layers.spec.tests)
    # the failing tests that ask for numeric gradients run again with them, packed afresh for each submission
    reruns = {key: count for key, count in builds.packed.items() if key != everything}
    assert builds.packed[everything] == 1
    assert reruns and set(reruns.values()) == {2}
    assert all(set(key) <= broken for key in reruns)
    assert builds.encoded == Counter({t.name: 1 for t in layers.spec.tests if t.kind == "unit"})


def test_slots_grading_at_the_same_time_share_one_prepared_problem_and_build_each_entry_once(
    toy_layers: Bundle, sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    builds = Builds(monkeypatch, linger=True)
    cache = ReferenceCache()
    builds.watch(cache.prepared(toy_layers, sandbox))
    slots = 8
    start = threading.Barrier(slots)
    got: list[tuple[PreparedProblem, PackedInputs, list[Any]]] = []
    errors: list[BaseException] = []

    def slot() -> None:
        try:
            start.wait()
            prepared = cache.prepared(toy_layers, sandbox)
            packed = prepared.inputs_for(toy_layers.spec.tests)
            judged = [prepared.judging(t) for t in toy_layers.spec.tests if t.kind == "unit"]
            got.append((prepared, packed, judged))
        except BaseException as exc:  # reported below, with the thread's own traceback
            errors.append(exc)

    threads = [threading.Thread(target=slot) for _ in range(slots)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    assert len(got) == slots
    first = got[0]
    assert all(p is first[0] and packed is first[1] for p, packed, _ in got)
    assert all(all(a is b for a, b in zip(judged, first[2], strict=True)) for _, _, judged in got)
    units = [t.name for t in toy_layers.spec.tests if t.kind == "unit"]
    assert builds.encoded == Counter({name: 1 for name in units})
    assert builds.contexts == Counter({name: 1 for name in units})
    assert builds.packed == Counter({tuple(t.name for t in toy_layers.spec.tests): 1})
