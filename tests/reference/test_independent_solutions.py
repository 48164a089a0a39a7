"""Independent correct solutions of every built-in problem score full marks.

Each problem ships at least three solutions under `reference/<slug>/alternatives/<style>/`,
written apart from the reference in different styles (loops, vectorised, the CS231n
formulation, im2col or einsum, class-based, textbook rather than log-sum-exp softmax,
np.where stable sigmoid). A correct student must never lose points, so each is graded
through the real sandbox like a submission and must score the maximum, training bars
included. A loss of points here is a pack bug (a case, a tolerance or a statement), not
a reason to change the solution.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from grader.bundle import Bundle, bundle_to_zip, load_bundle, load_bundle_zip
from grader.grading import ReferenceCache, grade_files
from grader.sandbox import Sandbox

PACK = Path(__file__).resolve().parents[2] / "reference"
SLUGS = sorted(p.name for p in PACK.iterdir() if (p / "problem.toml").is_file())
STYLES = [
    (slug, style.name)
    for slug in SLUGS
    if (PACK / slug / "alternatives").is_dir()
    for style in sorted((PACK / slug / "alternatives").iterdir())
    if style.is_dir() and not style.name.startswith((".", "_"))
]


def _files(slug: str, style: str) -> dict[str, bytes]:
    folder = PACK / slug / "alternatives" / style
    return {f.name: f.read_bytes() for f in sorted(folder.glob("*.py"))}


@pytest.fixture(scope="module")
def bundles() -> dict[str, Bundle]:
    return {slug: load_bundle(PACK / slug) for slug in SLUGS}


def test_every_problem_ships_at_least_three_independent_solutions() -> None:
    for slug in SLUGS:
        styles = [style for owner, style in STYLES if owner == slug]
        assert len(styles) >= 3, f"{slug} has {len(styles)} independent solutions: {styles}"


def test_every_independent_solution_holds_exactly_the_files_a_student_may_submit(bundles: dict[str, Bundle]) -> None:
    for slug, style in STYLES:
        bundle = bundles[slug]
        names = set(_files(slug, style))
        assert set(bundle.spec.files) <= names <= set(bundle.submitted_files), f"{slug}/{style}: {sorted(names)}"


def test_no_independent_solution_is_a_copy_of_the_reference(bundles: dict[str, Bundle]) -> None:
    for slug, style in STYLES:
        reference = bundles[slug].folder("solution")
        for name, content in _files(slug, style).items():
            assert content != reference.get(name), f"{slug}/{style}/{name} is the reference itself"


def test_a_pack_bundle_with_its_alternatives_folder_uploads_as_a_zip(bundles: dict[str, Bundle]) -> None:
    for slug in SLUGS:
        again = load_bundle_zip(bundle_to_zip(bundles[slug]), f"{slug}.zip")
        assert dict(again.files) == dict(bundles[slug].files)
        assert any(name.startswith("alternatives/") for name in again.files)


@pytest.mark.slow
@pytest.mark.parametrize(("slug", "style"), STYLES, ids=[f"{s}-{t}" for s, t in STYLES])
def test_independent_solution_scores_full_marks(
    slug: str, style: str, bundles: dict[str, Bundle], sandbox: Sandbox, reference_cache: ReferenceCache
) -> None:
    report = grade_files(bundles[slug], _files(slug, style), sandbox, reference_cache)
    lost = [
        f"{t.name}: {t.points}/{t.max_points} ({t.stage}) {t.feedback} {' | '.join(t.diagnosis)}"
        for t in report.tests
        if t.points < t.max_points
    ]
    assert report.status == "graded", report.stderr[-2000:]
    assert report.score == report.max_score, f"{slug}/{style} lost points:\n" + "\n".join(lost)
