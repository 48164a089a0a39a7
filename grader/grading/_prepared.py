"""A problem prepared for grading: what every submission graded against one reference run shares.

A test's inputs in the wire format, its judging context (tolerances, diagnosis context, variants) and the
packed inputs of each list of tests that every submission runs are the same for every submission; a
`PreparedProblem` works each out the first time a grading asks for it and keeps it for the next ones.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import threading
from collections.abc import Sequence

from grader._harness import wire
from grader.bundle import Bundle, TestSpec
from grader.grading._caps import result_cap
from grader.grading._reference import ReferenceRun
from grader.grading._runner import Call
from grader.grading._score import build_context, tolerances
from grader.judge import Context, Tolerance, Variant
from grader.sandbox import Attachment


@dataclasses.dataclass(frozen=True)
class Judging:
    """What judging a unit test's results needs besides them: the same for every submission."""

    tolerance: Tolerance
    per_result: dict[str, Tolerance]
    context: Context
    variants: list[Variant]


@dataclasses.dataclass(frozen=True)
class PackedInputs:
    """The calls of a list of tests, and their inputs packed for the job (the same for every submission)."""

    calls: list[Call]
    names: dict[str, str]  # call id -> test name
    files: dict[str, bytes]  # the visible tests' inputs
    attached: dict[str, Attachment]  # the hidden tests' inputs


@functools.lru_cache(maxsize=32)
def public_data(bundle: Bundle, name: str) -> bytes:
    """A data file's arrays without the secret ones, in the wire format (encoded once per bundle)."""
    secret = set(bundle.data_spec(name).secret)
    arrays = {k: v for k, v in bundle.data(name).items() if k not in secret}
    return wire.encode_frame({"k": "inputs"}, arrays, with_value=True)


class PreparedProblem:
    """A bundle and its reference run, with what grading works out from them once and shares.

    Each entry (a test's encoded inputs, a unit test's `Judging`, a list of tests' `PackedInputs`) is built
    lazily, the first time it is asked for, and never again (all of `layers`' entries together take a few
    milliseconds, against a reference run's second or so, and a list of tests is known only when a grading
    runs it, so nothing is gained by building them ahead): submissions graded at the same time by several
    slots share one prepared problem (through `ReferenceCache.prepared`), so every entry is built under a
    lock, checked again once the lock is held, and stored only when complete. A stored entry is never
    replaced or changed, so readers share it without copying.
    """

    def __init__(self, bundle: Bundle, run: ReferenceRun) -> None:
        self.bundle = bundle
        self.run = run
        self._lock = threading.RLock()  # re-entered: packing a list of tests encodes each test's inputs
        self._encoded: dict[str, bytes] = {}
        self._judging: dict[str, Judging] = {}
        self._packed: dict[tuple[str, ...], PackedInputs] = {}

    def encoded_inputs(self, test: str) -> bytes:
        """A test's generated inputs in the wire format."""
        with self._lock:
            found = self._encoded.get(test)
            if found is None:
                found = self._encoded[test] = wire.encode_frame({"k": "inputs"}, self.run.inputs[test], with_value=True)
            return found

    def input_digest(self, test: str) -> str:
        """A digest of a unit test's generated inputs: equal digests, equal inputs."""
        return hashlib.sha256(self.encoded_inputs(test)).hexdigest()[:32]

    def input_digests(self) -> dict[str, str]:
        """Per test, a digest of what its calls receive: generated inputs, or an accuracy test's data file."""
        digests = {}
        for test in self.bundle.spec.tests:
            if test.kind == "unit" and test.name in self.run.inputs:
                digests[test.name] = self.input_digest(test.name)
            elif test.data is not None and test.data in self.bundle.files:
                data = hashlib.sha256(self.bundle.files[test.data]).hexdigest()
                digests[test.name] = hashlib.sha256(f"{data}:{test.labels}".encode()).hexdigest()[:32]
        return digests

    def judging(self, test: TestSpec) -> Judging:
        """A unit test's tolerances, diagnosis context and variants."""
        with self._lock:
            found = self._judging.get(test.name)
            if found is None:
                tol, per = tolerances(self.bundle, test)
                variants = [
                    Variant(name=m.name, hint=m.hint, results=self.run.variants[(m.name, test.name)])
                    for m in self.bundle.spec.mistakes
                    if (m.name, test.name) in self.run.variants
                ]
                context = build_context(test, self.run.inputs.get(test.name))
                found = self._judging[test.name] = Judging(tol, per, context, variants)
            return found

    def inputs_for(self, tests: Sequence[TestSpec]) -> PackedInputs:
        """The calls and packed inputs of a list of tests that every submission runs, packed once."""
        key = tuple(t.name for t in tests)
        with self._lock:
            found = self._packed.get(key)
            if found is None:
                found = self._packed[key] = self.pack(tests)
            return found

    def pack(self, tests: Sequence[TestSpec]) -> PackedInputs:
        """The calls and packed inputs of a list of tests, packed afresh and not kept (for a list that only
        some submissions run, such as a rerun of whichever tests failed)."""
        bundle = self.bundle
        calls, names = [], {}
        packed = {"inputs.bin": bytearray(), "sealed/inputs.bin": bytearray()}
        where: dict[tuple[str, str], tuple[int, int]] = {}
        ordered = [t for t in tests if t.visible] + [t for t in tests if not t.visible]
        for i, test in enumerate(ordered):
            path = "inputs.bin" if test.visible else "sealed/inputs.bin"
            if test.kind == "accuracy":
                assert test.data is not None
                key = (path, "data:" + test.data)
                frame = public_data(bundle, test.data) if key not in where else b""
            else:
                key = (path, "test:" + test.name)
                frame = self.encoded_inputs(test.name)
            if key not in where:
                where[key] = (len(packed[path]), len(frame))
                packed[path] += frame
            call_id = test.name if test.visible else f"hidden-{i}"
            names[call_id] = test.name
            calls.append(self._call_for(test, call_id, path, where[key]))
        visible, hidden = packed["inputs.bin"], packed["sealed/inputs.bin"]
        return PackedInputs(
            calls=calls,
            names=names,
            files={"inputs.bin": bytes(visible)} if visible else {},
            attached={"sealed/inputs.bin": Attachment(bytes(hidden))} if hidden else {},
        )

    def _call_for(self, test: TestSpec, call_id: str, inputs_path: str, at: tuple[int, int]) -> Call:
        limits = self.bundle.spec.limits
        return Call(
            test_id=call_id,
            driver=test.driver_name,
            seconds=test.time_seconds or limits.time_seconds,
            memory_mb=test.memory_mb or limits.memory_mb,
            inputs=inputs_path,
            at=at,
            quiet=not test.visible,
            max_bytes=result_cap(self.bundle, test, self.run),
        )
