"""Label values of the exported metrics: one canonical spelling, from a known set, or ``other``.

A remote host writes the reply codes and texts that end up in labels, so every label value is
either from a closed vocabulary (classes, categories, directions, statuses) or from a set the
rules define (reply codes and enhanced codes with their own catalogue entry, providers and
blocklists the signatures name); anything else is ``other``, and a missing value is ``none``.
Enhanced codes are spelt one way: ``5.01.1`` and ``5.1.1`` are the same code and the same
series::

    >>> from logscan.classify.classifier import Classifier
    >>> sets = LabelSets.from_classifier(Classifier.load())
    >>> sets.enhanced("5.01.1"), sets.enhanced("4.0.000"), sets.enhanced("5.9.99")
    ('5.1.1', '4.0.0', 'other')
    >>> sets.code("550"), sets.code("599"), sets.code(None)
    ('550', 'other', 'none')
    >>> sets.fold("dsn", "5.001.001"), sets.fold("provider", "junk.example")
    ('5.1.1', 'other')
"""

from __future__ import annotations

import functools
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from logscan.classify.catalogue import Catalogue
from logscan.classify.classifier import Classifier
from logscan.classify.rule_files import RuleFile
from logscan.classify.signatures import Signatures
from logscan.core.categories import CATEGORIES, CLASSES
from logscan.core.event import STAGES, STATUSES
from logscan.core.smtp import ENHANCED_CLASSES, ENHANCED_PARTS_RE

NONE = "none"
OTHER = "other"

_DIRECTIONS = frozenset({"inbound", "outbound"})


@functools.lru_cache(maxsize=1024)
def canonical_enhanced(raw: str) -> str | None:
    """``c.S.D`` without leading zeros, or None when ``raw`` is not an enhanced code.

    Memoised (bounded: a flood of distinct spellings only costs misses): the line path asks
    for the same few codes again and again.

    >>> canonical_enhanced("5.01.001"), canonical_enhanced("5.1"), canonical_enhanced("9.1.1")
    ('5.1.1', None, None)
    """
    m = ENHANCED_PARTS_RE.fullmatch(raw)
    if m is None:
        return None
    c, subject, detail = m.groups()
    return f"{c}.{int(subject)}.{int(detail)}"


@dataclass(frozen=True)
class LabelSets:
    """The values each open label may take; everything else folds into ``other``."""

    codes: frozenset[str]
    enhanced_codes: frozenset[str]  # canonical, e.g. "5.1.1"
    providers: frozenset[str]
    blocklists: frozenset[str]

    @classmethod
    def from_classifier(cls, classifier: Classifier) -> LabelSets:
        """The sets the rules define: a code or enhanced code with its own catalogue entry (not
        a subject fallback ``x.S.x``), and the providers and fixed blocklists of the signatures."""
        catalogue = classifier.catalogue
        enhanced = {
            f"{c}.{key[2:]}"
            for key in catalogue.enhanced
            if not key.endswith(".x")
            for c in ENHANCED_CLASSES
        }
        return cls(
            codes=frozenset(catalogue.basic),
            enhanced_codes=frozenset(enhanced),
            providers=classifier.signatures.providers(),
            blocklists=classifier.signatures.blocklists(),
        )

    @classmethod
    def from_rule_files(cls, files: Sequence[RuleFile]) -> LabelSets:
        return cls.from_classifier(
            Classifier(Catalogue.from_files(files), Signatures.from_files(files))
        )

    def by_field(self) -> dict[str, frozenset[str]]:
        """Event field -> its known values (the alert engine gives each its own group).

        >>> sets = LabelSets.from_classifier(Classifier.load())
        >>> "zen.spamhaus.org" in sets.by_field()["blocklist"]
        True
        """
        return {
            "code": self.codes,
            "enhanced": self.enhanced_codes,
            "provider": self.providers,
            "blocklist": self.blocklists,
            **_CLOSED,
        }

    def code(self, raw: str | None) -> str:
        return _known(raw, self.codes)

    def enhanced(self, raw: str | None) -> str:
        if raw is None:
            return NONE
        canonical = canonical_enhanced(raw)
        return canonical if canonical in self.enhanced_codes else OTHER

    def provider(self, raw: str | None) -> str:
        return _known(raw, self.providers)

    def blocklist(self, raw: str | None) -> str:
        return _known(raw, self.blocklists)

    def fold(self, label: str, value: str) -> str:
        """``value`` of the label named ``label``, folded as the sinks fold it.

        For values that did not come through a sink: a restored checkpoint (written by an older
        version, or under other rules). Labels with no rule here (``source``, ``mta``, ...) are
        bounded by the config and the registry and pass unchanged.
        """
        if value in (NONE, OTHER):
            return value
        if label == "code":
            return self.code(value)
        if label in ("enhanced", "dsn"):
            return self.enhanced(value)
        if label == "provider":
            return self.provider(value)
        if label == "blocklist":
            return self.blocklist(value)
        closed = _CLOSED.get(label)
        if closed is not None and value not in closed:
            return OTHER
        return value


# Labels whose values come from the contract's closed vocabularies.
_CLOSED: dict[str, frozenset[str]] = {
    "class": frozenset(CLASSES.values()),
    "category": frozenset(CATEGORIES),
    "direction": _DIRECTIONS,
    "status": frozenset(STATUSES),
    "stage": frozenset(STAGES),
}


def _known(raw: str | None, allowed: Collection[str]) -> str:
    """``raw`` if it is one of ``allowed``; ``none`` for no value, ``other`` for any other."""
    if raw is None:
        return NONE
    return raw if raw in allowed else OTHER
