"""Code similarity of students' submissions by winnowed fingerprints (Schleimer, Wilkerson and Aiken, 2003).

Theory of operation. Each Python file is tokenized (one regular-expression pass) and normalized so that
what a copier changes cheaply does not count: comments, docstrings, whitespace and parentheses are dropped,
every identifier becomes `N`, every string `S`; keywords, operators, numbers and built-ins stay. Every run
of `K` normalized tokens is hashed, and winnowing keeps the smallest hash of each window of `WINDOW`
consecutive k-grams, so any match of at least `K + WINDOW - 1` tokens is certain to share a fingerprint,
wherever it sits in the file (functions reordered or renamed still match). Fingerprints of the starter code
and the problem's support files are boilerplate and dropped (with any k-gram mostly made of handed-out
code), as are fingerprints most of the class shares (idioms, not copying).

Pairs are scored all at once: a 0/1 matrix of submissions by shared fingerprints times its transpose counts
every pair's common fingerprints, so 300 students (44,850 pairs) cost one matrix product. Only the top pairs
are then matched in detail: common fingerprints that follow each other on both sides are joined into
regions, each a line range in a file of each side. Nothing here runs the code it reads.
"""

from __future__ import annotations

import bisect
import builtins
import functools
import keyword
import re
import time
import zlib
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

K = 12  # tokens per k-gram: shorter matches are too common to mean anything
WINDOW = 8  # winnowing window: every shared run of K + WINDOW - 1 = 19 tokens is found
COMMON_SHARE = 0.5  # a fingerprint more than this share of the class has is an idiom (with >= COMMON_MIN)
COMMON_MIN = 10
TOP_PAIRS = 100
_CHUNK = 4096  # fingerprint columns per block of the pair count (bounds the memory at 300 x 4096)


@dataclass
class Tokens:
    """Normalized tokens, each with the file (its number in the submission) and line it comes from."""

    texts: list[str] = field(default_factory=list)
    files: list[int] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)


@dataclass
class Document:
    """One submission's normalized tokens, all its k-gram hashes and its winnowed fingerprints."""

    key: int
    names: list[str]  # its files, in the order the tokens come
    tokens: Tokens
    fingerprints: dict[int, list[int]] = field(default_factory=dict)  # hash -> positions (first token)


@dataclass(frozen=True)
class Region:
    """Matching code: lines `a_lines` of file `a_file` of the first submission and `b_lines` of `b_file`."""

    a_file: str
    a_lines: tuple[int, int]
    b_file: str
    b_lines: tuple[int, int]
    tokens: int

    def to_dict(self) -> dict[str, object]:
        return {
            "a": {"file": self.a_file, "lines": list(self.a_lines)},
            "b": {"file": self.b_file, "lines": list(self.b_lines)},
            "tokens": self.tokens,
        }


@dataclass(frozen=True)
class Pair:
    a: int
    b: int
    similarity: float  # shared fingerprints over the mean of both sides' (Dice), 0 to 1
    a_share: float  # share of a's fingerprints that b has too
    b_share: float
    a_lines: int  # lines of a inside a matching region
    b_lines: int
    regions: tuple[Region, ...]

    def to_dict(self) -> dict[str, object]:
        return {
            "a": self.a,
            "b": self.b,
            "similarity": round(self.similarity, 4),
            "a_share": round(self.a_share, 4),
            "b_share": round(self.b_share, 4),
            "a_lines": self.a_lines,
            "b_lines": self.b_lines,
            "regions": [r.to_dict() for r in self.regions],
        }


@dataclass(frozen=True)
class Comparison:
    pairs: list[Pair]
    compared: int  # submissions with at least one fingerprint of their own
    seconds: float


_STRING = (
    r"""[rRbBuUfF]{0,2}(?:\'\'\'(?:[^\\]|\\.)*?\'\'\'|\"\"\"(?:[^\\]|\\.)*?\"\"\""""
    r"""|'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*")"""
)
_TOKEN = re.compile(
    rf"""(?P<doc>^[ \t]*{_STRING}[ \t]*(?=\n|\#|$))
    |(?P<space>\n|[ \t\f\r]+|\\\n|\#[^\n]*)
    |(?P<string>{_STRING})
    |(?P<name>[^\W\d]\w*)
    |(?P<number>(?:\d[\d_]*\.?[\d_]*|\.\d[\d_]*)(?:[eE][+-]?\d+)?[jJ]?|0[xXoObB][\da-fA-F_]+)
    |(?P<op>\*\*=?|//=?|>>=?|<<=?|->|:=|[-+*/%&|^@=<>!]=|[-+*/%&|^@~<>=.,:;()\[\]{{}}])
    |(?P<other>.)""",
    re.MULTILINE | re.VERBOSE | re.DOTALL,
)
_NEWLINE = re.compile("\n")
_KEEP = frozenset(keyword.kwlist) | frozenset(dir(builtins))


def normalized(source: str, file: int = 0, into: Tokens | None = None) -> Tokens:
    """The tokens that count, each with its file and line; identifiers and strings stand for their kind.

    A one-pass scanner rather than Pygments' lexer: it is many times faster, which is what makes a class of
    300 take seconds, and it needs no valid Python (a submission that does not parse is compared too)."""
    out = into if into is not None else Tokens()
    breaks = [m.start() for m in _NEWLINE.finditer(source)]
    for match in _TOKEN.finditer(source):
        kind = match.lastgroup
        if kind in ("space", "doc"):
            continue
        value = match.group()
        if kind == "name":  # an attribute is a name too: `self.w` renamed `self.weights` still matches
            value = value if value in _KEEP and not (out.texts and out.texts[-1] == ".") else "N"
        elif kind == "string":
            value = "S"
        elif kind == "number":
            value = _number(value)
        elif value in "()":  # parentheses are the cheapest disguise: `return (a, b)`, `x = (y + z)`
            continue
        out.texts.append(value)
        out.files.append(file)
        out.lines.append(bisect.bisect_left(breaks, match.start()) + 1)
    return out


def _number(text: str) -> str:
    """One spelling per value: 1e-5, 1e-05 and 0.00001 are the same number."""
    try:
        return repr(float(text.replace("_", "")))
    except ValueError:
        return text


def _kgram_hashes(texts: Sequence[str]) -> np.ndarray:
    """Hash of every run of K tokens: a polynomial over the tokens' CRC-32, the same in every process."""
    if len(texts) < K:
        return np.zeros(0, dtype=np.int64)
    ids = np.array([_token_id(t) for t in texts], dtype=np.uint64)
    out = np.zeros(len(texts) - K + 1, dtype=np.uint64)
    for j in range(K):  # wraps around modulo 2**64, as it should
        out = out * _BASE + ids[j : len(ids) - K + 1 + j]
    out[out == 0] = 1  # 0 is no fingerprint
    return out.view(np.int64)


_BASE = np.uint64(1_000_003)


@functools.lru_cache(maxsize=65536)
def _token_id(text: str) -> int:
    return zlib.crc32(text.encode("utf-8", errors="replace")) + 1


def _winnow(hashes: np.ndarray) -> dict[int, list[int]]:
    """The minimum of each window (the rightmost on a tie), recorded once per position."""
    if len(hashes) == 0:
        return {}
    width = min(WINDOW, len(hashes))
    windows = np.lib.stride_tricks.sliding_window_view(hashes, width)[:, ::-1]
    at = np.unique(np.arange(len(windows)) + (width - 1) - np.argmin(windows, axis=1))
    picked: dict[int, list[int]] = {}
    for position, value in zip(at.tolist(), hashes[at].tolist(), strict=True):
        if value != 0:
            picked.setdefault(value, []).append(position)
    return picked


def boilerplate(sources: Iterable[str]) -> set[int]:
    """Every k-gram hash of the starter code and support files: code every student was given."""
    found: set[int] = set()
    for source in sources:
        found.update(_kgram_hashes(normalized(source).texts).tolist())
    return found


def document(key: int, files: Mapping[str, str], given: set[int]) -> Document:
    """A submission's fingerprints, without the boilerplate's."""
    names = sorted(files)
    tokens = Tokens()
    doc = Document(key, names, tokens)
    for number, name in enumerate(names):
        first = len(tokens.texts)
        normalized(files[name], number, tokens)
        hashes = _kgram_hashes(tokens.texts[first:])  # per file: no k-gram spans two files
        handed_out = _handed_out(hashes, given)
        for value, at in _winnow(hashes).items():
            mine = [p for p in at if not handed_out[p]]
            if mine:
                doc.fingerprints.setdefault(value, []).extend(first + p for p in mine)
    return doc


def _handed_out(hashes: np.ndarray, given: set[int]) -> np.ndarray:
    """Per k-gram: are most of its tokens inside code that was handed out? A run of the student's own few
    tokens followed by starter code is the starter's, not theirs (two students' `return x` before the same
    starter function would otherwise match)."""
    if len(hashes) == 0 or not given:
        return np.zeros(len(hashes), dtype=bool)
    inside = np.isin(hashes, np.fromiter(given, dtype=np.int64, count=len(given)))
    covered = np.zeros(len(hashes) + K, dtype=np.int64)
    starts = np.flatnonzero(inside)
    np.add.at(covered, starts, 1)
    np.add.at(covered, starts + K, -1)
    per_token = np.cumsum(covered)[: len(hashes) + K - 1] > 0  # token t is in some handed-out k-gram
    totals = np.concatenate(([0], np.cumsum(per_token)))
    handed = totals[K : K + len(hashes)] - totals[: len(hashes)]
    return np.asarray(handed * 2 > K)


def compare(docs: Sequence[Document], top: int = TOP_PAIRS) -> Comparison:
    """The `top` most similar pairs of documents, with their matching regions."""
    started = time.perf_counter()
    counts = Counter(h for d in docs for h in d.fingerprints)
    common_limit = max(COMMON_MIN, int(COMMON_SHARE * len(docs)))
    shared = sorted(h for h, n in counts.items() if 2 <= n <= common_limit)
    column = {h: i for i, h in enumerate(shared)}
    sizes = np.array([sum(1 for h in d.fingerprints if counts[h] <= common_limit) for d in docs], dtype=np.float64)
    overlap = np.zeros((len(docs), len(docs)), dtype=np.float64)
    rows = [[column[h] for h in d.fingerprints if h in column] for d in docs]
    for first in range(0, len(shared), _CHUNK):
        block = np.zeros((len(docs), min(_CHUNK, len(shared) - first)), dtype=np.float32)
        for r, cols in enumerate(rows):
            mine = [c - first for c in cols if first <= c < first + _CHUNK]
            block[r, mine] = 1.0
        overlap += (block @ block.T).astype(np.float64)
    pairs = _ranked(docs, overlap, sizes, top, set(shared))
    return Comparison(pairs, int(np.count_nonzero(sizes)), time.perf_counter() - started)


def _ranked(docs: Sequence[Document], overlap: np.ndarray, sizes: np.ndarray, top: int, usable: set[int]) -> list[Pair]:
    n = len(docs)
    if n < 2:
        return []
    a_idx, b_idx = np.triu_indices(n, k=1)
    common = overlap[a_idx, b_idx]
    mean = (sizes[a_idx] + sizes[b_idx]) / 2.0
    dice = np.divide(common, mean, out=np.zeros_like(common), where=mean > 0)
    order = np.lexsort((b_idx, a_idx, -dice))  # best first; ties in a stable order
    pairs = []
    for i in order[:top]:
        if common[i] <= 0:
            break
        a, b = docs[int(a_idx[i])], docs[int(b_idx[i])]
        regions = match_regions(a, b, usable)
        pairs.append(
            Pair(
                a=a.key,
                b=b.key,
                similarity=float(dice[i]),
                a_share=float(common[i] / sizes[a_idx[i]]),
                b_share=float(common[i] / sizes[b_idx[i]]),
                a_lines=_lines_covered((r.a_file, r.a_lines) for r in regions),
                b_lines=_lines_covered((r.b_file, r.b_lines) for r in regions),
                regions=tuple(regions),
            )
        )
    return pairs


def _lines_covered(spans: Iterable[tuple[str, tuple[int, int]]]) -> int:
    """Distinct lines inside the spans (regions may overlap on one side)."""
    return len({(name, line) for name, (first, last) in spans for line in range(first, last + 1)})


def match_regions(a: Document, b: Document, usable: set[int]) -> list[Region]:
    """Runs of common fingerprints that follow each other on both sides, as line ranges (in a's order)."""
    common = [h for h in a.fingerprints.keys() & b.fingerprints.keys() if h in usable]
    hits = sorted((pa, pb) for h in common for pa in a.fingerprints[h] for pb in b.fingerprints[h])
    # A fingerprint found more than once on a side pairs every place with every other: alone, it is no match.
    repeated = {
        (pa, pb)
        for h in common
        if len(a.fingerprints[h]) * len(b.fingerprints[h]) > 1
        for pa in a.fingerprints[h]
        for pb in b.fingerprints[h]
    }
    runs: list[list[tuple[int, int]]] = []
    gap = K + WINDOW
    for pa, pb in hits:
        for run in reversed(runs[-8:]):  # a run continues when both sides advance a little
            la, lb = run[-1]
            if (
                0 < pa - la <= gap
                and 0 < pb - lb <= gap
                and a.tokens.files[pa] == a.tokens.files[la]
                and b.tokens.files[pb] == b.tokens.files[lb]
            ):
                run.append((pa, pb))
                break
        else:
            runs.append([(pa, pb)])
    return _merged([_region(a, b, run) for run in runs if len(run) > 1 or run[0] not in repeated])


def _merged(regions: list[Region]) -> list[Region]:
    """Regions that touch on both sides made one (a match broken only by a line both sides changed, or by a
    stray match of a repeated line in between); a region inside another on both sides goes."""
    out = sorted(regions, key=lambda r: (r.a_file, r.a_lines, r.b_file, r.b_lines))
    joined = True
    while joined:  # a region that grew may now touch one it did not
        joined = False
        kept: list[Region] = []
        for region in out:
            for i in range(len(kept) - 1, -1, -1):
                if _touch(kept[i], region):
                    kept[i] = _joined(kept[i], region)
                    joined = True
                    break
            else:
                kept.append(region)
        out = kept
    return out


def _touch(one: Region, two: Region) -> bool:
    return (
        (one.a_file, one.b_file) == (two.a_file, two.b_file)
        and two.a_lines[0] <= one.a_lines[1] + 1
        and one.a_lines[0] <= two.a_lines[1] + 1
        and two.b_lines[0] <= one.b_lines[1] + 1
        and one.b_lines[0] <= two.b_lines[1] + 1
    )


def _joined(one: Region, two: Region) -> Region:
    return Region(
        one.a_file,
        (min(one.a_lines[0], two.a_lines[0]), max(one.a_lines[1], two.a_lines[1])),
        one.b_file,
        (min(one.b_lines[0], two.b_lines[0]), max(one.b_lines[1], two.b_lines[1])),
        one.tokens + two.tokens,
    )


def _region(a: Document, b: Document, run: list[tuple[int, int]]) -> Region:
    a0, a1 = run[0][0], run[-1][0] + K - 1
    b0, b1 = min(p for _, p in run), max(p for _, p in run) + K - 1
    return Region(
        a_file=a.names[a.tokens.files[a0]],
        a_lines=(a.tokens.lines[a0], a.tokens.lines[a1]),
        b_file=b.names[b.tokens.files[b0]],
        b_lines=(b.tokens.lines[b0], b.tokens.lines[b1]),
        tokens=a1 - a0 + 1,
    )
