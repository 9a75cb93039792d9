"""The one way a parser builds an :class:`~logscan.core.event.Event`: by keyword, with the path
and the MTA filled in once per file.

A parser's ``self.event`` (set by :class:`~logscan.parsing.api.Parser`) is the ``event`` method
of one; the readers of one format inside a parser (Exchange's) hold theirs::

    >>> event = EventBuilder("mail.log", "postfix").event
    >>> ev = event(line=3, direction="outbound", stage="rcpt", status="bounced", code="550")
    >>> ev.path, ev.mta, ev.line, ev.enhanced
    ('mail.log', 'postfix', 3, None)

The parameters are Event's fields and defaults (a test holds them equal), so the contract stays
in logscan/core/event.py and docs/design.md.
"""

from __future__ import annotations

from logscan.core.event import Direction, Event


class EventBuilder:
    """Builds the events of one file (``path``) written by one MTA (``mta``)."""

    __slots__ = ("mta", "path")

    def __init__(self, path: str, mta: str) -> None:
        self.path = path
        self.mta = mta

    # A method, not ``__call__``: calling an instance goes through C with a dict of the
    # keywords, a bound method straight to the function (0.5 us less per event).
    def event(
        self,
        *,
        line: int,
        direction: Direction,
        stage: str = "unknown",
        status: str | None = None,
        code: str | None = None,
        enhanced: str | None = None,
        text: str | None = None,
        ts: str | None = None,
        code_inferred: bool = False,
        remote_host: str | None = None,
        remote_ip: str | None = None,
        sender: str | None = None,
        recipient: str | None = None,
        queue_id: str | None = None,
        size: int | None = None,
        delay: float | None = None,
    ) -> Event:
        # Positional: Event's own keyword matching would cost a third more, per event.
        return Event(
            self.path, line, self.mta, direction, stage, status, code, enhanced, text, ts,
            code_inferred, remote_host, remote_ip, sender, recipient, queue_id, size, delay,
        )  # fmt: skip
