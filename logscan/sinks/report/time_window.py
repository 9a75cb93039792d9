"""``scan --since/--until``: keep the events and message notes of a time window (pflogsumm -d).

Times are compared as ISO 8601 text in the log's own clock (a BSD syslog time has no zone), so
a bound is turned into local ``YYYY-MM-DDTHH:MM:SS``::

    >>> now = datetime.datetime(2024, 3, 5, 12, 30)
    >>> parse_when("today", now), parse_when("yesterday", now), parse_when("-1h", now)
    ('2024-03-05T00:00:00', '2024-03-04T00:00:00', '2024-03-05T11:30:00')
    >>> parse_when("2024-03-01", now), parse_when("2024-03-01 10:00", now)
    ('2024-03-01T00:00:00', '2024-03-01T10:00:00')

``--until today`` ends where today begins, so ``--since yesterday --until today`` is yesterday.
Lines are still read and counted; only what the report sums is filtered. An event without a
time stamp is kept (it cannot be placed outside the window).
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

_RELATIVE = re.compile(r"-(\d+)([smhdw])")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
T = TypeVar("T")


def parse_when(text: str, now: datetime.datetime | None = None) -> str:
    """``text`` (ISO 8601 date or time, ``today``, ``yesterday``, ``-1h``, ``-2d``) as ISO text;
    ValueError if it is none of these."""
    now = now or datetime.datetime.now()
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    word = text.strip().lower()
    if word == "today":
        when = midnight
    elif word == "yesterday":
        when = midnight - datetime.timedelta(days=1)
    elif (m := _RELATIVE.fullmatch(word)) is not None:
        when = now - datetime.timedelta(seconds=int(m.group(1)) * _UNITS[m.group(2)])
    else:
        when = datetime.datetime.fromisoformat(text.strip())
        if when.tzinfo is not None:  # the log's clock is local: compare in local time
            when = when.astimezone().replace(tzinfo=None)
    return when.replace(microsecond=0).isoformat()


@dataclass(frozen=True)
class TimeWindow:
    since: str | None = None
    until: str | None = None

    def keeps(self, ts: str | None) -> bool:
        if ts is None:
            return True
        ts = ts[:19]
        return (self.since is None or ts >= self.since) and (self.until is None or ts < self.until)

    def wrap(
        self, consume: Callable[[T], None], ts_of: Callable[[T], str | None]
    ) -> Callable[[T], None]:
        """``consume`` for the items within the window only."""
        keeps = self.keeps

        def filtered(item: T) -> None:
            if keeps(ts_of(item)):
                consume(item)

        return filtered
