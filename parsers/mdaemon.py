"""MDaemon SMTP session logs: ``MDaemon-SMTP-in``, ``MDaemon-SMTP-out`` and the ``-all`` log.

The line formats of every version (time stamps, ID strings, MDaemon 18's thread numbers) are
read by :mod:`parsers.mdaemon_line`; MDaemon 26 writes endpoints without brackets (``Accepting
SMTP connection from 203.0.113.10:45584 to 192.168.0.10:25``). ``-->`` is what MDaemon sent,
``<--`` what the other side sent, so a reply line under ``<--`` is a remote server's reply to
us (``outbound``) and one under ``-->`` our reply to a connecting client (``inbound``). A session
starts with ``Session N; child M`` and says its role on the next lines ("Attempting SMTP
connection to ..." outbound, "Accepting SMTP connection from ..." inbound)::

    >>> p = MDaemonParser("MDaemon-SMTP-out.log")
    >>> p.feed("Tue 2022-08-09 07:47:32: --> RCPT To:<user@example.com>", 1)
    []
    >>> [ev] = p.feed("Tue 2022-08-09 07:47:32: <-- 450 4.7.25 Client host rejected", 2)
    >>> ev.direction, ev.stage, ev.status, ev.code, ev.enhanced, ev.recipient, ev.ts
    ('outbound', 'rcpt', 'deferred', '450', '4.7.25', 'user@example.com', '2022-08-09T07:47:32')

A multi-line reply is one event, on its final line. A delivery attempt that ends before any
reply (the name server does not know the domain, the connection is refused or times out) is a
``deferred`` event with no code on the line that says so: MDaemon keeps the message in its retry
queue, and only the expiry of that queue (not in this log) bounces it. It is held until the
session ends, and dropped if MDaemon then reaches another host. Sessions of other protocols in
the ``-all`` log (POP, IMAP, MultiPOP: "Accepting IMAP connection ...") give no events.

A connection MDaemon's Screening refused before any SMTP is read by
:mod:`parsers.mdaemon_screening`.

Message correlation (only when a sink wants message notes): an SMTP-out session delivers the
queued message files it names (``Parsing message <...\\pd50000012001.msg>``; a session may
deliver several, one after the other), and a file's name is the queue id of its events. When
the next file begins or the session ends, a ``queued`` note gives the file's sender and size
(``*  From:``, ``*  Size (bytes):``), and a ``removed`` note follows when its replies gave it a
final outcome (delivered or refused) and no deferral: MDaemon is done with it. A deferral leaves
it queued; a later attempt that names the same file continues the same message (if MDaemon
renamed a file on its way to the retry queue, the retry would count as another message: no
public log shows a retry). An SMTP-in session names no queue file: received mail is not followed.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import ClassVar

from logscan.core.event import Event, MessageNote
from logscan.parsing.api import Parser
from logscan.parsing.reply import enhanced_in_text
from logscan.parsing.smtp_dialogue import (
    MAX_ADDRESS_CHARS,
    MAX_REPLY_CHARS,
    MAX_SESSION_BYTES,
    Dialogue,
    Reply,
    Sessions,
    reply_event,
    reply_start,
)
from parsers.mdaemon_line import LINE, is_header, read
from parsers.mdaemon_screening import SCREENING, screened

_SESSION = re.compile(r"Session (\d+); child (\d+)")
# The other end of "Accepting SMTP connection from [ip:port] to [...]" (MDaemon 26 drops the
# brackets: "from 203.0.113.10:45584 to 192.168.0.10:25") or "Attempting ... to [host]".
_ENDPOINT = re.compile(r" (?:from|to) (?:\[([^\]]*)\]|([^\s\[\]]+))")
_MESSAGE_FILE = re.compile(r"([^\\/<>]+)\.msg>")
_IPV4 = re.compile(r"\d{1,3}(?:\.\d{1,3}){3}$")
_PTR = re.compile(r"PTR=\[([^\]]+)\]")
_ESTABLISHED = re.compile(r"-> \[?([0-9A-Fa-f.:]+?)\]?:\d+\)")

# Lines ("*  ..." info lines, or plain ones) that end a delivery attempt before the remote
# server gave its final word: no answer at all, a TLS handshake that failed after the remote's
# 220 to STARTTLS, or the remote dropping the connection ("Socket connection closed by the other
# side (how rude!)", MDaemon 18).
ATTEMPT_FAILURES = (
    "name server reports",
    "no mx records",
    "connection refused",
    "timed out",
    "unable to connect",
    "could not connect",
    "connect error",
    "connection failed",
    "socket error",
    "ssl negotiation failed",
    "connection closed",
    "connection reset",
    "no route to host",
    "unreachable",
)
# Lines that say the message's data has been sent: the next reply is the one to its end.
_DATA_SENT = ("Sending <", "Transfer Complete")
# Lines that close a session.
_SESSION_ENDS = ("SMTP session successful", "SMTP session terminated", "SMTP session ended")


@dataclass(slots=True)
class _Session:
    dialogue: Dialogue = field(default_factory=Dialogue)
    role: str | None = None  # "outbound" (we connect) or "inbound" (a client connects)
    foreign: bool = False  # a POP, IMAP... session of the all-in-one log: no SMTP replies
    remote_host: str | None = None
    remote_ip: str | None = None
    queue_id: str | None = None
    header_from: str | None = None
    header_to: str | None = None
    size: int | None = None  # of the message the session delivers ("*  Size (bytes): N")
    last_ts: str | None = None
    failure: Event | None = None
    # What the session's replies decided for its message: a final outcome, a deferral.
    decided: bool = False
    deferred: bool = False

    def approx_bytes(self) -> int:
        """An estimate of the memory the session holds (what the session store budgets)."""
        n = 400 + self.dialogue.approx_bytes()
        for text in (
            self.remote_host,
            self.remote_ip,
            self.queue_id,
            self.header_from,
            self.header_to,
        ):
            n += len(text) if text else 0
        if self.failure is not None:
            n += 600 + len(self.failure.text or "")
        return n


def _cut(text: str | None) -> str | None:
    """What is kept of a header field or a host name a remote host chose."""
    return text[:MAX_ADDRESS_CHARS] if text else None


class MDaemonParser(Parser):
    name: ClassVar[str] = "mdaemon"
    description: ClassVar[str] = "MDaemon SMTP-in, SMTP-out and all-in-one session logs"

    def __init__(
        self,
        path: str = "-",
        year: int | None = None,
        *,
        max_session_bytes: int = MAX_SESSION_BYTES,
    ) -> None:
        super().__init__(path, year)
        self._sessions: Sessions[_Session] = self.keep(
            Sessions(_Session, size=_Session.approx_bytes, max_bytes=max_session_bytes)
        )

    @classmethod
    def detect(cls, head: Sequence[str], path: str | None) -> float:
        name = os.path.basename(path or "").lower()
        by_name = name.startswith("mdaemon-") and name.endswith((".log", ".txt"))
        if any(ln.startswith("START Event Log / MDaemon") for ln in head[:3]):
            return 1.0  # the header of every MDaemon log file names it
        head = [ln for ln in head if not is_header(ln)]
        matches = [m for ln in head if ln.strip() and (m := LINE.match(ln))]
        dated = [m.group(0) for m in matches]
        arrows = sum(1 for m in matches if m["msg"].startswith(("<-- ", "--> ")))
        markers = sum(
            1
            for ln in dated
            if "SMTP connection" in ln or _SESSION.search(ln) or "Parsing message" in ln
        )
        if by_name and (dated or not head):
            return 1.0
        if not dated:
            return 0.0
        share = len(dated) / max(1, sum(1 for ln in head if ln.strip()))
        if arrows or markers:
            return min(1.0, 0.6 + 0.4 * share)
        return 0.3 * share

    def feed(self, text: str, lineno: int) -> list[Event] | None:
        if is_header(text):
            return []  # the header MDaemon writes at the top of each log file
        line = read(text)
        if line is None:
            return None
        msg, ts = line.msg, self.timestamps(line.clock)  # None if impossible (Feb 30)
        if msg.startswith(("<-- ", "--> ")) or msg in ("<--", "-->"):
            return self._arrow(line.key, msg[:3], msg[4:], lineno, ts)
        if msg.startswith("*  "):
            return self._info(line.key, msg[3:], lineno, ts)
        return self._narrative(line.key, msg, lineno, ts)

    def flush(self) -> list[Event]:
        events: list[Event] = []
        for sess in self._sessions.drain():
            events.extend(self._close(sess))
        return events

    # -- lines -----------------------------------------------------------------------------

    def _arrow(
        self, key: str, arrow: str, content: str, lineno: int, ts: str | None
    ) -> list[Event]:
        sess = self._sessions.get(key)
        if sess.foreign:
            return []  # "<-- 101 LOGIN" is an IMAP tag, not a reply code
        if reply_start(content) is None:
            sess.last_ts = ts
            sess.dialogue.command(content)
            return []
        # The arrow says who spoke, whatever the session header said: "<--" the remote side.
        direction = "outbound" if arrow == "<--" else "inbound"
        if sess.role is None:
            sess.role = direction
        if direction == "outbound":
            sess.failure = None  # a server answered: the attempt went on
        dialogue = sess.dialogue
        events: list[Event] = []
        code, _ = reply_start(content) or ("", "")
        if dialogue.pending_code not in (None, code):
            held = dialogue.take_pending()
            if held is not None:
                events.append(self._event(sess, held, direction, sess.last_ts))
        sess.last_ts = ts
        reply = dialogue.reply_line(content, lineno)
        if reply is not None:
            events.append(self._event(sess, reply, direction, ts))
        return events

    def _info(self, key: str, info: str, lineno: int, ts: str | None) -> list[Event]:
        sess = self._sessions.get(key)
        low = info.lower()
        if low.startswith("to: "):
            sess.header_to = _cut(info[4:].strip())
        elif low.startswith("from: "):
            sess.header_from = _cut(info[6:].strip())
        elif low.startswith("size (bytes): "):
            size = info[14:].strip()
            sess.size = int(size) if size.isdigit() and len(size) < 13 else None
        elif "PTR=[" in info and sess.remote_host is None:
            m = _PTR.search(info)
            sess.remote_host = _cut(m.group(1)) if m else None
        elif low.startswith("connection established"):
            sess.failure = None
            m = _ESTABLISHED.search(info)
            if m is not None:
                sess.remote_ip = _cut(m.group(1))
        else:
            self._attempt_failure(sess, info, lineno, ts)
        return []

    def _attempt_failure(self, sess: _Session, text: str, lineno: int, ts: str | None) -> None:
        """Hold the deferral of an outbound attempt that ``text`` says has failed (see the
        module docstring); not once the message has its outcome or the session is quitting."""
        low = text.lower()
        if sess.foreign or sess.role == "inbound" or not any(p in low for p in ATTEMPT_FAILURES):
            return
        dialogue = sess.dialogue
        if sess.decided or dialogue.stage == "quit":
            return
        sess.failure = self.event(
            line=lineno,
            direction="outbound",
            stage=dialogue.stage if dialogue.commanded else "connect",
            status="deferred",
            enhanced=enhanced_in_text(text),
            text=text.strip()[:MAX_REPLY_CHARS],
            ts=ts,
            remote_host=sess.remote_host,
            remote_ip=sess.remote_ip,
            sender=sess.header_from,
            recipient=sess.header_to,
            queue_id=sess.queue_id,
        )

    def _narrative(self, key: str, msg: str, lineno: int, ts: str | None) -> list[Event]:
        if msg.startswith(SCREENING):
            return screened(self.event, msg, lineno, ts)
        if msg.startswith("Session ") and _SESSION.match(msg):
            old = self._sessions.pop(key)
            self._sessions.get(key).dialogue.stage = "connect"
            return self._close(old)
        if msg.startswith("-----") or msg.startswith(_SESSION_ENDS):
            old = self._sessions.pop(key)
            events = self._close(old)
            if old is not None and self.notes is not None:
                self._note_message(old, lineno)
            return events
        sess = self._sessions.get(key)
        if msg.startswith("Attempting SMTP connection to"):
            sess.role = "outbound"
            sess.dialogue.stage = "connect"
            self._remote(sess, msg)
        elif msg.startswith("Accepting SMTP connection from"):
            sess.role = "inbound"
            sess.dialogue.stage = "connect"
            self._remote(sess, msg)
        elif msg.startswith(("Accepting ", "Attempting ")) and " connection " in msg:
            sess.foreign = True  # POP, IMAP, MultiPOP, DomainPOP sessions of the -all log
        elif msg.startswith("Parsing message"):
            if self.notes is not None:  # the file before it, in a session that sends several
                self._note_message(sess, lineno)
            m = _MESSAGE_FILE.search(msg)
            sess.queue_id = _cut(m.group(1)) if m else None
            sess.decided = sess.deferred = False
        elif msg.startswith(_DATA_SENT):
            self._data_sent(sess.dialogue)
            m = _MESSAGE_FILE.search(msg)
            if m is not None and sess.queue_id is None:
                sess.queue_id = _cut(m.group(1))
        elif sess.role == "outbound":  # a plain line says less than an info line: be sure
            self._attempt_failure(sess, msg, lineno, ts)
        return []

    # -- helpers ---------------------------------------------------------------------------

    @staticmethod
    def _data_sent(dialogue: Dialogue) -> None:
        """The message's data went out ("Sending <...msg> to [ip]", "Transfer Complete"): the
        next reply answers its end, even where the log (or a paste of it) lost the DATA
        command and its 354 went to the RCPT before it."""
        if dialogue.awaiting and dialogue.awaiting[0][0] == "end-of-data":
            return
        rcpt = dialogue.accepted[0] if len(dialogue.accepted) == 1 else None
        dialogue.awaiting.clear()
        dialogue.awaiting.append(("end-of-data", rcpt))

    @staticmethod
    def _remote(sess: _Session, msg: str) -> None:
        m = _ENDPOINT.search(msg)
        if m is None:
            return
        where = m.group(1) or m.group(2)
        host = where.rsplit(":", 1)[0] if where.count(":") == 1 else where
        if _IPV4.match(host) or ":" in host:
            sess.remote_ip = _cut(host)
        else:
            sess.remote_host = _cut(host)

    def _close(self, sess: _Session | None) -> list[Event]:
        """A session's last words: a reply cut short and an attempt that failed unanswered."""
        if sess is None:
            return []
        events: list[Event] = []
        held = sess.dialogue.take_pending()
        if held is not None:
            direction = sess.role or "outbound"
            events.append(self._event(sess, held, direction, sess.last_ts))
        if sess.failure is not None:
            events.append(sess.failure)
            sess.deferred = True
            sess.failure = None
        return events

    def _note_message(self, sess: _Session, lineno: int) -> None:
        """The notes of the message file the session was delivering (module docstring)."""
        qid = sess.queue_id
        if qid is None or sess.role != "outbound":
            return
        assert self.notes is not None
        ts = sess.last_ts
        self.notes(
            MessageNote("queued", "mdaemon", qid, ts, sess.header_from, sess.size, line=lineno)
        )
        if sess.decided and not sess.deferred:
            self.notes(MessageNote("removed", "mdaemon", qid, ts, line=lineno))
        sess.decided = sess.deferred = False
        sess.size = None

    def _event(self, sess: _Session, reply: Reply, direction: str, ts: str | None) -> Event:
        """The event of a complete reply; ``ts`` is that of its final line."""
        outbound = direction == "outbound"
        recipient = reply.recipient
        if recipient is None and outbound:
            recipient = sess.header_to
        ev = reply_event(
            self.event,
            reply,
            "outbound" if outbound else "inbound",
            ts,
            remote_host=sess.remote_host,
            remote_ip=sess.remote_ip,
            sender=sess.dialogue.sender or (sess.header_from if outbound else None),
            recipient=recipient,
            queue_id=sess.queue_id,
        )
        status = ev.status
        if status == "deferred":
            sess.deferred = True
        elif status is not None:
            sess.decided = True
        return ev
