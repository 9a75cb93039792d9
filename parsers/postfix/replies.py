"""The texts of Postfix's reply-bearing lines: delivery ``status=`` lines, smtpd/postscreen/cleanup
rejections, and the remote server's reply inside a delivery detail; what stage and status they
name. Names with an underscore are the package's own (used by :mod:`parsers.postfix.parser`)."""

from __future__ import annotations

import re

from logscan.core.smtp import COMMAND_STAGES, ENHANCED_CODE, is_enhanced_code
from logscan.parsing.reply import enhanced_in_text, leading_code

# "(in reply to X command)" and "while <doing X>" phrases -> stage: Postfix's own phrases, then
# the command verbs ("RCPT TO", "EHLO handshake"). The first phrase found wins, so "end of DATA"
# comes before "DATA".
_REPLY_TO_STAGE: tuple[tuple[str, str], ...] = (
    ("end of DATA", "end-of-data"),
    ("end of BDAT", "end-of-data"),
    *COMMAND_STAGES.items(),
)
_WHILE_TO_STAGE: tuple[tuple[str, str], ...] = (
    ("initial server greeting", "connect"),
    ("TLS handshake", "starttls"),
    ("end of data", "end-of-data"),
    ("message body", "data"),
    *COMMAND_STAGES.items(),
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
# smtpd/postscreen reject kinds ("reject: RCPT from ...") -> stage: the command's verb, or the
# connection and the end of the message. VRFY and ETRN have none.
_KIND_TO_STAGE = {**COMMAND_STAGES, "CONNECT": "connect", "END-OF-MESSAGE": "end-of-data"}
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
# The enhanced code right after the reply code, ending at a space or the end of the text.
_ENHANCED_AFTER_CODE = re.compile(rf"{ENHANCED_CODE}(?= |$)")
_REPLY_MARKERS = (" said: ", " refused to talk to me: ", " refused to start TLS: ")
_SUSPENDED = "delivery temporarily suspended: "
_HEX_UPPER = frozenset("0123456789ABCDEF")

# QID: to=<rcpt> (or to=rcpt), [orig_to=<..>, ]relay=HOST[IP]:PORT, delay=.., ...,
#      [dsn=D, ]status=S (detail)
# The fields before dsn= are skipped field by field (a lazy ".*?" here costs twice as much).
# A host name may hold a poster's bracketed mask ("relay=[redacted]-br.mail.protection...[IP]:25"):
# a bracket followed by more name is part of the name, the last one (then ":" or ",") is the IP.
_DELIVERY_LINE = re.compile(
    r"(?:([0-9A-Za-z]+): )?to=(?:<([^>]*)>|([^,]*)), (?:orig_to=(?:<[^>]*>|[^,]*), )?"
    r"relay=([^,\[]*(?:\[[^\],]*\][^,\[:][^,\[]*)*)(?:\[([^\]]*)\][:\d]*)?, "
    r"(?:[a-z_]+=[^,]*, )*?"
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


def reply_enhanced(text: str) -> str | None:
    """First enhanced code in a reply; the common "550 5.1.1 ..." shape tried first, where it is."""
    if text[3:4] in (" ", "-"):
        m = _ENHANCED_AFTER_CODE.match(text, 4)
        if m is not None:
            return m.group()
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


_ENHANCED_SEEN: dict[str, bool] = {}


def _enhanced_ok(code: str) -> bool:
    """``is_enhanced_code``, memoised: a log has few distinct dsn= values (bounded all the same)."""
    ok = _ENHANCED_SEEN.get(code)
    if ok is None:
        if len(_ENHANCED_SEEN) >= 4096:
            _ENHANCED_SEEN.clear()
        ok = _ENHANCED_SEEN[code] = is_enhanced_code(code)
    return ok


def is_queue_id(token: str) -> bool:
    """Short (hex, ``3F2A1C9``) or long (``4NXMhD0pFtz9sT7``) Postfix queue id.

    >>> [is_queue_id(t) for t in ("3F2A1C9", "4NXMhD0pFtz9sT7", "warning", "NOQUEUE")]
    [True, True, False, False]
    """
    if not 5 <= len(token) <= 20 or not token.isascii() or not token.isalnum():
        return False
    return (not token.isalpha() and not token.islower()) or _HEX_UPPER.issuperset(token)


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
    if leading_code(detail) is not None and " said: " not in detail:
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
