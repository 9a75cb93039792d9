"""Classification gaps: the texts of events the rules could not place, most frequent first.

An event whose category is ``unknown``, or whose category only its reply class decided
(``rule = class:...``), is a gap in ``rules/``: ``logscan scan`` lists the most frequent such
texts so operators (and the project) can grow the signatures from real traffic. Texts are
normalised before counting, so one wording is one row whatever addresses, hosts, numbers and
queue ids it carries::

    >>> normalise("451 4.7.1 <bob@example.com>: try 192.0.2.7 in 300 s (id 3F2A1B4C9D)")
    '451 4.7.1 <@>: try <ip> in <n> s (id <id>)'

The counter is bounded: past ``max_texts`` distinct texts, new ones are counted as one
"(other texts)" row, so memory does not grow with the log.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from logscan.core.event import ClassifiedEvent
from logscan.core.smtp import ENHANCED_CODE, REPLY_CODE
from logscan.sinks.report.table import clean

MAX_TEXTS = 5000
TOP = 20
OTHER_TEXTS = "(other texts)"
NO_TEXT = "(no text)"
_MAX_TEXT = 300

# Order matters: addresses before hosts, hosts and IPs before numbers; codes are kept.
_MASKS = (
    (re.compile(r"[^\s<>()\[\]\"',;:]*@[^\s<>()\[\]\"',;]+"), "@"),
    (re.compile(r"(?<![\w.:])\d{1,3}(?:\.\d{1,3}){3}(?![\w.])"), "<ip>"),
    (re.compile(r"(?<![\w:])[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?![\w:])"), "<ip>"),
    # Exim message ids, Postfix/Sendmail queue ids, hex or mixed tokens of 8+ characters.
    (re.compile(r"\b[0-9A-Za-z]{6}-[0-9A-Za-z]{6,11}-[0-9A-Za-z]{2,4}\b"), "<id>"),
    (re.compile(r"\b(?=[0-9A-Za-z]*\d)(?=[0-9A-Za-z]*[A-Za-z])[0-9A-Za-z]{8,}\b"), "<id>"),
    (re.compile(rf"(?<![\w.])(?!{ENHANCED_CODE}(?![\w.]))\d+(?:\.\d+)*(?![\w.])"), "<n>"),
)
_LEADING_CODE = re.compile(rf"^\s*{REPLY_CODE}(?=[ -]|$)")


def normalise(text: str) -> str:
    """``text`` with addresses, IPs, queue ids and numbers masked (reply codes kept)."""
    text = text.strip()[:_MAX_TEXT]
    m = _LEADING_CODE.match(text)
    head, rest = (m.group(0), text[m.end() :]) if m else ("", text)
    for regex, mask in _MASKS:
        rest = regex.sub(mask, rest)
    return head + re.sub(r"\s+", " ", rest)


def is_gap(rule: str, category: str) -> bool:
    """Whether a verdict is a gap: no category, or only the reply class decided it."""
    return category == "unknown" or rule.startswith("class:")


@dataclass
class Gaps:
    """Sink: counts the normalised texts of gap events, per (mta, text)."""

    max_texts: int = MAX_TEXTS
    _counts: dict[tuple[str, str], int] = field(default_factory=dict)
    _first: dict[tuple[str, str], tuple[str, int, str]] = field(default_factory=dict)

    def __call__(self, item: ClassifiedEvent) -> None:
        ev, v = item
        if not is_gap(v.rule, v.category):
            return
        text = normalise(ev.text) if ev.text else NO_TEXT
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
