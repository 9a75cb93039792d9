"""The lines a syslog daemon writes in place of identical messages it collapsed.

rsyslog with ``$RepeatedMsgReduction on`` logs the first of a run of identical messages (same
host, program, pid and text) and then, for the ``N`` it held back, one line with the message in
it (``runtime/ratelimit.c``, ``ratelimitGenRepMsg``; ``action.c`` before 7.3 when
``$RepeatedMsgContainsOriginalMsg`` was on)::

    snprintf(szRepMsg, sizeof(szRepMsg), " message repeated %d times: [%.800s]", nsupp, MSG)

MSG keeps the space that follows the program's colon, so a log reads::

    Jan 12 10:00:01 mx postfix/smtpd[1234]: message repeated 3 times: [ NOQUEUE: reject: ...]

Such a line stands for ``N`` outcomes of its message: :meth:`Parser.feed_repeated
<logscan.parsing.api.Parser.feed_repeated>` reads the message as if it had its own line and
answers its events ``N`` times. The message is cut at 800 characters by rsyslog; what is left
is read as any line cut short.

    >>> line = "Jan 12 10:00:01 mx smtpd[7]: message repeated 3 times: [ connect from a[1.2.3.4]]"
    >>> unfold(line, line.index("message"))
    ('Jan 12 10:00:01 mx smtpd[7]: connect from a[1.2.3.4]', 3)
"""

from __future__ import annotations

from typing import Final

# Where the message of a repeat line starts (a parser tests for it where its messages start).
MARK: Final = "message repeated "
_COUNT_END: Final = " times: ["
# A line claims its own N: a local user can write one through syslog(3), so N is bounded to
# keep one line from costing minutes of classification (rsyslog flushes a run at the next
# different message, and Postfix's smtpd ends a session after 20 refusals by default).
MAX_REPEATS: Final = 10_000


def unfold(text: str, start: int) -> tuple[str, int] | None:
    """``text`` with the repeat line's message at ``start`` unfolded (the header kept, the
    message in place of the repeat notice) and how many times it was repeated (at most
    :data:`MAX_REPEATS`); None if the message at ``start`` is not a repeat notice.

    A message that itself holds the notice is not unfolded: rsyslog never nests them, and a
    line crafted to nest must not multiply.
    """
    if not text.startswith(MARK, start):
        return None
    digits_at = start + len(MARK)
    count_end = text.find(_COUNT_END, digits_at, digits_at + 10 + len(_COUNT_END))
    digits = text[digits_at:count_end]
    if count_end < 0 or not digits.isdigit() or not digits.isascii():
        return None
    message = text[count_end + len(_COUNT_END) :]
    message = message.removesuffix("]")  # absent when the line was cut
    message = message.removeprefix(" ")  # the space after the program's colon
    if MARK in message:
        return None
    return text[:start] + message, min(int(digits), MAX_REPEATS)
