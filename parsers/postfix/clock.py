"""The time of a Postfix line: BSD syslog and RFC 3339 stamps read without a regex, once per day
(BSD) or as written (RFC 3339); anything else through the syslog splitter. Years come from the
parser's :meth:`~logscan.parsing.api.Parser.iso_time`, so they cross New Year as every parser's."""

from __future__ import annotations

from logscan.parsing.api import Parser
from logscan.parsing.syslog import colon_offset, split

_TIME_CHARS = frozenset("0123456789:")
_SECONDS = frozenset(f"{s:02d}" for s in range(61))  # 60: a leap second, as TimestampCheck


class LineClock:
    """ISO 8601 times of one parser's lines, checked by its ``timestamps``."""

    def __init__(self, parser: Parser) -> None:
        self._parser = parser
        self._last_day = ""
        self._day_prefix: str | None = None
        # The BSD time stamp ("Nov 29 00:00:02", 15 characters) of the last event and its ISO
        # form: events come in bursts within one second.
        self._last_stamp = ""
        self._last_iso: str | None = None
        # That stamp's minute ("Nov 29 00:00:") and its ISO form ("2024-11-29T00:00:"): a new
        # second of the same minute is its seconds appended, with no further check.
        self._minute = "\0"
        self._minute_iso = ""

    def ts(self, line: str) -> str | None:
        """ISO 8601 time of ``line``, None if it has none or an impossible one (Feb 30)."""
        stamp = line[:15]
        if stamp == self._last_stamp:
            return self._last_iso
        if stamp[:13] == self._minute and stamp[13:] in _SECONDS and line[15:16] == " ":
            self._last_stamp = stamp
            self._last_iso = second = self._minute_iso + stamp[13:]
            return second
        iso = self._parser.timestamps(self._text_ts(line))
        # Only a valid BSD stamp is remembered: it alone decides the time (the year changes
        # only with the day), and an invalid one must be counted each time it occurs.
        if iso is not None and _is_bsd_stamp(line):
            self._last_stamp, self._last_iso = stamp, iso
            self._minute, self._minute_iso = stamp[:13], iso[:-2]
        return iso

    def _text_ts(self, line: str) -> str | None:
        """ISO 8601 form of the time of ``line``: BSD and RFC 3339 without a regex, else split().

        A BSD date is converted once per day (``iso_ts``) and its time appended; an RFC 3339
        timestamp is already ISO 8601 (journalctl's ``+0000`` gets its colon).
        """
        if _is_bsd_stamp(line):
            day = line[:6]
            if day != self._last_day:
                self._new_day(day, line[:15])
            prefix = self._day_prefix
            return prefix + line[7:15] if prefix is not None else None
        if len(line) > 19 and line[4] == "-" and line[7] == "-" and line[10] == "T":
            end = line.find(" ", 11)
            stamp = line[:end] if end > 0 else line
            return stamp if stamp[-3] == ":" else colon_offset(stamp)
        s = split(line)  # docker prefix, one-digit day, no time at all, ...
        if s is None or s.ts is None:
            return None
        try:
            return self._parser.iso_time(s.ts)
        except ValueError:
            return None

    def _new_day(self, day: str, raw: str) -> None:
        self._last_day = day
        try:
            iso = self._parser.iso_time(raw)  # the year moves on from December into January
        except ValueError:
            iso = None
        self._day_prefix = iso[:11] if iso is not None and iso[10:11] == "T" else None


def _is_bsd_stamp(line: str) -> bool:
    """Whether ``line`` starts with a BSD syslog time stamp, ``Nov 29 00:00:02 ``."""
    return (
        len(line) > 16
        and line[3] == " "
        and line[6] == " "
        and line[9] == ":"
        and line[12] == ":"
        and line[15] == " "
        and _TIME_CHARS.issuperset(line[7:15])
    )
