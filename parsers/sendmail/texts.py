"""The shapes of Sendmail's syslog lines (program tag, queue id, ``k=v`` fields, relays, replies)
and what they name (stages of rulesets and milters, the codes Sendmail sends but does not log).
Names with an underscore are the package's own (used by :mod:`parsers.sendmail.parser`)."""

from __future__ import annotations

import re

from logscan.core.smtp import ENHANCED_CODE, REPLY_CODE
from logscan.parsing.reply import parse_reply
from logscan.parsing.syslog import RFC5424

# The program tag, wherever the line starts: with a syslog time and host, a "<mail.notice>"
# tag, a leading space, or at the program itself.
# (NFS's "sm-notify" shares the prefix and is not Sendmail.)
_NAME = r"sendmail|sm-(?!notify)[\w.-]+"
_PROGRAM = re.compile(rf"(?:^|\s)({_NAME})\[\d+\]: (?:\[ID \d+ [\w.]+\] )?")
_IS_NAME = re.compile(_NAME)


def _program_span(text: str) -> tuple[int, int] | None:
    """Where a Sendmail line's program name starts and where its message starts, in the first
    200 characters (the syslog tag ``sm-mta[42]: ``, or the fields of the RFC 5424 header);
    None if it is not a Sendmail line."""
    m = _PROGRAM.search(text, 0, 200)
    if m is not None:
        return m.start(1), m.end()
    if text.startswith(("<", "1 ")):
        h = RFC5424.match(text)
        if h is not None and h.group("msg") is not None and _IS_NAME.fullmatch(h.group("prog")):
            return h.start("prog"), h.start("msg")
    return None


_BSD_TS = re.compile(r"\s*([A-Z][a-z]{2} [ \d]?\d \d\d:\d\d:\d\d(?:\.\d+)?)")
# Queue ids: "4AT00103578509", "s1GNXHYB005133", AIX's "k1SN9pkK15806618", OpenEMM's digits,
# 8.9's "SAA15929": always with a digit, so "STARTTLS: write error=..." is no message's.
_QID = re.compile(r"((?=[A-Za-z]*\d)[A-Za-z0-9]{8,20}): ")
_FIELD = re.compile(r"(?:^|, )(to|mailer|relay|dsn|ruleset|arg1|reject)=")
_RELAY = re.compile(r"relay=(?:(?P<name>[^\s,\[]+) ?)?(?:\[(?P<ip>[^\]]+)\])?")
_SIZE = re.compile(r", size=(\d+)")
_ADDR_REPLY = re.compile(r"<?(?P<addr>[^\s<>]*)>?\.\.\. (?P<text>.*)$")
_CODE_WITH_ENHANCED = re.compile(rf"(?<![\w.])({REPLY_CODE})[ -]({ENHANCED_CODE})(?![\w.])")
_AUTH_RELAY = re.compile(r"relay=(?:(?P<name>[^\s,\[]+) )?\[(?P<ip>[^\]]+)\]")
_CLIENT = re.compile(r"(?:(?P<name>[^\s\[]+) )?\[(?P<ip>[^\]]+)\]")

# Rulesets Sendmail runs as a client, on the way out (cf/README: tls_server after our STARTTLS,
# tls_rcpt before each RCPT, clt_features before EHLO). Their reject= is a decision our own side
# took on a delivery whose to= line follows with the outcome: the line is not an SMTP refusal.
_CLIENT_RULESETS = frozenset({"tls_server", "tls_rcpt", "clt_features"})
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
# The labels of the line that records a bounce or delay notice ("<qid>: <notice qid>: <label>:
# <reason>"): "DSN" for a delivery status notification, "sender notify" for the older form.
_NOTICE_LABELS = frozenset({"DSN", "sender notify"})
# A connection refused by TCP wrappers (daemon.c validate_connection() returns "Access denied"):
# srvrsmtp.c greets such a client with 554 and answers its commands with 550 5.0.0.
_NULLSERVER_CODE = "554"
_TCPWRAPPERS = re.compile(r"^tcpwrappers \((?P<name>[^,]*), (?P<ip>[^)]*)\) rejection$")

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
    "gethostbyaddr(",  # daemon start-up: the local host's own name lookup (daemon.c)
    "My unqualified host name",  # start-up: the host's own name does not resolve (main.c)
    "unable to qualify my own domain name",
)


# usersmtp.c smtprcpt(): a remote's 550, 551 or 553 to RCPT becomes EX_NOUSER and any other 5xx
# EX_UNAVAILABLE, whatever the reply said. Without reply= (before 8.17), stat= then holds only the
# exit status's name (sysexits.c) and dsn= the remote's enhanced code, or these defaults when the
# remote gave none.
_EXIT_NAME_DEFAULT_DSN = {"User unknown": "5.1.1", "Service unavailable": "5.0.0"}


def _dsn_says_more(stat: str, dsn: str | None) -> bool:
    """Whether ``dsn`` (the remote's enhanced code) says more about a bounce than ``stat``, when
    ``stat`` is only the name of the exit status Sendmail made of the remote's 5xx. An x.y.0
    code is "other" within its subject; x.4.y is about reaching a host, which answered here."""
    default = _EXIT_NAME_DEFAULT_DSN.get(stat)
    if default is None or dsn is None or dsn == default:
        return False
    _, subject, detail = dsn.split(".")
    return detail != "0" and subject != "4"


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
