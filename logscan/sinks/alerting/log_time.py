"""When an event happened, for the alert engine's windows: its log timestamp as Unix time.

Parsers give ``Event.ts`` as ISO 8601 text, the year of BSD syslog timestamps already completed
(see ``logscan.parsing.api``). A timestamp without a zone is the daemon's local time, as syslog
writes
it. The engine counts an event at that time, not when it was read, so a backlog replayed after a
restart lands in the windows where it happened (and mostly falls out of them)::

    >>> c = LogClock(skew=300.0)
    >>> c.event_time("2026-12-06T09:00:00Z", read_at=1_796_559_000.0)   # hours before: kept
    1796547600.0
    >>> c.event_time(None, read_at=1_796_559_000.0)                     # no time: read time
    1796559000.0
    >>> c.event_time("not a time", read_at=1_796_559_000.0)
    1796559000.0
    >>> c.event_time("2026-12-06T12:04:00Z", read_at=1_796_559_000.0)   # 4 min ahead: kept
    1796558640.0
    >>> c.event_time("2026-12-06T14:00:00Z", read_at=1_796_559_000.0)   # 2 h ahead: read time
    1796559000.0

A clock ahead of ours by up to ``skew`` keeps its times (the engine then evaluates the windows at
the latest such time, see ``AlertEngine.tick``); a timestamp further ahead cannot be trusted (a
wrong zone, a broken clock) and the event counts when it was read. A clock behind ours needs no
tolerance to be safe: its events count for the part of their window still ahead of our clock, so
history never fires; a clock behind by more than a rule's window cannot fire it.

A year-less (BSD syslog) timestamp can get the wrong year around New Year: a December line read
in January by a parser started in January lands in next December, and a January line read by a
parser started in December (Sendmail's, Exim's) lands a year back. So a time more than half a
year ahead is taken one year earlier (history: a backlog from before New Year never pages), and
one about a year old that becomes read time (within ``skew``) when a year is added is taken so::

    >>> c.event_time("2027-12-06T11:00:00Z", read_at=1_796_559_000.0)   # a year ahead: history
    1796554800.0
    >>> c.event_time("2025-12-06T12:09:00Z", read_at=1_796_559_000.0)   # last year's now: now
    1796558940.0
    >>> c.event_time("2025-12-06T09:00:00Z", read_at=1_796_559_000.0)   # a year old: history
    1765011600.0
"""

from __future__ import annotations

import datetime
import math

DEFAULT_SKEW = 300.0  # seconds a log's clock may run ahead of ours
_HALF_YEAR = 182 * 86400.0  # further off than this, a year-less timestamp got the wrong year
_CACHE_SIZE = 4096  # consecutive lines mostly share their second: a small cache saves the parse


def parse_log_time(ts: str) -> float | None:
    """Unix time of an ISO 8601 timestamp (local time when it has no zone); None if not one.

    >>> parse_log_time("2026-12-06T09:00:00+01:00")
    1796544000.0
    >>> parse_log_time("Dec  6 09:00:00") is None
    True
    """
    try:
        return datetime.datetime.fromisoformat(ts).timestamp()
    except (ValueError, OverflowError, OSError):
        return None


def _add_year(t: float, years: int) -> float:
    """``t`` moved by whole calendar years (29 February moves to 1 March)."""
    d = datetime.datetime.fromtimestamp(t, datetime.UTC)
    try:
        return d.replace(year=d.year + years).timestamp()
    except ValueError:
        return (d + datetime.timedelta(days=1)).replace(year=d.year + years).timestamp()


class LogClock:
    """Event times from log timestamps, with a bounded tolerance for clocks ahead of ours."""

    __slots__ = ("_cache", "skew")

    def __init__(self, skew: float = DEFAULT_SKEW) -> None:
        self.skew = skew
        self._cache: dict[str, float] = {}

    def event_time(self, ts: str | None, read_at: float) -> float:
        """When the event stamped ``ts`` happened, given that it was read at ``read_at``."""
        if ts is None:
            return read_at
        t = self._cache.get(ts)
        if t is None:
            t = self._parse(ts)
        if read_at - _HALF_YEAR < t <= read_at + self.skew:
            return t
        return self._off(t, read_at)

    def _off(self, t: float, read_at: float) -> float:
        """A time ahead of ours by more than the skew, or more than half a year old."""
        if t == math.inf:
            return read_at  # not a time
        if t > read_at + _HALF_YEAR:
            t = _add_year(t, -1)  # completed with next year's number
            return t if t <= read_at + self.skew else read_at
        if t > read_at:
            return read_at  # a clock we cannot trust
        shifted = _add_year(t, 1)  # completed with last year's number while being read live?
        return shifted if abs(shifted - read_at) <= self.skew else t

    def _parse(self, ts: str) -> float:
        if len(self._cache) >= _CACHE_SIZE:
            self._cache.clear()  # bounded memory; a burst of new seconds refills it
        t = parse_log_time(ts)
        self._cache[ts] = t = math.inf if t is None else t
        return t
