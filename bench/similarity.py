"""Code similarity at class size: 300 `layers` submissions, the report timed, the planted copies found.

The class is made from the pack's reference solution and its independent alternatives: each student takes
each topic (affine, dropout, batch norm, convolution, pooling) from one of them, with the helpers it uses,
then writes it their own way: identifiers renamed, functions reordered, comments and docstrings their own,
and about a third of the lines put differently (a temporary before a return, `np.sum(x, ...)` for
`x.sum(...)`, `a.dot(b)` for `a @ b`, operands swapped). A few students then copy a classmate's final file
and disguise it the same cheap ways (renames, reordering, new comments): those are the planted pairs.
"""

from __future__ import annotations

import ast
import io
import keyword
import random
import re
import tempfile
import time
import tokenize
from dataclasses import dataclass
from pathlib import Path

from bench._common import table

ROOT = Path(__file__).resolve().parent.parent
PROBLEM = ROOT / "reference" / "layers"
TOPICS = {
    "affine": ["affine_forward", "affine_backward"],
    "dropout": ["dropout_forward", "dropout_backward"],
    "batchnorm": ["batchnorm_forward", "batchnorm_backward"],
    "conv": ["conv_forward", "conv_backward"],
    "pool": ["max_pool_forward", "max_pool_backward"],
}
KEEP = set(dir(__builtins__)) | {"np", "self"}
WORDS = [
    "val",
    "tmp",
    "res",
    "acc",
    "arr",
    "buf",
    "cur",
    "grad",
    "data",
    "inp",
    "outp",
    "mat",
    "vec",
    "tot",
    "idx",
    "cnt",
    "part",
    "piece",
    "item",
    "blob",
]
COMMENTS = [
    "# forward pass",
    "# backward pass",
    "# cache for later",
    "# gradient here",
    "# TODO check shapes",
    "# done",
]


@dataclass(frozen=True)
class Source:
    name: str
    header: str  # the imports
    functions: dict[str, str]  # name -> source of the top-level function


def sources() -> list[Source]:
    """The reference solution and every alternative of the `layers` problem, split into functions."""
    paths = [PROBLEM / "solution" / "layers.py", *sorted((PROBLEM / "alternatives").glob("*/layers.py"))]
    out = []
    for path in paths:
        text = path.read_text()
        tree = ast.parse(text)
        header = "\n".join(
            ast.get_source_segment(text, n) or "" for n in tree.body if isinstance(n, ast.Import | ast.ImportFrom)
        )
        functions = {n.name: ast.get_source_segment(text, n) or "" for n in tree.body if isinstance(n, ast.FunctionDef)}
        out.append(Source(path.parent.name, header, functions))
    return out


def _needed(source: Source, names: list[str]) -> list[str]:
    """`names` and the module's helpers they call, transitively, helpers first."""
    seen: list[str] = []
    todo = list(names)
    while todo:
        name = todo.pop()
        if name in seen or name not in source.functions:
            continue
        seen.append(name)
        todo += [h for h in source.functions if h.startswith("_") and re.search(rf"\b{h}\b", source.functions[name])]
    return sorted(seen, key=lambda n: (not n.startswith("_"), n))


def _renamed(code: str, rng: random.Random) -> str:
    """Parameters and assigned names renamed consistently (public function names stay: the grader calls them)."""
    tree = ast.parse(code)
    local = {a.arg for n in ast.walk(tree) if isinstance(n, ast.arguments) for a in n.args + n.kwonlyargs}
    local |= {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
    local -= KEEP
    mapping = {name: f"{rng.choice(WORDS)}_{name[:2]}{rng.randrange(100)}" for name in sorted(local)}
    out = []
    previous = ""
    for tok in tokenize.generate_tokens(io.StringIO(code).readline):
        text = tok.string
        if tok.type == tokenize.NAME and text in mapping and previous != "." and not keyword.iskeyword(text):
            text = mapping[text]
        out.append((tok.type, text))
        if tok.type not in (tokenize.NL, tokenize.NEWLINE, tokenize.COMMENT):
            previous = tok.string
    return tokenize.untokenize(out)


def _restyled(code: str, rng: random.Random, share: float = 0.5) -> str:
    """About `share` of the lines written another way, as different students would."""
    lines: list[str] = []
    for line in code.splitlines():
        indent = line[: len(line) - len(line.lstrip())]
        assignment = re.fullmatch(r"(\s*)(\w+) = (.+)", line)
        swap = assignment and lines and re.fullmatch(rf"{indent}\w+ = .+", lines[-1]) and rng.random() < share / 2
        if swap and assignment and assignment.group(2) not in lines[-1].split("=", 1)[1]:  # independent lines
            lines.insert(len(lines) - 1, line)
            continue
        if rng.random() < share:
            if assignment and rng.random() < 0.3:
                line = f"{indent}{assignment.group(2)} = ({assignment.group(3)})"
            if (m := re.fullmatch(r"(\s*)return (.+)", line)) and "," not in m.group(2):
                lines += [f"{indent}result = {m.group(2)}", f"{indent}return result"]
                continue
            line = re.sub(r"(?<![\w.])(?!np\b)([A-Za-z_]\w*)\.(sum|mean)\(", r"np.\2(\1, ", line, count=1)
            line = re.sub(r"(?<![\w.])([A-Za-z_]\w*) @ ([A-Za-z_]\w*)(?![\w.(\[])", r"\1.dot(\2)", line, count=1)
            line = re.sub(r"(?<![\w.])([A-Za-z_]\w*) \* ([A-Za-z_]\w*)(?![\w.(\[])", r"\2 * \1", line, count=1)
            if assignment and rng.random() < 0.3:
                name = line.split("=")[0].strip()
                lines += [line, f"{indent}{name} = np.asarray({name})"]
                continue
        lines.append(line)
    return "\n".join(lines)


def _without_comments(code: str) -> str:
    tree = ast.parse(code)
    for node in ast.walk(tree):
        first = node.body[0] if isinstance(node, ast.FunctionDef) and node.body else None
        if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
            node.body = node.body[1:] or [ast.Pass()]  # type: ignore[attr-defined]
    return ast.unparse(tree)


def _commented(code: str, rng: random.Random) -> str:
    out = []
    for line in code.splitlines():
        if line.strip() and rng.random() < 0.15:
            out.append(line[: len(line) - len(line.lstrip())] + rng.choice(COMMENTS))
        out.append(line)
    return "\n".join(out) + "\n"


def disguised(code: str, rng: random.Random) -> str:
    """A copy made to look different cheaply: renamed, functions reordered, comments replaced."""
    tree = ast.parse(code)
    parts = [ast.get_source_segment(code, n) or "" for n in tree.body]
    heads = [p for p, n in zip(parts, tree.body, strict=True) if not isinstance(n, ast.FunctionDef)]
    functions = [p for p, n in zip(parts, tree.body, strict=True) if isinstance(n, ast.FunctionDef)]
    rng.shuffle(functions)
    body = "\n".join(heads) + "\n\n\n" + "\n\n\n".join(functions) + "\n"
    return _commented(_renamed(_without_comments(body), rng), rng)


def student(pool: list[Source], rng: random.Random) -> str:
    """An independent student's `layers.py`: each topic from one source, written their own way."""
    header = {"import numpy as np"}
    chunks = []
    for topic in TOPICS.values():
        source = rng.choice([s for s in pool if all(f in s.functions for f in topic)])
        header |= set(source.header.splitlines())
        tag = f"{source.name[:4]}"
        for name in _needed(source, topic):
            code = source.functions[name]
            for helper in (h for h in source.functions if h.startswith("_")):  # helpers of two sources apart
                code = re.sub(rf"\b{helper}\b", f"{helper}_{tag}", code)
            chunks.append(code)
    rng.shuffle(chunks)
    body = "\n".join(sorted(header)) + "\n\n\n" + "\n\n\n".join(chunks) + "\n"
    plain = _without_comments(body)
    restyled = _restyled(plain, rng)
    try:
        ast.parse(restyled)
    except SyntaxError:  # a rewrite that does not fit this line: the student kept it as it was
        restyled = plain
    return _commented(_renamed(restyled, rng), rng)


def make_class(students: int, planted: int, seed: int = 22) -> tuple[dict[int, str], set[tuple[int, int]]]:
    """`students` files keyed by student number, and the planted (original, copy) pairs among them."""
    rng = random.Random(seed)
    pool = sources()
    files = {i: student(pool, rng) for i in range(students - planted)}
    pairs = set()
    for copy in range(students - planted, students):
        original = rng.randrange(students - planted)
        files[copy] = disguised(files[original], rng)
        pairs.add((original, copy))
    return files, pairs


def _stored_class(url: str, files: dict[int, str]) -> None:
    """The class in a database, as the service holds it: one graded submission of layers.py per student."""
    from app.accounts.service import create_user
    from app.courses.service import create_course, enrol
    from app.db import Database
    from app.db.models import Role, Submission, SubmissionFile, SubmissionState
    from app.problems.service import add_problem
    from grader.bundle import load_bundle

    db = Database(url)
    with db.session() as session:
        course = create_course(session, "bench", "Bench")
        problem, version = add_problem(session, course, load_bundle(PROBLEM), None, None)
        for key, text in sorted(files.items()):
            user = create_user(session, f"student{key:03d}")
            enrol(session, course, user, Role.STUDENT)
            row = Submission(
                problem_id=problem.id, version_id=version.id, user_id=user.id, state=SubmissionState.GRADED, score=1.0
            )
            session.add(row)
            session.flush()
            session.add(SubmissionFile(submission_id=row.id, name="layers.py", content=text.encode()))
    db.dispose()


def run(students: int = 300, planted: int = 6) -> str:
    """Time `make_report` (the job's whole work: read the counting submissions, fingerprint, score, match)."""
    from sqlalchemy import select

    from app.db import Database, migrate
    from app.db.models import Problem
    from app.integrity.reports import make_report
    from app.problems.bundles import BundleCache

    files, planted_pairs = make_class(students, planted)
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{folder}/bench.db"
        migrate.upgrade(url)
        _stored_class(url, files)
        db = Database(url)
        with db.read() as session:
            problem = session.scalar(select(Problem))
            assert problem is not None
            wall, cpu = time.perf_counter(), time.process_time()
            made = make_report(session, BundleCache(), problem)
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        db.dispose()
    user = {f"student{k:03d}": k for k in files}
    pairs = [tuple(sorted((user[p["a"]["user"]], user[p["b"]["user"]]))) for p in made["pairs"]]
    ranks = {pair: i + 1 for i, pair in enumerate(pairs)}
    found = [ranks.get((min(a, b), max(a, b))) for a, b in planted_pairs]
    worst = max((r for r in found if r is not None), default=0)
    planted_keys = {(min(a, b), max(a, b)) for a, b in planted_pairs}
    independent = [p["similarity"] for pair, p in zip(pairs, made["pairs"], strict=True) if pair not in planted_keys]
    rows = [
        [
            f"{students} students, `layers` ({len(made['pairs'])} pairs kept)",
            f"{wall:.2f} s",
            f"{cpu:.2f} s",
            f"{sum(r is not None for r in found)} of {len(planted_pairs)} (worst rank {worst})",
            f"{independent[0]:.0%}" if independent else "-",
        ],
    ]
    return table(
        "10. Code similarity report: reading the counting submissions (SQLite), fingerprints, every pair scored",
        ["", "report, wall", "report, CPU", "planted copies in the top pairs", "most similar independent pair"],
        rows,
    )


if __name__ == "__main__":
    print(run())
