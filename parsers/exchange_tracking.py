"""Exchange message tracking logs (``MSGTRK*.LOG``): one event per recipient and outcome.

The ``#Fields:`` header names the columns (:mod:`parsers.exchange_tracking_fields`); lines are
CSV. Exchange Online's message trace export (historical search, "message trace details") has
the same columns under a plain CSV header row, every value quoted.
``recipient-address`` and ``recipient-status`` are ``;``-separated lists in the same order, and
a status is the reply (``550 5.1.1 RESOLVER.ADR.RecipNotFound; not found``), possibly wrapped as
``[{LED=<reply>};{FQDN=<host>};{IP=<ip>}]`` by Exchange 2013 and later::

    >>> log = TrackingLog("MSGTRK20240101-1.LOG")
    >>> line = ('2024-01-01T10:00:00.000Z,10.0.0.5,EX1,203.0.113.7,mx.example.net,,Outbound,SMTP,'
    ...         'FAIL,42,<m@x>,a@example.net;b@example.net,'
    ...         '550 5.1.1 User unknown;550 5.2.2 Mailbox full,'
    ...         '900,2,,,Hi,me@x,me@x,,Originating,,,,')
    >>> [(e.recipient, e.status, e.code, e.enhanced) for e in log.feed(line, 6) or []]
    [('a@example.net', 'bounced', '550', '5.1.1'), ('b@example.net', 'bounced', '550', '5.2.2')]

Status per ``event-id`` (the only ones that carry a reply or decide an outcome), from Microsoft's
"Event types in the message tracking log" (Exchange 2013-2019, Exchange Online):

| event-id | direction | status | stage | when it is an event |
|---|---|---|---|---|
| SEND | outbound | sent | end-of-data | always (a delivery outcome, even without a code) |
| SENDEXTERNAL | outbound | sent | end-of-data | always (Exchange Online: sent to an outside host) |
| DELIVER | outbound | sent | end-of-data | always (delivered to a local mailbox) |
| DUPLICATEDELIVER | outbound | sent | end-of-data | always (a duplicate delivered, 2013+) |
| FAIL | outbound | bounced | unknown | always |
| DEFER | outbound | deferred | unknown | always |
| BADMAIL | outbound | bounced | unknown | always (a Pickup/Replay message, undeliverable) |
| DROP | outbound | bounced | unknown | only with a reply code (see below) |
| SUBMITFAIL | outbound | bounced | unknown | always (mailbox submission to transport failed) |
| SUBMITDEFER | outbound | deferred | unknown | always (the same, retried) |
| MODERATORREJECT | outbound | bounced | unknown | always (a moderator refused the message) |
| MODERATIONEXPIRE | outbound | bounced | unknown | always (no moderator decided in time) |
| THROTTLE | outbound | deferred | unknown | always (transport held the message back) |
| RECEIVE | inbound | null | end-of-data | only when ``recipient-status`` holds a reply code |

MODERATIONEXPIRE is ``bounced``, not ``expired``: the approval request timed out, not the queue
lifetime, and the sender gets a non-delivery report, as for a FAIL. A DROP gives its reason as
a reply (``550 4.3.2 QUEUE.TransportAgent; message deleted by transport agent``); one without a
reply is a completed approval request or a silent drop by design, not a failed delivery.

Not outcomes, so never events: POISONMESSAGE (the message is parked in or released from the
poison queue; its fate comes later), HAREDIRECTFAIL and the other HA* ids (the shadow copy, not
the message), RESUBMIT, RESUBMITFAIL and RESUBMITDEFER (Safety Net redelivers mail that was
already delivered once), SUPPRESSED (transmission left out on purpose), DELIVERFAIL (an agent's
folder move failed; the message is still delivered).

A refusal by this server's own transport agents is ours, not the next hop's: a FAIL, DEFER or
DROP whose ``source`` is AGENT (transport rules, content, malware and attachment filters, after
the message was accepted), or whose ``source`` is SMTP and whose ``source-context`` names the
receive side's agent (``Sender Id Agent``, ``Recipient Filter Agent``, ...) or whose
``connector-id`` is a Receive connector (``SERVER\\Connector``; Send connectors have a bare
name), is ``inbound``: we refused them, whatever the message's ``directionality`` (a transport
rule refusing our own user's message is still our refusal), and the remote end is the client
(the ``{FQDN=...};{IP=...}`` of such a status names this server).
Routing and store failures (RESOLVER., STOREDRV.) stay ``outbound``, as any MTA's failed delivery
to a local mailbox does::

    >>> log = TrackingLog("MSGTRK20240101-1.LOG")
    >>> line = ('2024-01-01T10:00:00.000Z,198.51.100.7,mx.example.net,10.0.0.5,,Sender Id Agent,'
    ...         'EX1\\\\Default EX1,SMTP,FAIL,42,<m@x>,a@example.org,'
    ...         '550 5.7.1 Sender ID (PRA) Not Permitted,0,1,,,Hi,me@x,me@x,,Incoming,,,,')
    >>> [(e.direction, e.status, e.remote_ip) for e in log.feed(line, 6) or []]
    [('inbound', 'bounced', '198.51.100.7')]

The stage is that of the outcome, not of the reply Exchange echoes: a SEND line often carries
the remote's ``250 2.1.5`` to RCPT, and it still means the message was handed over. The remote
end is ``server-*`` for SEND, FAIL and DEFER, ``client-*`` for RECEIVE, when ``source`` is SMTP;
none for other sources and for DELIVER (a local mailbox), unless a ``{FQDN=...};{IP=...}`` in the
status names it.

``DSN`` (the notification Exchange generates after a FAIL or DEFER that was already counted)
and every other event-id (NOTIFYMAPI, SUBMIT, AGENTINFO, RESOLVE, EXPAND, ...) give ``[]``.
``source-context`` may echo a reply: it is never another event.

Message correlation (only when a sink wants message notes, :attr:`TrackingLog.notes`): a
RECEIVE line is the message's arrival, a ``received`` note keyed by ``internal-message-id`` (the
id every later line of that message on this server repeats), with the sender, ``total-bytes``,
the client and ``recipient-count``. Exchange logs no removal, so the message is done when that
many recipients have a final outcome (SEND, DELIVER, FAIL), as for Sendmail's ``nrcpts=``::

    >>> notes = []
    >>> log = TrackingLog("MSGTRK20240101-1.LOG", notes=notes.append)
    >>> log.feed('2024-01-01T09:59:59.000Z,203.0.113.7,mx.example.net,10.0.0.5,EX1,,,SMTP,'
    ...          'RECEIVE,42,<m@x>,a@example.org;b@example.org,,900,2,,,Hi,me@x,me@x,,'
    ...          'Incoming,,,,', 5)
    []
    >>> [(n.kind, n.queue_id, n.sender, n.size, n.client, n.recipients) for n in notes]
    [('received', '42', 'me@x', 900, 'mx.example.net', 2)]
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

from logscan.core.event import Direction, Event, MessageNote
from logscan.core.smtp import REPLY_CODE
from logscan.core.timestamp import TimestampCheck
from logscan.parsing.event_builder import EventBuilder
from logscan.parsing.reply import enhanced_in_text
from logscan.parsing.smtp_dialogue import reply_start
from parsers.exchange_tracking_fields import COLUMNS_2010, COLUMNS_2013, FIELDS_2013, Columns


@dataclass(frozen=True, slots=True)
class Outcome:
    direction: Direction
    status: str | None
    stage: str
    needs_code: bool
    remote: str | None  # whose columns name the other end: "server", "client" or none (local)


OUTCOMES: Mapping[str, Outcome] = MappingProxyType(
    {
        "SEND": Outcome("outbound", "sent", "end-of-data", False, "server"),
        "SENDEXTERNAL": Outcome("outbound", "sent", "end-of-data", False, "server"),
        "DELIVER": Outcome("outbound", "sent", "end-of-data", False, None),
        "DUPLICATEDELIVER": Outcome("outbound", "sent", "end-of-data", False, None),
        "FAIL": Outcome("outbound", "bounced", "unknown", False, "server"),
        "DEFER": Outcome("outbound", "deferred", "unknown", False, "server"),
        "BADMAIL": Outcome("outbound", "bounced", "unknown", False, None),
        "DROP": Outcome("outbound", "bounced", "unknown", True, None),
        "SUBMITFAIL": Outcome("outbound", "bounced", "unknown", False, None),
        "SUBMITDEFER": Outcome("outbound", "deferred", "unknown", False, None),
        "MODERATORREJECT": Outcome("outbound", "bounced", "unknown", False, None),
        "MODERATIONEXPIRE": Outcome("outbound", "bounced", "unknown", False, None),
        "THROTTLE": Outcome("outbound", "deferred", "unknown", False, None),
        "RECEIVE": Outcome("inbound", None, "end-of-data", True, "client"),
    }
)
# Every event id of Microsoft's "Event types in the message tracking log" (Exchange 2013-2019),
# outcomes or not: a token of these in a pasted table row names the row's event.
EVENT_IDS = frozenset(
    {
        *OUTCOMES,
        "AGENTINFO", "CLIENTSUBMISSION", "DELIVERFAIL", "DSN", "DUPLICATEEXPAND",
        "DUPLICATEREDIRECT", "EXPAND", "HADISCARD", "HARECEIVE", "HAREDIRECT", "HAREDIRECTFAIL",
        "INITMESSAGECREATED", "LOAD", "MODERATORAPPROVE", "MODERATORSALLUNAVAILABLE", "NOTIFYMAPI",
        "NOTIFYSHADOW", "POISONMESSAGE", "PROCESS", "PROCESSMEETINGMESSAGE", "REDIRECT",
        "RESOLVE", "RESUBMIT", "RESUBMITDEFER", "RESUBMITFAIL", "SUBMIT", "SUPPRESSED", "TRANSFER",
    }
)  # fmt: skip
_RECEIVE = OUTCOMES["RECEIVE"]
# A line must name one of the event-ids above to be worth the CSV parse.
_HINT = re.compile(',"?(?:' + "|".join(OUTCOMES) + ')"?,')
# A RECEIVE (or DROP) line is an event only if it holds a reply code somewhere.
_ANY_CODE = re.compile(rf"[,;\"=]\s*{REPLY_CODE}[ -]")
_DATE = re.compile(r"\"?\d{4}-\d\d-\d\dT\d\d:\d\d")
# "Sender Id Agent", "Recipient Filter Agent": the receive side's anti-spam agents by name.
_AGENT = re.compile(r"\bAgent$", re.IGNORECASE)
# One level of braces may nest in a value (Telstra's "IB305 i{<guid>}"); a status a paste cut
# short ends its LED at the end of the text.
_BRACED = re.compile(r"\{(LED|FQDN|IP)=((?:[^{}]|\{[^{}]*\})*)(?:\}|$)")
# What is kept of a host name or an address a remote host chose, in a message note.
_NOTE_CHARS = 300


class TrackingLog:
    """The reader of one tracking log; ``fields`` comes from the latest ``#Fields:`` header."""

    def __init__(
        self,
        path: str,
        fields: Sequence[str] | None = None,
        timestamps: TimestampCheck | None = None,
        notes: Callable[[MessageNote], None] | None = None,
    ) -> None:
        self.event = EventBuilder(path, "exchange").event
        # Where arrivals go, when a sink wants message notes (Parser.notes); else None.
        self.notes = notes
        self.timestamps = timestamps if timestamps is not None else TimestampCheck()
        self._columns: Columns | None = None
        if fields is not None:
            self.set_fields(fields)

    def set_fields(self, fields: Sequence[str]) -> None:
        self._columns = Columns.of(fields)

    def feed(self, text: str, lineno: int) -> list[Event] | None:
        if not _DATE.match(text):
            return None
        hint = _HINT.search(text)
        if hint is None:
            return []
        if "RECEIVE" in hint.group() and self.notes is None and _ANY_CODE.search(text) is None:
            return []  # an arrival without a reply: only message correlation wants it
        try:
            row = next(csv.reader((text,)))
        except (csv.Error, StopIteration):
            return None
        columns = self._columns
        if columns is None:
            # A file whose header we never saw: the column count tells the schema.
            columns = COLUMNS_2013 if len(row) >= len(FIELDS_2013) else COLUMNS_2010
        return self.events(columns.read(row), lineno)

    def events(self, col: Mapping[str, str], lineno: int) -> list[Event]:
        """The events of one record, ``col`` holding the fields this reader reads."""
        how = OUTCOMES.get(col["event-id"].upper())
        if how is None:
            return []
        recipients = [r.strip() for r in col["recipient-address"].split(";") if r.strip()]
        statuses = split_statuses(col["recipient-status"])
        if len(statuses) == 1 and len(recipients) > 1:
            statuses = statuses * len(recipients)
        source = col["source"].upper()
        direction = how.direction
        if how.status in ("bounced", "deferred") and our_refusal(col):
            direction, side = "inbound", "client" if source == "SMTP" else None
        else:
            # Only the SMTP component talks to another host; ROUTING, STOREDRIVER... are ours.
            side = how.remote if source == "SMTP" else None
        host = (col[f"{side}-hostname"] or None) if side else None
        ip = (col[f"{side}-ip"] or None) if side else None
        ts = self.timestamps(col["date-time"] or None)
        sender = col["sender-address"] or None
        queue_id = col["internal-message-id"] or None
        size = int(col["total-bytes"]) if col["total-bytes"].isdigit() else None
        if how is _RECEIVE and self.notes is not None and queue_id is not None:
            self._note_arrival(col, queue_id, ts, sender, size, lineno)
        events: list[Event] = []
        for i in range(max(len(recipients), len(statuses), 1)):
            status = statuses[i] if i < len(statuses) else ""
            reply, fqdn, led_ip = unwrap_status(status)
            if direction != how.direction:
                fqdn = led_ip = None  # the status names this server, which refused
            start = reply_start(reply)
            if how.needs_code and start is None:
                continue
            events.append(
                self.event(
                    line=lineno,
                    direction=direction,
                    stage=how.stage,
                    status=how.status,
                    code=start[0] if start else None,
                    enhanced=enhanced_in_text(reply) if reply else None,
                    text=reply or None,
                    ts=ts,
                    remote_host=fqdn or host,
                    remote_ip=led_ip or ip,
                    sender=sender,
                    recipient=recipients[i] if i < len(recipients) else None,
                    queue_id=queue_id,
                    size=size,
                )
            )
        return events

    def _note_arrival(
        self,
        col: Mapping[str, str],
        queue_id: str,
        ts: str | None,
        sender: str | None,
        size: int | None,
        lineno: int,
    ) -> None:
        assert self.notes is not None
        client = col["client-hostname"] or col["client-ip"] or None
        count = col["recipient-count"]
        self.notes(
            MessageNote(
                "received", "exchange", queue_id[:_NOTE_CHARS], ts,
                sender[:_NOTE_CHARS] if sender else None, size,
                client[:_NOTE_CHARS] if client else None,
                int(count) if count.isdigit() and len(count) < 7 else None, lineno,
            )
        )  # fmt: skip


def our_refusal(col: Mapping[str, str]) -> bool:
    """Whether a failure record is this server's own agents refusing the message (module
    docstring): the AGENT source, a receive-side agent in ``source-context``, or a Receive
    connector in ``connector-id``."""
    source = col["source"].upper()
    if source == "AGENT":
        return True
    if source != "SMTP":
        return False
    return _AGENT.search(col["source-context"]) is not None or "\\" in col["connector-id"]


def split_statuses(field: str) -> list[str]:
    """Split ``recipient-status`` into one status per recipient.

    A ``;`` also occurs inside a status (``RESOLVER.ADR.RecipNotFound; not found``,
    ``{LED=...};{FQDN=...}``): a part starts a new status only when it begins with a reply
    code or ``[``, or with a ``{KEY=`` its status already has.

    >>> split_statuses("550 5.1.1 RESOLVER.ADR.RecipNotFound; not found;250 2.1.5 OK")
    ['550 5.1.1 RESOLVER.ADR.RecipNotFound; not found', '250 2.1.5 OK']
    >>> split_statuses("[{LED=450 4.4.0 x};{FQDN=mx};{IP=192.0.2.1}];[{LED=550 5.1.1 y}]")
    ['[{LED=450 4.4.0 x};{FQDN=mx};{IP=192.0.2.1}]', '[{LED=550 5.1.1 y}]']
    """
    if not field.strip():
        return []
    groups: list[list[str]] = []
    keys: set[str] = set()
    in_bracket = False
    for part in field.split(";"):
        s = part.strip()
        key = s[1 : s.find("=")] if s.startswith("{") and "=" in s else None
        new = not groups or (
            not in_bracket
            and (
                reply_start(s) is not None or s.startswith("[") or (key is not None and key in keys)
            )
        )
        if new:
            groups.append([])
            keys = set()
            in_bracket = s.startswith("[")
        groups[-1].append(part)
        if key is not None:
            keys.add(key)
        if in_bracket and s.endswith("]"):
            in_bracket = False
    return [";".join(g).strip() for g in groups]


def unwrap_status(status: str) -> tuple[str, str | None, str | None]:
    """``(reply, fqdn, ip)`` of one status; a plain status is its own reply.

    >>> unwrap_status("[{LED=441 4.4.1 Failed to connect};{MSG=};{FQDN=mx.example};{IP=192.0.2.9}]")
    ('441 4.4.1 Failed to connect', 'mx.example', '192.0.2.9')
    """
    if "{" not in status:
        return status.strip(), None, None
    found = {k: v.strip() for k, v in _BRACED.findall(status)}
    return found.get("LED", ""), found.get("FQDN") or None, found.get("IP") or None
