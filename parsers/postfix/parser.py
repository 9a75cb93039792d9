"""The Postfix parser: its hot path (the kind of program by a cached ``str.find``, then one or two
substring tests) and the events of reply-bearing lines (see the package's docstring)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from logscan.core.event import Event, MessageNote
from logscan.parsing.api import BlockResult, Outcome, Parser
from logscan.parsing.repeats import MARK
from logscan.parsing.reply import leading_code
from logscan.parsing.syslog import after_message_id, split
from parsers.postfix.clock import LineClock
from parsers.postfix.programs import (
    DELIVERY,
    GENERIC,
    INBOUND,
    PICKUP,
    QUEUE,
    QUIET,
    UNKNOWN,
    postfix_share,
    program_kind,
    remember_kind,
)
from parsers.postfix.queue import QueueState
from parsers.postfix.replies import (
    _CLEANUP_LINE,
    _DELIVERY_LINE,
    _EXPIRED_LINE,
    _INBOUND_LINE,
    _INBOUND_STATUS,
    _KIND_TO_STAGE,
    _STATUS,
    _angle,
    _delay,
    _enhanced_ok,
    _reply_in_detail,
    _tail_start,
    is_queue_id,
    reply_enhanced,
    split_client,
)


class PostfixParser(Parser):
    """Postfix syslog lines: any ``syslog_name``, BSD/RFC 3339 timestamps, docker prefixes."""

    name: ClassVar[str] = "postfix"
    description: ClassVar[str] = "Postfix mail log (smtpd, postscreen, cleanup, qmgr, smtp, ...)"

    def __init__(
        self,
        path: str = "-",
        year: int | None = None,
        *,
        max_queue_ids: int = 100_000,
        max_queue_age: int = 2_000_000,
        max_queue_bytes: int = 32 << 20,
    ) -> None:
        super().__init__(path, year)
        self._kinds: dict[str, int] = {}
        self.queue = self.keep(QueueState(max_queue_ids, max_queue_age, max_queue_bytes))
        self._ts = LineClock(self).ts

    @classmethod
    def detect(cls, head: Sequence[str], path: str | None) -> float:
        """Share of ``head`` lines written by Postfix programs (neighbours count half)."""
        del path
        return postfix_share(head)

    # ------------------------------------------------------------------ hot path
    def feed(self, text: str, lineno: int) -> list[Event] | None:
        # "<header> program[pid]: message", taken apart with str.find alone; the kind of the
        # "program[pid]" token is cached (a few hundred pids per host; the cache is bounded).
        colon = text.find(": ")
        if 0 < colon < 400:
            token = text[text.rfind(" ", 0, colon) + 1 : colon]
            kind = self._kinds.get(token)
            if kind is None:
                kind = remember_kind(self._kinds, token)
            # The daemon's own tests, inline and most frequent first; a line without a reply
            # leaves after one to three cheap tests on the unsplit line.
            start = colon + 2
            if text.startswith("[ID ", start):  # Solaris syslog's message id: skip it
                start = after_message_id(text, start)
            if text.startswith(MARK, start):  # rsyslog's "message repeated N times: [...]"
                return self.feed_repeated(text, start, lineno)
            if kind == INBOUND:
                # Two substring scans of the whole line beat locating the action word.
                if "reject" in text or "proxy-" in text:
                    return self._inbound(text, start, lineno)
                if self.notes is not None and ": client=" in text:
                    self._client(text, start, lineno)
                return []
            if kind == QUIET:
                return []
            if kind != UNKNOWN:
                return self._dispatch(kind, text, start, lineno)
        s = split(text)  # an unusual prefix (no pid, odd header): the full syslog splitter
        if s is None:
            return self.not_understood(text)  # a BSD syslogd's "last message repeated N times"?
        kind = program_kind(s.program)
        if kind == UNKNOWN:
            return None
        return self._dispatch(
            kind, text, after_message_id(text, len(text) - len(s.message)), lineno
        )

    def feed_block(self, lines: Sequence[str], start: int) -> BlockResult:
        """``Parser.feed_block`` with feed()'s two commonest answers inline: a line of a quiet
        program, or of smtpd/postscreen/cleanup without "reject" or "proxy-", is ignored without
        a call to feed() (about 60 % of a busy relay's lines; when message notes are wanted,
        smtpd's "client=" lines among them give their note); the rest go through feed()."""
        kinds = self._kinds
        feed = self.feed
        notes = self.notes is not None
        ignored = errors = 0
        rest: list[Outcome] = []
        lineno = start - 1
        for text in lines:
            lineno += 1
            colon = text.find(": ")
            if 0 < colon < 400:
                kind = kinds.get(text[text.rfind(" ", 0, colon) + 1 : colon])
                if kind == QUIET:
                    ignored += 1
                    continue
                if kind == INBOUND and "reject" not in text and "proxy-" not in text:
                    if not notes or ": client=" not in text:  # an operator: no call
                        ignored += 1
                        continue
                    try:  # a message arrives: a note, no event
                        self._client(text, after_message_id(text, colon + 2), lineno)
                        ignored += 1
                    except Exception:  # as below
                        errors += 1
                        rest.append((lineno, text, None))
                    continue
            try:
                events = feed(text, lineno)
            except Exception:  # as Parser.feed_block: a parser bug costs one line
                events = None
                errors += 1
            if events is not None and not events:
                ignored += 1
            else:
                rest.append((lineno, text, events))
        return self.repeat_previous(BlockResult(ignored, errors, rest), lineno)

    def _dispatch(self, kind: int, text: str, start: int, lineno: int) -> list[Event]:
        """The message at ``text[start:]`` of a ``kind`` program (substring tests on ``text``:
        a header holds none of the strings tested)."""
        if kind == QUIET:
            return []
        if kind == INBOUND:
            if "reject" in text or "proxy-" in text:
                return self._inbound(text, start, lineno)
            if self.notes is not None and ": client=" in text:
                self._client(text, start, lineno)
            return []
        if kind == PICKUP:
            if self.notes is not None:
                self._pickup(text, start, lineno)
            return []
        if ", status=" in text:
            return self._status(text, start, lineno)
        if kind != DELIVERY:  # QUEUE or GENERIC
            if text.endswith(": removed"):
                self._removed(text[start:-9], lineno)
                return []
            i = text.find(": from=<", start)
            if i >= 0:
                self._queued(text, start, i, lineno)
                return []
            if kind == GENERIC and ("reject" in text or "proxy-" in text):
                events = self._inbound(text, start, lineno)
                if events:
                    return events
        if kind != QUEUE and (" said: " in text or " refused to talk to me: " in text):
            return self._reply(text, start, lineno)
        return []

    # ------------------------------------------------------------------ queue state
    def _queued(self, text: str, start: int, colon: int, lineno: int) -> None:
        """qmgr ``QID: from=<sender>, size=N, nrcpt=M (queue active)``: remember sender, size."""
        qid = text[start:colon]
        gt = text.find(">", colon + 8)
        if gt < 0 or not 5 <= len(qid) <= 20:
            return
        size: int | None = None
        i = text.find(", size=", gt)
        if i >= 0:
            j = text.find(",", i + 7)
            digits = text[i + 7 : j] if j >= 0 else text[i + 7 :]
            if digits.isdigit() and digits.isascii() and len(digits) < 19:
                size = int(digits)
        self.queue.put(qid, text[colon + 8 : gt], size, lineno)

    def _removed(self, qid: str, lineno: int) -> None:
        """qmgr ``QID: removed``: its note carries the envelope held since ``from=`` (no time:
        the last delivery's is the message's end)."""
        held = self.queue.remove(qid)
        if self.notes is not None:
            sender, size, _ = held or (None, None, 0)
            self.notes(MessageNote("removed", "postfix", qid, None, sender, size, line=lineno))

    def flush(self) -> list[Event]:
        """End of input: the envelopes of the messages still queued, as notes (the removal that
        carries a message's envelope is not in this log)."""
        if self.notes is not None:
            for qid, (sender, size, line) in self.queue.held():
                self.notes(MessageNote("queued", "postfix", qid, None, sender, size, line=line))
        return super().flush()

    # ------------------------------------------------------------------ message notes
    def _client(self, text: str, start: int, lineno: int) -> None:
        """smtpd ``QID: client=host[ip][, sasl_...]``: a message arrives (pflogsumm's
        "received")."""
        colon = text.find(": client=", start)
        qid = text[start:colon]
        if not 5 <= len(qid) <= 20 or not qid.isalnum():  # a queue id, short or long
            return
        end = text.find(",", colon + 9)
        client = text[colon + 9 : end] if end >= 0 else text[colon + 9 :]
        assert self.notes is not None
        ts = self._ts(text)
        self.notes(MessageNote("received", "postfix", qid, ts, client=client[:300], line=lineno))

    def _pickup(self, text: str, start: int, lineno: int) -> None:
        """pickup ``QID: uid=N from=<sender>``: a locally submitted message arrives."""
        colon = text.find(": ", start)
        qid = text[start:colon]
        if colon < 0 or not is_queue_id(qid) or not text.startswith(("uid=", "sender="), colon + 2):
            return
        assert self.notes is not None
        ts = self._ts(text)
        self.notes(MessageNote("received", "postfix", qid, ts, client="pickup", line=lineno))

    # ------------------------------------------------------------------ outbound
    def _status(self, text: str, start: int, lineno: int) -> list[Event]:
        """``QID: to=<..>, relay=.., dsn=.., status=X (detail)`` or qmgr ``status=expired``."""
        m = _DELIVERY_LINE.match(text, start)
        if m is None:
            return self._expired(text, start, lineno)
        qid, rcpt, bare_rcpt, host, ip, dsn, word, detail = m.groups()
        if dsn is not None and not _enhanced_ok(dsn):
            dsn = None
        if ip is None:  # relay=none, local, virtual, dovecot...: a transport, not a host
            host = None
        else:
            if "/" in ip or ip == "unknown":  # [private/dovecot-lmtp] is a socket
                ip = None
            if host == "unknown":
                host = None
        sender = size = None
        if qid is not None:
            known = self.queue.get(qid)
            if known is not None:
                sender, size = known
        status = _STATUS.get(word)
        if detail:
            # The detail ends at its closing parenthesis; a line cut by syslog has none.
            if detail.count(")") > detail.count("("):
                detail = detail[: detail.rfind(")")]
        else:
            detail = ""
        code = leading_code(detail)
        if code is not None and " said: " not in detail and not detail.endswith(" command)"):
            # The common "250 2.0.0 Ok: queued as ..." of status=sent: the detail is the reply.
            reply: str | None = detail
            stage: str | None = "end-of-data" if status == "sent" else "unknown"
        else:
            reply, stage, rhost, rip = _reply_in_detail(detail)
            if host is None and ip is None:
                host, ip = rhost, rip
            code = leading_code(reply) if reply is not None else None
        if reply is not None:
            enhanced = reply_enhanced(reply) or dsn
            if stage is None:
                stage = "end-of-data" if code is not None and status == "sent" else "unknown"
        else:
            code = None
            enhanced = dsn
            reply = detail or None
            stage = stage or "unknown"
        return [
            self.event(
                line=lineno, direction="outbound", stage=stage, status=status, code=code,
                enhanced=enhanced, text=reply, ts=self._ts(text), remote_host=host, remote_ip=ip,
                sender=sender, recipient=rcpt or bare_rcpt or None, queue_id=qid, size=size,
                delay=_delay(text, start),
            )
        ]  # fmt: skip

    def _expired(self, text: str, start: int, lineno: int) -> list[Event]:
        m = _EXPIRED_LINE.match(text, start)
        if m is None:
            return []
        qid, sender, word, rest = m.groups()
        size = None
        if qid is not None:
            known = self.queue.get(qid)
            if known is not None:
                size = known[1]
        return [
            self.event(
                line=lineno, direction="outbound", status=_STATUS.get(word),
                text=rest.strip() or None, ts=self._ts(text), sender=sender, queue_id=qid,
                size=size,
            )
        ]  # fmt: skip

    def _reply(self, text: str, start: int, lineno: int) -> list[Event]:
        """``QID: host X said: 451 ... (in reply to ...)`` with no status: a reply, no outcome."""
        colon = text.find(": ", start)
        qid: str | None = text[start:colon] if colon > start else None
        if qid is not None and is_queue_id(qid):
            body = text[colon + 2 :]
        else:
            qid, body = None, text[start:]
        reply, stage, host, ip = _reply_in_detail(body)
        if reply is None:
            return []
        code = leading_code(reply)
        if code is None:
            return []
        sender = size = None
        if qid is not None:
            known = self.queue.get(qid)
            if known is not None:
                sender, size = known
        return [
            self.event(
                line=lineno, direction="outbound", stage=stage or "unknown", code=code,
                enhanced=reply_enhanced(reply), text=reply, ts=self._ts(text), remote_host=host,
                remote_ip=ip, sender=sender, queue_id=qid, size=size,
            )
        ]  # fmt: skip

    # ------------------------------------------------------------------ inbound
    def _inbound(self, text: str, start: int, lineno: int) -> list[Event]:
        """smtpd/postscreen/cleanup ``[QID|NOQUEUE: ]reject: KIND from CLIENT: reply; tail``."""
        m = _INBOUND_LINE.match(text, start)
        if m is None:
            return self._cleanup(text, start, lineno)
        qid, action, kind, client, eom, rest = m.groups()
        if qid == "NOQUEUE":
            qid = None
        tail_at = _tail_start(rest)
        tail = rest[tail_at:] if tail_at >= 0 else ""
        reply = (rest[:tail_at] if tail_at >= 0 else rest).strip()
        host, ip = split_client(client) if client else (None, None)
        stage = _KIND_TO_STAGE.get(kind or eom, "unknown")
        sender = recipient = None
        if tail:
            sender = _angle(tail, "from=<")
            recipient = _angle(tail, "to=<") or None
        return [
            self.event(
                line=lineno, direction="inbound", stage=stage, status=_INBOUND_STATUS[action],
                code=leading_code(reply), enhanced=reply_enhanced(reply) if reply else None,
                text=reply or None, ts=self._ts(text), remote_host=host, remote_ip=ip,
                sender=sender, recipient=recipient, queue_id=qid,
            )
        ]  # fmt: skip

    def _cleanup(self, text: str, start: int, lineno: int) -> list[Event]:
        """cleanup ``reject: header|body ... from CLIENT; from=<..> ...: 5.7.1 reply``."""
        m = _CLEANUP_LINE.match(text, start)
        if m is None:
            return []
        qid, action, client, tail, reply = m.groups()
        reply = (reply or "").strip()
        host, ip = split_client(client) if client != "local" else (None, None)
        return [
            self.event(
                line=lineno, direction="inbound", stage="end-of-data",
                status=_INBOUND_STATUS[action], code=leading_code(reply),
                enhanced=reply_enhanced(reply) if reply else None, text=reply or None,
                ts=self._ts(text), remote_host=host, remote_ip=ip, sender=_angle(tail, "from=<"),
                recipient=_angle(tail, "to=<") or None, queue_id=qid,
            )
        ]  # fmt: skip
