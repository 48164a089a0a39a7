"""How often the first "likely cause" names the mistake a student really made, over the whole pack.

Every known-mistake variant of every built-in problem is graded as a student would be (the
solution with the variant's definitions appended, through the real sandbox). For each test the
variant fails, the first bullet of the diagnosis counts as right when it is

- the variant's own hint, or
- the hint of another variant of the same problem whose results on that test are identical to
  this variant's on every compared result (no grader could tell the two mistakes apart there).

Nothing else counts: a generic bullet (a scale factor, a region) that happens to describe the
same mistake is not credited, so the figure cannot be raised by loosening the rule. A failing
test with no diagnosis at all counts as wrong. The figure (per problem and in total) is written
to the terminal summary, and must stay at or above 95%.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from grader.bundle import Bundle, load_bundle
from grader.grading import ReferenceCache, grade_files, mutated_files
from grader.judge import Tolerance, agree_everywhere
from grader.sandbox import Sandbox

PACK = Path(__file__).resolve().parents[2] / "reference"
REQUIRED = 0.95
MAX_BULLETS = 3


@dataclass
class Tally:
    """Failing (variant, test) pairs of one problem, and those whose first bullet named the variant."""

    named: int = 0
    total: int = 0
    misses: list[str] = field(default_factory=list)
    noisy: list[str] = field(default_factory=list)  # more than MAX_BULLETS bullets, or one repeated

    @property
    def rate(self) -> float:
        return self.named / self.total if self.total else 1.0


def _slugs() -> list[str]:
    return sorted(p.name for p in PACK.iterdir() if (p / "problem.toml").is_file())


def _same_mistake(bundle: Bundle, cache: ReferenceCache, sandbox: Sandbox, name: str, test: str) -> set[str]:
    """Hints of the variants (this one included) whose results on `test` equal variant `name`'s."""
    ref = cache.get(bundle, sandbox)
    own = ref.variants.get((name, test))
    hints = {m.hint for m in bundle.spec.mistakes if m.name == name}
    for m in bundle.spec.mistakes:
        other = ref.variants.get((m.name, test))
        if m.name != name and own is not None and other is not None and agree_everywhere(own, other, Tolerance()):
            hints.add(m.hint)
    return hints


def grade_variants(slug: str, sandbox: Sandbox) -> Iterator[tuple[str, str, list[str], set[str]]]:
    """(variant, failing test, its diagnosis, the hints that count as naming it) for every variant of `slug`."""
    bundle = load_bundle(PACK / slug)
    cache = ReferenceCache()
    for mistake in bundle.spec.mistakes:
        graded = grade_files(bundle, mutated_files(bundle, mistake), sandbox, cache, units_only=True)
        for test in graded.tests:
            if not test.passed:
                yield (
                    mistake.name,
                    test.name,
                    list(test.diagnosis),
                    _same_mistake(bundle, cache, sandbox, mistake.name, test.name),
                )


def measure(slug: str, sandbox: Sandbox) -> Tally:
    """The first-bullet tally of one problem; also checks the cap on bullets."""
    tally = Tally()
    for variant, test, diagnosis, right in grade_variants(slug, sandbox):
        if len(diagnosis) > MAX_BULLETS or len(set(diagnosis)) < len(diagnosis):
            tally.noisy.append(f"{variant} on {test}: {diagnosis}")
        tally.total += 1
        if diagnosis and diagnosis[0] in right:
            tally.named += 1
        else:
            tally.misses.append(f"{variant} on {test}: {diagnosis[0] if diagnosis else '(no diagnosis)'}")
    return tally


class Summary:
    """Writes the figure into pytest's terminal summary, where CI's log shows it whatever the capture mode."""

    def __init__(self, tallies: dict[str, Tally]) -> None:
        self.tallies = tallies

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        tr = terminalreporter
        tr.write_sep("=", "diagnosis precision: first likely cause names the known mistake")
        for slug, t in self.tallies.items():
            tr.write_line(f"{slug:38} {t.named:3}/{t.total:<3} {t.rate:6.1%}")
        named = sum(t.named for t in self.tallies.values())
        total = sum(t.total for t in self.tallies.values())
        tr.write_line(f"{'total':38} {named:3}/{total:<3} {named / max(total, 1):6.1%} (required {REQUIRED:.0%})")
        for slug, t in self.tallies.items():
            for miss in t.misses:
                tr.write_line(f"  missed: {slug}: {miss}")


TALLIES: dict[str, Tally] = {}


@pytest.mark.slow
def test_first_likely_cause_names_the_variants_own_mistake_in_at_least_95_percent(
    sandbox: Sandbox, request: pytest.FixtureRequest
) -> None:
    request.config.pluginmanager.register(Summary(TALLIES), "diagnosis-precision-summary")
    for slug in _slugs():
        TALLIES[slug] = measure(slug, sandbox)
    named = sum(t.named for t in TALLIES.values())
    total = sum(t.total for t in TALLIES.values())
    misses = [f"{slug}: {m}" for slug, t in TALLIES.items() for m in t.misses]
    assert total > 0
    assert not [n for t in TALLIES.values() for n in t.noisy], [n for t in TALLIES.values() for n in t.noisy]
    assert named / total >= REQUIRED, f"{named}/{total} = {named / total:.1%}; misses:\n" + "\n".join(misses)
