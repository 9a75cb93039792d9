"""``Get-MessageTrackingLog | Format-List`` output: the tracking log as the Exchange Management
Shell prints it, one ``Property : value`` line per field, as administrators paste it when they
ask why a message failed::

    >>> log = TrackingList("tracking.txt")
    >>> for n, text in enumerate([
    ...     "Timestamp               : 4/6/2021 2:46:03 PM",
    ...     "Source                  : AGENT",
    ...     "EventId                 : FAIL",
    ...     "Recipients              : {user@example.org}",
    ...     "RecipientStatus         : {[{LED=550 5.7.1 TRANSPORT.RULES.RejectMessage; the message",
    ...     "                          was rejected by organization policy};{MSG=};{FQDN=};{IP=}]}",
    ...     "TotalBytes              : 799707",
    ... ], 1):
    ...     assert log.feed(text, n) == []
    >>> [(e.line, e.status, e.code, e.enhanced, e.recipient, e.ts) for e in log.flush()]
    [(5, 'bounced', '550', '5.7.1', 'user@example.org', '2021-04-06T14:46:03')]
    >>> log.flush()
    []

A record's fields are those of a tracking log line (:mod:`parsers.exchange_tracking` says which
event ids are outcomes, and how); its event is given when the record ends (a property it already
has starts the next record, a line that is no part of it ends it, or the input ends), on the line
of its ``RecipientStatus``. A value the console wrapped continues on the indented lines below
it; lists are printed in braces (``{a@example.org, b@example.org}``, one status per recipient).
Pastes often hold a single property: a ``RecipientStatus`` without its ``EventId`` is a FAIL
when its reply is a 5xx and a DEFER when a 4xx (the events that carry a refusal), else nothing.
So is a status in Exchange's ``{LED=<reply>}`` wrapping pasted on a line of its own, whatever
surrounds it: Exchange Online's message trace detail (``Reason: [{LED=450 4.4.316 ...}]``), a
queue's ``LastError``, a delivery report, a sentence quoting it; on a ``Format-Table`` row, the
event id the row names decides (a DSN's copy of a FAIL's status is no second event)::

    >>> log = TrackingList("pasted.txt")
    >>> log.feed("Mail trace shows: '[{LED=450 4.4.316 Connection refused};{MSG=}", 1)
    []
    >>> [(e.line, e.status, e.code, e.enhanced) for e in log.flush()]
    [(1, 'deferred', '450', '4.4.316')]

Archives that drop the indentation (Markdown, some forums) leave a wrapped value at the start of
its lines: a line that is no property continues the value before it while that value has a
``{`` or ``[`` still open.

``Timestamp`` is the server's local time in the shell's culture: with AM/PM it is en-US
(month/day/year), without, day/month/year (en-GB, de-DE and most others), unless the first
number is a year or only one order gives a valid date.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

from logscan.core.event import Event, MessageNote
from logscan.core.timestamp import TimestampCheck
from logscan.parsing.smtp_dialogue import reply_start
from parsers.exchange_tracking import EVENT_IDS, TrackingLog
from parsers.exchange_tracking_fields import FIELDS_2013

# The Format-List properties of a tracking record (Exchange 2010-2019), and the tracking log
# field each one read here is.
FIELDS: Mapping[str, str] = {
    "Timestamp": "date-time",
    "ClientIp": "client-ip",
    "ClientHostname": "client-hostname",
    "ServerIp": "server-ip",
    "ServerHostname": "server-hostname",
    "Source": "source",
    "EventId": "event-id",
    "InternalMessageId": "internal-message-id",
    "Recipients": "recipient-address",
    "RecipientStatus": "recipient-status",
    "TotalBytes": "total-bytes",
    "RecipientCount": "recipient-count",
    "Sender": "sender-address",
    "SourceContext": "source-context",
    "ConnectorId": "connector-id",
}
PROPERTIES = frozenset(
    {
        *FIELDS,
        "RunspaceId", "PSComputerName", "PSShowComputerName", "MessageId", "NetworkMessageId",
        "RelatedRecipientAddress", "Reference", "MessageSubject", "ReturnPath", "Directionality",
        "TenantId", "OriginalClientIp", "OriginalServerIp", "MessageInfo", "MessageLatency",
        "MessageLatencyType", "EventData", "TransportTrafficType", "SchemaVersion", "LogId",
    }
)  # fmt: skip
# "EventId                 : FAIL": the name, padded to the longest one, " : ", the value.
PROPERTY_LINE = re.compile(r"\s*(?P<name>[A-Za-z]+)\s+:(?: (?P<value>.*))?$")
# Exchange's acknowledgement status around a reply: "[{LED=550 5.1.1 ...};{MSG=};{FQDN=...}]".
LED_STATUS = re.compile(r"\[?\{LED=[2-5]\d\d[ -]")
_TOKEN = re.compile(r"\b[A-Z]{3,}\b")
# A ", " between two list elements: the next one is a status of its own.
_NEXT_STATUS = re.compile(r", (?=\[|\d{3}[ -])")
_STAMP = re.compile(
    r"(\d{1,4})[/.-](\d{1,2})[/.-](\d{1,4})[ T](\d{1,2}):(\d\d):(\d\d)(?:\s*([AaPp][Mm]))?"
)


class TrackingList:
    """The reader of one file of Format-List records."""

    def __init__(
        self,
        path: str,
        timestamps: TimestampCheck | None = None,
        notes: Callable[[MessageNote], None] | None = None,
    ) -> None:
        self._log = TrackingLog(path, FIELDS_2013, timestamps, notes)
        self._record: dict[str, str] = {}
        self._lines: dict[str, int] = {}
        self._last: str | None = None

    def feed(self, text: str, lineno: int) -> list[Event] | None:
        if not text.strip():
            return []  # pastes often put a blank line after every line
        m = PROPERTY_LINE.match(text)
        if m is not None and m["name"] in PROPERTIES:
            name = m["name"]
            events = self.flush() if name in self._record else []
            self._record[name] = (m["value"] or "").strip()
            self._lines[name] = lineno
            self._last = name
            return events
        last = self._last
        led = LED_STATUS.search(text)
        if last is not None and (text[0].isspace() or self._goes_on(last, led is not None)):
            self._record[last] += " " + text.strip()  # a value the console wrapped
            return []
        events = self.flush()  # a line that is no part of a record ends the one before
        if led is not None:  # a status pasted alone (module docstring)
            self._record = {"RecipientStatus": text[led.start() :].strip()}
            named = [t for t in _TOKEN.findall(text[: led.start()]) if t in EVENT_IDS]
            if named:  # a Format-Table row names its event (DSN, FAIL, ...)
                self._record["EventId"] = named[-1]
            self._lines = {"RecipientStatus": lineno}
            self._last = "RecipientStatus"
            return events
        return events or None

    def _goes_on(self, last: str, status: bool) -> bool:
        """Whether a line that is no property and not indented continues the value before it
        (module docstring). Outside a record (no ``EventId``) a value goes on only while its
        LED is open and the line is no status of its own: prose after a status cut short by
        its poster is not part of the reply."""
        value = self._record[last]
        if "EventId" in self._record:
            return _open(value)
        if status:
            return False
        led = value.find("{LED=")
        return "}" not in value[led:] if led >= 0 else _open(value)

    def flush(self) -> list[Event]:
        record, lines = self._record, self._lines
        self._record, self._lines, self._last = {}, {}, None
        if "RecipientStatus" not in record and "EventId" not in record:
            return []
        col = {name: "" for name in FIELDS.values()}
        for name, value in record.items():
            if name in FIELDS:
                listed = value.startswith("{") and not value.startswith("{LED=")
                col[FIELDS[name]] = _unlist(name, value) if listed else value
        col["date-time"] = local_time(col["date-time"]) or ""
        if not col["event-id"]:
            col["event-id"] = _implied_event(col["recipient-status"])
        line = lines.get("RecipientStatus", lines.get("EventId", 0))
        return self._log.events(col, line)


def _open(value: str) -> bool:
    """Whether a value still has a brace or a bracket open (it goes on, on the next line)."""
    return value.count("{") + value.count("[") > value.count("}") + value.count("]")


def _unlist(name: str, value: str) -> str:
    """A PowerShell list (``{a, b}``) as the tracking log's ``;``-separated field; a status
    may hold ", " itself, so only one before a reply code or a ``[`` starts the next."""
    inner = value[1:-1] if value.endswith("}") else value[1:]
    parts = _NEXT_STATUS.split(inner) if name == "RecipientStatus" else inner.split(",")
    return ";".join(part.strip() for part in parts if part.strip())


def _implied_event(status: str) -> str:
    """The event id of a record pasted without one, from its refusal's class (docstring)."""
    reply = status[status.find("LED=") + 4 :] if "LED=" in status else status
    start = reply_start(reply.strip())
    return {"5": "FAIL", "4": "DEFER"}.get(start[0][0], "") if start else ""


def local_time(stamp: str) -> str | None:
    """ISO 8601 for a Format-List ``Timestamp`` (module docstring), None if unreadable.

    >>> for stamp in ("12/22/2020 9:28:06 AM", "28/10/2023 20:18:34", "06/09/2015 01:02:44",
    ...               "2025-03-12 19:50:43", "soon"):
    ...     print(local_time(stamp))
    2020-12-22T09:28:06
    2023-10-28T20:18:34
    2015-09-06T01:02:44
    2025-03-12T19:50:43
    None
    """
    m = _STAMP.match(stamp.strip())
    if m is None:
        return None
    a, b, c, hour, minute, second, half = m.groups()
    if len(a) == 4:
        year, month, day = a, b, c
    elif half is not None:
        month, day, year = a, b, c
    else:
        day, month, year = a, b, c
    if int(month) > 12 >= int(day):
        month, day = day, month
    h = int(hour)
    if half is not None:
        h = h % 12 + (12 if half.upper() == "PM" else 0)
    if len(year) != 4:
        return None
    return f"{year}-{int(month):02d}-{int(day):02d}T{h:02d}:{minute}:{second}"
