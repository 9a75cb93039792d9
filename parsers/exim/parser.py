"""The Exim parser: a line's prefix taken apart (plain, syslog, splogger), then the lines about one
message (arrival, deliveries, failures) and the session lines (refusals we sent), as events."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from logscan.core.event import Event, MessageNote
from logscan.parsing.api import Parser
from logscan.parsing.message_state import Envelope, MessageState
from logscan.parsing.repeats import MARK
from logscan.parsing.reply import enhanced_in_text, leading_code, parse_reply
from parsers.exim.message_log import as_main_log
from parsers.exim.prefix import LinePrefix
from parsers.exim.texts import (
    _ACL_DEFER_CODE,
    _ACL_NAME_STAGE,
    _ACL_REASON_CODES,
    _ACL_WHAT,
    _AFTER_HOST,
    _AUTH_REPLY,
    _CONFIRM,
    _DELIVER_TIME,
    _DELIVERED,
    _DROPPED_BY,
    _DROPPED_CODES,
    _EXPIRED,
    _FROM_HOST,
    _LOST_AFTER,
    _MSGID,
    _PROTOCOL_ERROR_CODE,
    _PROTOCOL_ERROR_CODES,
    _QUIET_PREFIXES,
    _REMOTE_ERROR,
    _SENDER,
    _SIZE,
    _SYNTAX_ERROR_CODE,
    _client,
    _failure_text,
    _host,
    _looks_like_exim,
    _own_refusal,
    _recipient,
    _remote_reply,
    _reply_host,
    _stage_of,
)


class EximParser(Parser):
    """Parser for Exim's main log."""

    name: ClassVar[str] = "exim"
    description: ClassVar[str] = "Exim main log (plain, syslog or splogger)"

    def __init__(self, path: str = "-", year: int | None = None) -> None:
        super().__init__(path, year)
        self._messages = self.keep(MessageState())
        self._split_prefix = LinePrefix(self).split

    @classmethod
    def detect(cls, head: Sequence[str], path: str | None) -> float:
        return Parser.share(head, _looks_like_exim)  # not cls.share: mypyc 2.4 fails on it

    def feed(self, text: str, lineno: int) -> list[Event] | None:
        prefix = self._split_prefix(text)
        if prefix is None:
            return self.not_understood(text)  # a BSD syslogd's "last message repeated N times"?
        ts, body = prefix
        if not body:
            return []  # the continuation of a message split across syslog lines
        if body.startswith(MARK):  # rsyslog's "message repeated N times: [...]"
            return self.feed_repeated(text, len(text) - len(body), lineno)
        m = _MSGID.match(body)
        if m is not None:
            return self._message_line(body[m.end() :], m.group(1), ts, lineno)
        return self._session_line(body, ts, lineno)

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
                        "received", "exim", qid, ts, env.sender, env.size,
                        client[0] or client[1], None, lineno,
                    )
                )  # fmt: skip
            return []
        if rest.startswith("Completed"):
            self._messages.forget(qid)
            if self.notes is not None:
                self.notes(MessageNote("removed", "exim", qid, ts, line=lineno))
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

    def _delivered(self, rest: str, qid: str | None, ts: str | None, lineno: int) -> Event:
        m = _CONFIRM.search(rest)  # C="250 ..." (log_selector +smtp_confirmation)
        text = m.group(1) if m is not None else None
        stage = "end-of-data" if text is not None else "unknown"
        host = _host(rest)
        return self._delivery(rest[3:], qid, ts, lineno, "sent", stage, text, host)

    def _failed(
        self, rest: str, qid: str | None, ts: str | None, lineno: int, *, deferred: bool
    ) -> Event:
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
        if text is not None and " DT=" in text:
            text = _DELIVER_TIME.sub("", text) or None
        expired = text is not None and any(e in text for e in _EXPIRED)
        status = "deferred" if deferred else "expired" if expired else "bounced"
        return self._delivery(body, qid, ts, lineno, status, stage, text, host)

    def _delivery(
        self,
        body: str,
        qid: str | None,
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
        name, ip = _reply_host(body)
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
        own = _own_refusal(body)
        if own is not None:
            host = _client(body)
            return [self._inbound(body, ts, lineno, *own, body, True, host=host)]
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
        main = as_main_log(body)  # a line of a message's own log (exim -Mvl)?
        if not main:
            return None if main is None else []
        if main.startswith("=> "):
            return [self._delivered(main, None, ts, lineno)]
        return [self._failed(main, None, ts, lineno, deferred=main.startswith("== "))]

    def _auth_failed(self, body: str, ts: str | None, lineno: int, qid: str | None) -> Event:
        """ "... authenticator failed for (helo) [ip]:port I=[ip]:25: 535 Incorrect ...": a
        client's AUTH we refused; with a message id, our own AUTH a remote server refused."""
        m = _AUTH_REPLY.search(body)
        text = m.group(1) if m else None
        reply = parse_reply(text) if text else None
        name, ip = _host(body)
        return self.event(
            line=lineno, direction="inbound" if qid is None else "outbound", stage="auth",
            code=reply.code if reply else None, enhanced=reply.enhanced if reply else None,
            text=text, ts=ts, remote_host=name, remote_ip=ip, queue_id=qid,
        )  # fmt: skip

    def _protocol_error(self, body: str, ts: str | None, lineno: int) -> Event:
        # The client's command is quoted first and may itself hold "H=": the host is the last.
        h = body.rfind(" H=")
        tail = body[h:] if h >= 0 else body
        m = _AFTER_HOST.match(tail)
        text = m.group(1) if m else body
        default = _SYNTAX_ERROR_CODE if body.startswith("SMTP syntax") else _PROTOCOL_ERROR_CODE
        code = next((c for key, c in _PROTOCOL_ERROR_CODES if key in text), default)
        q = body.find('"')
        stage = _stage_of(body[q + 1 : body.find('"', q + 1)]) if q >= 0 else "unknown"
        name, ip = _host(tail)
        return self.event(
            line=lineno,
            direction="inbound",
            stage=stage,
            code=code,
            code_inferred=True,
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
        if reason is not None and leading_code(reason) is not None:
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
        elif name is None and ip is None and arg.startswith("from "):
            h = _FROM_HOST.match(arg)  # "rejected MAIL from (helo) [ip]: no HELO/EHLO given"
            if h is not None:
                name, ip = h.group("name"), h.group("ip")
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
        self, body: str, ts: str | None, lineno: int, stage: str, code: str | None,
        text: str | None, inferred: bool, *, status: str | None = "rejected",
        enhanced: str | None = None, host: tuple[str | None, str | None] | None = None,
    ) -> Event:  # fmt: skip
        name, ip = host or _host(body)
        return self.event(
            line=lineno, direction="inbound", stage=stage, status=status, code=code,
            code_inferred=inferred and code is not None, enhanced=enhanced, text=text, ts=ts,
            remote_host=name, remote_ip=ip,
        )  # fmt: skip
