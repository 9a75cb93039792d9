"""Sendmail through syslog: ``sm-mta[pid]:``, ``sendmail[pid]:``, ``sm-msp-queue[pid]:``,
``sm-acceptingconnections[pid]:``, Solaris ``[ID 801593 mail.info]``, and lines that start at
the program (``sm-mta[pid]: ...``, as OSSEC/Wazuh alerts quote them).

One event per reply or delivery outcome::

    >>> p = SendmailParser("maillog", year=2024)
    >>> p.feed("Nov 29 00:00:02 mx1 sm-mta[9]: 4AT00103578509: from=<a@example.com>, size=2853, "
    ...        "class=0, nrcpts=1, proto=ESMTP, daemon=MTA, relay=[192.0.2.1]", 1)
    []
    >>> [ev] = p.feed("Nov 29 00:00:10 mx1 sm-mta[9]: 4AT00103578509: to=<b@example.org>, "
    ...               "delay=00:00:02, mailer=esmtp, pri=170603, relay=mx.example.org. "
    ...               "[192.0.2.9], dsn=4.7.0, stat=Deferred: 421 4.7.0 Try again later", 2)
    >>> ev.status, ev.code, ev.enhanced, ev.sender, ev.remote_host, ev.ts
    ('deferred', '421', '4.7.0', 'a@example.com', 'mx.example.org', '2024-11-29T00:00:10')

Choices where Sendmail's log is ambiguous:

* ``stat=Sent (text)``: Sendmail strips the reply's code (and enhanced code) before it logs
  the text, so ``code`` is null unless the text still holds a code with an enhanced code
  (Microsoft's "... Queued mail for delivery -> 250 2.1.5"); ``enhanced`` falls back to
  ``dsn=``.
* ``to=<a>,<b>`` (one delivery to several recipients): one event per recipient, as Postfix
  logs one line per recipient.
* ``<addr>... 550 5.1.1 text`` after a ``to=`` line is the remote server's reply to that
  delivery (the ``to=`` line gave the outcome): an event with the code and no status, so the
  outcome is counted once and the reply once. ``<addr>... User unknown`` (no code) is our
  refusal of a client's RCPT: Sendmail sends "550 5.1.1 ... User unknown"
  (``recipient.c``), so code 550 inferred; other texts there are refusals with no code.
* ``AUTH failure (MECH): ...``: Sendmail answers "535 5.7.0 authentication failed"
  (``srvrsmtp.c``), so code 535 inferred, stage auth, no status (no message was refused).
* ``EXPN/VRFY x [rejected]``: "502 5.7.0 Sorry, we do not allow this operation" (PRIV_NOEXPN
  / PRIV_NOVRFY in ``srvrsmtp.c``), inferred. ``rejecting commands from ... due to pre-greeting
  traffic``: greeting "554 ... not accepting messages" (``srvrsmtp.c`` greetcode), inferred.
* ``DSN: ...`` lines (Sendmail writing a bounce or delay notice) are not replies: ignored,
  except ``DSN: Cannot send message for N days``, the queue lifetime running out, which is
  the ``expired`` outcome.
* ``lost input channel``, ``did not issue MAIL/EXPN/VRFY/ETRN``, ``possible SMTP attack``,
  ``STARTTLS=``, ``SYSERR`` and daemon messages hold no reply: ignored.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import ClassVar

from logscan.core.event import Event, MessageNote
from logscan.parsing.api import Parser
from logscan.parsing.message_state import Envelope, MessageState
from logscan.parsing.reply import enhanced_in_text, parse_reply
from logscan.parsing.syslog import split

# The program tag, wherever the line starts: with a syslog time and host, a "<mail.notice>"
# tag, a leading space, or at the program itself.
# (NFS's "sm-notify" shares the prefix and is not Sendmail.)
_PROGRAM = re.compile(r"(?:^|\s)(sendmail|sm-(?!notify)[\w.-]+)\[\d+\]: (?:\[ID \d+ [\w.]+\] )?")
_BSD_TS = re.compile(r"\s*([A-Z][a-z]{2} [ \d]?\d \d\d:\d\d:\d\d)")
# Queue ids: "4AT00103578509", "s1GNXHYB005133", AIX's "k1SN9pkK15806618", OpenEMM's digits.
_QID = re.compile(r"([A-Za-z0-9]{8,20}): ")
_FIELD = re.compile(r"(?:^|, )(to|mailer|relay|dsn|ruleset|arg1|reject)=")
_RELAY = re.compile(r"relay=(?:(?P<name>[^\s,\[]+) ?)?(?:\[(?P<ip>[^\]]+)\])?")
_SIZE = re.compile(r", size=(\d+)")
_ADDR_REPLY = re.compile(r"<?(?P<addr>[^\s<>]*)>?\.\.\. (?P<text>.*)$")
_DSN = re.compile(r"[245]\.\d{1,3}\.\d{1,3}$")
_CODE_WITH_ENHANCED = re.compile(r"(?<![\w.])([2-5]\d\d)[ -]([245]\.\d{1,3}\.\d{1,3})(?![\w.])")
_AUTH_RELAY = re.compile(r"relay=(?:(?P<name>[^\s,\[]+) )?\[(?P<ip>[^\]]+)\]")
_CLIENT = re.compile(r"(?:(?P<name>[^\s\[]+) )?\[(?P<ip>[^\]]+)\]")

_STAGE_OF_RULESET = {
    "check_rcpt": "rcpt",
    "check_mail": "mail",
    "check_relay": "connect",
    "check_data": "data",
    "check_eoh": "end-of-data",
    "check_eom": "end-of-data",
    "check_etrn": "unknown",
    "check_expn": "unknown",
    "check_vrfy": "unknown",
    "tls_client": "starttls",
    "tls_server": "starttls",
    "tls_rcpt": "rcpt",
    "srv_features": "connect",
}
_STAGE_OF_MILTER = (
    ("connect", "connect"),
    ("helo", "helo"),
    ("from=", "mail"),
    ("to=", "rcpt"),
    ("data", "end-of-data"),
    ("eoh", "end-of-data"),
    ("eom", "end-of-data"),
    ("body", "end-of-data"),
    ("header", "end-of-data"),
)

# Codes Sendmail sends but does not log with the refusal (see the module docstring).
_USER_UNKNOWN_CODE = "550"
_AUTH_FAILURE_CODE = "535"
_NO_EXPN_CODE = "502"
_PREGREETING_CODE = "554"

# Lines that are Sendmail's and hold no reply.
_QUIET_INSIDE = (" did not issue ", "possible SMTP attack", "lost input channel", "SYSERR")
_QUIET = (
    "from=",
    "lost input channel",
    "STARTTLS",
    "SYSERR",
    "starting daemon",
    "Authentication-Warning",
    "AUTH=",
    "ALERT",
    "timeout waiting",
    "collect:",
    "bogus queue file",
    "Losing ",
    "daemon ",
    "clone ",
    "done; ",
    "discarded",
    "Milter",
    "milter",
    "alias database",
    "accepting connections",
    "rejecting connections",
    "rejecting commands",
    "runqueue",
    "sender notify",
    "return to sender",
    "postmaster notify",
    "Saved message",
    "SMTP outgoing connect",
    "tls_",
    "ruleset=",
    "[",
    "NOQUEUE",
    "headers too large",
    "message-id=",
    "Warning:",
    "error connecting",
    "makeconnection",
    "opendaemonsocket",
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
        return cls.share(head, lambda line: _PROGRAM.search(line[:200]) is not None)

    def feed(self, text: str, lineno: int) -> list[Event] | None:
        head = text[:200]
        if "sm-" not in head and "sendmail[" not in head:
            return None  # cheap test before any regex: another program's line
        m = _PROGRAM.search(head)
        if m is None:
            return None
        ts = self._timestamp(text, m.start())
        msg = text[m.end() :]
        qid = None
        q = _QID.match(msg)
        if q is not None:
            qid, msg = q.group(1), msg[q.end() :]
        if msg.startswith("to="):
            return self._delivery(msg, qid, ts, lineno)
        if msg.startswith("from="):
            self._arrival(msg, qid)
            if self.notes is not None and qid is not None:
                self._note_arrival(msg, qid, ts)
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

    def _note_arrival(self, msg: str, qid: str, ts: str | None) -> None:
        """The arrival as a message note, with nrcpts= (Sendmail logs no removal)."""
        env = self._messages.get(qid)
        n = _field(msg, "nrcpts")
        relay = _field(msg, "relay")
        assert self.notes is not None
        self.notes(
            MessageNote(
                "received", "sendmail", qid, ts, env.sender,
                env.size, relay[:300] if relay else None,
                int(n) if n is not None and n.isdigit() and len(n) < 7 else None,
            )
        )  # fmt: skip

    def _delivery(self, msg: str, qid: str | None, ts: str | None, lineno: int) -> list[Event]:
        i = msg.find(", stat=")
        if i < 0:
            return []
        fields = msg[:i]
        stat = msg[i + 7 :]
        if stat.startswith("queued"):
            return []  # accepted into the queue, no delivery attempt yet
        dsn = _field(fields, "dsn")
        if dsn is not None and _DSN.match(dsn) is None:
            dsn = None  # not an enhanced status code: a damaged line
        status = _status(dsn, stat)
        text, reply_code, reply_enhanced = _stat_reply(stat)
        if reply_code is None and status == "bounced":
            # Sendmail 8.17 logs a bounce's remote reply in reply= (the last field before
            # stat=), and only its own summary in stat= ("User unknown"). A deferral's remote
            # reply is in stat= itself; reply= then holds a reply Sendmail made up or the QUIT's.
            j = fields.find(", reply=")
            remote = parse_reply(fields[j + 8 :]) if j >= 0 else None
            if remote is not None and remote.code is not None:
                text, reply_code, reply_enhanced = remote.text, remote.code, remote.enhanced
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
        """ "<qid>: <dsn qid>: DSN: <reason>": a bounce or delay notice being written."""
        q = _QID.match(msg)
        rest = msg[q.end() :] if q else msg
        if not rest.startswith("DSN: Cannot send message"):
            return []
        env = self._messages.get(qid)
        return [
            self.event(
                line=lineno,
                direction="outbound",
                status="expired",
                text=rest[5:],
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


def _field(fields: str, name: str) -> str | None:
    """The value of ``name=`` in a ``k=v, k=v`` list (values may hold ``<a>,<b>``)."""
    key = name + "="
    if fields.startswith(key):
        start = len(key)
    else:
        i = fields.find(", " + key)
        if i < 0:
            return None
        start = i + 2 + len(key)
    end = fields.find(", ", start)
    return fields[start:end] if end >= 0 else fields[start:]


def _milter_field(head: str, key: str) -> str | None:
    """The address after ``to=``/``from=`` in "Milter (name): to=<x>, reject=..."."""
    i = head.find(key)
    if i < 0:
        return None
    end = head.find(",", i)
    return head[i + len(key) : end if end >= 0 else len(head)].strip() or None


def _relay(fields: str) -> tuple[str | None, str | None]:
    i = fields.rfind("relay=")
    if i < 0:
        return None, None
    m = _RELAY.match(fields, i)
    if m is None:
        return None, None
    name = m.group("name")
    if name is not None:
        name = name.strip("'").rstrip(".") or None
    ip = m.group("ip")
    if ip is not None and ip.startswith("IPv6:"):
        ip = ip[5:]
    if name is not None and ip is None and name.startswith("["):
        name = None
    return name, ip


def _status(dsn: str | None, stat: str) -> str:
    cls = dsn[0] if dsn else ""
    if cls == "2" or (not cls and stat.startswith("Sent")):
        return "sent"
    if cls == "4" or (not cls and stat.startswith("Deferred")):
        return "deferred"
    return "bounced"


def _stat_reply(stat: str) -> tuple[str, str | None, str | None]:
    """(text, code, enhanced) of the reply held in ``stat=``."""
    if stat.startswith("Sent (") and stat.endswith(")"):
        text = stat[6:-1]
    elif stat.startswith("Deferred: "):
        text = stat[10:]
    else:
        text = stat
    reply = parse_reply(text)
    code, enhanced = reply.code, reply.enhanced
    if code is None:
        m = _CODE_WITH_ENHANCED.search(text)
        if m is not None:
            code, enhanced = m.group(1), m.group(2)
    return text, code, enhanced


def _split_recipients(value: str) -> list[str | None]:
    parts = [p.strip().strip("<>") for p in value.split(",")]
    found: list[str | None] = [p for p in parts if p]
    return found or [None]
