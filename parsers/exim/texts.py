"""The shapes of Exim's main log lines (time stamps, message ids, hosts, the remote replies Exim
quotes) and what they name (stages, the codes Exim sends but does not log). Names with an
underscore are the package's own (used by :mod:`parsers.exim.parser`)."""

from __future__ import annotations

import re

from logscan.core.smtp import REPLY_CODE, stage_of_command
from logscan.parsing.syslog import RFC5424
from parsers.exim.message_log import is_message_log_line

# "2012-02-13 14:39:22", optional ".345" (log_selector +millisec), optional " +0100"
# (log_timezone).
_EXIM_TS = re.compile(r"(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d(?:\.\d+)?)(?: ([+-]\d\d)(\d\d))? ")
# A syslog relay written after Exim's own time stamp: "2019-10-22 03:39:17 mx1 exim[29786]: ".
# No syslog time stamp at all: "mail.example.com exim[3751842]: 2021-07-17 23:20:49 ...".
_RELAY = re.compile(r"(?:\S+ )?(?:exim\d?|splogger)(?:\[\d+\])?: ")
_PID = re.compile(r"\[\d+\] ")
# log.c writes under a refusal after DATA (log_selector +rejected_header) the envelope
# ("Envelope-from: <a>", "Envelope-to: <b>", "    <c>" up to five, "    ...") and the headers,
# each as its spool type letter (or "*" deleted, " " other), a space and the header, folded
# lines indented; a cut list ends "*** truncated ***".
_REJECTED_HEADER = re.compile(r"Envelope-(?:from|to): <|[A-Z* ] \S|[ \t]+\S|\*\*\* truncated")
# log.c write_syslog() numbers the parts of a message longer than a syslog line or holding a
# newline: "[1\\2] first part", "[2/2] the rest".
_SYSLOG_PART = re.compile(r"\[(\d+)[\\/]\d+\] ")
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
# A line cut short (a syslog or collector length limit) ends inside C="...: the reply up to the
# cut is still the server's confirmation.
_CONFIRM = re.compile(r' C="(.*?)(?:"(?= [A-Za-z]+=|$)|$)')
# The reply of a remote server, as Exim quotes it in a deferral or bounce. Before 4.80 or so
# the host came after the command ("after RCPT TO:<x>: host mx [ip]: 450 ...").
_REMOTE_ERROR = re.compile(
    r"(?:SMTP error from remote mail(?:er| server)|LMTP error|PRDR error) after (?P<cmd>.*?): "
    r"(?:host (?P<name>\S+) \[(?P<ip>[^\]]+)\]: )?(?P<reply>.*)$",
    re.DOTALL,
)
# log_selector +deliver_time (4.94 and later) ends a "**" line with " DT=<time>" after the reason
# (string_timediff(): "0.004s", "2m3s", "1h"); it is a field, not part of the reason.
_DELIVER_TIME = re.compile(r" DT=\d[\d.smhdw]*$")
_LOST_AFTER = re.compile(r"(?:closed connection|timeout|timed out) (?:in response to|after) (.+)$")
_MALFORMED = re.compile(r"Malformed SMTP reply .*?in response to (?P<cmd>.*?): (?P<reply>.*)$")
# A callout's or a closed connection's reply: 'response to "MAIL FROM:<>" was: 550 ...',
# "... in response to HELO x (EHLO response was: 550 You are banned)".
_RESPONSE_WAS = re.compile(
    r'(?:response to "(?P<cmd>[^"]*)" was|in response to (?P<cmd2>\S+).*?response was): '
    r"(?P<reply>.*?)\)?$"
)
# The reply on an authenticator failure line, after "]: ", "]:port: ", "Ci=1: " or "] ".
_AUTH_REPLY = re.compile(rf"[\]:\d] ({REPLY_CODE}(?:[ -].*)?)$")

_PROGRAMS = frozenset({"exim", "exim4", "exim3", "splogger"})
_DELIVERED = ("=> ", "-> ", ">> ")
# The retry cut-off (smtp.c, retry.c): the address is failed because its hosts have failed too long.
# Since 4.99 the errno's text may come first ("Connection refused : retry timeout exceeded").
_EXPIRED = (
    "retry timeout exceeded",
    "retry time not reached for any host after a long failure",
    "have been failing for a long time",
)

# Exim's own names for what it was doing when a reply came, beyond SMTP commands: the end of the
# message data, and the banner. Any other "after <command>" names the command it sent.
_STAGE_OF_PHRASE = (("end of data", "end-of-data"), ("initial connection", "connect"))

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
# smtp_in.c answers MAIL without a HELO (hosts_require_helo) with synprot_error(503, "HELO or
# EHLO required") and logs "rejected MAIL from <host>: no HELO/EHLO given".
_ACL_REASON_CODES = (
    ("syntactically invalid argument", "501"),
    ("message too big", "552"),
    ("no HELO/EHLO given", "503"),
)
# The client as host_and_ident() writes it after "rejected MAIL from ".
_FROM_HOST = re.compile(r"from (?:(?P<name>[^\s(\[]\S*) )?(?:\([^)]*\) )?\[(?P<ip>[^\]]+)\]")
# "H=[192.0.2.101]:62839 dropped by 'connect' ACL: ..." -> stage of the named ACL.
_DROPPED_BY = re.compile(r" dropped by '(\w+)' ACL(?:: (?P<reason>.*))?$")
_ACL_NAME_STAGE = {"connect": "connect", "helo": "helo", "mail": "mail", "rcpt": "rcpt"}

# Protocol errors Exim answers with a fixed code but does not log it (smtp_in.c):
# "554 SMTP synchronization error"; synprot_error() for syntax errors (501, 500 for an unknown
# command) and protocol errors: 503 for all but the ones in _PROTOCOL_ERROR_CODES ("sender not
# yet given", "valid RCPT command must precede DATA", "... used when not advertised", "HELO or
# EHLO required", "only RSET accepted now", ...); smtp_notquit_exit() for "too many syntax or
# protocol errors" (see _DROPPED_CODES).
# Refusals Exim logs in words of their own (no "rejected <what>" of an ACL), with the stage and
# the code it sent but does not log:
_OWN_REFUSALS: tuple[tuple[re.Pattern[str], str, str], ...] = tuple(
    (re.compile(prefix), stage, code)
    for prefix, stage, code in (
        # smtp_in.c: host_reject_connection, "554 SMTP service not available"
        (r"refused connection from ", "connect", "554"),
        # smtp_in.c: smtp_accept_reserve, "421 <host>: Too many concurrent SMTP connections"
        # or "Too much load"; daemon.c: smtp_accept_max[_per_host], smtp_load_reserve,
        # "Connection from <client> refused: ...", answered "421 ... please try again later"
        (r"temporarily refused connection from ", "connect", "421"),
        (r"Connection from .*? refused: ", "connect", "421"),
        # smtp_in.c: recipients_max, "552 too many recipients" with recipients_max_reject,
        # else "452 too many recipients" for the excess
        (r"too many recipients: message rejected", "rcpt", "552"),
        (r"too many recipients", "rcpt", "452"),
        # smtp_in.c: "554 SMTP synchronization error"
        (r"SMTP protocol synchronization error", "connect", "554"),
        # smtp_in.c: "501 <address>: sender/recipient address must contain a domain"
        (r"unqualified sender rejected: ", "mail", "501"),
        (r"unqualified recipient rejected: ", "rcpt", "501"),
        # receive.c: header_maxsize and header_line_maxsize, "552 Message header is
        # ridiculously long", "552 A message header line is too long"
        (
            r"(?:ridiculously long message header|overlong message header line) received ",
            "end-of-data",
            "552",
        ),
        # receive.c receive_bomb_out(): "421 <host> local verification problem - closing
        # connection."
        (r"local_scan\(\) function (?:timed out|crashed)", "end-of-data", "421"),
    )
)
# All of them in one pattern, one group per row (their own groups do not capture): one match per
# session line instead of one per row.
_OWN_REFUSAL = re.compile("|".join(f"({r.pattern})" for r, _, _ in _OWN_REFUSALS))
_PROTOCOL_ERROR_CODES = (
    ("mechanism not supported", "504"),
    ("zero size for BDAT command", "504"),
    ("missing size for BDAT command", "501"),
    ("must have an address operand", "501"),
    ("unrecognized command", "500"),
)
_PROTOCOL_ERROR_CODE = "503"
_SYNTAX_ERROR_CODE = "501"
# smtp_in.c's smtp_notquit_exit() codes: 554 "Too many nonmail commands" (since 4.68), 500
# "Too many unrecognized commands"; too many syntax or protocol errors repeat the last error's.
_DROPPED_CODES = (
    ("too many nonmail commands", "554"),
    ("too many unrecognized commands", "500"),
    ("too many", "421"),
)

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
    "DNS list lookup defer",  # dnsbl.c, log_selector +dnslist_defer: the ACL goes on
    "ident connection to",  # verify.c, log_selector +ident_timeout
    # configure.default's and Debian's logwrite beside "Rejected for too many bad recipients"
    "REJECT [",
    "SMTP syntax error",
    "SMTP protocol",
    "ACL",
    "Authentication",
    # routers/rf_self_action.c (self = freeze) names the address it was routing or verifying;
    # the ACL's refusal or the "==" line that follows is the outcome.
    "lowest numbered MX record points to local host: ",
    "remote host address is the local host: ",
)


def _exim_iso(m: re.Match[str]) -> str:
    ts = f"{m.group(1)}T{m.group(2)}"
    if m.group(3) is not None:
        ts += f"{m.group(3)}:{m.group(4)}"
    return ts


def _own_refusal(body: str) -> tuple[str, str] | None:
    """(stage, code) of a refusal Exim logs in words of its own, or None."""
    m = _OWN_REFUSAL.match(body)
    if m is None:
        return None
    _, stage, code = _OWN_REFUSALS[(m.lastindex or 1) - 1]
    return stage, code


def _client(text: str) -> tuple[str | None, str | None]:
    """The client of a session line: after H= or, in host_and_ident(FALSE)'s and
    sender_fullhost's form, after "from"."""
    name, ip = _host(text)
    if ip is None:
        m = _FROM_HOST.search(text)
        if m is not None:
            return m.group("name"), m.group("ip")
    return name, ip


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


def _reply_host(text: str) -> tuple[str | None, str | None]:
    """The host of a quoted remote reply: H=, or before 4.80 or so the host after the command
    ("SMTP error from remote mail server after MAIL FROM:<x>: host mx [ip]: 421 ...")."""
    name, ip = _host(text)
    if ip is None:
        m = _REMOTE_ERROR.search(text)
        if m is not None and m.group("ip") is not None:
            return m.group("name"), m.group("ip")
    return name, ip


def _stage_of(command: str) -> str:
    cmd = command.lower()
    if cmd.startswith("pipelined "):
        cmd = cmd[10:]
    for prefix, stage in _STAGE_OF_PHRASE:
        if cmd.startswith(prefix):
            return stage
    return stage_of_command(cmd) or "unknown"


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
        return (
            rest.startswith(("H=", "SMTP ", "no MAIL", "U=", "F=", "Received from "))
            or "authenticator failed" in rest
            or is_message_log_line(rest)
            # log_selector +arguments (cPanel's default): exim.c's "cwd=%s %d args:" line
            or (rest.startswith("cwd=") and " args: " in rest)
        )
    head = line[:120]
    if " exim[" in head or " exim4[" in head or " splogger[" in head:
        return True
    if line.startswith(("<", "1 ")):  # RFC 5424: the program is a field of its own
        h = RFC5424.match(line)
        if h is not None:
            return h.group("prog") in _PROGRAMS
    # A syslog line whose time stamp and host were cut by the tool that quoted it (OSSEC's
    # "Portion of the log(s)"): "exim[14700]: 2006-11-21 15:01:33 1Glsgv-0002wv-00 ...".
    r = _RELAY.match(line)
    return r is not None and _EXIM_TS.match(line, r.end()) is not None
