"""Exim main log (``mainlog``): plain, syslog-wrapped (``host exim[pid]:``) or relayed by
cPanel/ISPmanager's ``splogger[pid]:``.

One event per reply or delivery outcome::

    >>> p = EximParser("mainlog")
    >>> p.feed("2012-02-13 14:46:10 1RwtQA-000Mti-P5 <= a@example.ru H=mx.example.ru "
    ...        "[192.0.2.4] P=esmtp S=3211 id=x@example.ru", 1)
    []
    >>> [ev] = p.feed('2012-02-13 14:46:14 1RwtQA-000Mti-P5 => b@example.org R=dnslookup '
    ...               'T=remote_smtp H=mx.example.org [192.0.2.9] C="250 2.0.0 Ok: queued"', 2)
    >>> ev.status, ev.code, ev.enhanced, ev.sender, ev.size, ev.stage
    ('sent', '250', '2.0.0', 'a@example.ru', 3211, 'end-of-data')
    >>> [ev] = p.feed("2022-06-29 16:04:14 H=mx.example.com [192.0.2.7]:35328 F=<a@example.com> "
    ...               "rejected RCPT <b@example.org>: No Such User Here", 3)
    >>> ev.direction, ev.stage, ev.status, ev.code, ev.code_inferred
    ('inbound', 'rcpt', 'rejected', '550', True)

Exim does not log the code it sends for an ACL refusal unless the ACL's message starts with
one, so those events carry Exim's documented default with ``code_inferred=True`` (see
``_ACL_WHAT``).
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

# "2012-02-13 14:39:22", optional ".345" (log_selector +millisec), optional " +0100"
# (log_timezone).
_EXIM_TS = re.compile(r"(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d(?:\.\d+)?)(?: ([+-]\d\d)(\d\d))? ")
# A syslog relay written after Exim's own time stamp: "2019-10-22 03:39:17 mx1 exim[29786]: ".
# No syslog time stamp at all: "mail.example.com exim[3751842]: 2021-07-17 23:20:49 ...".
_RELAY = re.compile(r"(?:\S+ )?(?:exim\d?|splogger)(?:\[\d+\])?: ")
_PID = re.compile(r"\[\d+\] ")
# Message ids: "1RwtJa-000AFB-07" (before 4.97) and "10HmaX-000000005vi-0000" (4.97 and later).
_MSGID = re.compile(r"([0-9A-Za-z]{6}-[0-9A-Za-z]{6,11}-[0-9A-Za-z]{2,4}) ")

_HOST = re.compile(
    r"(?:\bH=|authenticator failed for |SMTP call from )"
    r"(?:(?P<name>[^\s(\[]\S*) )?(?:\((?P<helo>[^)]*)\) )?\[(?P<ip>[^\]]+)\]"
)
# The reason after the client's identity: " H=name (helo) [ip]:port I=[ip]:port Ci=n <reason>".
_AFTER_HOST = re.compile(r" H=.*?\[[^\]]*\](?::\d+)?(?: I=\[[^\]]*\](?::\d+)?)?(?: Ci=\d+)? (.*)$")
_SENDER = re.compile(r"\bF=(?:<([^>]*)>|(\S+))")
_SIZE = re.compile(r" S=(\d+)")
_CONFIRM = re.compile(r' C="(.*?)"(?= [A-Za-z]+=|$)')
# The reply of a remote server, as Exim quotes it in a deferral or bounce. Before 4.80 or so
# the host came after the command ("after RCPT TO:<x>: host mx [ip]: 450 ...").
_REMOTE_ERROR = re.compile(
    r"(?:SMTP error from remote mail(?:er| server)|LMTP error|PRDR error) after (?P<cmd>.*?): "
    r"(?:host (?P<name>\S+) \[(?P<ip>[^\]]+)\]: )?(?P<reply>.*)$",
    re.DOTALL,
)
_LOST_AFTER = re.compile(r"(?:closed connection|timeout|timed out) (?:in response to|after) (.+)$")
_MALFORMED = re.compile(r"Malformed SMTP reply .*?in response to (?P<cmd>.*?): (?P<reply>.*)$")
# A callout's or a closed connection's reply: 'response to "MAIL FROM:<>" was: 550 ...',
# "... in response to HELO x (EHLO response was: 550 You are banned)".
_RESPONSE_WAS = re.compile(
    r'(?:response to "(?P<cmd>[^"]*)" was|in response to (?P<cmd2>\S+).*?response was): '
    r"(?P<reply>.*?)\)?$"
)
# The reply on an authenticator failure line, after "]: ", "]:port: ", "Ci=1: " or "] ".
_AUTH_REPLY = re.compile(r"[\]:\d] ([2-5]\d\d(?:[ -].*)?)$")
# Exim's response-code check (smtp_in.c regex_smtp_code): "550 " or "550 5.7.1 " at the start.
_LEADING_CODE = re.compile(r"([2-5]\d\d)[ -]")

_PROGRAMS = frozenset({"exim", "exim4", "exim3", "splogger"})
_DELIVERED = ("=> ", "-> ", ">> ")
_EXPIRED = ("retry timeout exceeded", "retry time not reached for any host after a long failure")

# The command Exim names in "after <command>" -> the contract's stage.
_STAGE_OF_COMMAND = (
    ("rcpt", "rcpt"),
    ("mail", "mail"),
    ("end of data", "end-of-data"),
    ("data", "data"),
    ("bdat", "end-of-data"),
    ("initial connection", "connect"),
    ("ehlo", "helo"),
    ("helo", "helo"),
    ("lhlo", "helo"),
    ("starttls", "starttls"),
    ("auth", "auth"),
    ("quit", "quit"),
)

# What Exim refused ("rejected <what> ...") -> (stage, code Exim sends for a deny).
# Exim's documented defaults (spec, chapter "Access control lists": a deny gives a 5xx,
# a defer a 4xx) as the source has them: smtp_in.c smtp_handle_acl_fail() sends
# acl_wherecodes[where] for a deny and "451" for a defer; globals.c acl_wherecodes[] is 550
# for RCPT, MAIL, PREDATA ("rejected DATA"), MIME, DKIM, DATA ("rejected after DATA"),
# connect, EXPN, EHLO/HELO and STARTTLS, 503 for AUTH, 458 for ETRN and 252 for VRFY.
# local_scan() rejections use LOCAL_SCAN_REJECT's "550 Administrative prohibition"
# (local_scan.h; LOCAL_SCAN_TEMPREJECT gives 451).
_ACL_WHAT: tuple[tuple[str, str, str | None], ...] = (
    ("RCPT", "rcpt", "550"),
    ("MAIL", "mail", "550"),
    ("after DATA", "end-of-data", "550"),
    ("DATA", "data", "550"),
    ("during MIME ACL checks", "end-of-data", "550"),
    ("EHLO", "helo", "550"),
    ("HELO", "helo", "550"),
    ("connection", "connect", "550"),
    ("AUTH", "auth", "503"),
    ("STARTTLS", "starttls", "550"),
    ("VRFY", "unknown", "252"),
    ("EXPN", "unknown", "550"),
    ("ETRN", "unknown", "458"),
    ("ATRN", "unknown", "550"),
    ("by local_scan()", "end-of-data", "550"),
    ("by non-SMTP ACL", "unknown", None),  # a local submission: no SMTP reply was sent
    # receive.c: "rejected from <sender> H=...: <reason>" for a message refused while its
    # data is read (size, header syntax); the code depends on the reason, see below.
    ("from", "end-of-data", None),
)
_ACL_DEFER_CODE = "451"
# Refusals logged like an ACL's that are not one: smtp_in.c answers a bad EHLO/HELO argument
# with "501 Syntactically invalid EHLO argument(s)".
# receive.c answers an over-size message with "552 Message size exceeds maximum permitted".
_ACL_REASON_CODES = (("syntactically invalid argument", "501"), ("message too big", "552"))
# "H=[192.0.2.101]:62839 dropped by 'connect' ACL: ..." -> stage of the named ACL.
_DROPPED_BY = re.compile(r" dropped by '(\w+)' ACL(?:: (?P<reason>.*))?$")
_ACL_NAME_STAGE = {"connect": "connect", "helo": "helo", "mail": "mail", "rcpt": "rcpt"}

# Protocol errors Exim answers with a fixed code but does not log it (smtp_in.c):
# "554 SMTP synchronization error"; synprot_error() for syntax (501, 500 for an unknown
# command) and protocol errors (503 for AUTH when not advertised, 504 for an unsupported
# mechanism); smtp_notquit_exit() "421 ... too many syntax or protocol errors" / "too many
# nonmail commands", "500 Too many unrecognized commands".
_SYNC_ERROR_CODE = "554"
# "refused connection from ... (host_reject_connection)": "554 SMTP service not available";
# recipients_max exceeded: "452 too many recipients".
_REFUSED_CODE = "554"
_TOO_MANY_RCPT_CODE = "452"
_PROTOCOL_ERROR_CODES = (
    ("used when not advertised", "503"),
    ("mechanism not supported", "504"),
    ("unrecognized command", "500"),
)
_DROPPED_CODES = (("too many unrecognized commands", "500"), ("too many", "421"))

# Session lines Exim writes that hold no reply: understood, ignored.
_QUIET_PREFIXES = (
    "SMTP connection",
    "SMTP call from",
    "no MAIL in SMTP connection",
    "no host name found",
    "no IP address found",
    "sender verify",
    "recipient verify",
    "Start queue run",
    "End queue run",
    "exim ",
    "TLS error",
    "TLS ",
    "SMTP command timeout",
    "SMTP data timeout",
    "SMTP timeout",
    "unexpected disconnection",
    "Connection ",
    "H=",
    "U=",
    "F=",
    "cwd=",
    "DKIM",
    "Warning",
    "daemon",
    "LOG:",
    "ETRN",
    "Spool",
    "failed to",
    "Failed to",
    "host name alias",
    "SMTP data",
    "configured error code",  # a panic about the config: Exim sent its default instead
    "rejected XCLIENT",
    "SMTP syntax error",
    "SMTP protocol",
    "ACL",
    "Authentication",
)


class EximParser(Parser):
    """Parser for Exim's main log."""

    name: ClassVar[str] = "exim"
    description: ClassVar[str] = "Exim main log (plain, syslog or splogger)"

    def __init__(self, path: str = "-", year: int | None = None) -> None:
        super().__init__(path, year)
        self._messages = self.keep(MessageState())
        self._last_ts: tuple[str | None, str] = (None, "")

    @classmethod
    def detect(cls, head: Sequence[str], path: str | None) -> float:
        return cls.share(head, _looks_like_exim)

    def feed(self, text: str, lineno: int) -> list[Event] | None:
        prefix = self._split_prefix(text)
        if prefix is None:
            return None
        ts, body = prefix
        m = _MSGID.match(body)
        if m is not None:
            return self._message_line(body[m.end() :], m.group(1), ts, lineno)
        return self._session_line(body, ts, lineno)

    # -- line layout -----------------------------------------------------------------------

    def _split_prefix(self, text: str) -> tuple[str | None, str] | None:
        """(ISO time, the text after time stamp, syslog relay and [pid]), or None if not Exim's."""
        m = _EXIM_TS.match(text)
        if m is not None:
            raw = m.group(0)
            if raw != self._last_ts[0]:  # consecutive lines mostly share their second
                self._last_ts = (raw, _exim_iso(m))
            ts: str | None = self._last_ts[1]
            body = text[m.end() :]
            if "exim" in body[:80] or "splogger" in body[:80]:
                r = _RELAY.match(body)
                if r is not None:
                    body = body[r.end() :]
        else:
            head = text[:160]
            if "exim" not in head and "splogger" not in head:
                return None  # cheap test before the syslog regex: another program's line
            s = split(text)
            if s is not None and s.program in _PROGRAMS:
                ts, body = self.iso_time(s.ts), s.message
            else:
                r = _RELAY.match(text)
                if r is None:
                    return None
                ts, body = None, text[r.end() :]
            m = _EXIM_TS.match(body)
            if m is not None:
                ts, body = _exim_iso(m), body[m.end() :]
        if body.startswith("["):
            p = _PID.match(body)
            if p is not None:
                body = body[p.end() :]
        return self.timestamps(ts), body

    # -- lines about one message -------------------------------------------------------------

    def _message_line(self, rest: str, qid: str, ts: str | None, lineno: int) -> list[Event]:
        head = rest[:3]
        if head == "<= ":
            self._arrival(rest, qid)
            if self.notes is not None:
                env = self._messages.get(qid)
                client = _host(rest)
                self.notes(
                    MessageNote(
                        "received", "exim", qid, ts, env.sender, env.size, client[0] or client[1]
                    )
                )
            return []
        if rest.startswith("Completed"):
            self._messages.forget(qid)
            if self.notes is not None:
                self.notes(MessageNote("removed", "exim", qid, ts))
            return []
        if head in _DELIVERED:
            return [self._delivered(rest, qid, ts, lineno)]
        if head == "** " or head == "== ":
            return [self._failed(rest, qid, ts, lineno, deferred=head == "== ")]
        if "rejected " in rest:
            evs = self._acl_reject_with_callout(rest, ts, lineno, qid)
            if evs:
                return evs
        if rest.startswith("event "):
            return []  # test-suite echo of an event action: the reply has its own line
        return self._host_reply(rest, qid, ts, lineno)

    def _arrival(self, rest: str, qid: str) -> None:
        sender = rest[3:].split(" ", 1)[0]
        if sender == "<>":
            sender = ""
        m = _SIZE.search(rest)
        self._messages.remember(qid, Envelope(sender, int(m.group(1)) if m else None))

    def _delivered(self, rest: str, qid: str, ts: str | None, lineno: int) -> Event:
        m = _CONFIRM.search(rest)  # C="250 ..." (log_selector +smtp_confirmation)
        text = m.group(1) if m is not None else None
        stage = "end-of-data" if text is not None else "unknown"
        host = _host(rest)
        return self._delivery(rest[3:], qid, ts, lineno, "sent", stage, text, host)

    def _failed(self, rest: str, qid: str, ts: str | None, lineno: int, *, deferred: bool) -> Event:
        body = rest[3:]
        host = _host(body)
        stage = "unknown"
        m = _REMOTE_ERROR.search(body)
        found = _remote_reply(body) if m is None else None
        if m is not None:
            stage = _stage_of(m.group("cmd"))
            text: str | None = m.group("reply")
            if m.group("ip") is not None:
                host = m.group("name"), m.group("ip")
        elif found is not None:
            stage, text = found
        else:
            text = _failure_text(body)
            # "Remote host closed connection in response to RCPT TO:<x>": no reply, but a stage.
            lost = _LOST_AFTER.search(text) if text else None
            if lost is not None:
                stage = _stage_of(lost.group(1))
        if deferred:
            status = "deferred"
        elif text is not None and text.startswith(_EXPIRED):
            status = "expired"
        else:
            status = "bounced"
        return self._delivery(body, qid, ts, lineno, status, stage, text, host)

    def _delivery(
        self,
        body: str,
        qid: str,
        ts: str | None,
        lineno: int,
        status: str,
        stage: str,
        text: str | None,
        host: tuple[str | None, str | None],
    ) -> Event:
        """The outbound event of a delivery line (``=>``, ``->``, ``**``, ``==``)."""
        reply = parse_reply(text) if text is not None else None
        env = self._messages.get(qid)
        return self.event(
            line=lineno,
            direction="outbound",
            stage=stage,
            status=status,
            code=reply.code if reply else None,
            enhanced=reply.enhanced if reply else None,
            text=text,
            ts=ts,
            remote_host=host[0],
            remote_ip=host[1],
            sender=env.sender,
            recipient=_recipient(body),
            queue_id=qid,
            size=env.size,
        )

    def _host_reply(self, rest: str, qid: str, ts: str | None, lineno: int) -> list[Event]:
        """A remote reply logged for a host rather than a recipient (then [] if none)."""
        if "authenticator failed" in rest:
            # Our client's AUTH to a remote server failed: the reply is the server's.
            return [self._auth_failed(rest, ts, lineno, qid)]
        found = _remote_reply(rest)
        if found is None:
            c = _CONFIRM.search(rest)
            if c is None:
                return []
            found = ("unknown", c.group(1))
        ev = self._callout(rest, found, ts, lineno, qid)
        return [ev] if ev is not None else []

    def _callout(
        self, body: str, found: tuple[str, str], ts: str | None, lineno: int, qid: str | None
    ) -> Event | None:
        """A remote server's reply quoted outside a delivery line (a host error, a callout)."""
        stage, text = found
        reply = parse_reply(text)
        if reply.code is None:
            return None
        name, ip = _host(body)
        env = self._messages.get(qid)
        return self.event(
            line=lineno,
            direction="outbound",
            stage=stage,
            code=reply.code,
            enhanced=reply.enhanced,
            text=text,
            ts=ts,
            remote_host=name,
            remote_ip=ip,
            sender=env.sender,
            queue_id=qid,
        )

    # -- session lines (no message id) --------------------------------------------------------

    def _session_line(self, body: str, ts: str | None, lineno: int) -> list[Event] | None:
        if "authenticator failed" in body:
            return [self._auth_failed(body, ts, lineno, None)]
        if body.startswith("refused connection from"):
            return [self._inbound(body, ts, lineno, "connect", _REFUSED_CODE, body, True)]
        if body.startswith("too many recipients"):
            return [self._inbound(body, ts, lineno, "rcpt", _TOO_MANY_RCPT_CODE, body, True)]
        if body.startswith("SMTP protocol synchronization error"):
            return [self._inbound(body, ts, lineno, "connect", _SYNC_ERROR_CODE, body, True)]
        if body.startswith(("SMTP protocol error in", "SMTP syntax error in")):
            return [self._protocol_error(body, ts, lineno)]
        if body.startswith("SMTP call from") and " dropped: " in body:
            reason = body.split(" dropped: ", 1)[1]
            code = next((c for key, c in _DROPPED_CODES if key in reason), None)
            return [self._inbound(body, ts, lineno, "unknown", code, reason, True, status=None)]
        if "rejected " in body:
            evs = self._acl_reject_with_callout(body, ts, lineno, None)
            if evs:
                return evs
        if body.startswith(("sender verify", "recipient verify", "U=", "H=")):
            found = _remote_reply(body)
            if found is not None:
                ev = self._callout(body, found, ts, lineno, None)
                return [ev] if ev is not None else []
        m = _DROPPED_BY.search(body)
        if m is not None:
            stage = _ACL_NAME_STAGE.get(m.group(1), "unknown")
            return [self._inbound(body, ts, lineno, stage, "550", m.group("reason"), True)]
        if body.startswith(_QUIET_PREFIXES):
            return []
        return None

    def _auth_failed(self, body: str, ts: str | None, lineno: int, qid: str | None) -> Event:
        """ "... authenticator failed for (helo) [ip]:port I=[ip]:25: 535 Incorrect ...": a
        client's AUTH we refused; with a message id, our own AUTH a remote server refused."""
        m = _AUTH_REPLY.search(body)
        text = m.group(1) if m else None
        reply = parse_reply(text) if text else None
        name, ip = _host(body)
        return self.event(
            line=lineno,
            direction="inbound" if qid is None else "outbound",
            stage="auth",
            code=reply.code if reply else None,
            enhanced=reply.enhanced if reply else None,
            text=text,
            ts=ts,
            remote_host=name,
            remote_ip=ip,
            queue_id=qid,
        )

    def _protocol_error(self, body: str, ts: str | None, lineno: int) -> Event:
        # The client's command is quoted first and may itself hold "H=": the host is the last.
        h = body.rfind(" H=")
        tail = body[h:] if h >= 0 else body
        m = _AFTER_HOST.match(tail)
        text = m.group(1) if m else body
        code = next((c for key, c in _PROTOCOL_ERROR_CODES if key in text), None)
        if code is None and body.startswith("SMTP syntax error"):
            code = "501"
        q = body.find('"')
        stage = _stage_of(body[q + 1 : q + 12]) if q >= 0 else "unknown"
        name, ip = _host(tail)
        return self.event(
            line=lineno,
            direction="inbound",
            stage=stage,
            code=code,
            code_inferred=code is not None,
            text=text,
            ts=ts,
            remote_host=name,
            remote_ip=ip,
        )

    def _acl_reject_with_callout(
        self, body: str, ts: str | None, lineno: int, qid: str | None
    ) -> list[Event]:
        """The refusal we sent, and the remote reply to a callout it quotes (two replies)."""
        ev = self._acl_reject(body, ts, lineno, qid)
        if ev is None:
            return []
        found = _remote_reply(ev.text) if ev.text and "error" in ev.text else None
        callout = self._callout(ev.text or "", found, ts, lineno, qid) if found else None
        return [ev] if callout is None else [ev, callout]

    def _acl_reject(self, body: str, ts: str | None, lineno: int, qid: str | None) -> Event | None:
        i = body.find("rejected ")
        if i < 0:
            return None
        temporary = body[max(0, i - 12) : i] == "temporarily "
        after = body[i + 9 :]
        found = next((w for w in _ACL_WHAT if after.startswith(w[0])), None)
        if found is None:
            return None
        what, stage, deny_code = found
        rest = after[len(what) :]
        recipient = None
        if what == "EHLO" and rest.startswith(" or HELO"):
            rest = rest[8:]
        if rest.startswith(" <") and what in ("RCPT", "MAIL", "from"):
            end = rest.find(">")
            arg = rest[2:end] if end > 0 else rest[2:]
            rest = rest[end + 1 :] if end > 0 else ""
        elif rest.startswith(" ") and what in ("RCPT", "MAIL"):
            arg, sep, tail = rest[1:].partition(": ")
            rest = sep + tail
        else:
            arg = ""
        if what == "RCPT":
            recipient = arg or None
        colon = rest.find(": ")
        reason = rest[colon + 2 :] if colon >= 0 else None
        code = None if deny_code is None else _ACL_DEFER_CODE if temporary else deny_code
        inferred = True
        enhanced = None
        if reason is not None and _LEADING_CODE.match(reason):
            reply = parse_reply(reason)
            code, enhanced, inferred = reply.code, reply.enhanced, False
        elif reason is not None:
            enhanced = enhanced_in_text(reason)
            fixed = next((c for key, c in _ACL_REASON_CODES if reason.startswith(key)), None)
            code = fixed or code
        inferred = inferred and code is not None
        name, ip = _host(body[:i])
        s = _SENDER.search(body, 0, i)
        sender = (s.group(1) if s.group(1) is not None else s.group(2)) if s else None
        if what == "from":  # "rejected from <sender> H=host [ip]: reason"
            sender = arg
            name, ip = _host(rest)
        return self.event(
            line=lineno,
            direction="inbound",
            stage=stage,
            status="rejected",
            code=code,
            code_inferred=inferred,
            enhanced=enhanced,
            text=reason,
            ts=ts,
            remote_host=name,
            remote_ip=ip,
            sender=sender,
            recipient=recipient,
            queue_id=qid,
        )

    def _inbound(
        self,
        body: str,
        ts: str | None,
        lineno: int,
        stage: str,
        code: str | None,
        text: str | None,
        inferred: bool,
        *,
        status: str | None = "rejected",
        enhanced: str | None = None,
    ) -> Event:
        name, ip = _host(body)
        return self.event(
            line=lineno,
            direction="inbound",
            stage=stage,
            status=status,
            code=code,
            code_inferred=inferred and code is not None,
            enhanced=enhanced,
            text=text,
            ts=ts,
            remote_host=name,
            remote_ip=ip,
        )


def _exim_iso(m: re.Match[str]) -> str:
    ts = f"{m.group(1)}T{m.group(2)}"
    if m.group(3) is not None:
        ts += f"{m.group(3)}:{m.group(4)}"
    return ts


def _recipient(after_marker: str) -> str | None:
    """The address after ``=>``/``**``/``==``: the first token, or the ``<original>`` after a
    pipe, file or ``:blackhole:``."""
    parts = after_marker.split(" ", 2)
    first = parts[0].rstrip(":")
    if "@" not in first and len(parts) > 1 and parts[1].startswith("<"):
        return parts[1].strip("<>:") or None
    return first or None


def _host(text: str) -> tuple[str | None, str | None]:
    m = _HOST.search(text)
    if m is None:
        return None, None
    return m.group("name"), m.group("ip")


def _stage_of(command: str) -> str:
    cmd = command.lower()
    if cmd.startswith("pipelined "):
        cmd = cmd[10:]
    for prefix, stage in _STAGE_OF_COMMAND:
        if cmd.startswith(prefix):
            return stage
    return "unknown"


def _remote_reply(text: str) -> tuple[str, str] | None:
    """(stage, reply) of a remote reply quoted in ``text`` in any of Exim's forms, or None."""
    m = _REMOTE_ERROR.search(text) or _MALFORMED.search(text)
    if m is not None:
        return _stage_of(m.group("cmd")), m.group("reply")
    w = _RESPONSE_WAS.search(text)
    if w is not None:
        return _stage_of(w.group("cmd") or w.group("cmd2") or ""), w.group("reply")
    return None


def _failure_text(body: str) -> str | None:
    """The reason Exim gives on a ``**``/``==`` line without a remote reply."""
    i = body.find(": ")
    if i >= 0:
        text = body[i + 2 :]
        h = text.find(" H=")  # "defer (113): No route to host H=mx [ip]: ..."
        return (text[:h] if h > 0 else text).strip() or None
    for marker in (" defer (", " routing defer ("):
        j = body.find(marker)
        if j >= 0:
            return body[j + 1 :].strip()
    # mua_wrapper's failures have no colon: "** a@x.y routing yielded a local delivery",
    # "** mua_wrapper is set but recipients cannot all be delivered in one transaction".
    first, _, rest = body.partition(" ")
    if "=" in rest.split(" ", 1)[0] or rest.startswith("<"):
        return None  # only fields (R=, T=) or an original address follow
    return (rest if "@" in first else body).strip() or None


def _looks_like_exim(line: str) -> bool:
    m = _EXIM_TS.match(line)
    if m is not None:
        rest = line[m.end() :]
        if rest.startswith("["):
            p = _PID.match(rest)
            rest = rest[p.end() :] if p else rest
        if _MSGID.match(rest) is not None:
            return True
        return rest.startswith(("H=", "SMTP ", "no MAIL", "U=", "F=")) or (
            "authenticator failed" in rest
        )
    head = line[:120]
    return " exim[" in head or " exim4[" in head or " splogger[" in head
