"""The one check of the timestamps parsers put in events: a real instant, or null.

Parsers build ``ts`` from text (syslog's ``Feb 30 25:61:61`` with a year added, Exim's own,
Exchange's, MDaemon's), so a garbled line can give a date that never was. Every built-in parser
passes what it built through its :class:`TimestampCheck` (``self.timestamps``, made by the
:class:`~logscan.parsing.api.Parser` base class), which returns it unchanged if it is possible and
None if not, counting those::

    >>> check = TimestampCheck()
    >>> check("2027-02-28T23:59:59.123+01:00"), check("2027-02-30T25:61:61"), check.invalid
    ('2027-02-28T23:59:59.123+01:00', None, 1)

Accepted: ``YYYY-MM-DDTHH:MM:SS``, a fraction (``.``/``,``), ``Z`` or an offset (``+01:00``,
``+0100``); second 60 (a leap second, RFC 3339). Cheap for the common case: the last valid
timestamp again costs one comparison; another time of the same day one regex match; only a new
day also builds a ``datetime.date``.
"""

from __future__ import annotations

import datetime
import re

# The date, whose day is checked with ``datetime`` (February 30, month 13), once per day.
_DATE = re.compile(r"(\d{4})-(\d\d)-(\d\d)T", re.ASCII)
# The rest, checked by the pattern itself: hour, minute, second (60: a leap second, RFC 3339),
# fraction, zone.
_TIME = re.compile(
    r"(?:[01]\d|2[0-3]):[0-5]\d:(?:[0-5]\d|60)(?:[.,]\d+)?(?:Z|[+-](?:[01]\d|2[0-3]):?[0-5]\d)?",
    re.ASCII,
)
DATE_CHARS = 11  # len("2027-02-28T")


class TimestampCheck:
    """Checks the ISO 8601 timestamps one parser builds; ``invalid`` counts those set to null."""

    __slots__ = ("_last", "_last_date", "invalid")

    def __init__(self) -> None:
        self.invalid = 0
        self._last = ""  # the last valid timestamp
        self._last_date = ""  # its first 11 characters, "YYYY-MM-DDT"

    def __call__(self, ts: str | None) -> str | None:
        """``ts`` if it names a possible instant (or is None), else None, counted."""
        if ts is None or ts == self._last:
            return ts
        date = ts[:DATE_CHARS]
        if (date == self._last_date or _possible_date(date)) and _TIME.fullmatch(ts, DATE_CHARS):
            self._last, self._last_date = ts, date
            return ts
        self.invalid += 1
        return None


def _possible_date(date: str) -> bool:
    m = _DATE.fullmatch(date)
    if m is None:
        return False
    try:
        datetime.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:  # month 13, February 30, year 0, ...
        return False
    return True
