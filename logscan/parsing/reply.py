"""Reading an SMTP reply out of log text: the basic code, the enhanced code, the text.

Parsers use these to pull replies apart; deciding what a reply means is the classifier's job::

    >>> parse_reply("550-5.7.1 Our system ... 550 5.7.1 Please visit")
    Reply(code='550', enhanced='5.7.1', text='550-5.7.1 Our system ... 550 5.7.1 Please visit')
    >>> enhanced_in_text("550 sorry, no mailbox here by that name (#5.1.1 - chkusr)")
    '5.1.1'
"""

from __future__ import annotations

import re
from typing import NamedTuple

# A basic code at the start of a reply: "550 ", "550-", "550" at end of text.
_CODE = re.compile(r"^\s*([1-5]\d\d)(?:[ \-]|$)")
# An enhanced code anywhere: RFC 3463 allows up to 3 digits for subject and detail.
_ENHANCED = re.compile(r"(?<![\w.])#?([245])\.(\d{1,3})\.(\d{1,3})(?![\w.]*\d)")


class Reply(NamedTuple):
    code: str | None
    enhanced: str | None
    text: str


def parse_reply(text: str) -> Reply:
    """Split a reply as logged: leading code, first enhanced code in the text, the whole text."""
    m = _CODE.match(text)
    code = m.group(1) if m else None
    return Reply(code, enhanced_in_text(text), text.strip())


def enhanced_in_text(text: str) -> str | None:
    """The first well-formed enhanced status code in ``text`` (``5.1.1`` or qmail's ``#5.1.1``)."""
    m = _ENHANCED.search(text)
    return f"{m.group(1)}.{m.group(2)}.{m.group(3)}" if m else None
