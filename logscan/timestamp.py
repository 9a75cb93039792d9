"""The one check of the timestamps parsers put in events: a real instant, or null.

Parsers build ``ts`` from text (syslog's ``Feb 30 25:61:61`` with a year added, Exim's own,
Exchange's, MDaemon's), so a garbled line can give a date that never was. Every built-in parser
passes what it built through its :class:`TimestampCheck` (``self.timestamps``, made by the
:class:`~logscan.parser.Parser` base class), which returns it unchanged if it is possible and
None if not, counting those::

    >>> check = TimestampCheck()
    >>> check("2027-02-28T23:59:59.123+01:00"), check("2027-02-30T25:61:61"), check.invalid
    ('2027-02-28T23:59:59.123+01:00', None, 1)

Accepted: ``YYYY-MM-DDTHH:MM:SS``, a fraction (``.``/``,``), ``Z`` or an offset (``+01:00``,
``+0100``); second 60 (a leap second, RFC 3339). Consecutive events mostly share their second,
so the last valid timestamp again costs one comparison, another in its second (a new fraction)
a short regex match, and a new second a regex match and a ``datetime``.
"""

from __future__ import annotations

import datetime
import re

_ISO = re.compile(
    r"(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:[.,]\d+)?(?:Z|[+-](\d\d):?(\d\d))?", re.ASCII
)
# What may follow a second already known to be valid.
_TAIL = re.compile(r"(?:[.,]\d+)?(?:Z|[+-](?:[01]\d|2[0-3]):?[0-5]\d)?", re.ASCII)
SECOND_CHARS = 19  # len("2027-02-28T23:59:59")


class TimestampCheck:
    """Checks the ISO 8601 timestamps one parser builds; ``invalid`` counts those set to null."""

    __slots__ = ("_last", "_last_second", "invalid")

    def __init__(self) -> None:
        self.invalid = 0
        self._last = ""  # the last valid timestamp
        self._last_second = ""  # its first 19 characters

    def __call__(self, ts: str | None) -> str | None:
        """``ts`` if it names a possible instant (or is None), else None, counted."""
        if ts is None or ts == self._last:
            return ts
        if ts[:SECOND_CHARS] == self._last_second and (
            len(ts) == SECOND_CHARS or _TAIL.fullmatch(ts, SECOND_CHARS)
        ):
            self._last = ts
            return ts
        if _possible(ts):
            self._last, self._last_second = ts, ts[:SECOND_CHARS]
            return ts
        self.invalid += 1
        return None


def _possible(ts: str) -> bool:
    m = _ISO.fullmatch(ts)
    if m is None:
        return False
    year, month, day, hour, minute, second = (int(g) for g in m.groups()[:6])
    off_hours, off_minutes = m.group(7), m.group(8)
    if off_hours is not None and (int(off_hours) > 23 or int(off_minutes) > 59):
        return False
    if second == 60:
        second = 59  # a leap second: datetime does not know them, RFC 3339 does
    try:
        datetime.datetime(year, month, day, hour, minute, second)
    except ValueError:  # month 13, February 30, hour 25, year 0, ...
        return False
    return True
