"""When an event happened, for the alert engine's windows: its log timestamp as Unix time.

Parsers give ``Event.ts`` as ISO 8601 text, the year of BSD syslog timestamps already completed
(see ``logscan.parser``). A timestamp without a zone is the daemon's local time, as syslog writes
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
wrong zone, a wrong year, a broken clock) and the event counts when it was read. A clock behind
ours needs no tolerance to be safe: its events count for the part of their window still ahead of
our clock, so history never fires; a clock behind by more than a rule's window cannot fire it.
"""

from __future__ import annotations

import datetime
import math

DEFAULT_SKEW = 300.0  # seconds a log's clock may run ahead of ours
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
        # inf (not a time) and a time too far ahead both fall back to the read time
        return t if t <= read_at + self.skew else read_at

    def _parse(self, ts: str) -> float:
        if len(self._cache) >= _CACHE_SIZE:
            self._cache.clear()  # bounded memory; a burst of new seconds refills it
        t = parse_log_time(ts)
        self._cache[ts] = t = math.inf if t is None else t
        return t
