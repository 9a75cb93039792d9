"""The SMTP vocabulary: reply codes, enhanced status codes, reply classes, command stages.

Every stage that reads or checks a code uses these, so that the parsers, the catalogue, the
labels, the alert filters and ``explain`` agree on what a code is. Regex *source fragments*
(no groups, no anchors) compose into an MTA's own line layout; the compiled patterns and the
helpers check a value that stands alone::

    >>> is_reply_code("550"), is_reply_code("599"), is_reply_code("101")
    (True, True, False)
    >>> is_standard_reply_code("550"), is_standard_reply_code("599")
    (True, False)
    >>> is_enhanced_code("5.7.1"), is_enhanced_code("4.7.650"), is_enhanced_code("5.7.1000")
    (True, True, False)
    >>> class_of("451"), class_of("5.7.1"), class_of(None)
    ('transient', 'permanent', None)
    >>> stage_of_command("RCPT TO:<a@example.com>"), stage_of_command("BDAT 1024 LAST")
    ('rcpt', 'end-of-data')
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import Literal

from logscan.core.event import Stage

# --- Basic reply codes (RFC 5321) -------------------------------------------------------------

# RFC 5321 4.2's grammar, ``Reply-code = %x32-35 %x30-35 %x30-39``: the first digit is the class
# (1yz is unused: no SMTP command takes a preliminary reply), the second the subject (0-5:
# syntax, information, connections, two unspecified, mail system), the third a finer grade.
# ASCII digits only, here and below: ``\d`` also matches other scripts' digits ("5٥0").
STANDARD_REPLY_CODE = "[2-5][0-5][0-9]"

# A reply code as servers send it and logs hold it. RFC 5321 4.2 draws the hard line at the first
# digit only ("servers MUST NOT send reply codes whose first digits are other than 2, 3, 4, or
# 5"; clients treat others as fatal), and clients act on the first digit. MTAs let the operator
# choose the other two: Exim sends an ACL's "599 Main code" as written and logs it (its own test
# suite, tests/data/exim), Postfix access maps take any 4xx/5xx. So a parser reads any second
# digit: the code is "as logged" (docs/design.md), and its class is sure. A first digit other
# than 2-5 is no reply: a count, a port, an IMAP tag ("101 LOGIN"), a client's own error number.
REPLY_CODE = "[2-5][0-9][0-9]"

# What people and clients write where a code goes, the catalogue's keys and ``explain``'s
# arguments: a first digit of RFC 5321's five classes (4.2.1, 1yz included), any two digits. It
# holds the numbers the catalogue explains as ``standard = false``: 101, which clients report
# when they cannot connect, and dotless enhanced codes such as 471 for 4.7.1.
CODE_NOTATION = "[1-5][0-9][0-9]"

REPLY_CODE_RE = re.compile(REPLY_CODE)
STANDARD_REPLY_CODE_RE = re.compile(STANDARD_REPLY_CODE)
CODE_NOTATION_RE = re.compile(CODE_NOTATION)

# Every reply code, for a set lookup where a regex would be too slow (the parsers' hot paths).
REPLY_CODES = frozenset(c for c in (f"{n:03d}" for n in range(1000)) if REPLY_CODE_RE.fullmatch(c))

ReplyClass = Literal["success", "intermediate", "transient", "permanent"]
# A reply's class by its first digit (RFC 5321 4.2.1); an enhanced code's class digit
# (RFC 3463 3.1: 2, 4 or 5) means the same.
CLASSES: Mapping[str, ReplyClass] = MappingProxyType(
    {"2": "success", "3": "intermediate", "4": "transient", "5": "permanent"}
)


def is_reply_code(text: str) -> bool:
    """Whether ``text`` is exactly a reply code as servers send it (first digit 2-5)."""
    return text in REPLY_CODES


def is_standard_reply_code(text: str) -> bool:
    """Whether ``text`` is exactly a reply code of RFC 5321's grammar (second digit 0-5 too)."""
    return STANDARD_REPLY_CODE_RE.fullmatch(text) is not None


def class_of(code: str | None) -> ReplyClass | None:
    """The reply class from a basic or enhanced code's first digit, or None.

    Only the first character is read: callers pass codes the grammar has already accepted (and
    the catalogue's non-standard ``101`` has no class).
    """
    if not code:
        return None
    return CLASSES.get(code[0])


# --- Enhanced status codes (RFC 3463) -------------------------------------------------------

# RFC 3463 3.1: ``status-code = class "." subject "." detail``, ``class = "2" / "4" / "5"``,
# ``subject = 1*3digit``, ``detail = 1*3digit``. Leading zeros are allowed by the grammar
# ("5.01.1" is 5.1.1); more than three digits are not (5.7.1000 is no code, 5.7.100 is not in it).
ENHANCED_CLASSES = "245"
ENHANCED_CLASS = f"[{ENHANCED_CLASSES}]"
ENHANCED_NUMBER = "[0-9]{1,3}"  # a subject or a detail
ENHANCED_CODE = rf"{ENHANCED_CLASS}\.{ENHANCED_NUMBER}\.{ENHANCED_NUMBER}"

ENHANCED_CODE_RE = re.compile(ENHANCED_CODE)
# The same with its three parts as groups: class, subject, detail.
ENHANCED_PARTS_RE = re.compile(rf"({ENHANCED_CLASS})\.({ENHANCED_NUMBER})\.({ENHANCED_NUMBER})")


def is_enhanced_code(text: str) -> bool:
    """Whether ``text`` is exactly an enhanced status code (RFC 3463)."""
    return ENHANCED_CODE_RE.fullmatch(text) is not None


# --- Commands and the stage their reply answers -----------------------------------------------

# The stage of the dialogue a command's reply answers, by the command's verb (RFC 5321 4.1;
# LHLO is LMTP's EHLO, RFC 2033; STARTTLS RFC 3207; AUTH RFC 4954; BDAT RFC 3030). Verbs that
# belong to no stage of a message (VRFY, EXPN, ETRN, NOOP, RSET, HELP) are absent: "unknown".
COMMAND_STAGES: Mapping[str, Stage] = MappingProxyType(
    {
        "EHLO": "helo",
        "HELO": "helo",
        "LHLO": "helo",
        "STARTTLS": "starttls",
        "AUTH": "auth",
        "MAIL": "mail",
        "RCPT": "rcpt",
        "DATA": "data",
        "BDAT": "data",
        "QUIT": "quit",
    }
)
# RFC 3030 2: "BDAT <size> LAST" carries the last chunk, so its reply is the end-of-data reply.
_LAST_CHUNK = "LAST"


def stage_of_command(command: str) -> Stage | None:
    """The stage the reply to ``command`` (a command line, or only its verb) answers, or None
    when the verb has none.

    >>> stage_of_command("mail FROM:<a@example.com>"), stage_of_command("BDAT 512")
    ('mail', 'data')
    >>> stage_of_command("VRFY postmaster") is None
    True
    """
    words = command.split(None, 1)
    if not words:
        return None
    verb = words[0].upper()
    if verb == "BDAT" and len(words) > 1 and _LAST_CHUNK in words[1].upper():
        return "end-of-data"
    return COMMAND_STAGES.get(verb)
