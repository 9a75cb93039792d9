"""Which Postfix daemon wrote a line, and so what its lines can hold (one of the kinds below);
programs that share a mail log with Postfix are known by name, and quiet."""

from __future__ import annotations

from collections.abc import Sequence

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


def program_of(line: str) -> str | None:
    """The ``program`` of ``... program[pid]: message`` by ``str.find`` (as feed() does)."""
    colon = line.find(": ")
    if colon <= 0 or colon > 400:
        return None
    return line[line.rfind(" ", 0, colon) + 1 : colon].partition("[")[0]


def remember_kind(kinds: dict[str, int], token: str) -> int:
    """The kind of the program of a ``program[pid]`` ``token``, remembered in ``kinds`` (a
    parser's cache, emptied when it reaches its bound)."""
    kind = program_kind(token.partition("[")[0])
    if len(kinds) >= _CACHE_MAX:
        kinds.clear()
    kinds[token] = kind
    return kind


def postfix_share(head: Sequence[str]) -> float:
    """How much of ``head`` Postfix programs wrote (the parser's detection score): their share of
    the non-blank lines, mail-log neighbours (amavis, dovecot, ...) counting half, scaled so that
    a log with some other programs' lines still scores 1."""
    postfix = neighbour = total = 0
    for line in head:
        if not line.strip():
            continue
        total += 1
        program = program_of(line)
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
