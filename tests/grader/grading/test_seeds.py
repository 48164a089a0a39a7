"""Test inputs are drawn from the problem's seed key and the test's name: a new version that changes only
points, bars, tolerances or the statement draws the same inputs; a changed generator, params or `seed` does not."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from grader.bundle import Bundle, bundle_from_files
from grader.bundle._archive import read_folder
from grader.grading import CheckReport, ReferenceCache, check_problem, compute_reference
from grader.grading._prepared import PreparedProblem
from grader.sandbox import Sandbox

BUNDLES = Path(__file__).resolve().parents[2] / "bundles"
KEY = b"k" * 32
Files = dict[str, bytes]


def toy(name: str = "toy-layers", edit: Callable[[Files], None] | None = None) -> Bundle:
    files = read_folder(BUNDLES / name)
    if edit is not None:
        edit(files)
    return bundle_from_files(files, "test")


def toml(old: str, new: str) -> Callable[[Files], None]:
    def change(files: Files) -> None:
        text = files["problem.toml"].decode()
        assert old in text, f"fixture no longer contains {old!r}"
        files["problem.toml"] = text.replace(old, new, 1).encode()

    return change


def digests(bundle: Bundle, sandbox: Sandbox, key: bytes = KEY) -> dict[str, str]:
    return PreparedProblem(bundle, compute_reference(bundle, sandbox, key)).input_digests()


def test_inputs_stay_the_same_when_only_points_tolerances_and_the_statement_change(sandbox: Sandbox) -> None:
    def edit(files: Files) -> None:
        toml("points = 2", "points = 9")(files)
        toml("[limits]", "[tolerance]\nrtol = 1e-3\n\n[limits]")(files)
        files["statement.md"] += b"\nA clarification.\n"

    before, after = toy(), toy(edit=edit)
    assert before.digest != after.digest
    assert digests(after, sandbox) == digests(before, sandbox)


def test_an_accuracy_bar_moved_keeps_every_tests_inputs(sandbox: Sandbox) -> None:
    before = toy("toy-classifier")
    after = toy("toy-classifier", toml("{ accuracy = 0.9, fraction = 1.0 }", "{ accuracy = 0.95, fraction = 1.0 }"))
    assert digests(after, sandbox) == digests(before, sandbox)
    assert set(digests(before, sandbox)) == {t.name for t in before.spec.tests}


def test_inputs_change_only_for_the_tests_whose_params_generator_or_seed_changed(sandbox: Sandbox) -> None:
    base = digests(toy(), sandbox)
    params = digests(toy(edit=toml("params = { n = 4, k = 3 }", "params = { n = 5, k = 3 }")), sandbox)
    assert {name for name in base if params[name] != base[name]} == {"mse_small"}

    def generator(files: Files) -> None:
        files["cases.py"] = files["cases.py"].replace(
            b'"pred": rng.standard_normal((n, k))', b'"pred": rng.random((n, k))'
        )

    changed = digests(toy(edit=generator), sandbox)
    assert {name for name in base if changed[name] != base[name]} == {"mse_small", "mse_hidden"}
    seeded = digests(toy(edit=toml('name = "relu_forward_small"', 'name = "relu_forward_small"\nseed = 7')), sandbox)
    assert {name for name in base if seeded[name] != base[name]} == {"relu_forward_small"}


def test_another_seed_key_draws_other_inputs_and_the_cache_keeps_them_apart(sandbox: Sandbox) -> None:
    bundle, cache = toy(), ReferenceCache()
    first = cache.prepared(bundle, sandbox, KEY)
    other = cache.prepared(bundle, sandbox, b"o" * 32)
    assert other is not first and other.run is not first.run
    assert cache.prepared(bundle, sandbox, KEY) is first
    assert cache.get(bundle, sandbox, KEY) is first.run
    ours, theirs = first.input_digests(), other.input_digests()
    assert all(ours[name] != theirs[name] for name in ours)


def test_check_problem_reports_each_tests_input_digest_and_its_progress(sandbox: Sandbox) -> None:
    bundle = toy()
    seen: list[tuple[int, int, int]] = []

    def progress(report: CheckReport, done: int, total: int) -> None:
        seen.append((done, total, len(report.items)))

    report = check_problem(bundle, sandbox, seed_key=KEY, progress=progress)
    assert report.ok, report.to_dict()
    assert report.to_dict()["inputs"] == digests(bundle, sandbox)
    total = 3 + len(bundle.spec.mistakes)
    assert [done for done, _, _ in seen] == list(range(1, total + 1))
    assert {t for _, t, _ in seen} == {total}
    assert [n for _, _, n in seen] == sorted(n for _, _, n in seen)  # the report grows as the check goes


def test_the_local_seed_key_is_used_when_none_is_given(sandbox: Sandbox) -> None:
    from grader.bundle import local_seed_key

    bundle = toy()
    local = PreparedProblem(bundle, compute_reference(bundle, sandbox))
    assert digests(bundle, sandbox, local_seed_key(bundle.slug)) == local.input_digests()


@pytest.mark.parametrize("key", [b"", b"short"])
def test_a_seed_key_too_short_to_be_secret_is_refused(key: bytes, sandbox: Sandbox) -> None:
    with pytest.raises(ValueError, match="at least 16 bytes"):
        compute_reference(toy(), sandbox, key)
