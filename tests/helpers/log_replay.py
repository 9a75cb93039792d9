"""Feeding a log file through a parser the way a source does, for the parser tests.

>>> from parsers.mdaemon import MDaemonParser
>>> run = replay(MDaemonParser, DATA / "mdaemon" / "MDaemon-SMTP-in-2024-03-12.log")
>>> run.outcomes[6], run.events[0].code
('event', '220')
"""

from __future__ import annotations

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
