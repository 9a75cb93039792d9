"""The parser plug-in API.

A parser turns the lines of one log (one instance per file or stream, so per-file state such as
Exchange's ``#Fields`` header or a Postfix queue id lives on the instance) into events. It never
classifies. Register a parser in your package's ``pyproject.toml``::

    [project.entry-points."logscan.parsers"]
    mymta = "mymta_logscan:MyMtaParser"

and implement::

    class MyMtaParser(Parser):
        name = "mymta"
        description = "MyMTA delivery log"

        @classmethod
        def detect(cls, head: Sequence[str], path: str | None) -> float:
            return 1.0 if any("mymta[" in line for line in head) else 0.0

        def feed(self, text: str, lineno: int) -> list[Event] | None:
            if "mymta[" not in text:
                return None          # not understood: counted as "unrecognized"
            if " reply=" not in text:
                return []            # understood, holds no reply: "ignored"
            ts = self.timestamps(text.split(" ", 1)[0])  # None (counted) if impossible
            return [Event(path=self.path, line=lineno, mta=self.name, ts=ts, ...)]

A parser that remembers things between lines (a queue id's sender, an open session) bounds
that memory by count and by bytes, truncates the text it keeps, and reports what it had to
drop through :meth:`Parser.state_evictions`.
"""

from __future__ import annotations

import datetime
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from typing import ClassVar

from logscan.event import Event, MessageNote
from logscan.timestamp import TimestampCheck


class Parser(ABC):
    """Base class of every parser, built-in or plug-in."""

    name: ClassVar[str]
    description: ClassVar[str] = ""
    # Where a parser that knows message milestones (arrival, queue, removal) reports them; set
    # by the pipeline only when a sink wants them (message correlation), so it costs nothing
    # otherwise. A parser that knows none ignores it.
    notes: Callable[[MessageNote], None] | None = None

    def __init__(self, path: str = "-", year: int | None = None) -> None:
        # ``year`` completes BSD syslog timestamps, which carry none (default: the current year).
        self.path = path
        self.year: int = year if year is not None else datetime.datetime.now(datetime.UTC).year
        # Pass every ``ts`` built from text through it: impossible ones become None, counted.
        self.timestamps = TimestampCheck()

    @classmethod
    @abstractmethod
    def detect(cls, head: Sequence[str], path: str | None) -> float:
        """How sure we are (0.0 to 1.0) that a log whose first lines are ``head`` is ours."""

    @abstractmethod
    def feed(self, text: str, lineno: int) -> list[Event] | None:
        """Parse one line (without its newline).

        Return the events it completes (possibly several, possibly for earlier lines of a
        multi-line reply), ``[]`` for a line understood that holds no reply, or ``None`` for a
        line this parser does not understand. Must never raise on any input.
        """

    def flush(self) -> list[Event]:
        """Events still held in state at the end of the input (default: none)."""
        return []

    def state_evictions(self) -> int:
        """How many state entries (queued messages, open sessions) this parser has dropped so
        far to stay within its bounds, before the log said they were done (default: none).

        A parser that keeps state across lines must bound it by count and by bytes, since a
        remote host chooses what its lines hold; the daemon exports this count as
        ``logscan_parser_state_evictions_total``, so a flood that costs context shows.
        """
        return 0
