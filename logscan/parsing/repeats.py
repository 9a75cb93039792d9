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

sysklogd and the BSD syslogds (FreeBSD's ``usr.sbin/syslogd/syslogd.c``, ``fprintlog``) keep
the last message written to each file and write, for its duplicates, a line with no program::

    "%.15s" " " "%s" " " "last message repeated %d times"   (f_lasttime, f_prevhost, f_prevcount)

It stands for ``N`` more outcomes of the line before it in the same file (the previous message
of that file, from the same host): :meth:`Parser.feed_block
<logscan.parsing.api.Parser.feed_block>`, which sees the lines in order, gives it that line's
events ``N`` times (:func:`last_repeated`, :func:`with_repeats`).

    >>> line = "Jan 12 10:00:01 mx smtpd[7]: message repeated 3 times: [ connect from a[1.2.3.4]]"
    >>> unfold(line, line.index("message"))
    ('Jan 12 10:00:01 mx smtpd[7]: connect from a[1.2.3.4]', 3)
"""

from __future__ import annotations

import dataclasses
import re
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from logscan.core.event import Event
    from logscan.parsing.api import Outcome

# Where the message of a repeat line starts (a parser tests for it where its messages start).
MARK: Final = "message repeated "
_COUNT_END: Final = " times: ["
# A line claims its own N, and a local user can write one through syslog(3): N is bounded so
# that one line cannot make more than a thousand events (a flood of them would otherwise be a
# 10,000-fold amplifier of the line path). Real runs are short: rsyslog flushes a run at the
# next different message, and Postfix's smtpd ends a session after 20 refusals by default.
MAX_REPEATS: Final = 1_000


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


_LAST_REPEATED: Final = "last message repeated "
_LAST_LINE: Final = re.compile(
    r"[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \S+ last message repeated (\d{1,10}) times\Z"
)


def last_repeated(text: str) -> int | None:
    """How many more times the line before ``text`` occurred, if ``text`` is a BSD syslogd's
    ``<time> <host> last message repeated N times`` (at most :data:`MAX_REPEATS`); else None.

    >>> last_repeated("Nov 21 23:07:33 elfie last message repeated 2 times")
    2
    >>> last_repeated("Nov 21 23:07:33 elfie sshd[7]: last message repeated 2 times") is None
    True
    """
    if _LAST_REPEATED not in text:
        return None
    m = _LAST_LINE.match(text)
    return min(int(m.group(1)), MAX_REPEATS) if m is not None else None


# What a "last message repeated" line at the line after ``[0]`` repeats: the events of the
# message (``[1]``, None for a line not understood); None when that line was ignored.
Repeatable = tuple[int, "list[Event] | None"] | None


def with_repeats(rest: list[Outcome], before: Repeatable) -> tuple[list[Outcome], int, Repeatable]:
    """``rest`` (the outcomes of a block's lines not ignored, in order; ``before`` what the line
    before the block repeats) with each ``last message repeated N times`` line (not understood)
    given the events of the message it repeats ``N`` times, numbered with its own line; how many
    such lines became ignored, since the line before was; and what the last line repeats.

    syslogd also writes the count when a timer fires (FreeBSD's ``domark``), so several such
    lines in a row repeat the same message, never the repeats before them.
    """
    kept: list[Outcome] = []
    dropped = 0
    for outcome in rest:
        lineno, text, events = outcome
        times = last_repeated(text) if events is None else None
        if times is None:
            before = (lineno, events)
        elif before is None or before[0] != lineno - 1:
            dropped += 1  # the line before was ignored: so are its repeats
            before = None
            continue
        else:
            before = (lineno, before[1])
            outcome = (lineno, text, _renumbered(before[1], lineno, times))
        kept.append(outcome)
    return kept, dropped, before


def _renumbered(events: list[Event] | None, lineno: int, times: int) -> list[Event] | None:
    """``events`` (None: a line not understood) as of line ``lineno``, ``times`` times."""
    if events is None:
        return None
    return [dataclasses.replace(ev, line=lineno) for ev in events] * times
