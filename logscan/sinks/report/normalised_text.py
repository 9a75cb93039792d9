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

# Order matters: addresses before hosts, hosts and IPs before numbers; codes are kept.
_ADDRESS = re.compile(r"<?[^\s<>()\[\]\"',;:]*@[^\s<>()\[\]\"',;]+>?")
# Candidates only: ipaddress decides (":25:" after a host, or a time, is no IPv6 address).
_IPV6 = re.compile(r"(?<![\w:])[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?![\w:])")
_DIGIT_MASKS = (
    (re.compile(r"(?<![\w.:])\d{1,3}(?:\.\d{1,3}){3}(?![\w.])"), "<ip>"),
    # Exim message ids, Postfix/Sendmail queue ids, hex or mixed tokens of 8+ characters.
    (re.compile(r"\b[0-9A-Za-z]{6}-[0-9A-Za-z]{6,11}-[0-9A-Za-z]{2,4}\b"), "<id>"),
    (re.compile(r"\b(?=[0-9A-Za-z]*\d)(?=[0-9A-Za-z]*[A-Za-z])[0-9A-Za-z]{8,}\b"), "<id>"),
    (re.compile(rf"(?<![\w.])(?!{ENHANCED_CODE}(?![\w.]))\d+(?:\.\d+)*(?![\w.])"), "<n>"),
)
_DIGIT = re.compile(r"\d")
_LEADING_CODE = re.compile(rf"^{REPLY_CODE}(?=[ -]|$)")
_SPACES = re.compile(r"\s+")


def normalise(text: str) -> str:
    """``text`` with addresses, IPs, ids and numbers masked, spaces collapsed, codes kept."""
    text = text.strip()[:MAX_CHARS]
    m = _LEADING_CODE.match(text)
    head, rest = (m.group(0), text[m.end() :]) if m else ("", text)
    if "@" in rest:
        rest = _ADDRESS.sub("<addr>", rest)
    if ":" in rest:
        rest = _IPV6.sub(_ipv6_mask, rest)
    if _DIGIT.search(rest):  # every other mask needs a digit: most texts skip them all
        for regex, mask in _DIGIT_MASKS:
            rest = regex.sub(mask, rest)
    return head + _SPACES.sub(" ", rest)


def _ipv6_mask(m: re.Match[str]) -> str:
    try:
        ipaddress.IPv6Address(m.group())
    except ValueError:
        return m.group()
    return "<ip>"


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
