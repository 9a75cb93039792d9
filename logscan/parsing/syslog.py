"""Split a syslog-style line into time, host, program, pid and message.

Shared by the parsers of MTAs that log through syslog (Postfix, Sendmail, syslog-wrapped Exim).
Handles BSD (``Jan  5 12:34:56``), RFC 3339 / ISO 8601 timestamps, the time stamps of every
``journalctl -o short-*`` format (below), an optional
``facility.level`` (BusyBox), a docker-compose ``service_1  | `` prefix, a ``<PRI>`` left in by
a relay written to a file raw, and lines with no time or host at all
(``postfix/smtpd[12]: ...``)::

    >>> s = split("Jan  5 12:34:56 mx1 postfix/smtp[42]: 3F2A1: to=<a@b.c>, status=sent")
    >>> s.program, s.pid, s.message
    ('postfix/smtp', '42', '3F2A1: to=<a@b.c>, status=sent')
    >>> iso_ts(s.ts, 2026)
    '2026-01-05T12:34:56'

It also reads the RFC 5424 header (rsyslog's ``RSYSLOG_SyslogProtocol23Format``, syslog-ng's
``syslog-protocol``, a central log host's files), where the program and its pid are fields of
their own, and the message follows the structured data (a ``-`` field is empty)::

    >>> s = split("<22>1 2024-03-01T10:00:01.5+00:00 mx postfix/smtp 1234 - - 3F2A1: to=<a@b.c>")
    >>> s.ts, s.host, s.program, s.pid, s.message
    ('2024-03-01T10:00:01.5+00:00', 'mx', 'postfix/smtp', '1234', '3F2A1: to=<a@b.c>')

journalctl (systemd's ``logs-show.c``) prints ``HOST IDENTIFIER[PID]: MESSAGE`` after a time
stamp of its own per ``-o`` format: ``short`` and ``short-precise`` a BSD one (``Mar 01
10:00:01.123456``), ``short-iso``/``short-iso-precise`` ISO with an offset (``+0000`` in
systemd 252, ``+00:00`` in today's source), ``short-full`` and ``with-unit`` a weekday, date,
time and zone abbreviation (``Fri 2024-03-01 10:00:01 CET``; ``UTC`` with ``--utc``; a number
such as ``+03`` where the zone has no name; nothing when it is too long), ``short-unix`` the
seconds since the epoch, and ``short-monotonic``/``short-delta`` the time since boot in
brackets, which is no wall-clock time (``ts`` None)::

    >>> s = split("Fri 2024-03-01 10:00:01 UTC mx postfix/smtp[1234]: 3F2A1: to=<a@b.c>")
    >>> s.ts, s.host, iso_ts(s.ts, 1999)
    ('Fri 2024-03-01 10:00:01 UTC', 'mx', '2024-03-01T10:00:01+00:00')
    >>> iso_ts(split("1709287201.123456 mx postfix/smtp[1234]: x").ts, 1999)
    '2024-03-01T10:00:01.123456+00:00'
    >>> s = split("[  912.000017 <    0.000004 >] mx postfix/smtp[1234]: 3F2A1: to=<a@b.c>")
    >>> s.ts, s.host, s.program
    (None, 'mx', 'postfix/smtp')
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

_MONTHS = {
    m: i
    for i, m in enumerate(
        ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1
    )
}

_TS = (
    r"(?P<ts>[A-Z][a-z]{2} [ \d]?\d \d\d:\d\d:\d\d(?:\.\d+)?"
    r"|\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:[.,]\d+)?(?:Z|[+-]\d\d:?\d\d)?"
    # journalctl -o short-full / with-unit: a weekday first, a zone (if any) after
    r"|[A-Z][a-z]{2} \d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)?(?: [A-Z]{2,6}| [+-]\d\d(?:\d\d)?)?"
    r"|\d{10}\.\d{6})"  # journalctl -o short-unix
)
# journalctl -o short-monotonic / short-delta: the time since boot, no wall-clock time.
_MONOTONIC = r"\[ *\d+\.\d{6}(?: < *\d+\.\d{6}[ *]>| *)\]"
_PROG = r"(?P<prog>[A-Za-z0-9_][^\s\[\]:]*)(?:\[(?P<pid>\d+)\])?:[ ]?"
_LINE = re.compile(
    r"(?:<\d{1,3}>)?"  # a PRI left in by a relay written to a file raw
    r"(?:[\w.-]+\s+\|\s)?"  # docker-compose service prefix
    rf"(?:(?:{_TS}|{_MONOTONIC})\s+(?:(?P<host>[^\s\[\]]+)\s+)?(?:[a-z0-9]+\.[a-z]+\s+)?)?"
    rf"(?:\[ID \d+ [\w.]+\]\s+)?{_PROG}"  # Solaris message id before the program
    r"(?P<msg>.*)",
    re.DOTALL,
)


# RFC 5424: <PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID STRUCTURED-DATA [BOM]MSG, "-" for an
# empty field. The version and an ISO time (or "-") tell it from a BSD line; a PRI may be missing
# where a template dropped it.
RFC5424 = re.compile(
    r"(?:<\d{1,3}>)?1 (?P<ts>\d{4}-\d\d-\d\dT\S+|-) (?P<host>\S+) (?P<prog>\S+) (?P<pid>\S+) \S+"
    r" (?:-|(?:\[(?:[^\]\\]|\\.)*\])+)(?: \ufeff?(?P<msg>.*))?",
    re.DOTALL,
)


@dataclass(frozen=True, slots=True)
class SyslogLine:
    ts: str | None
    host: str | None
    program: str
    pid: str | None
    message: str


def split(line: str) -> SyslogLine | None:
    """Split ``line``; None when it has no ``program[pid]:`` part (or RFC 5424 APP-NAME)."""
    if line.startswith(("<", "1 ")):
        r = RFC5424.match(line)
        if r is not None:
            return _rfc5424(r)
    m = _LINE.match(line)
    if m is None:
        return None
    host = m.group("host")
    prog = m.group("prog")
    if host is not None and m.group("pid") is None and "/" not in prog and host.endswith(":"):
        return None
    return SyslogLine(m.group("ts"), host, prog, m.group("pid"), m.group("msg"))


def _rfc5424(m: re.Match[str]) -> SyslogLine | None:
    def field(name: str) -> str | None:
        value = m.group(name)
        return None if value == "-" else value

    program = field("prog")
    if program is None:
        return None
    return SyslogLine(field("ts"), field("host"), program, field("pid"), m.group("msg") or "")


def after_message_id(text: str, start: int) -> int:
    """Where a message begins when Solaris syslog put its message id first
    (``postfix/smtp[2076]: [ID 197553 mail.info] 2E35E2F68: to=<...``); ``start`` otherwise.

    >>> line = "smtp[2076]: [ID 197553 mail.info] 2E35E2F68: to=<a@b.c>"
    >>> line[after_message_id(line, 12):]
    '2E35E2F68: to=<a@b.c>'
    """
    if text.startswith("[ID ", start):
        end = text.find("] ", start)
        if end > 0:
            return end + 2
    return start


def bsd_month(ts: str | None) -> int | None:
    """The month (1-12) of a BSD timestamp (``Jan  5 12:34:56``); None for any other shape."""
    return _MONTHS.get(ts[:3]) if ts else None


def iso_ts(ts: str | None, year: int) -> str | None:
    """ISO 8601 form of a syslog timestamp; BSD ones get ``year`` (they carry none).

    >>> iso_ts("2024-03-01T10:00:01+0100", 1999), iso_ts("Fri 2024-03-01 10:00:01 CET", 1999)
    ('2024-03-01T10:00:01+01:00', '2024-03-01T10:00:01')
    """
    if ts is None:
        return None
    month = _MONTHS.get(ts[:3])
    if month is None:
        if ts[10:11] == ".":
            return _from_epoch(ts)
        if ts[3:4] == " ":
            return _from_weekday_form(ts[4:])
        iso = ts.replace(" ", "T", 1) if len(ts) > 10 and ts[10] == " " else ts
        return colon_offset(iso)
    day = ts[4:6].strip()
    rest = ts[6:].strip()
    return f"{year:04d}-{month:02d}-{int(day):02d}T{rest}"


def colon_offset(iso: str) -> str:
    """``iso`` with a ``+0100`` offset (journalctl short-iso of systemd 252) written
    ``+01:00``, as RFC 3339 has it.

    >>> colon_offset("2024-03-01T10:00:01.5-0330"), colon_offset("2024-03-01T10:00:01")
    ('2024-03-01T10:00:01.5-03:30', '2024-03-01T10:00:01')
    """
    if len(iso) > 19 and iso[-5] in "+-" and iso[-4:].isdigit():
        return f"{iso[:-2]}:{iso[-2:]}"
    return iso


def _from_weekday_form(rest: str) -> str:
    """ISO form of ``2024-03-01 10:00:01 ZONE`` (journalctl short-full without its weekday).

    The zone is journalctl's ``tm_zone``: ``UTC`` or a number give the offset; a name such as
    ``CET`` or ``CST`` is ambiguous (CST is both US Central and China), so the time is kept as
    local time, as a BSD time stamp is.
    """
    date, clock, *zone = rest.split(" ")
    iso = f"{date}T{clock}"
    if not zone:
        return iso
    name = zone[0]
    if name in ("UTC", "GMT"):
        return f"{iso}+00:00"
    if name[0] in "+-":
        return f"{iso}{name[:3]}:{name[3:5] or '00'}"
    return iso


def _from_epoch(ts: str) -> str:
    """ISO form (UTC) of journalctl short-unix's ``1709287201.123456``."""
    seconds, micro = ts.split(".")
    when = datetime.fromtimestamp(int(seconds), UTC).replace(microsecond=int(micro))
    return when.isoformat(timespec="microseconds")
