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
            return [self.event(line=lineno, direction="inbound", ts=ts, ...)]

A parser that remembers things between lines (a queue id's sender, an open session) bounds
that memory by count and by bytes (:class:`logscan.core.bounded.BoundedMap`), truncates the
text it keeps, and hands each store to :meth:`Parser.keep`, so that
:meth:`Parser.state_evictions` reports what had to be dropped.
"""

from __future__ import annotations

import datetime
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from typing import ClassVar, NamedTuple, Protocol, TypeVar

from logscan.core.event import Event, MessageNote
from logscan.core.timestamp import TimestampCheck
from logscan.parsing.event_builder import EventBuilder
from logscan.parsing.repeats import Repeatable, last_repeated, unfold, with_repeats
from logscan.parsing.syslog import bsd_month, iso_ts


class BoundedState(Protocol):
    """What a parser keeps across lines: bounded, it counts the entries it had to drop."""

    @property
    def evictions(self) -> int: ...


S = TypeVar("S", bound=BoundedState)

# A line that was not simply ignored: (line number, text, its events or None if not understood).
Outcome = tuple[int, str, list[Event] | None]


class BlockResult(NamedTuple):
    """What :meth:`Parser.feed_block` found in a block of lines."""

    ignored: int  # lines feed() answered [] for
    errors: int  # lines on which feed() raised (they are in ``rest`` too, as not understood)
    rest: list[Outcome]  # the other lines, in order
    # The numbers of the lines on which feed() raised, so that the fault can be located; ()
    # from a parser whose feed_block does not say (then only the block is known).
    failed: tuple[int, ...] = ()


class Parser(ABC):
    """Base class of every parser, built-in or plug-in."""

    name: ClassVar[str]
    description: ClassVar[str] = ""
    # Where a parser that knows message milestones (arrival, queue, removal) reports them; set
    # by the pipeline only when a sink wants them (message correlation), so it costs nothing
    # otherwise. A parser that knows none ignores it.
    notes: Callable[[MessageNote], None] | None = None
    # A BSD syslogd's "last message repeated N times" line was not understood in this block,
    # and what such a line would repeat after the block before (None: an ignored line).
    _repeats_seen: bool = False
    _before: Repeatable = None

    def __init__(self, path: str = "-", year: int | None = None) -> None:
        # ``year`` completes BSD syslog timestamps, which carry none (default: the current year).
        self.path = path
        # Every event of this file is built by it: path and MTA filled in, the rest by keyword.
        self.event = EventBuilder(path, self.name).event
        self.year: int = year if year is not None else datetime.datetime.now(datetime.UTC).year
        # Pass every ``ts`` built from text through it: impossible ones become None, counted.
        self.timestamps = TimestampCheck()
        self._last_month = 0  # month of the last BSD timestamp completed (0: none yet)
        # The last syslog timestamp completed and its ISO form: lines come in bursts per second.
        self._completed: tuple[str | None, str | None] = (None, None)
        self._state: list[BoundedState] = []

    def keep(self, state: S) -> S:
        """``state``, now counted by :meth:`state_evictions`: what this parser keeps across
        lines (a queue's envelopes, open sessions)."""
        self._state.append(state)
        return state

    def year_of(self, month: int) -> int:
        """The year of a BSD timestamp in ``month`` (1-12), read in log order.

        ``self.year`` until the log runs from December into January, then one more: only that
        step, so a log slightly out of order (or a test file of unrelated lines) stays put.
        Every parser that reads BSD timestamps completes them here (or through
        :meth:`iso_time`), so they all cross New Year alike.
        """
        if month == 1 and self._last_month == 12:
            self.year += 1
        self._last_month = month
        return self.year

    def iso_time(self, ts: str | None) -> str | None:
        """ISO 8601 form of a syslog timestamp (:func:`logscan.parsing.syslog.split`'s ``ts``); a
        BSD one gets its year from :meth:`year_of`. Raises ValueError for a day that is not a
        number."""
        last, iso = self._completed
        if ts == last and ts is not None:
            return iso  # the same stamp again: the same month, so the same year
        month = bsd_month(ts)
        iso = iso_ts(ts, self.year if month is None else self.year_of(month))
        self._completed = (ts, iso)
        return iso

    @staticmethod
    def share(head: Sequence[str], ours: Callable[[str], bool]) -> float:
        """The share of the non-blank lines of ``head`` that are ``ours`` (0.0 if none): the
        :meth:`detect` of a parser that knows its lines one by one."""
        lines = [line for line in head if line.strip()]
        return sum(1 for line in lines if ours(line)) / len(lines) if lines else 0.0

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

    def feed_repeated(self, text: str, start: int, lineno: int) -> list[Event] | None:
        """The answer of :meth:`feed` for a line whose message at ``start`` is rsyslog's
        ``message repeated N times: [MESSAGE]`` (:mod:`logscan.parsing.repeats`): the events of
        ``MESSAGE`` on a line of its own, ``N`` times; ``[]`` or None as ``MESSAGE``'s line
        would be answered, None too for a notice not in that form.

        A syslog parser calls it where its messages start, after a test for
        :data:`~logscan.parsing.repeats.MARK`. Message notes are not repeated: the same message
        held back ``N`` times is not ``N`` arrivals or removals, so none are given for it.
        """
        unfolded = unfold(text, start)
        if unfolded is None:
            return None
        line, times = unfolded
        notes, self.notes = self.notes, None
        try:
            events = self.feed(line, lineno)
        finally:
            self.notes = notes
        return events * times if events else events

    def not_understood(self, text: str) -> list[Event] | None:
        """None, feed()'s answer for a line it does not understand: a syslog parser answers this
        where its other programs' lines leave, so that :meth:`feed_block` can give a BSD
        syslogd's ``last message repeated N times`` line the events of the line before it
        (:func:`~logscan.parsing.repeats.last_repeated`); feed() alone cannot know them."""
        if last_repeated(text) is not None:
            self._repeats_seen = True
        return None

    def repeat_previous(self, result: BlockResult, last: int) -> BlockResult:
        """``result`` of a block whose last line is numbered ``last``, with each BSD ``last
        message repeated N times`` line in it given the events of the message it repeats
        (:func:`~logscan.parsing.repeats.with_repeats`): the last step of every
        :meth:`feed_block`, which otherwise only keeps what the block's last line repeats."""
        rest = result.rest
        if not rest and not result.ignored:
            return result  # a block of no lines: the line before is still the one before
        if self._repeats_seen:
            self._repeats_seen = False
            rest, dropped, after = with_repeats(rest, self._before)
            result = result._replace(ignored=result.ignored + dropped, rest=rest)
        else:
            after = (rest[-1][0], rest[-1][2]) if rest else None
        self._before = after if after is not None and after[0] == last else None
        return result

    def feed_block(self, lines: Sequence[str], start: int) -> BlockResult:
        """:meth:`feed` over consecutive ``lines`` numbered from ``start`` (batch reading, and
        the daemon's reads).

        Counts the lines ``feed`` ignored (gave ``[]``) and those on which it raised, and lists
        the others as ``(lineno, text, events)``, ``events`` being None for a line not understood
        or on which ``feed`` raised. A parser may override this with a loop that skips its
        ignorable lines without a call per line; the answers must stay those of ``feed``, but
        for the lines :meth:`repeat_previous` (its last step) answers.
        """
        feed = self.feed
        ignored = 0
        failed: list[int] = []
        rest: list[Outcome] = []
        for lineno, text in enumerate(lines, start):
            try:
                events = feed(text, lineno)
            except Exception:  # a parser bug costs one line, not the run
                events = None
                failed.append(lineno)
            if events is not None and not events:
                ignored += 1
            else:
                rest.append((lineno, text, events))
        result = BlockResult(ignored, len(failed), rest, tuple(failed))
        return self.repeat_previous(result, start + len(lines) - 1)

    def flush(self) -> list[Event]:
        """Events still held in state at the end of the input (default: none)."""
        return []

    def state_evictions(self) -> int:
        """How many state entries (queued messages, open sessions) this parser has dropped so
        far to stay within its bounds, before the log said they were done: those of the stores
        given to :meth:`keep` (default: none).

        A parser that keeps state across lines must bound it by count and by bytes, since a
        remote host chooses what its lines hold; the daemon exports this count as
        ``logscan_parser_state_evictions_total``, so a flood that costs context shows.
        """
        return sum(state.evictions for state in self._state)
