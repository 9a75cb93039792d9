"""The Sendmail parser: the program tag and time of a line, then arrivals, deliveries and the
refusals we sent, as events (see the package's docstring for the choices)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from logscan.core.event import Event, MessageNote
from logscan.core.smtp import is_enhanced_code
from logscan.parsing.api import Parser
from logscan.parsing.message_state import Envelope, MessageState
from logscan.parsing.repeats import MARK
from logscan.parsing.reply import enhanced_in_text, parse_reply
from logscan.parsing.syslog import split
from parsers.sendmail.texts import (
    _ADDR_REPLY,
    _AUTH_FAILURE_CODE,
    _AUTH_RELAY,
    _BSD_TS,
    _CLIENT,
    _CLIENT_RULESETS,
    _NO_EXPN_CODE,
    _NOTICE_LABELS,
    _NULLSERVER_CODE,
    _PREGREETING_CODE,
    _QID,
    _QUIET,
    _QUIET_INSIDE,
    _SIZE,
    _STAGE_OF_MILTER,
    _STAGE_OF_RULESET,
    _TCPWRAPPERS,
    _USER_UNKNOWN_CODE,
    _dsn_says_more,
    _field,
    _milter_field,
    _program_span,
    _relay,
    _split_recipients,
    _stat_reply,
    _status,
)


class SendmailParser(Parser):
    """Parser for Sendmail's syslog lines."""

    name: ClassVar[str] = "sendmail"
    description: ClassVar[str] = "Sendmail (sm-mta, sendmail, sm-msp-queue) through syslog"

    def __init__(self, path: str = "-", year: int | None = None) -> None:
        super().__init__(path, year)
        self._messages = self.keep(MessageState())

    @classmethod
    def detect(cls, head: Sequence[str], path: str | None) -> float:
        # Parser.share, not cls.share: mypyc 2.4 fails on the latter (the compiled build).
        return Parser.share(head, lambda line: _program_span(line) is not None)

    def feed(self, text: str, lineno: int) -> list[Event] | None:
        head = text[:200]
        if "sm-" not in head and "sendmail" not in head:
            return self.not_understood(text)  # another program's, or syslogd's "last message ..."
        span = _program_span(text)
        if span is None:
            return None
        program_at, msg_at = span
        ts = self._timestamp(text, program_at)
        msg = text[msg_at:]
        if msg.startswith(MARK):  # rsyslog's "message repeated N times: [...]"
            return self.feed_repeated(text, msg_at, lineno)
        qid = None
        q = _QID.match(msg)
        if q is not None:
            qid, msg = q.group(1), msg[q.end() :]
        if msg.startswith("to="):
            return self._delivery(msg, qid, ts, lineno)
        if msg.startswith("from="):
            self._arrival(msg, qid)
            if self.notes is not None and qid is not None:
                self._note_arrival(msg, qid, ts, lineno)
            return []
        if "reject=" in msg:
            ev = self._rejected(msg, qid, ts, lineno)
            return [ev] if ev is not None else []
        if "... " in msg:
            return self._address_line(msg, qid, ts, lineno)
        if msg.startswith("AUTH failure"):
            return [self._auth_failure(msg, qid, ts, lineno)]
        if msg.endswith("[rejected]"):
            return [self._inbound(msg, qid, ts, lineno, "unknown", _NO_EXPN_CODE, msg)]
        if msg.startswith("rejecting commands from"):
            return [self._inbound(msg, qid, ts, lineno, "connect", _PREGREETING_CODE, msg)]
        if msg.startswith(("tcpwrappers (", "NOQUEUE: tcpwrappers (")):
            return self._tcpwrappers(msg.removeprefix("NOQUEUE: "), qid, ts, lineno)
        if q is not None and _QID.match(msg) is not None:
            return self._dsn(msg, qid, ts, lineno)
        if msg.startswith(_QUIET) or any(key in msg for key in _QUIET_INSIDE):
            return []
        return None

    def _timestamp(self, text: str, program_at: int) -> str | None:
        """ISO 8601 time of ``text``, None if it has none or an impossible one (Feb 30)."""
        return self.timestamps(self._text_timestamp(text, program_at))

    def _text_timestamp(self, text: str, program_at: int) -> str | None:
        if program_at == 0:
            return None
        t = _BSD_TS.match(text)
        if t is not None:
            return self.iso_time(t.group(1))
        s = split(text)
        return self.iso_time(s.ts) if s is not None else None

    # -- messages -------------------------------------------------------------------------

    def _arrival(self, msg: str, qid: str | None) -> None:
        if qid is None:
            return
        sender = msg[5 : msg.find(",")] if "," in msg else msg[5:]
        m = _SIZE.search(msg)
        self._messages.remember(qid, Envelope(sender.strip("<>"), int(m.group(1)) if m else None))

    def _note_arrival(self, msg: str, qid: str, ts: str | None, lineno: int) -> None:
        """The arrival as a message note, with nrcpts= (Sendmail logs no removal)."""
        env = self._messages.get(qid)
        n = _field(msg, "nrcpts")
        relay = _field(msg, "relay")
        assert self.notes is not None
        self.notes(
            MessageNote(
                "received", "sendmail", qid, ts, env.sender,
                env.size, relay[:300] if relay else None,
                int(n) if n is not None and n.isdigit() and len(n) < 7 else None, lineno,
            )
        )  # fmt: skip

    def _delivery(self, msg: str, qid: str | None, ts: str | None, lineno: int) -> list[Event]:
        i = msg.find(", stat=")
        if i < 0:
            return []
        fields = msg[:i]
        if "mailer=" not in fields:
            # logundelrcpts() (srvrsmtp.c): the recipients of a message refused, discarded or
            # aborted while it was received, logged without a mailer; the refusal is the
            # reject= line's event, and nothing was delivered or bounced.
            return []
        stat = msg[i + 7 :]
        if stat.startswith("queued"):
            return []  # accepted into the queue, no delivery attempt yet
        dsn = _field(fields, "dsn")
        if dsn is not None and not is_enhanced_code(dsn):
            dsn = None  # not an enhanced status code: a damaged line
        status = _status(dsn, stat)
        text: str | None
        text, reply_code, reply_enhanced = _stat_reply(stat)
        if reply_code is None and status == "bounced":
            # Sendmail 8.17 logs a bounce's remote reply in reply= (the last field before
            # stat=), and only its own summary in stat= ("User unknown"). A deferral's remote
            # reply is in stat= itself; reply= then holds a reply Sendmail made up or the QUIT's.
            j = fields.find(", reply=")
            remote = parse_reply(fields[j + 8 :]) if j >= 0 else None
            if remote is not None and remote.code is not None:
                text, reply_code, reply_enhanced = remote.text, remote.code, remote.enhanced
            elif _dsn_says_more(stat, dsn):
                text = None  # only the exit status's name: let the remote's enhanced code decide
        name, ip = _relay(fields)
        env = self._messages.get(qid)
        recipients = _field(fields, "to") or ""
        events = []
        for rcpt in _split_recipients(recipients):
            events.append(
                self.event(
                    line=lineno,
                    direction="outbound",
                    stage="unknown",
                    status=status,
                    code=reply_code,
                    enhanced=reply_enhanced or dsn,
                    text=text,
                    ts=ts,
                    remote_host=name,
                    remote_ip=ip,
                    sender=env.sender,
                    recipient=rcpt,
                    queue_id=qid,
                    size=env.size,
                )
            )
        return events

    def _address_line(
        self, msg: str, qid: str | None, ts: str | None, lineno: int
    ) -> list[Event] | None:
        m = _ADDR_REPLY.match(msg)
        if m is None:
            return []
        text = m.group("text")
        reply = parse_reply(text)
        addr = m.group("addr") or None
        if reply.code is not None:
            # The remote server's reply to the delivery logged on the line before.
            env = self._messages.get(qid)
            return [
                self.event(
                    line=lineno,
                    direction="outbound",
                    code=reply.code,
                    enhanced=reply.enhanced,
                    text=reply.text,
                    ts=ts,
                    sender=env.sender,
                    recipient=addr,
                    queue_id=qid,
                )
            ]
        code = _USER_UNKNOWN_CODE if text.startswith("User unknown") else None
        return [self._inbound(msg, qid, ts, lineno, "rcpt", code, text, recipient=addr)]

    def _dsn(self, msg: str, qid: str | None, ts: str | None, lineno: int) -> list[Event]:
        """ "<qid>: <dsn qid>: DSN: <reason>": a bounce or delay notice being written; a
        notice in the older, non-DSN form says "sender notify:" instead (Sendmail 8.14)."""
        q = _QID.match(msg)
        rest = msg[q.end() :] if q else msg
        label, _, reason = rest.partition(": ")
        if label not in _NOTICE_LABELS or not reason.startswith("Cannot send message"):
            return []
        env = self._messages.get(qid)
        return [
            self.event(
                line=lineno,
                direction="outbound",
                status="expired",
                text=reason,
                ts=ts,
                sender=env.sender,
                queue_id=qid,
            )
        ]

    # -- refusals we sent ---------------------------------------------------------------------

    def _rejected(self, msg: str, qid: str | None, ts: str | None, lineno: int) -> Event | None:
        i = msg.find("reject=")
        reply = parse_reply(msg[i + 7 :])
        if msg.startswith("ruleset="):
            ruleset = msg[8 : msg.find(",")] if "," in msg else msg[8:]
            if ruleset in _CLIENT_RULESETS:
                return None
            stage = _STAGE_OF_RULESET.get(ruleset, "unknown")
        elif msg.startswith("Milter"):
            low = msg[:i]
            stage = next((s for key, s in _STAGE_OF_MILTER if key in low), "unknown")
        else:
            stage = "unknown"
        head = msg[:i]
        arg1 = _field(head, "arg1")
        if stage == "rcpt" and arg1 is None:
            arg1 = _milter_field(head, "to=")
        elif stage == "mail" and arg1 is None:
            arg1 = _milter_field(head, "from=")
        name, ip = _relay(head)
        return self.event(
            line=lineno,
            direction="inbound",
            stage=stage,
            status="rejected",
            code=reply.code,
            enhanced=reply.enhanced,
            text=reply.text,
            ts=ts,
            remote_host=name,
            remote_ip=ip,
            sender=arg1.strip("<>") if arg1 and stage == "mail" else None,
            recipient=arg1.strip("<>") if arg1 and stage == "rcpt" else None,
            queue_id=qid,
        )

    def _tcpwrappers(self, msg: str, qid: str | None, ts: str | None, lineno: int) -> list[Event]:
        m = _TCPWRAPPERS.match(msg)
        if m is None:
            return []
        name = m.group("name")
        return [
            self.event(
                line=lineno,
                direction="inbound",
                stage="connect",
                status="rejected",
                code=_NULLSERVER_CODE,
                code_inferred=True,
                text=msg,
                ts=ts,
                remote_host=None if name == "unknown" else name,
                remote_ip=m.group("ip"),
                queue_id=qid,
            )
        ]

    def _auth_failure(self, msg: str, qid: str | None, ts: str | None, lineno: int) -> Event:
        m = _AUTH_RELAY.search(msg)
        return self.event(
            line=lineno,
            direction="inbound",
            stage="auth",
            code=_AUTH_FAILURE_CODE,
            code_inferred=True,
            text=msg,
            ts=ts,
            remote_host=m.group("name") if m else None,
            remote_ip=m.group("ip") if m else None,
            queue_id=qid,
        )

    def _inbound(
        self,
        msg: str,
        qid: str | None,
        ts: str | None,
        lineno: int,
        stage: str,
        code: str | None,
        text: str,
        *,
        recipient: str | None = None,
    ) -> Event:
        m = _CLIENT.search(msg)
        return self.event(
            line=lineno,
            direction="inbound",
            stage=stage,
            status="rejected",
            code=code,
            code_inferred=code is not None,
            enhanced=enhanced_in_text(text),
            text=text,
            ts=ts,
            remote_host=m.group("name") if m else None,
            remote_ip=m.group("ip") if m else None,
            recipient=recipient,
            queue_id=qid,
        )
