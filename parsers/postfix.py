"""Postfix: every SMTP reply and delivery outcome in a Postfix mail log, as events.

One event per reply or outcome (docs/design.md, Event contract):

* delivery lines (smtp, lmtp, local, virtual, pipe, error, discard: ``status=sent|deferred|
  bounced``, ``SOFTBOUNCE`` as deferred): ``direction="outbound"``; the reply is the remote's
  text after ``said:`` / ``refused to talk to me:`` / ``refused to start TLS:``, or the detail
  itself when it starts with a code; without a reply, ``code=None``, ``enhanced`` from ``dsn=``
  and ``text`` is Postfix's detail ("connect to ...: Connection timed out");
* qmgr ``status=expired`` / ``force-expired``: ``status="expired"``, no code;
* ``host X said: ...`` / ``host X refused to talk to me: ...`` lines without a status (Postfix
  goes on to the next MX, the status line comes later): a reply with ``status=None``;
* smtpd and postscreen ``reject:``, cleanup ``milter-reject:`` and ``reject: header|body``,
  ``proxy-reject:``: ``direction="inbound"``, ``status="rejected"``;
* ``reject_warning:`` (``warn_if_reject``: the client was NOT refused, Postfix logs what it
  would have replied) and ``proxy-accept:``: an inbound event with ``status=None``, so the reply
  is counted but no rejection or delivery is.

Lines of Postfix programs that carry no reply (qmgr, anvil, connect/disconnect, TLS setup, SASL
warnings, postscreen PASS/PREGREET/DNSBL/HANGUP, a standalone ``connect to ...: Connection timed
out`` whose outcome the next ``status=`` line reports, ...) give ``[]``. Lines of programs that
share a mail log with Postfix (amavis, opendkim, dovecot, policyd-spf, postgrey, ...) give ``[]``
too; any other line gives ``None`` (unrecognized).

Choices where the contract is silent:

* ``stage``: "(in reply to X command)" or the "while ..." phrase when present; smtpd's reject
  kind (``VRFY`` and ``ETRN`` have no stage: "unknown"); the reply of ``status=sent`` is the
  end-of-data reply; refused connections, connect failures and MX lookup failures are
  "connect"; TLS failures "starttls"; deliveries by local/virtual/pipe "unknown".
* ``sender`` is ``""`` for the null sender ``<>`` (a bounce), ``None`` when the line and the
  queue state have none; an empty recipient is ``None``.
* ``remote_host``/``remote_ip`` are None for transports (``relay=local``, ``none``), unix sockets
  (``[private/dovecot-lmtp]``) and ``unknown``.
* smtpd's ``SASL ... authentication failed`` warnings carry no reply code and stay ignored;
  postscreen's ``reject: CONNECT ... too many connections`` is a rejection without a code (no
  inferred one).
* A detail cut short by syslog (no closing parenthesis) is kept whole.

Correlation: qmgr's ``from=<..>, size=N`` fills ``sender`` and ``size`` of later lines of the same
queue id (short hex or long ids); the state is bounded (:class:`QueueState`)::

    >>> p = PostfixParser("mail.log", year=2024)
    >>> p.feed("Nov 29 00:00:01 mx1 postfix/qmgr[7]: 1BB92DC6C1: from=<a@b.example>, "
    ...        "size=8632, nrcpt=1 (queue active)", 1)
    []
    >>> [ev] = p.feed("Nov 29 00:00:02 mx1 postfix/smtp[8]: 1BB92DC6C1: to=<c@d.example>, "
    ...     "relay=mx.d.example[192.0.2.7]:25, delay=1, delays=0.5/0/0.4/0.1, dsn=5.1.1, "
    ...     "status=bounced (host mx.d.example[192.0.2.7] said: 550 5.1.1 <c@d.example>: "
    ...     "User unknown (in reply to RCPT TO command))", 2)
    >>> ev.status, ev.code, ev.enhanced, ev.stage, ev.sender, ev.size, ev.ts
    ('bounced', '550', '5.1.1', 'rcpt', 'a@b.example', 8632, '2024-11-29T00:00:02')
    >>> ev.text, ev.remote_host, ev.remote_ip
    ('550 5.1.1 <c@d.example>: User unknown', 'mx.d.example', '192.0.2.7')
    >>> p.feed("Nov 29 00:00:02 mx1 dovecot: imap-login: Login: user=<x>", 3)
    []
    >>> p.feed("random garbage", 4) is None
    True

Speed: most lines carry no reply. The hot path isolates ``program[pid]`` with ``str.find``,
maps it through a bounded cache to the kind of daemon, and runs only that daemon's one or two
substring tests; no regex runs on a line that carries no reply. Reply lines are matched by one
compiled regex each. Measured in bench/RESULTS.md ("Postfix parser").
"""

from __future__ import annotations

import re
import sys
from collections.abc import Sequence
from typing import ClassVar

from logscan.core.bounded import BoundedMap
from logscan.core.event import Event, MessageNote
from logscan.parsing.api import BlockResult, Outcome, Parser
from logscan.parsing.message_state import MAX_SENDER_CHARS
from logscan.parsing.reply import enhanced_in_text
from logscan.parsing.syslog import split

# What a program's lines can hold, by the daemon (the last part of a program name such as
# ``postfix/submission/smtpd``: the part before it is the operator's ``syslog_name``).
UNKNOWN = 0  # not ours: feed() returns None
QUIET = 1  # Postfix daemons that log no replies, and mail-log neighbours: always []
INBOUND = 2  # replies we gave: smtpd, postscreen, cleanup
DELIVERY = 3  # delivery agents: status= lines and "host X said:" lines
QUEUE = 4  # qmgr/postsuper: sender and size of queued mail, expiry, removal
GENERIC = 5  # "postfix" with no daemon, or an unknown daemon: try every kind of line
PICKUP = 6  # pickup: locally submitted mail arrives (a message note, never a reply)

# fmt: off
_QUIET_DAEMONS = (
    "anvil", "bounce", "dnsblog", "flush", "master", "postalias", "postcat",
    "postconf", "postdrop", "postfix-script", "postkick", "postlock", "postlog", "postmap",
    "postmulti", "postqueue", "proxymap", "qmqpd", "scache", "sendmail", "showq", "spawn",
    "tlsmgr", "tlsproxy", "trivial-rewrite", "verify",
)
# fmt: on
DAEMON_KIND = {
    **dict.fromkeys(("smtpd", "postscreen", "cleanup"), INBOUND),
    **dict.fromkeys(
        ("smtp", "lmtp", "local", "virtual", "pipe", "error", "retry", "discard"), DELIVERY
    ),
    **dict.fromkeys(("qmgr", "oqmgr", "postsuper"), QUEUE),
    "pickup": PICKUP,
    **dict.fromkeys(_QUIET_DAEMONS, QUIET),
}

# Programs that share a mail log with Postfix. Their lines hold no reply of ours: a policy
# server's "Reject action: 550 5.7.23" is its configuration, the reply is smtpd's reject line.
# fmt: off
MAIL_LOG_NEIGHBOURS = frozenset((
    "amavis", "amavisd", "amavisd-new", "opendkim", "opendmarc", "openarc", "dovecot",
    "dovecot-lda", "deliver", "policyd-spf", "policy-spf", "policyd-weight", "postgrey", "postfwd",
    "postfwd2", "sqlgrey", "spamd", "spamc", "spamass-milter", "rspamd", "clamd", "clamsmtpd",
    "clamav-milter", "freshclam", "milter-greylist", "saslauthd", "authdaemond", "fetchmail",
    "imapd", "pop3d", "imap-login", "pop3-login", "sympa", "mailman", "dkimpy-milter",
))
# fmt: on

# "program[pid]" cache bound: real logs have a few hundred, garbage could have many.
_CACHE_MAX = 4096

# "(in reply to X command)" and "while <doing X>" phrases -> stage. The first phrase found
# wins, so "end of DATA" comes before "DATA".
_REPLY_TO_STAGE: tuple[tuple[str, str], ...] = (
    ("RCPT TO", "rcpt"),
    ("MAIL FROM", "mail"),
    ("end of DATA", "end-of-data"),
    ("end of BDAT", "end-of-data"),
    ("DATA", "data"),
    ("BDAT", "data"),
    ("EHLO", "helo"),
    ("HELO", "helo"),
    ("LHLO", "helo"),
    ("STARTTLS", "starttls"),
    ("AUTH", "auth"),
    ("QUIT", "quit"),
)
_WHILE_TO_STAGE: tuple[tuple[str, str], ...] = (
    ("initial server greeting", "connect"),
    ("HELO handshake", "helo"),
    ("EHLO handshake", "helo"),
    ("LHLO handshake", "helo"),
    ("TLS handshake", "starttls"),
    ("STARTTLS", "starttls"),
    ("MAIL FROM", "mail"),
    ("RCPT TO", "rcpt"),
    ("end of data", "end-of-data"),
    ("DATA command", "data"),
    ("message body", "data"),
    ("BDAT", "data"),
    ("AUTH", "auth"),
)
# A delivery detail without a reply -> stage. A failed MX lookup stops the delivery before any
# connection, like a refused connection: both are "connect".
_DETAIL_TO_STAGE: tuple[tuple[str, str], ...] = (
    ("connect to ", "connect"),
    ("Host or domain name not found", "connect"),
    ("Name service error", "connect"),
    ("No route to host", "connect"),
    ("Network is unreachable", "connect"),
    ("Connection refused", "connect"),
    ("TLS", "starttls"),
    ("certificate", "starttls"),
    ("SASL", "auth"),
)
# smtpd/postscreen reject kinds ("reject: RCPT from ...") -> stage. VRFY and ETRN have none.
_KIND_TO_STAGE = {
    "CONNECT": "connect",
    "HELO": "helo",
    "EHLO": "helo",
    "STARTTLS": "starttls",
    "AUTH": "auth",
    "MAIL": "mail",
    "RCPT": "rcpt",
    "DATA": "data",
    "BDAT": "data",
    "END-OF-MESSAGE": "end-of-data",
    "QUIT": "quit",
}
# status= values -> contract status. SOFTBOUNCE is a bounce that soft_bounce=yes deferred;
# deliverable/undeliverable are address-verification probes, not deliveries: None.
_STATUS = {
    "sent": "sent",
    "deferred": "deferred",
    "bounced": "bounced",
    "expired": "expired",
    "force-expired": "expired",
    "SOFTBOUNCE": "deferred",
}
_INBOUND_STATUS = {
    "reject": "rejected",
    "milter-reject": "rejected",
    "proxy-reject": "rejected",
    "reject_warning": None,
    "proxy-accept": None,
}
_REPLY_MARKERS = (" said: ", " refused to talk to me: ", " refused to start TLS: ")
_SUSPENDED = "delivery temporarily suspended: "
_HEX_UPPER = frozenset("0123456789ABCDEF")
_TIME_CHARS = frozenset("0123456789:")

# QID: to=<rcpt> (or to=rcpt), [orig_to=<..>, ]relay=HOST[IP]:PORT, delay=.., ...,
#      [dsn=D, ]status=S (detail)
# The fields before dsn= are skipped field by field (a lazy ".*?" here costs twice as much).
_DELIVERY_LINE = re.compile(
    r"(?:([0-9A-Za-z]+): )?to=(?:<([^>]*)>|([^,]*)), (?:orig_to=(?:<[^>]*>|[^,]*), )?"
    r"relay=([^,\[]*)(?:\[([^\]]*)\][:\d]*)?, (?:[a-z_]+=[^,]*, )*?"
    r"(?:dsn=([^,]*), )?status=([\w-]+)(?: \((.*))?",
    re.DOTALL,
)
# QID: from=<sender>, status=expired, returned to sender
_EXPIRED_LINE = re.compile(
    r"(?:([0-9A-Za-z]+): )?from=<([^>]*)>, (?:size=\d+, )?status=([\w-]+),? ?(.*)", re.DOTALL
)
# [QID|NOQUEUE: ]action: KIND from CLIENT: reply[; from=<..> to=<..> proto=.. helo=<..>]
# or proxy-accept/-reject's "action: END-OF-MESSAGE: reply; ...".
_INBOUND_LINE = re.compile(
    r"(?:(NOQUEUE|[0-9A-Za-z]+): )?"
    r"(reject|reject_warning|milter-reject|proxy-reject|proxy-accept): "
    r"(?:([A-Z][A-Z-]*) from (\S*?): |(END-OF-MESSAGE): )(.*)",
    re.DOTALL,
)
# cleanup: QID: [milter-]reject: header|body WHAT from CLIENT; from=<..> to=<..> ...: reply
_CLEANUP_LINE = re.compile(
    r"(?:([0-9A-Za-z]+): )?(reject|milter-reject|reject_warning): (?:header|body) .*? from "
    r"(\S+); (from=<.*?)(?:: ([^:;]*?))?\s*$",
    re.DOTALL,
)


def program_kind(program: str) -> int:
    """What ``program``'s lines can hold: one of the module's kind constants.

    >>> [program_kind(p) for p in ("postfix-out/smtp", "postfix/submission/smtpd",
    ...                             "postfix/qmgr", "opendkim", "postfix", "sm-mta")]
    [3, 2, 4, 1, 5, 0]
    """
    slash = program.rfind("/")
    if slash >= 0:
        kind = DAEMON_KIND.get(program[slash + 1 :])
        if kind is not None:
            return kind
        if program.startswith("postfix"):  # syslog_name=postfix/<service> without daemon
            return GENERIC
        return QUIET if program[:slash] in MAIL_LOG_NEIGHBOURS else UNKNOWN
    if program == "postfix":  # a relay that dropped the daemon part of the name
        return GENERIC
    return QUIET if program in MAIL_LOG_NEIGHBOURS else UNKNOWN


def reply_code(text: str) -> str | None:
    """The 2xx-5xx code that starts a reply ("550 ...", "550-...", "550"), else None.

    >>> reply_code("550-5.7.1 Our system"), reply_code("5.7.1 Spam"), reply_code("9999 x")
    ('550', None, None)
    """
    if len(text) < 3 or text[0] not in "2345":
        return None
    if text[1] in "0123456789" and text[2] in "0123456789" and (len(text) == 3 or text[3] in " -"):
        return text[:3]
    return None


def reply_enhanced(text: str) -> str | None:
    """First enhanced code in a reply; the common "550 5.1.1 ..." shape without a regex."""
    if len(text) > 9 and text[3] in " -" and text[4] in "245" and text[5] == ".":
        end = text.find(" ", 4)
        token = text[4:] if end < 0 else text[4:end]
        parts = token.split(".")
        if len(parts) == 3:
            b, c = parts[1], parts[2]
            if 0 < len(b) <= 3 and 0 < len(c) <= 3 and b.isdigit() and c.isdigit():
                return token
    return enhanced_in_text(text)


def split_client(client: str) -> tuple[str | None, str | None]:
    """``host[ip]``, ``[ip]:port`` or ``host[ip]:port`` -> (host, ip); ``unknown`` -> None.

    >>> split_client("mail.example.com[192.0.2.1]:25"), split_client("[2001:db8::1]:4711")
    (('mail.example.com', '192.0.2.1'), (None, '2001:db8::1'))
    >>> split_client("mail.example.com[private/dovecot-lmtp]"), split_client("unknown[unknown]")
    (('mail.example.com', None), (None, None))
    """
    lb = client.find("[")
    if lb < 0:
        return (None if client in ("", "unknown", "none") else client), None
    rb = client.find("]", lb)
    host: str | None = client[:lb]
    ip: str | None = client[lb + 1 : rb] if rb > lb else client[lb + 1 :]
    if host in ("", "unknown"):
        host = None
    if not ip or ip == "unknown" or "/" in ip:  # "private/dovecot-lmtp" is a socket
        ip = None
    return host, ip


def is_enhanced(code: str) -> bool:
    """A well-formed enhanced status code (RFC 3463: class 2/4/5, then 1-3 digits twice).

    >>> is_enhanced("5.7.1"), is_enhanced("4.7.650"), is_enhanced("05.0.0"), is_enhanced("5.0")
    (True, True, False, False)
    """
    parts = code.split(".")
    if len(parts) != 3 or parts[0] not in ("2", "4", "5"):
        return False
    b, c = parts[1], parts[2]
    return 0 < len(b) <= 3 and 0 < len(c) <= 3 and (b + c).isdigit() and (b + c).isascii()


_ENHANCED_SEEN: dict[str, bool] = {}


def _enhanced_ok(code: str) -> bool:
    """``is_enhanced``, memoised: a log has few distinct dsn= values (bounded all the same)."""
    ok = _ENHANCED_SEEN.get(code)
    if ok is None:
        if len(_ENHANCED_SEEN) >= 4096:
            _ENHANCED_SEEN.clear()
        ok = _ENHANCED_SEEN[code] = is_enhanced(code)
    return ok


def is_queue_id(token: str) -> bool:
    """Short (hex, ``3F2A1C9``) or long (``4NXMhD0pFtz9sT7``) Postfix queue id.

    >>> [is_queue_id(t) for t in ("3F2A1C9", "4NXMhD0pFtz9sT7", "warning", "NOQUEUE")]
    [True, True, False, False]
    """
    if not 5 <= len(token) <= 20 or not token.isascii() or not token.isalnum():
        return False
    return (not token.isalpha() and not token.islower()) or _HEX_UPPER.issuperset(token)


# What one entry costs beyond its two strings: the dict slot, the tuple, the ints.
_ENTRY_OVERHEAD = 160


class QueueState:
    """Sender and size of queued messages (qmgr ``from=<..>, size=N``), bounded.

    At most ``max_entries`` ids and ``max_bytes`` bytes (the least recently seen goes first,
    counted in ``evictions``); an id is also dropped ``max_age`` lines after it was last seen
    (a parser has no trustworthy clock; line numbers grow with the log), and on ``qmgr ...
    removed``. Should line numbers restart, the count and byte bounds still hold. A sender is
    kept to its first ``MAX_SENDER_CHARS`` characters.

    >>> q = QueueState(max_entries=2, max_age=10)
    >>> q.put("A", "a@x", 1, now=1); q.put("B", "b@x", 2, now=2); q.put("C", "c@x", 3, now=3)
    >>> q.get("A"), q.get("C"), len(q), q.evictions
    (None, ('c@x', 3), 2, 1)
    >>> q.expire(now=13); q.get("B"), q.get("C")
    (None, ('c@x', 3))
    >>> q.put("D", "d" * 60_000, None, now=14); len(q.get("D")[0]), q.bytes < 1_000
    (256, True)
    """

    def __init__(
        self, max_entries: int = 100_000, max_age: int = 2_000_000, max_bytes: int = 32 << 20
    ) -> None:
        self.max_age = max_age
        # (sender, size, line last seen) by queue id; the costs are estimated: strings as
        # sys.getsizeof sees them, plus the entry overhead.
        self._map: BoundedMap[str, tuple[str | None, int | None, int]] = BoundedMap(
            max_entries, max_bytes
        )
        self._puts = 0

    @property
    def evictions(self) -> int:
        """Entries dropped by the count or byte bound (not by age or removal)."""
        return self._map.evictions

    @property
    def bytes(self) -> int:
        return self._map.bytes

    def __len__(self) -> int:
        return len(self._map)

    def put(self, qid: str, sender: str | None, size: int | None, now: int) -> None:
        if sender is not None and len(sender) > MAX_SENDER_CHARS:
            sender = sender[:MAX_SENDER_CHARS]
        cost = _ENTRY_OVERHEAD + sys.getsizeof(qid) + sys.getsizeof(sender)
        self._map.put(qid, (sender, size, now), cost)
        self._puts += 1
        if self._puts & 255 == 0:  # amortized: most puts find nothing old enough
            self.expire(now)

    def expire(self, now: int) -> None:
        """Drop the entries not seen for more than ``max_age`` lines, oldest first."""
        limit = now - self.max_age
        oldest = self._map.oldest()
        while oldest is not None and oldest[1][2] < limit:
            self._map.pop(oldest[0])
            oldest = self._map.oldest()

    def get(self, qid: str) -> tuple[str | None, int | None] | None:
        entry = self._map.get(qid)
        return None if entry is None else (entry[0], entry[1])

    def remove(self, qid: str) -> None:
        self._map.pop(qid)


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
        self._last_day = ""
        self._day_prefix: str | None = None
        # The BSD time stamp ("Nov 29 00:00:02", 15 characters) of the last event and its ISO
        # form: events come in bursts within one second.
        self._last_stamp = ""
        self._last_iso: str | None = None

    @classmethod
    def detect(cls, head: Sequence[str], path: str | None) -> float:
        """Share of ``head`` lines written by Postfix programs (neighbours count half)."""
        del path
        postfix = neighbour = total = 0
        for line in head:
            if not line.strip():
                continue
            total += 1
            program = _program(line)
            kind = program_kind(program) if program is not None else UNKNOWN
            if kind == UNKNOWN:
                s = split(line)
                program = s.program if s is not None else None
                kind = program_kind(program) if program is not None else UNKNOWN
            if kind == UNKNOWN or program is None:
                continue
            if program.partition("/")[0] in MAIL_LOG_NEIGHBOURS:
                neighbour += 1
            else:
                postfix += 1
        if postfix == 0:
            return 0.0
        return min(1.0, 1.5 * (postfix + 0.5 * neighbour) / total)

    # ------------------------------------------------------------------ hot path
    def feed(self, text: str, lineno: int) -> list[Event] | None:
        # "<header> program[pid]: message", taken apart with str.find alone; the kind of the
        # "program[pid]" token is cached (a few hundred pids per host; the cache is bounded).
        colon = text.find(": ")
        if 0 < colon < 400:
            token = text[text.rfind(" ", 0, colon) + 1 : colon]
            kind = self._kinds.get(token)
            if kind is None:
                kind = self._remember(token)
            # The daemon's own tests, inline and most frequent first; a line without a reply
            # leaves after one to three cheap tests on the unsplit line.
            start = colon + 2
            if kind == INBOUND:
                # Two substring scans of the whole line beat locating the action word.
                if "reject" in text or "proxy-" in text:
                    return self._inbound(text, start, lineno)
                if self.notes is not None and ": client=" in text:
                    self._client(text, start)
                return []
            if kind == QUIET:
                return []
            if kind != UNKNOWN:
                return self._dispatch(kind, text, start, lineno)
        s = split(text)  # an unusual prefix (no pid, odd header): the full syslog splitter
        if s is None:
            return None
        kind = program_kind(s.program)
        if kind == UNKNOWN:
            return None
        return self._dispatch(kind, text, len(text) - len(s.message), lineno)

    def feed_block(self, lines: Sequence[str], start: int) -> BlockResult:
        """``Parser.feed_block`` with feed()'s two commonest answers inline: a line of a quiet
        program, or of smtpd/postscreen/cleanup without "reject" or "proxy-" (nor, when message
        notes are wanted, "client="), is ignored without a call (about 60 % of a busy relay's
        lines); the rest go through feed()."""
        kinds = self._kinds
        feed = self.feed
        # With message notes wanted, smtpd's "client=" lines (a message arrives) are read too.
        notes = self.notes is not None
        ignored = errors = 0
        rest: list[Outcome] = []
        lineno = start - 1
        for text in lines:
            lineno += 1
            colon = text.find(": ")
            if 0 < colon < 400:
                kind = kinds.get(text[text.rfind(" ", 0, colon) + 1 : colon])
                if kind == QUIET or (
                    kind == INBOUND
                    and "reject" not in text
                    and "proxy-" not in text
                    and not (notes and ": client=" in text)
                ):
                    ignored += 1
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
        return BlockResult(ignored, errors, rest)

    def _remember(self, token: str) -> int:
        kind = program_kind(token.partition("[")[0])
        if len(self._kinds) >= _CACHE_MAX:
            self._kinds.clear()
        self._kinds[token] = kind
        return kind

    def _dispatch(self, kind: int, text: str, start: int, lineno: int) -> list[Event]:
        """The message at ``text[start:]`` of a ``kind`` program (substring tests on ``text``:
        a header holds none of the strings tested)."""
        if kind == QUIET:
            return []
        if kind == INBOUND:
            if "reject" in text or "proxy-" in text:
                return self._inbound(text, start, lineno)
            if self.notes is not None and ": client=" in text:
                self._client(text, start)
            return []
        if kind == PICKUP:
            if self.notes is not None:
                self._pickup(text, start)
            return []
        if ", status=" in text:
            return self._status(text, start, lineno)
        if kind != DELIVERY:  # QUEUE or GENERIC
            if text.endswith(": removed"):
                self.queue.remove(text[start:-9])
                if self.notes is not None:  # no time: the last delivery's is the message's end
                    self.notes(MessageNote("removed", "postfix", text[start:-9]))
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
        if self.notes is not None:
            sender = text[colon + 8 : gt][:MAX_SENDER_CHARS]
            # No time: the arrival line a moment before has it (and --since filters on it).
            self.notes(MessageNote("queued", "postfix", qid, None, sender, size))

    # ------------------------------------------------------------------ message notes
    def _client(self, text: str, start: int) -> None:
        """smtpd ``QID: client=host[ip][, sasl_...]``: a message arrives (pflogsumm's
        "received")."""
        colon = text.find(": client=", start)
        qid = text[start:colon]
        if not 5 <= len(qid) <= 20 or not qid.isalnum():  # a queue id, short or long
            return
        end = text.find(",", colon + 9)
        client = text[colon + 9 : end] if end >= 0 else text[colon + 9 :]
        assert self.notes is not None
        self.notes(MessageNote("received", "postfix", qid, self._ts(text), client=client[:300]))

    def _pickup(self, text: str, start: int) -> None:
        """pickup ``QID: uid=N from=<sender>``: a locally submitted message arrives."""
        colon = text.find(": ", start)
        qid = text[start:colon]
        if colon < 0 or not is_queue_id(qid) or not text.startswith(("uid=", "sender="), colon + 2):
            return
        assert self.notes is not None
        self.notes(MessageNote("received", "postfix", qid, self._ts(text), client="pickup"))

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
        code = reply_code(detail)
        if code is not None and " said: " not in detail and not detail.endswith(" command)"):
            # The common "250 2.0.0 Ok: queued as ..." of status=sent: the detail is the reply.
            reply: str | None = detail
            stage: str | None = "end-of-data" if status == "sent" else "unknown"
        else:
            reply, stage, rhost, rip = _reply_in_detail(detail)
            if host is None and ip is None:
                host, ip = rhost, rip
            code = reply_code(reply) if reply is not None else None
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
        code = reply_code(reply)
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
                code=reply_code(reply), enhanced=reply_enhanced(reply) if reply else None,
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
                status=_INBOUND_STATUS[action], code=reply_code(reply),
                enhanced=reply_enhanced(reply) if reply else None, text=reply or None,
                ts=self._ts(text), remote_host=host, remote_ip=ip, sender=_angle(tail, "from=<"),
                recipient=_angle(tail, "to=<") or None, queue_id=qid,
            )
        ]  # fmt: skip

    # ------------------------------------------------------------------ time
    def _ts(self, line: str) -> str | None:
        """ISO 8601 time of ``line``, None if it has none or an impossible one (Feb 30)."""
        stamp = line[:15]
        if stamp == self._last_stamp:
            return self._last_iso
        iso = self.timestamps(self._text_ts(line))
        # Only a valid BSD stamp is remembered: it alone decides the time (the year changes
        # only with the day), and an invalid one must be counted each time it occurs.
        if iso is not None and _is_bsd_stamp(line):
            self._last_stamp, self._last_iso = stamp, iso
        return iso

    def _text_ts(self, line: str) -> str | None:
        """ISO 8601 form of the time of ``line``: BSD and RFC 3339 without a regex, else split().

        A BSD date is converted once per day (``iso_ts``) and its time appended; an RFC 3339
        timestamp is already ISO 8601.
        """
        if _is_bsd_stamp(line):
            day = line[:6]
            if day != self._last_day:
                self._new_day(day, line[:15])
            prefix = self._day_prefix
            return prefix + line[7:15] if prefix is not None else None
        if len(line) > 19 and line[4] == "-" and line[7] == "-" and line[10] == "T":
            end = line.find(" ", 11)
            return line[:end] if end > 0 else line
        s = split(line)  # docker prefix, one-digit day, no time at all, ...
        if s is None or s.ts is None:
            return None
        try:
            return self.iso_time(s.ts)
        except ValueError:
            return None

    def _new_day(self, day: str, raw: str) -> None:
        self._last_day = day
        try:
            iso = self.iso_time(raw)  # the year moves on from December into January
        except ValueError:
            iso = None
        self._day_prefix = iso[:11] if iso is not None and iso[10:11] == "T" else None


# ---------------------------------------------------------------------- helpers
def _delay(text: str, start: int) -> float | None:
    """The ``delay=`` of a delivery line (seconds since the message arrived), None if absent."""
    i = text.find(", delay=", start)
    if i < 0:
        return None
    j = text.find(",", i + 8)
    try:
        value = float(text[i + 8 : j] if j >= 0 else text[i + 8 :])
    except ValueError:
        return None
    return value if 0 <= value < 1e9 else None  # "nan", "inf", absurd values: none


def _is_bsd_stamp(line: str) -> bool:
    """Whether ``line`` starts with a BSD syslog time stamp, ``Nov 29 00:00:02 ``."""
    return (
        len(line) > 16
        and line[3] == " "
        and line[6] == " "
        and line[9] == ":"
        and line[12] == ":"
        and line[15] == " "
        and _TIME_CHARS.issuperset(line[7:15])
    )


def _program(line: str) -> str | None:
    """The ``program`` of ``... program[pid]: message`` by ``str.find`` (as feed() does)."""
    colon = line.find(": ")
    if colon <= 0 or colon > 400:
        return None
    return line[line.rfind(" ", 0, colon) + 1 : colon].partition("[")[0]


def _angle(text: str, key: str) -> str | None:
    """The value of ``key`` (ending in ``<``) up to the next ``>``, e.g. ``to=<``."""
    i = text.find(key)
    if i < 0:
        return None
    i += len(key)
    j = text.find(">", i)
    return text[i:j] if j >= 0 else text[i:]


def _stage_of(text: str, table: tuple[tuple[str, str], ...]) -> str | None:
    for phrase, stage in table:
        if phrase in text:
            return stage
    return None


def _tail_start(reply: str) -> int:
    """Where Postfix's "; from=<..> to=<..> proto=.. helo=<..>" annotation starts, or -1."""
    for key in ("; from=<", "; to=<", "; proto=", "; helo=<"):
        i = reply.rfind(key)
        if i >= 0:
            return i
    return -1


def _reply_in_detail(detail: str) -> tuple[str | None, str | None, str | None, str | None]:
    """(reply, stage, host, ip) from a delivery detail or a standalone smtp message.

    The reply follows "said: " / "refused to talk to me: " / "refused to start TLS: ", or is
    the detail itself when that starts with a code; "(in reply to X command)" gives the stage
    and is cut from the reply.

    >>> _reply_in_detail("host mx.example[192.0.2.1] said: 450 4.2.0 Greylisted "
    ...                  "(in reply to RCPT TO command)")
    ('450 4.2.0 Greylisted', 'rcpt', 'mx.example', '192.0.2.1')
    >>> _reply_in_detail("connect to mx.example[192.0.2.1]:25: Connection timed out")
    (None, 'connect', 'mx.example', '192.0.2.1')
    """
    if detail.startswith(_SUSPENDED):
        detail = detail[len(_SUSPENDED) :]
    host = ip = None
    stage: str | None = None
    if reply_code(detail) is not None and " said: " not in detail:
        reply = detail  # "250 2.0.0 Ok: queued as ..." (the common status=sent detail)
    else:
        best, marker = -1, ""
        for m in _REPLY_MARKERS:
            i = detail.find(m)
            if i >= 0 and (best < 0 or i < best):
                best, marker = i, m
        if best < 0:
            stage = _stage_of(detail, _DETAIL_TO_STAGE)
            w = detail.find(" while ")
            if w >= 0:
                stage = _stage_of(detail[w:], _WHILE_TO_STAGE) or stage
            if detail.startswith("connect to "):
                end = detail.find(": ", 11)
                host, ip = split_client(detail[11:end] if end > 0 else detail[11:])
            return None, stage, host, ip
        reply = detail[best + len(marker) :]
        before = detail[:best]
        lb = before.rfind("[")
        if lb >= 0:
            host, ip = split_client(before[before.rfind(" ", 0, lb) + 1 :].rstrip(":"))
        if marker != " said: ":
            stage = "starttls" if "TLS" in marker else "connect"
        elif before.startswith("SASL"):
            stage = "auth"
    if reply.endswith(" command)"):
        i = reply.rfind(" (in reply to ")
        if i >= 0:
            stage = _stage_of(reply[i + 14 :], _REPLY_TO_STAGE) or stage
            reply = reply[:i]
    return reply.strip(), stage, host, ip
