"""Microsoft Exchange logs: message tracking, SMTP Send/Receive protocol, legacy SMTPSVC.

One parser for the three formats (and for tracking records as ``Get-MessageTrackingLog |
Format-List`` prints them, :mod:`parsers.exchange_tracking_list`); each file says which it is
in its ``#Software``, ``#Log-type`` and ``#Fields`` header (repeated when Exchange starts a new
file), else its name (``MSGTRK*.LOG``, ``SEND*.LOG``, ``RECV*.LOG``, ``ex*.log``), else the
shape of its lines::

    >>> p = ExchangeParser("SEND20221019-1.LOG")
    >>> p.feed("#Log-type: SMTP Send Protocol Log", 3)
    []
    >>> pre = "2022-10-19T08:44:33.281Z,Out,08DAB1,"
    >>> p.feed(pre + "9,10.0.0.5:10437,192.0.2.26:25,>,RCPT TO:<a@example.org>,", 14)
    []
    >>> [ev] = p.feed(pre + "10,10.0.0.5:10437,192.0.2.26:25,<,550 5.1.1 No such user,", 15)
    >>> ev.direction, ev.stage, ev.status, ev.recipient
    ('outbound', 'rcpt', 'bounced', 'a@example.org')

The readers live in :mod:`parsers.exchange_tracking`, :mod:`parsers.exchange_protocol` and
:mod:`parsers.exchange_smtpsvc`; their docstrings say what becomes an event.
"""

from __future__ import annotations

import csv
import os
import re
from collections.abc import Sequence
from typing import ClassVar, Protocol

from logscan.core.event import Event
from logscan.parsing.api import Parser
from logscan.parsing.smtp_dialogue import MAX_SESSION_BYTES
from parsers.exchange_protocol import ProtocolLog
from parsers.exchange_smtpsvc import SmtpSvcLog
from parsers.exchange_tracking import TrackingLog
from parsers.exchange_tracking_list import LED_STATUS, PROPERTIES, PROPERTY_LINE, TrackingList

_CSV_LINE = re.compile(r"\"?\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z?\"?,")
# The header row of an Exchange Online message trace (historical search) CSV export:
# "date_time_utc","client_ip",...,"event_id",... (underscores where the on-premises log has "-").
_CSV_HEADER = re.compile(r"\"?date_time(?:_utc)?\"?,.*\bevent_id\b")
# date time c-ip cs-username s-sitename s-computername s-ip s-port cs-method (IIS's default).
_W3C_LINE = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d [0-9A-Fa-f.:]+ \S+ \S+ \S+ \S+ \d+ \S")
# A protocol line: timestamp, connector, session id, sequence number, 2 endpoints, event.
_PROTOCOL_LINE = re.compile(r"[^,]*,[^,]*,[0-9A-Fa-f]+,\d+,[^,]*,[^,]*,[-+<>*]?,")
# Properties only Exchange's tracking records have (Format-List prints them padded: "EventId  :").
_EXCHANGE_PROPERTY = re.compile(
    r"\s*(?:EventId|RecipientStatus|InternalMessageId|SourceContext|ConnectorId|ClientHostname)\s+:"
)
_LOG_TYPES = {
    "message tracking log": "tracking",
    "smtp send protocol log": "send",
    "smtp receive protocol log": "receive",
}


class _Reader(Protocol):
    def feed(self, text: str, lineno: int) -> list[Event] | None: ...


class ExchangeParser(Parser):
    name: ClassVar[str] = "exchange"
    description: ClassVar[str] = (
        "Microsoft Exchange message tracking, SMTP Send/Receive protocol and SMTPSVC logs"
    )

    def __init__(
        self,
        path: str = "-",
        year: int | None = None,
        *,
        max_session_bytes: int = MAX_SESSION_BYTES,
    ) -> None:
        super().__init__(path, year)
        self._max_session_bytes = max_session_bytes
        self._reader: _Reader | None = None
        self._protocol: ProtocolLog | None = None
        self._list: TrackingList | None = None
        self._kind: str | None = _kind_from_name(path)

    @classmethod
    def detect(cls, head: Sequence[str], path: str | None) -> float:
        lines = [ln.lstrip("\ufeff") for ln in head if ln.strip()]
        header = " ".join(ln for ln in lines if ln.startswith("#"))
        if "Microsoft Exchange Server" in header or any(t in header for t in _HEADER_TYPES):
            return 1.0
        if lines and _CSV_HEADER.match(lines[0]):
            return 1.0
        named = _kind_from_name(path) is not None
        body = [ln for ln in lines if not ln.startswith("#")]
        if not body:
            return 0.9 if named and not lines else 0.0
        share = _shaped(body) / len(body)
        if named and share > 0.5:
            return 1.0
        if "Microsoft Internet Information Services" in header and "SMTPSVC" in " ".join(body):
            return 0.9
        if share > 0.5 and any(_EXCHANGE_PROPERTY.match(ln) for ln in body):
            return 0.9  # Format-List output naming the tracking log's own properties
        if any(LED_STATUS.search(ln) for ln in body):
            return 0.9  # Exchange's {LED=<reply>} status, pasted among other text
        return 0.8 * share if share > 0.5 else 0.0

    def feed(self, text: str, lineno: int) -> list[Event] | None:
        if text.startswith("\ufeff"):
            text = text[1:]
        if text.endswith("\r"):
            text = text[:-1]  # Exchange writes CRLF; a source may hand the CR over
        if text[:1].isspace():
            text = _unindented(text)
        if text.startswith("#"):
            self._header(text)
            return []
        if _CSV_HEADER.match(text):
            # Exchange Online's message trace export: a CSV header row instead of "#Fields:".
            self._fields(",".join(next(csv.reader((text,)), [])))
            return []
        reader = self._reader
        if reader is None:
            reader = self._reader = self._open(_shape(text))
            if reader is None:
                return None
        return reader.feed(text, lineno)

    def flush(self) -> list[Event]:
        if self._list is not None:
            return self._list.flush()
        return self._protocol.flush() if self._protocol is not None else []

    def _header(self, text: str) -> None:
        name, _, value = text[1:].partition(":")
        name, value = name.strip().lower(), value.strip()
        if name == "log-type":
            self._kind = _LOG_TYPES.get(value.lower(), self._kind)
            self._reader = None
        elif name == "software" and "Internet Information Services" in value:
            self._kind = "smtpsvc"
            self._reader = None
        elif name == "fields":
            self._fields(value)

    def _fields(self, value: str) -> None:
        if "," in value:
            fields = [f.strip() for f in value.split(",")]
            if "event-id" in fields or "event_id" in fields:
                self._kind = "tracking"
                self._reader = TrackingLog(self.path, fields, self.timestamps, self.notes)
            elif self._kind not in ("send", "receive"):
                self._kind = None
                self._reader = None
        else:
            self._kind = "smtpsvc"
            self._reader = SmtpSvcLog(self.path, value.split(), self.timestamps)

    def _open(self, shape: str | None) -> _Reader | None:
        """A reader for the file's kind (header, name), or for the shape of its first line."""
        kind = self._kind
        if kind is None or (shape is not None and _family(kind) != _family(shape)):
            kind = shape
        if kind == "tracking":
            return TrackingLog(self.path, None, self.timestamps, self.notes)
        if kind == "smtpsvc":
            return SmtpSvcLog(self.path, None, self.timestamps)
        if kind == "list":
            self._list = TrackingList(self.path, self.timestamps, self.notes)
            return self._list
        if kind in ("send", "receive", "protocol"):
            # One protocol reader per file: its open sessions survive a repeated header.
            known = kind if kind != "protocol" else None
            if self._protocol is None:
                self._protocol = self.keep(
                    ProtocolLog(
                        self.path, known, self.timestamps, max_session_bytes=self._max_session_bytes
                    )
                )
            self._protocol.kind = known
            return self._protocol
        return None


_HEADER_TYPES = tuple(
    f"#Log-type: {t}"
    for t in ("Message Tracking Log", "SMTP Send Protocol Log", "SMTP Receive Protocol Log")
)


def _kind_from_name(path: str | None) -> str | None:
    name = os.path.basename(path or "").upper()
    if not name.endswith(".LOG"):
        return None
    if name.startswith("MSGTRK"):
        return "tracking"
    if name.startswith("SEND"):
        return "send"
    if name.startswith("RECV"):
        return "receive"
    return None


def _unindented(text: str) -> str:
    """A CSV or W3C line as pasted in an indented block (Markdown, forums) without its indent;
    any other line unchanged (an indented Format-List line continues a wrapped value)."""
    bare = text.lstrip()
    return bare if _CSV_LINE.match(bare) or _W3C_LINE.match(bare) else text


def _shape(text: str) -> str | None:
    """Which format a body line has: ``tracking``, ``protocol``, ``smtpsvc``, ``list`` (a
    tracking record printed by Get-MessageTrackingLog | Format-List) or None."""
    text = _unindented(text) if text[:1].isspace() else text
    if _CSV_LINE.match(text):
        return "protocol" if _PROTOCOL_LINE.match(text) else "tracking"
    if _W3C_LINE.match(text):
        return "smtpsvc"
    m = PROPERTY_LINE.match(text)
    if (m is not None and m["name"] in PROPERTIES) or LED_STATUS.search(text):
        return "list"  # a record's property, or a status in Exchange's {LED=...} pasted alone
    return None


def _shaped(body: Sequence[str]) -> int:
    """How many lines have a format's shape, counting the indented lines that continue a
    Format-List value the console wrapped."""
    shaped = 0
    in_list = False
    for ln in body:
        shape = _shape(ln)
        if shape is not None:
            in_list = shape == "list"
        elif not (in_list and ln[:1].isspace()):
            in_list = False
            continue
        shaped += 1
    return shaped


def _family(kind: str) -> str:
    return "protocol" if kind in ("send", "receive", "protocol") else kind
