"""Exchange SMTP Send and Receive protocol logs (``SEND*.LOG``, ``RECV*.LOG``).

Columns: ``date-time,connector-id,session-id,sequence-number,local-endpoint,remote-endpoint,
event,data,context``. ``event`` is ``+`` connect, ``-`` disconnect, ``*`` information, and ``>``
/ ``<`` for what was sent / received, so they mean opposite things in the two logs: in a Receive
log ``>`` is our reply to the client (an ``inbound`` event) and ``<`` its command; in a Send log
``<`` is the remote server's reply (``outbound``) and ``>`` our command. A file whose header we
never saw is read by what the lines say: a reply under ``>`` is ours, under ``<`` the remote's::

    >>> log = ProtocolLog("RECV20240101-1.LOG", "receive")
    >>> pre = "2024-01-01T10:00:00.000Z,EX1\\\\Default,08DA0001,"
    >>> log.feed(pre + "4,10.0.0.5:25,192.0.2.9:5123,<,AUTH LOGIN,", 5)
    []
    >>> reply = "535 5.7.3 Authentication unsuccessful"
    >>> [ev] = log.feed(pre + f"5,10.0.0.5:25,192.0.2.9:5123,>,{reply},", 6)
    >>> ev.direction, ev.stage, ev.code, ev.enhanced, ev.remote_ip
    ('inbound', 'auth', '535', '5.7.3', '192.0.2.9')

A Send session's own failures have no reply to tell them: Exchange writes them as information
(``*``), and those listed in :data:`SEND_FAILURES` are outbound deferrals without a code (the
session is given up, the messages stay queued); in a Receive log they are the client's.

Replies take their stage from the previous command of the same ``session-id`` (state bounded by
:data:`logscan.parsing.smtp_dialogue.MAX_SESSIONS`); a multi-line reply (``250-...`` lines, then
``250 ...``) is one event on its final line.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field

from logscan.core.event import Event
from logscan.core.timestamp import TimestampCheck
from logscan.parsing.event_builder import EventBuilder
from logscan.parsing.smtp_dialogue import (
    MAX_ADDRESS_CHARS,
    MAX_SESSION_BYTES,
    Dialogue,
    Reply,
    Sessions,
    reply_event,
    reply_start,
)

_DATE = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d")
_RECORD_ID = re.compile(r"RecordId (\d+)")
_COLUMNS = 9
# The failures a Send session logs as information (``*``), with no reply of the remote server
# to tell them: Exchange's SmtpOutSession writes "Outbound Authentication failed with
# <SecurityStatus>" when its X-EXPS/AUTH handshake fails, and "TLS negotiation failed with error
# <status>" when STARTTLS does (Microsoft's "TLS negotiation failed with error NoCredentials"
# article: the messages stay queued and are retried). Each is the stage it failed at.
SEND_FAILURES = {
    "Outbound Authentication failed with ": "auth",
    "TLS negotiation failed with error ": "starttls",
}
_FAILURE_PREFIXES = tuple(SEND_FAILURES)
# What a session costs beyond its dialogue and strings, roughly (the object and its slots).
_SESSION_OVERHEAD = 200


@dataclass(slots=True)
class _Session:
    dialogue: Dialogue = field(default_factory=Dialogue)
    remote_host: str | None = None
    remote_ip: str | None = None
    queue_id: str | None = None
    last_ts: str | None = None
    direction: str = "outbound"

    def approx_bytes(self) -> int:
        """An estimate of the memory the session holds (what the session store budgets)."""
        return (
            _SESSION_OVERHEAD
            + self.dialogue.approx_bytes()
            + len(self.remote_host or "")
            + len(self.remote_ip or "")
            + len(self.queue_id or "")
            + len(self.last_ts or "")
        )


class ProtocolLog:
    """The reader of one protocol log; ``kind`` is ``send``, ``receive`` or None (unknown)."""

    def __init__(
        self,
        path: str,
        kind: str | None,
        timestamps: TimestampCheck | None = None,
        *,
        max_session_bytes: int = MAX_SESSION_BYTES,
    ) -> None:
        self.event = EventBuilder(path, "exchange").event
        self.timestamps = timestamps if timestamps is not None else TimestampCheck()
        self.kind = kind
        self._sessions: Sessions[_Session] = Sessions(
            _Session, size=_Session.approx_bytes, max_bytes=max_session_bytes
        )

    @property
    def evictions(self) -> int:
        """Sessions dropped to stay within the bounds, before the log closed them."""
        return self._sessions.evictions

    def feed(self, text: str, lineno: int) -> list[Event] | None:
        if not _DATE.match(text):
            return None
        row = _split(text)
        if row is None:
            return None
        ts, sid, remote, event, data, context = row[0], row[2], row[5], row[6], row[7], row[8]
        if event == "<" or event == ">":
            return self._talk(sid, event, data, remote, lineno, self.timestamps(ts))
        if event == "+":
            events = self._close(sid)
            self._sessions.get(sid).dialogue.stage = "connect"
            return events
        if event == "-":
            return self._close(sid)
        if event == "*" or event == "":
            m = _RECORD_ID.search(context) if "RecordId" in context else None
            if m is not None:
                self._sessions.get(sid).queue_id = _cut(m.group(1))
            return self._failure(sid, context, lineno, ts)
        return None

    def _failure(self, sid: str, context: str, lineno: int, ts: str) -> list[Event]:
        """A send session's own failure, written as information without a reply (module
        docstring): an outbound deferral, its stage what the failure is about."""
        if not context.startswith(_FAILURE_PREFIXES):
            return []  # most information lines: TLS details, certificates, record ids
        stage = next(s for prefix, s in SEND_FAILURES.items() if context.startswith(prefix))
        sess = self._sessions.get(sid)
        if self.kind == "receive" or sess.direction != "outbound":
            return []  # the client's failure in a Receive log, no delivery of ours
        if self.kind is None and sess.dialogue.last_code is None:
            return []  # no reply yet says which side of the session we are
        events = self._pending(sess)
        events.append(
            self.event(
                line=lineno,
                direction="outbound",
                stage=stage,
                status="deferred",
                text=context.strip(),
                ts=self.timestamps(ts),
                remote_host=sess.remote_host,
                remote_ip=sess.remote_ip,
                sender=sess.dialogue.sender,
                queue_id=sess.queue_id,
            )
        )
        return events

    def flush(self) -> list[Event]:
        events: list[Event] = []
        for sess in self._sessions.drain():
            events.extend(self._pending(sess))
        return events

    def _talk(
        self, sid: str, event: str, data: str, remote: str, lineno: int, ts: str | None
    ) -> list[Event]:
        sess = self._sessions.get(sid)
        sess.remote_ip = _cut(_ip(remote))
        is_reply = reply_start(data) is not None
        if event != self._reply_side(event, is_reply):
            sess.last_ts = ts
            sess.dialogue.command(data)
            return []
        if not is_reply:
            return []
        sess.direction = "inbound" if event == ">" else "outbound"
        # A reply with another code cuts an unfinished multi-line one short: emit that first.
        events = self._pending(sess) if sess.dialogue.pending_code not in (None, data[:3]) else []
        sess.last_ts = ts
        reply = sess.dialogue.reply_line(data, lineno)
        if reply is not None:
            if reply.stage == "connect" and sess.direction == "outbound":
                sess.remote_host = _cut(_banner_host(reply.text))
            events.append(self._event(sess, reply, ts))
        return events

    def _reply_side(self, event: str, is_reply: bool) -> str:
        """The event that carries replies: fixed by the log type, else read from the line."""
        if self.kind == "receive":
            return ">"
        if self.kind == "send":
            return "<"
        return event if is_reply else ""

    def _close(self, sid: str) -> list[Event]:
        sess = self._sessions.pop(sid)
        return self._pending(sess) if sess is not None else []

    def _pending(self, sess: _Session) -> list[Event]:
        held = sess.dialogue.take_pending()
        return [self._event(sess, held, sess.last_ts)] if held is not None else []

    def _event(self, sess: _Session, reply: Reply, ts: str | None) -> Event:
        return reply_event(
            self.event,
            reply,
            "inbound" if sess.direction == "inbound" else "outbound",
            ts,
            remote_host=sess.remote_host,
            remote_ip=sess.remote_ip,
            sender=sess.dialogue.sender,
            recipient=reply.recipient,
            queue_id=sess.queue_id,
        )


def _split(text: str) -> list[str] | None:
    """The nine columns; the CSV module only when a field is quoted."""
    if '"' in text:
        try:
            row = next(csv.reader((text,)))
        except (csv.Error, StopIteration):
            return None
    else:
        row = text.split(",", _COLUMNS - 1)
    if len(row) < _COLUMNS - 1:
        return None
    if len(row) == _COLUMNS - 1:
        row.append("")
    return row


def _ip(endpoint: str) -> str | None:
    """``192.0.2.9`` of ``192.0.2.9:5123``; ``2001:db8::1`` of ``[2001:db8::1]:25``."""
    host = endpoint.rsplit(":", 1)[0] if endpoint.count(":") == 1 or "]" in endpoint else endpoint
    return host.strip("[]") or None


def _cut(text: str | None) -> str | None:
    """What is kept of an endpoint or a host name a remote host chose."""
    return text[:MAX_ADDRESS_CHARS] if text else text


def _banner_host(text: str) -> str | None:
    parts = text.split()
    return parts[1] if len(parts) > 1 and "." in parts[1] else None
