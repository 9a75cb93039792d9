"""Reading an SMTP reply out of log text: the basic code, the enhanced code, the text.

Parsers use these to pull replies apart; deciding what a reply means is the classifier's job::

    >>> parse_reply("550-5.7.1 Our system ... 550 5.7.1 Please visit")
    Reply(code='550', enhanced='5.7.1', text='550-5.7.1 Our system ... 550 5.7.1 Please visit')
    >>> enhanced_in_text("550 sorry, no mailbox here by that name (#5.1.1 - chkusr)")
    '5.1.1'
    >>> enhanced_in_text("435 Unable to authenticate at present (perl/5.20.2)") is None
    True
"""

from __future__ import annotations

import re
from typing import NamedTuple

from logscan.core.smtp import ENHANCED_CLASS, ENHANCED_NUMBER, REPLY_CODES

# An enhanced code anywhere in a text, or qmail's "#5.1.1": not the tail of a longer dotted
# number, a word or a path ("15.1.1", "v2.4.1", "perl/5.20.2") and not the head of one
# ("5.1.10000", "5.1.1.2").
_ENHANCED = re.compile(
    rf"(?<![\w./])#?({ENHANCED_CLASS})\.({ENHANCED_NUMBER})\.({ENHANCED_NUMBER})(?![\w.]*\d)"
)


class Reply(NamedTuple):
    code: str | None
    enhanced: str | None
    text: str


def parse_reply(text: str) -> Reply:
    """Split a reply as logged: leading code, first enhanced code in the text, the whole text."""
    stripped = text.strip()
    return Reply(leading_code(stripped), enhanced_in_text(stripped), stripped)


def leading_code(text: str) -> str | None:
    """The reply code that starts ``text``: "550 ...", "550-..." or "550" alone, else None.

    >>> leading_code("550-5.7.1 Our system"), leading_code("5.7.1 Spam"), leading_code("5500 x")
    ('550', None, None)
    >>> leading_code("101 LOGIN") is None
    True
    """
    code = text[:3]
    if code in REPLY_CODES and (len(text) == 3 or text[3] in " -"):
        return code
    return None


def enhanced_in_text(text: str) -> str | None:
    """The first well-formed enhanced status code in ``text`` (``5.1.1`` or qmail's ``#5.1.1``)."""
    m = _ENHANCED.search(text)
    return f"{m.group(1)}.{m.group(2)}.{m.group(3)}" if m else None
