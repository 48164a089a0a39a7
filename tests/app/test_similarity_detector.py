"""The similarity detector on real code: the pack's `layers` solution and its independent alternatives."""

from __future__ import annotations

import random
from pathlib import Path

from app.integrity.similarity import boilerplate, compare, document, normalized
from bench.similarity import disguised, make_class

LAYERS = Path(__file__).resolve().parents[2] / "reference" / "layers"
SOLUTION = (LAYERS / "solution" / "layers.py").read_text()
STARTER = (LAYERS / "starter" / "layers.py").read_text()
ALTERNATIVES = [p.read_text() for p in sorted((LAYERS / "alternatives").glob("*/layers.py"))]


def _ranked(files: dict[int, str], given: set[int] | None = None) -> list[tuple[int, int, float]]:
    docs = [document(key, {"layers.py": text}, given or set()) for key, text in sorted(files.items())]
    return [(p.a, p.b, p.similarity) for p in compare(docs).pairs]


def test_a_disguised_copy_ranks_above_every_pair_of_independent_solutions() -> None:
    copy = disguised(SOLUTION, random.Random(1))  # identifiers renamed, functions reordered, comments replaced
    assert copy != SOLUTION and "def affine_forward" in copy
    files = {0: SOLUTION, 1: ALTERNATIVES[0], 2: ALTERNATIVES[1], 3: ALTERNATIVES[2], 4: copy}
    ranked = _ranked(files, boilerplate([STARTER]))
    assert ranked[0][:2] == (0, 4), ranked
    assert ranked[0][2] > 0.8
    independent = [s for a, b, s in ranked if (a, b) != (0, 4)]
    assert max(independent) < 0.5 * ranked[0][2], ranked


def test_renaming_reordering_and_comments_change_nothing_the_detector_reads() -> None:
    plain = "def f(x, y):\n    total = x + y  # add\n    return total * 2\n\n\ndef g(a):\n    return a.sum(axis=0)\n"
    renamed = 'def g(a):\n    """Sum."""\n    return a.sum(axis=0)\n\n\ndef h(p, q):\n    s = p + q\n    return s * 2\n'
    tokens = normalized(plain).texts
    assert "N" in tokens and "total" not in tokens and "#" not in "".join(tokens)
    assert sorted(normalized(plain).texts) == sorted(normalized(renamed).texts)


def test_the_starter_code_alone_makes_no_pair_similar() -> None:
    # Two students who kept the whole starter file (signatures, docstrings) and wrote different bodies.
    one = STARTER.replace('raise NotImplementedError("affine_forward is not implemented")', "return x @ w + b, None")
    two = STARTER.replace('raise NotImplementedError("dropout_forward is not implemented")', "return x * mask, None")
    assert _ranked({0: one, 1: two}, boilerplate([STARTER])) == []
    # Without the starter's fingerprints removed, the handed-out code alone would make them look alike.
    assert _ranked({0: one, 1: two})[0][2] > 0.4


def test_every_planted_copy_is_among_the_top_pairs_of_a_generated_class() -> None:
    files, planted = make_class(students=40, planted=4, seed=5)
    ranked = _ranked(files, boilerplate([STARTER]))
    top = {(a, b) for a, b, _ in ranked[: len(planted)]}
    assert top == {(min(a, b), max(a, b)) for a, b in planted}


def test_a_matching_region_gives_the_lines_on_both_sides() -> None:
    head = "import numpy as np\n\n\n"
    builtin = ["abs", "len", "max", "min", "sum", "round", "int", "float"]  # kept as they are: distinct lines
    body = "def affine_backward(dout, cache):\n" + "".join(
        f"    v{i} = {fn}(dout.reshape(dout.shape[0], -1)) * cache[{i}] + {i}\n" for i, fn in enumerate(builtin)
    )
    a = head + body
    b = head + "\n\n# mine\n" + body.replace("v", "w").replace("dout", "grad")
    docs = [document(1, {"m.py": a}, set()), document(2, {"m.py": b}, set())]
    (pair,) = compare(docs).pairs
    assert pair.similarity > 0.9
    region = max(pair.regions, key=lambda r: r.tokens)
    assert region.a_file == region.b_file == "m.py"
    assert region.a_lines[0] <= 6 and region.a_lines[1] >= 11  # the function's lines in a ...
    assert region.b_lines[0] - region.a_lines[0] == 3  # ... and in b, three lines further down


def test_code_that_does_not_parse_is_compared_too() -> None:
    broken = SOLUTION.replace("def affine_backward(dout, cache):", "def affine_backward(dout, cache)")  # no colon
    ranked = _ranked({0: SOLUTION, 1: broken, 2: ALTERNATIVES[0]})
    assert ranked[0][:2] == (0, 1) and ranked[0][2] > 0.9
