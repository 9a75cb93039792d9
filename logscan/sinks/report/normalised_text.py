"""A reply text with what varies per message masked, so that equal reasons group into one row.

The report groups texts this way twice: the bounce, deferral and reject detail (traffic) and the
texts no rule placed (gaps). Addresses, IP addresses, queue and message ids and numbers are
masked; the reply code and an enhanced code are kept, since they are the reason::

    >>> normalise("451 4.7.1 <bob@example.com>: try 192.0.2.7 in 300 s (id 3F2A1B4C9D)")
    '451 4.7.1 <addr>: try <ip> in <n> s (id <id>)'
    >>> normalise("connect to mx.example.net[192.0.2.7]:25: Connection timed out")
    'connect to mx.example.net[<ip>]:<n>: Connection timed out'

A :class:`Normaliser` remembers its last few thousand answers: replies repeat (one greylisting
or blocklist text per client), and the masks are regular expressions.
"""

from __future__ import annotations

import ipaddress
import re

from logscan.core.smtp import ENHANCED_CODE, REPLY_CODE

MAX_CHARS = 300  # of the raw text; what the remote host writes past this groups nothing

# An address in angle brackets (the common case, found from its "<"), or bare.
_ANGLE_ADDRESS = re.compile(r"<[^<>\s]*@[^<>\s]*>")
_BARE_ADDRESS = re.compile(r"[\w.+=!#$%&'*/?^`{|}~-]+@[\w.-]+")
# Every mask but the addresses' is about a run of letters, digits, dots, colons and hyphens with
# a digit in it. The regex finds where such a run has its first digit (a regex that matched
# whole runs would try every position of every word: several times slower); the run's start is
# found by looking back, and _mask_run decides with str methods, not one regex per mask.
_DIGIT_ONWARDS = re.compile(r"[0-9][0-9A-Za-z_.:-]*")
_OTHER_DIGITS = re.compile(r"(?:(?![0-9])\d)+")  # "٥٥٥": numbers still, in other scripts
_RUN_CHARS = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_.:-")
_IPV4 = re.compile(r"[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}")
_ENHANCED = re.compile(rf"{ENHANCED_CODE}")
_EXIM_ID = re.compile(r"[0-9A-Za-z]{6}-[0-9A-Za-z]{6,11}-[0-9A-Za-z]{2,4}")
_LEADING_CODE = re.compile(rf"^{REPLY_CODE}(?=[ -]|$)")


def normalise(text: str) -> str:
    """``text`` with addresses, IPs, ids and numbers masked, spaces collapsed, codes kept."""
    text = text.strip()[:MAX_CHARS]
    m = _LEADING_CODE.match(text)
    head, rest = (m.group(0), text[m.end() :]) if m else ("", text)
    if "@" in rest:
        if "<" in rest:
            rest = _ANGLE_ADDRESS.sub("<addr>", rest)
        if "@" in rest:
            rest = _BARE_ADDRESS.sub("<addr>", rest)
    rest = _mask_digit_runs(rest)
    if not rest.isascii():
        rest = _OTHER_DIGITS.sub("<n>", rest)
    if "  " in rest or "\t" in rest or "\n" in rest or "\r" in rest:
        rest = " ".join(rest.split())
    return head + rest


def _mask_digit_runs(text: str) -> str:
    out = []
    done = 0  # text[:done] is in out
    for m in _DIGIT_ONWARDS.finditer(text):
        start, end = m.span()
        while start > done and text[start - 1] in _RUN_CHARS:
            start -= 1
        out.append(text[done:start])
        out.append(_mask_run(text[start:end]))
        done = end
    if not out:
        return text
    out.append(text[done:])
    return "".join(out)


def _mask_run(run: str) -> str:
    if run.isdigit():  # the commonest runs first: a number, an IPv4 address
        return "<n>"
    if _IPV4.fullmatch(run):
        return "<ip>"
    if run.startswith("::") and _is_ipv6(run):  # "[::1]": the colons are the address's
        return "<ip>"
    core = run.strip(".:-")
    if not core:
        return run
    start = run.find(core)
    masked = _mask_core(core)
    return masked if len(core) == len(run) else run[:start] + masked + run[start + len(core) :]


def _mask_core(core: str) -> str:
    """An IP address, an id or a number as its mask; a host name or a code as it is."""
    if ":" in core:
        if _is_ipv6(core):
            return "<ip>"
        return ":".join(_mask_part(p) for p in core.split(":"))  # "10:17:48", "mx1:25"
    return _mask_part(core)


def _is_ipv6(text: str) -> bool:
    try:
        ipaddress.IPv6Address(text)
    except ValueError:
        return False
    return True


def _mask_part(part: str) -> str:
    if not part:
        return part
    if _IPV4.fullmatch(part):
        return "<ip>"
    if part.isdigit():
        return "<n>"
    if _ENHANCED.fullmatch(part):
        return part  # an enhanced code is the reason
    if _EXIM_ID.fullmatch(part) or (len(part) >= 8 and part.isalnum() and not part.isdigit()):
        return "<id>"  # Exim message ids, Postfix/Sendmail queue ids, hex or mixed tokens
    if part.replace(".", "").isdigit():
        return "<n>"  # 1.5, 4.16.55
    if "-" in part or "." in part:  # mx1.example.net stays, 20025-09 is two numbers
        pieces = part.split(".")
        return ".".join("-".join("<n>" if q.isdigit() else q for q in p.split("-")) for p in pieces)
    return part  # mx1, C14, TSS04: a name, not a number


class Normaliser:
    """:func:`normalise` with a memo of its last ``max_texts`` distinct inputs."""

    __slots__ = ("_memo", "max_texts")

    def __init__(self, max_texts: int = 4096) -> None:
        self.max_texts = max_texts
        self._memo: dict[str, str] = {}

    def __call__(self, text: str) -> str:
        done = self._memo.get(text)
        if done is None:
            if len(self._memo) >= self.max_texts:
                self._memo.clear()  # cheaper than an LRU, and a busy log refills it at once
            done = self._memo[text] = normalise(text)
        return done
