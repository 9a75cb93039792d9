"""The needle prefilter: which needles occur in a reply, and so which signatures may match it.

A :class:`Scanner` finds every needle (see ``needles.py``) present in a lower-cased text in one
pass; an :class:`Index` turns those needles into the signatures worth trying, in precedence
order. Neither changes an answer: a signature whose needles are all absent cannot match.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import re2

from logscan.classify.signature import Signature


@dataclass(frozen=True, slots=True)
class Scanner:
    """Finds which needles occur in a lower-cased text, in one linear pass.

    An RE2 set of the needles (each an escaped literal) reports every needle that occurs,
    overlapping ones included, in one DFA scan: 5 to 20 times faster than stepping Python's
    ``re`` through a trie of them (measured in bench/RESULTS.md, "Classifier")."""

    needles: tuple[str, ...]
    matcher: Any  # re2.Set of ``needles``, same order; None when there are none

    @classmethod
    def of(cls, needles: set[str]) -> Scanner:
        ordered = tuple(sorted(needles))
        if not ordered:
            return cls(ordered, None)
        matcher = re2.Set.SearchSet(re2.Options())
        for n in ordered:
            matcher.Add(re2.escape(n))
        matcher.Compile()
        return cls(ordered, matcher)

    def any_in(self, low: str) -> bool:
        """Whether some needle occurs in ``low``."""
        return self.matcher is not None and self.matcher.Match(low) is not None

    def present(self, low: str) -> frozenset[str]:
        if self.matcher is None:
            return frozenset()
        found = self.matcher.Match(low)
        if not found:
            return frozenset()
        needles = self.needles
        return frozenset([needles[i] for i in found])


@dataclass(frozen=True, slots=True)
class Index:
    """Which signatures of a sequence can match a text, from the needles present in it.

    Bit ``i`` of a mask stands for ``sigs[i]``; lower bits have precedence."""

    sigs: tuple[Signature, ...]
    masks: Mapping[str, int]  # needle -> signatures that need it (one of their needles)
    always: int  # signatures without needles: always candidates
    every: int  # all signatures (for non-ASCII texts, where lower-casing may differ from re)

    @classmethod
    def of(cls, sigs: tuple[Signature, ...]) -> Index:
        masks: dict[str, int] = {}
        always = 0
        for i, sig in enumerate(sigs):
            if not sig.needles:
                always |= 1 << i
            for n in sig.needles:
                masks[n] = masks.get(n, 0) | 1 << i
        return cls(sigs, masks, always, (1 << len(sigs)) - 1)

    def candidates(self, present: frozenset[str] | None) -> Iterator[Signature]:
        """The signatures that may match, in precedence order (all when ``present`` is None)."""
        if present is None:
            mask = self.every
        else:
            mask = self.always
            masks = self.masks
            for n in present:
                mask |= masks.get(n, 0)
        sigs = self.sigs
        while mask:
            bit = mask & -mask
            mask ^= bit
            yield sigs[bit.bit_length() - 1]


def needles_of_signatures(sigs: tuple[Signature, ...]) -> set[str]:
    """Every needle of the parts of ``sigs``: what a :class:`Scanner` for them looks for."""
    return {n for s in sigs for part in s.parts for n in part.needles}
