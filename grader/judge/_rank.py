"""Ranking likely causes: most specific first, each thing said once, none contradicting another, at most three."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

from grader.judge._types import Cause, ResultVerdict, Tier

MAX_CAUSES = 3

# Tiers that only describe the difference. A pure named factor already explains the whole difference of a
# result, so these would say the same thing again in other words.
_DESCRIPTIVE = {Tier.REGION, Tier.INVARIANT, Tier.OWN_FORWARD, Tier.SHAPELESS}


def rank_leaf(causes: Iterable[Cause]) -> tuple[Cause, ...]:
    """The causes of one failed result, ranked; a matched variant replaces every generic cause it explains."""
    found = list(causes)
    if any(c.tier is Tier.VARIANT for c in found):
        # the student's result is the variant's: its hint names the mistake, the rest would be guesses about it
        found = [c for c in found if c.tier is Tier.VARIANT]
    elif any(c.tier is Tier.FACTOR for c in found):
        found = [c for c in found if c.tier not in _DESCRIPTIVE]
    return tuple(_unique(sorted(found, key=lambda c: (c.tier, c.order))))


def likely_causes(verdicts: Sequence[ResultVerdict]) -> list[str]:
    """One test's likely causes over all its failed results: ranked, deduplicated, consistent, capped."""
    return [c.text for c in ranked_causes(verdicts)]


def ranked_causes(verdicts: Sequence[ResultVerdict]) -> list[Cause]:
    """`likely_causes` with each cause's kind and tier."""
    pool = [c for v in verdicts if not v.passed for c in v.causes]
    # a variant matched on more of the failed results explains more of the failure
    reach = Counter(c.key for c in pool if c.tier is Tier.VARIANT)
    ranked = sorted(pool, key=lambda c: (c.tier, c.order, -reach[c.key]))
    chosen = _consistent(_unique(ranked))
    return chosen[:MAX_CAUSES]


def _unique(causes: Iterable[Cause]) -> list[Cause]:
    """The first cause of each key, in order: the same thing said about dx and dw is said once."""
    seen: set[str] = set()
    out = []
    for c in causes:
        if c.key not in seen and c.text not in seen:
            seen.update((c.key, c.text))
            out.append(c)
    return out


def _consistent(causes: list[Cause]) -> list[Cause]:
    """Drop a cause that the better-ranked ones contradict or make redundant."""
    if any(c.tier <= Tier.FACTOR for c in causes):
        # a named mistake or factor is what the student should fix first; "your backward agrees with your own
        # forward" beside it reads as "your backward is right", and a residual after scaling as "not a scale error"
        causes = [c for c in causes if c.tier is not Tier.SHAPELESS and not _forward_differs(c)]
    if any(c.tier is Tier.OWN_FORWARD and not _forward_differs(c) for c in causes):
        # one result's backward disagrees with its own forward: say that, not that another one's forward is wrong
        causes = [c for c in causes if not _forward_differs(c)]
    return causes


def _forward_differs(c: Cause) -> bool:
    """The own-forward check passed: the backward is consistent, so the forward differs (order 1 of that tier)."""
    return c.tier is Tier.OWN_FORWARD and c.order == 1
