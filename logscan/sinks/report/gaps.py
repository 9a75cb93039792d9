"""Classification gaps: the texts of events the rules could not place, most frequent first.

An event whose category is ``unknown``, or whose category only its reply class decided
(``rule = class:...``), is a gap in ``rules/``: ``logscan scan`` lists the most frequent such
texts so operators (and the project) can grow the signatures from real traffic. Texts are
normalised before counting, so one wording is one row whatever addresses, hosts, numbers and
queue ids it carries::

    >>> from logscan.core.event import Event, Verdict
    >>> g = Gaps()
    >>> for text in ("550 no <bob@example.com> here", "550 no <ann@example.org> here"):
    ...     g(ClassifiedEvent(Event("mainlog", 1, "exim", "inbound", text=text),
    ...                       Verdict(None, "unknown", rule="none")))
    >>> [(row["text"], row["count"]) for row in g.top()]
    [('550 no <addr> here', 2)]

(:mod:`logscan.sinks.report.normalised_text` says how texts are normalised.)

The counter is bounded: past ``max_texts`` distinct texts, new ones are counted as one
"(other texts)" row, so memory does not grow with the log.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from logscan.core.event import ClassifiedEvent
from logscan.sinks.report.normalised_text import MAX_CHARS, Normaliser
from logscan.sinks.report.table import clean

MAX_TEXTS = 5000
TOP = 20
OTHER_TEXTS = "(other texts)"
NO_TEXT = "(no text)"
_MAX_TEXT = MAX_CHARS


def is_gap(rule: str, category: str) -> bool:
    """Whether a verdict is a gap: no category, or only the reply class decided it."""
    return category == "unknown" or rule.startswith("class:")


@dataclass
class Gaps:
    """Sink: counts the normalised texts of gap events, per (mta, text)."""

    max_texts: int = MAX_TEXTS
    _normalise: Normaliser = field(default_factory=Normaliser)
    _counts: dict[tuple[str, str], int] = field(default_factory=dict)
    _first: dict[tuple[str, str], tuple[str, int, str]] = field(default_factory=dict)

    def __call__(self, item: ClassifiedEvent) -> None:
        ev, v = item
        if not is_gap(v.rule, v.category):
            return
        text = self._normalise(ev.text) if ev.text else NO_TEXT
        key = (ev.mta, text)
        n = self._counts.get(key)
        if n is not None:
            self._counts[key] = n + 1
            return
        if len(self._counts) >= self.max_texts:
            key = (ev.mta, OTHER_TEXTS)
            self._counts[key] = self._counts.get(key, 0) + 1
            return
        self._counts[key] = 1
        self._first[key] = (ev.path, ev.line, (ev.text or "")[:_MAX_TEXT])

    def top(self, n: int = TOP) -> list[dict[str, Any]]:
        """The ``n`` most frequent gap texts, with the earliest line of each."""
        ranked = sorted(self._counts.items(), key=lambda kv: (-kv[1], kv[0]))[:n]
        out = []
        for (mta, text), count in ranked:
            first = self._first.get((mta, text))
            example = {"path": first[0], "line": first[1], "text": first[2]} if first else None
            out.append({"mta": mta, "text": text, "count": count, "example": example})
        return out

    def total(self) -> int:
        return sum(self._counts.values())

    def summary(self, n: int = TOP) -> dict[str, Any]:
        """The keys ``logscan scan --format json`` adds to its summary."""
        return {"unclassified_events": self.total(), "top_unclassified_texts": self.top(n)}

    def table(self, n: int = TOP) -> str:
        """The section ``logscan scan`` prints after its table report ("" when no gaps)."""
        rows = self.top(n)
        if not rows:
            return ""
        out = [
            "",
            f"Unclassified texts: {self.total():,} events without a category "
            "(normalised; grow rules/ from these)",
        ]
        for r in rows:
            out.append(f"  {r['count']:>11,}  {r['mta']:<9} {clean(r['text'])}")
        return "\n".join(out) + "\n"
