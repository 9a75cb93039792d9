"""Feeding a log file through a parser the way a source does, for the parser tests.

>>> from parsers.mdaemon import MDaemonParser
>>> run = replay(MDaemonParser, DATA / "mdaemon" / "MDaemon-SMTP-in-2024-03-12.log")
>>> run.outcomes[6], run.events[0].code
('event', '220')
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from logscan.core.event import Event
from logscan.parsing.api import Parser
from tests.helpers.paths import DATA  # noqa: F401 (the doctest above reads it)


@dataclass
class Replay:
    """What a parser made of a file: events in order, each line's outcome, the lines."""

    lines: list[str]
    events: list[Event] = field(default_factory=list)
    outcomes: dict[int, str] = field(default_factory=dict)


def replay(cls: type[Parser], path: Path) -> Replay:
    """Feed every line of ``path`` (line ending removed) to a fresh parser, then flush."""
    parser = cls(path=path.name)
    lines = path.read_text(encoding="utf-8").splitlines()
    run = Replay(lines)
    for lineno, text in enumerate(lines, 1):
        got = parser.feed(text, lineno)
        run.outcomes[lineno] = "unrecognized" if got is None else "event" if got else "ignored"
        run.events.extend(got or [])
    run.events.extend(parser.flush())
    return run


# (line, direction, stage, status, code, enhanced, recipient) of an event: the golden tests' view.
Row = tuple[int, str, str, str | None, str | None, str | None, str | None]


def event_rows(cls: type[Parser], path: Path) -> list[Row]:
    """Every event of ``path``, in order, as a :data:`Row`."""
    return [
        (e.line, e.direction, e.stage, e.status, e.code, e.enhanced, e.recipient)
        for e in replay(cls, path).events
    ]


def reply_recall(
    cls: type[Parser],
    paths: Iterable[Path],
    reply_lines: Callable[[Path], Iterator[tuple[int, str]]],
) -> tuple[int, int]:
    """(found, total): of the (line, code) pairs ``reply_lines`` finds on its own, how many the
    parser gave an event for."""
    total = found = 0
    for path in paths:
        got = {(e.line, e.code) for e in replay(cls, path).events}
        for key in reply_lines(path):
            total += 1
            found += key in got
    return found, total
