"""Legacy Exchange 2003 / IIS SMTPSVC logs (W3C extended format, ``exYYMMDD.log``).

One line per command the virtual server received, with the reply code it gave (``sc-status``)
but not the reply text, so events are ``inbound`` with ``text`` null::

    >>> log = SmtpSvcLog("ex061009.log")
    >>> line = ("2006-10-09 14:04:46 192.0.2.7 - SMTPSVC1 MX1 192.0.2.1 0 RCPT "
    ...         "+TO:<a@example.com> - 550 0 32 23 0 SMTP - - - -")
    >>> [ev] = log.feed(line, 2)
    >>> ev.direction, ev.stage, ev.status, ev.code, ev.remote_ip, ev.ts
    ('inbound', 'rcpt', 'rejected', '550', '192.0.2.7', '2006-10-09T14:04:46')

Columns come from the ``#Fields:`` header; without one, IIS's default order is assumed.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from logscan.core.event import Event
from logscan.core.smtp import is_reply_code, stage_of_command
from logscan.core.timestamp import TimestampCheck
from logscan.parsing.event_builder import EventBuilder
from logscan.parsing.smtp_dialogue import outcome

DEFAULT_FIELDS = (
    "date",
    "time",
    "c-ip",
    "cs-username",
    "s-sitename",
    "s-computername",
    "s-ip",
    "s-port",
    "cs-method",
    "cs-uri-stem",
    "cs-uri-query",
    "sc-status",
    "sc-win32-status",
    "sc-bytes",
    "cs-bytes",
    "time-taken",
    "cs-version",
    "cs-host",
    "cs(User-Agent)",
    "cs(Cookie)",
    "cs(Referer)",
)
_DATE = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d ")


class SmtpSvcLog:
    """The reader of one SMTPSVC log."""

    def __init__(
        self,
        path: str,
        fields: Sequence[str] | None = None,
        timestamps: TimestampCheck | None = None,
    ) -> None:
        self.event = EventBuilder(path, "exchange").event
        self.timestamps = timestamps if timestamps is not None else TimestampCheck()
        self._index = {n: i for i, n in enumerate(DEFAULT_FIELDS)}
        if fields is not None:
            self.set_fields(fields)

    def set_fields(self, fields: Sequence[str]) -> None:
        self._index = {name: i for i, name in enumerate(fields)}

    def feed(self, text: str, lineno: int) -> list[Event] | None:
        if not _DATE.match(text):
            return None
        row = text.split()

        def col(name: str) -> str:
            i = self._index.get(name)
            return row[i] if i is not None and i < len(row) else ""

        code = col("sc-status")
        if not is_reply_code(code):
            return []
        stage = stage_of_command(col("cs-method")) or "unknown"
        # Without a date column (IIS logs the date in its "#Date:" header), no timestamp.
        ts = self.timestamps(f"{col('date')}T{col('time')}") if "date" in self._index else None
        ip = col("c-ip")
        return [
            self.event(
                line=lineno,
                direction="inbound",
                stage=stage,
                status=outcome("inbound", stage, code),
                code=code,
                ts=ts,
                remote_ip=ip if ip not in ("", "-") else None,
            )
        ]
