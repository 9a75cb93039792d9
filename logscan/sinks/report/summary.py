"""The batch report: a sink that sums classified events into the ``logscan scan`` summary.

Each event costs one dictionary update: events are counted by the tuple of their bounded fields
(mta, direction, status, code, enhanced, class, category, provider, blocklist), and the tables
(by status, by category, ...) are summed from those tuples when the summary is asked for. The
number of distinct tuples is capped, one example line is kept per reject reason, and the
unrecognized lines kept for ``--show-unrecognized`` are capped too: memory does not grow with
the log::

    >>> from logscan.core.event import ClassifiedEvent, Event, Verdict
    >>> report = Report()
    >>> ev = Event(path="mail.log", line=7, mta="postfix", direction="outbound",
    ...            status="bounced", code="550", enhanced="5.1.1", text="550 5.1.1 User unknown")
    >>> report(ClassifiedEvent(ev, Verdict("permanent", "mailbox-unknown")))
    >>> summary = report.summary()
    >>> summary["by_category"], summary["top_reject_reasons"]["outbound"][0]["example"]["line"]
    ({'mailbox-unknown': 1}, 7)

Blocklists and reject reasons are split by direction: ``outbound`` is what remote servers refused
of our mail (we are listed: the page-worthy fact), ``inbound`` what our server refused of its
clients (our own RBL doing its job). One mixed count would hide the first in the second.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple, cast, get_args

from logscan.core.event import ClassifiedEvent, Direction
from logscan.pipeline import LineCounts

# Past this many distinct (mta, ..., blocklist) tuples, new ones lose their code and enhanced
# code (folded into "other"): the rest of the tuple comes from bounded sets.
MAX_KEYS = 20_000
MAX_UNRECOGNIZED = 200
MAX_TEXT = 500
OTHER = "other"
NONE = "none"  # table key for a field the event does not have (no status, no code, ...)
# An event is a "reject reason" when its reply failed or its delivery did not happen.
_FAILED_CLASSES = frozenset({"transient", "permanent"})
_FAILED_STATUSES = frozenset({"deferred", "bounced", "expired", "rejected"})
DIRECTIONS: tuple[Direction, ...] = get_args(Direction)  # ("outbound", "inbound")
Reason = tuple[str, str, str]  # direction, category, code


class Key(NamedTuple):
    mta: str
    direction: str
    status: str | None
    code: str | None
    enhanced: str | None
    class_: str | None
    category: str
    provider: str | None
    blocklist: str | None


@dataclass(frozen=True, slots=True)
class Example:
    path: str
    line: int
    text: str

    def as_dict(self) -> dict[str, Any]:
        return {"path": self.path, "line": self.line, "text": self.text}


@dataclass(frozen=True, slots=True)
class FileResult:
    """What happened to one input file."""

    path: str
    parser: str | None
    counts: LineCounts
    error: str | None = None
    # Impossible timestamps (Feb 30, 25:61) the parser set to null.
    invalid_timestamps: int = 0
    # Lines on which the parser raised (a bug; counted as unrecognized too).
    parser_errors: int = 0

    @property
    def lines(self) -> int:
        c = self.counts
        return c.event + c.ignored + c.unrecognized

    def as_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "parser": self.parser,
            "lines": self.lines,
            "outcomes": self.counts.as_dict(),
            "error": self.error,
            "invalid_timestamps": self.invalid_timestamps,
            "parser_errors": self.parser_errors,
        }


@dataclass
class Report:
    """Sink for ``Pipeline``: call it with each ``ClassifiedEvent``; then :meth:`summary`."""

    max_keys: int = MAX_KEYS
    max_unrecognized: int = MAX_UNRECOGNIZED
    _counts: dict[tuple[str | None, ...], int] = field(default_factory=dict)  # Key -> count
    # The first (so earliest) event of each reject reason (direction, category, code).
    _examples: dict[Reason, Example] = field(default_factory=dict)
    files: list[FileResult] = field(default_factory=list)
    unrecognized: list[Example] = field(default_factory=list)
    unrecognized_dropped: int = 0

    def __call__(self, item: ClassifiedEvent) -> None:
        ev, v = item
        # A plain tuple hashes and compares equal to the Key with the same fields, and is
        # cheaper to build; the Key is made once per distinct tuple, in _new_key.
        key = (
            ev.mta,
            ev.direction,
            ev.status,
            ev.code,
            ev.enhanced,
            v.class_,
            v.category,
            v.provider,
            v.blocklist,
        )
        counts = self._counts
        n = counts.get(key)
        if n is None:
            self._count_new(Key(*key), item)
        else:
            counts[key] = n + 1

    def _count_new(self, key: Key, item: ClassifiedEvent) -> None:
        if len(self._counts) >= self.max_keys:
            key = key._replace(code=OTHER, enhanced=OTHER)
        self._counts[key] = self._counts.get(key, 0) + 1
        reason = _reason(key)
        if reason is not None and reason not in self._examples:
            ev = item.event
            self._examples[reason] = Example(ev.path, ev.line, (ev.text or "")[:MAX_TEXT])

    def unrecognized_line(self, path: str) -> Callable[[int, str], None]:
        """A ``Pipeline.on_unrecognized`` callback that keeps the first lines of ``path``."""

        def keep(lineno: int, text: str) -> None:
            if len(self.unrecognized) < self.max_unrecognized:
                self.unrecognized.append(Example(path, lineno, text[:MAX_TEXT]))
            else:
                self.unrecognized_dropped += 1

        return keep

    def add_unrecognized(self, lines: Sequence[Example], dropped: int) -> None:
        """Unrecognized lines another report kept (a ``scan -j`` worker's, of the file read
        next) and the number it dropped, as if they had come here: kept up to the cap."""
        for example in lines:
            self.unrecognized_line(example.path)(example.line, example.text)
        self.unrecognized_dropped += dropped

    def add_file(self, result: FileResult) -> None:
        self.files.append(result)

    def summary(self) -> dict[str, Any]:
        """The summary as plain data (what ``--format json`` prints)."""
        totals = LineCounts()
        for f in self.files:
            totals.event += f.counts.event
            totals.ignored += f.counts.ignored
            totals.unrecognized += f.counts.unrecognized
        items = self._items()
        return {
            "files": [f.as_dict() for f in self.files],
            "lines": sum(f.lines for f in self.files),
            "outcomes": totals.as_dict(),
            "invalid_timestamps": sum(f.invalid_timestamps for f in self.files),
            "parser_errors": sum(f.parser_errors for f in self.files),
            "outcomes_by_parser": self._outcomes_by_parser(),
            "events": sum(self._counts.values()),
            "by_status": _table(items, lambda k: k.status),
            "by_class": _table(items, lambda k: k.class_),
            "by_category": _table(items, lambda k: k.category),
            "by_code": _table(items, lambda k: k.code),
            "by_enhanced": _table(items, lambda k: k.enhanced),
            "by_reply": _table(items, _reply),
            "by_provider": _table(items, lambda k: k.provider),
            "by_direction": _table(items, lambda k: k.direction),
            "by_mta": _table(items, lambda k: k.mta),
            "blocklists": {d: _blocklists(items, d) for d in DIRECTIONS},
            "top_reject_reasons": {d: self._reject_reasons(d) for d in DIRECTIONS},
            "unrecognized_lines": [u.as_dict() for u in self.unrecognized],
            "unrecognized_not_shown": self.unrecognized_dropped,
        }

    def _items(self) -> list[tuple[Key, int]]:
        # Every stored key was inserted by _count_new as a Key.
        return [(cast(Key, key), n) for key, n in self._counts.items()]

    def _outcomes_by_parser(self) -> dict[str, dict[str, int]]:
        out: dict[str, dict[str, int]] = {}
        for f in self.files:
            if f.parser is None:
                continue
            acc = out.setdefault(f.parser, dict.fromkeys(f.counts.as_dict(), 0))
            for outcome, n in f.counts.as_dict().items():
                acc[outcome] += n
        return out

    def _reject_reasons(self, direction: str, top: int = 20) -> list[dict[str, Any]]:
        """Failed replies and deliveries of one direction by category and code, each with its
        earliest example."""
        counts: Counter[Reason] = Counter()
        for key, n in self._items():
            reason = _reason(key)
            if reason is not None and reason[0] == direction:
                counts[reason] += n
        ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:top]
        return [
            {
                "direction": direction,
                "category": category,
                "code": code,
                "count": n,
                "example": self._examples[(direction, category, code)].as_dict(),
            }
            for (_, category, code), n in ranked
        ]


def _reason(key: Key) -> Reason | None:
    """(direction, category, code) of a failed reply or delivery, None for other events."""
    if key.class_ not in _FAILED_CLASSES and key.status not in _FAILED_STATUSES:
        return None
    return key.direction, key.category, key.code or NONE


def _blocklists(items: Iterable[tuple[Key, int]], direction: str) -> dict[str, int]:
    """Replies naming a blocklist, of one direction."""
    table = _table((kn for kn in items if kn[0].direction == direction), lambda k: k.blocklist)
    return {name: n for name, n in table.items() if name != NONE}


def _reply(key: Key) -> str:
    return f"{key.code or '-'} {key.enhanced or '-'}"


def _table(
    items: Iterable[tuple[Key, int]], field_of: Callable[[Key], str | None]
) -> dict[str, int]:
    """Counts by one field, largest first (ties by name); a missing value counts as "none"."""
    acc: Counter[str] = Counter()
    for key, n in items:
        acc[field_of(key) or NONE] += n
    return dict(sorted(acc.items(), key=lambda kv: (-kv[1], kv[0])))
