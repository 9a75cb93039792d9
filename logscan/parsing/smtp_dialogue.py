"""An SMTP dialogue as protocol logs write it: commands, replies, one line per reply line.

Shared by the parsers of logs that transcribe whole sessions (Exchange Send/Receive protocol
logs, MDaemon SMTP logs). A :class:`Dialogue` remembers what a reply answers (the stage of the
last command), the envelope seen so far and an unfinished multi-line reply; :class:`Sessions`
keeps one state per session, bounded::

    >>> d = Dialogue(stage="connect")
    >>> d.command("RCPT TO:<a@example.com>")
    >>> d.reply_line("550-5.1.1 The email account does not exist.", 7)
    >>> done = d.reply_line("550 5.1.1 Try again later.", 8)
    >>> done.stage, done.code, done.first_line, done.recipient
    ('rcpt', '550', 7, 'a@example.com')
    >>> done.text
    '550-5.1.1 The email account does not exist. 550 5.1.1 Try again later.'
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from logscan.core.bounded import BoundedMap
from logscan.core.event import Direction, Event
from logscan.core.smtp import stage_of_command
from logscan.parsing.reply import enhanced_in_text, leading_code

T = TypeVar("T")

_ADDRESS = re.compile(r"<([^<>]*)>")

# Sessions above this count evict the least recently active: a log whose sessions never end
# must not grow memory without bound.
MAX_SESSIONS = 4096
# A multi-line reply longer than this is cut: the first lines carry the meaning.
MAX_REPLY_LINES = 64
# Commands waiting for replies beyond this are forgotten (a log that drops replies).
MAX_AWAITING = 32
# A remote host chooses what a session holds, so what is kept of it is cut: the text of a
# multi-line reply beyond this many characters (the meaning is in the first lines), and an
# address beyond RFC 5321's 256-octet path.
MAX_REPLY_CHARS = 2048
MAX_ADDRESS_CHARS = 256
# Sessions' byte budget (estimated, see Dialogue.approx_bytes) beyond which the least recently
# active are evicted, whatever their count.
MAX_SESSION_BYTES = 16 << 20
# What an empty Dialogue and one awaited command cost, roughly (objects, list and deque slots).
_DIALOGUE_OVERHEAD = 600
_AWAITING_OVERHEAD = 72


def reply_start(text: str) -> tuple[str, str] | None:
    """``(code, separator)`` when ``text`` is a reply line, else None.

    >>> reply_start("250-PIPELINING"), reply_start("250 OK"), reply_start("EHLO x")
    (('250', '-'), ('250', ' '), None)
    """
    code = leading_code(text)
    return (code, text[3:4] or " ") if code is not None else None


@dataclass(frozen=True, slots=True)
class Reply:
    """A complete reply: its stage, code, joined text, the lines it spans, and the recipient it
    concerns (the RCPT it answers; for DATA and its end, the transaction's only accepted RCPT)."""

    stage: str
    code: str
    text: str
    first_line: int
    last_line: int
    recipient: str | None = None


@dataclass(slots=True)
class Dialogue:
    """What one SMTP session has said so far.

    Commands wait in order for their replies, so pipelined commands (MAIL, RCPT, RCPT sent
    together) get each its own reply; a reply nothing waits for answers the last stage::

        >>> d = Dialogue(stage="helo")
        >>> d.command("MAIL FROM:<s@example.com>"); d.command("RCPT TO:<r@example.com>")
        >>> [(r.stage, r.recipient) for r in (d.reply_line("250 OK", 1), d.reply_line("550 no", 2))]
        [('mail', None), ('rcpt', 'r@example.com')]
    """

    # "connect" once the connection is seen opening; a session joined midway starts "unknown".
    stage: str = "unknown"
    commanded: bool = False
    sender: str | None = None
    recipient: str | None = None
    accepted: list[str | None] = field(default_factory=list)
    awaiting: deque[tuple[str, str | None]] = field(default_factory=deque)
    last_code: str | None = None
    pending: list[str] = field(default_factory=list)
    pending_chars: int = 0
    pending_code: str | None = None
    pending_line: int = 0
    last_line: int = 0

    def command(self, text: str) -> None:
        """Note a command; it waits for the next reply not already claimed."""
        stage: str | None = stage_of_command(text)
        if stage is None:
            # After a 334 challenge the client's next line is its answer, not a command.
            stage = "auth" if self.last_code == "334" else "unknown"
        self.commanded = True
        rcpt = None
        if stage == "mail":
            self.sender = _address(text)
            self.recipient = None
            self.accepted = []
        elif stage == "rcpt":
            rcpt = self.recipient = _address(text)
        if len(self.awaiting) >= MAX_AWAITING:
            self.awaiting.popleft()
        self.awaiting.append((stage, rcpt))
        self.stage = stage

    def reply_line(self, text: str, lineno: int) -> Reply | None:
        """Add one reply line; the complete reply once its final line arrives, else None.

        A line with a code other than the pending one's starts a new reply (the pending one
        is then lost: :meth:`take_pending` first if it matters).
        """
        start = reply_start(text)
        if start is None:
            return None
        code, sep = start
        if self.pending_code != code:
            self.pending = []
            self.pending_chars = 0
            self.pending_code = code
            self.pending_line = lineno
        room = MAX_REPLY_CHARS - self.pending_chars
        if room > 0 and len(self.pending) < MAX_REPLY_LINES:
            kept = text.strip()[:room]
            self.pending.append(kept)
            self.pending_chars += len(kept)
        self.last_line = lineno
        if sep == "-":
            return None
        return self._complete()

    def take_pending(self) -> Reply | None:
        """An unfinished multi-line reply (the log ended or the session moved on), if any."""
        return self._complete() if self.pending else None

    def _complete(self) -> Reply:
        code = self.pending_code or ""
        if self.awaiting:
            stage, rcpt = self.awaiting.popleft()
        else:
            stage, rcpt = self.stage, None
        if code == "220" and not self.commanded:
            stage = "connect"  # the banner, even where the log missed the connection
        elif code == "354" and stage != "data":
            stage, rcpt = self._data_after_lost_replies()
        if stage == "rcpt" and code[:1] == "2" and len(self.accepted) < MAX_AWAITING:
            self.accepted.append(rcpt)
        elif stage in ("data", "end-of-data"):
            rcpt = self.accepted[0] if len(self.accepted) == 1 else None
        text = " ".join(self.pending)
        reply = Reply(stage, code, text, self.pending_line, self.last_line, rcpt)
        self.pending = []
        self.pending_chars = 0
        self.pending_code = None
        self.last_code = code
        self.stage = stage
        # A 354 to DATA invites the message; the next reply answers its end.
        if stage == "data" and code == "354":
            self.awaiting.appendleft(("end-of-data", rcpt))
        return reply

    def _data_after_lost_replies(self) -> tuple[str, str | None]:
        """A 354 answers DATA alone (RFC 5321, 4.3.2): when the commands it was matched with
        wait for replies the log did not keep (an excerpt, a lost line), those waits are dropped
        up to the DATA, so that the next reply answers the end of the data."""
        while self.awaiting:
            stage, rcpt = self.awaiting.popleft()
            if stage == "data":
                return stage, rcpt
        return "data", None

    def approx_bytes(self) -> int:
        """An estimate of the memory this dialogue holds (what Sessions budgets)."""
        # Addresses in the queues counted at their longest: an over-estimate is safe, and
        # this runs once per line.
        queued = len(self.awaiting) + len(self.accepted)
        n = (
            _DIALOGUE_OVERHEAD
            + self.pending_chars
            + queued * (_AWAITING_OVERHEAD + MAX_ADDRESS_CHARS)
        )
        return n + len(self.sender or "") + len(self.recipient or "")


def _address(command: str) -> str | None:
    m = _ADDRESS.search(command)
    if m is not None:
        return m.group(1)[:MAX_ADDRESS_CHARS]
    _, _, arg = command.partition(":")
    arg = arg.strip().split(" ", 1)[0]
    return arg[:MAX_ADDRESS_CHARS] or None


class Sessions(Generic[T]):
    """One state object per session key, made by ``factory``; beyond ``limit`` sessions, or
    with ``size``, beyond ``max_bytes`` of them, the least recently used is evicted (a session
    whose end the log lost, most likely), counted in ``evictions``.

    >>> s = Sessions(Dialogue, limit=2)
    >>> _ = s.get("a"), s.get("b"), s.get("a"), s.get("c")
    >>> s.keys(), s.evictions
    (['a', 'c'], 1)

    A state changes after ``get`` hands it out, so its size is measured again at the next
    ``get`` (of any key): the estimate lags by one line, whose growth is bounded by the caller's
    truncation.
    """

    def __init__(
        self,
        factory: Callable[[], T],
        limit: int = MAX_SESSIONS,
        size: Callable[[T], int] | None = None,
        max_bytes: int = MAX_SESSION_BYTES,
    ) -> None:
        self._factory = factory
        self._size = size
        self._by_key: BoundedMap[str, T] = BoundedMap(limit, max_bytes)
        self._last: str | None = None

    @property
    def evictions(self) -> int:
        return self._by_key.evictions

    @property
    def bytes(self) -> int:
        """The sum of the sizes last measured (0 without ``size``)."""
        return self._by_key.bytes

    @property
    def max_bytes(self) -> int:
        return self._by_key.max_bytes

    def get(self, key: str) -> T:
        """The state of ``key`` (made if new), now the most recently used."""
        by_key = self._by_key
        last = self._last
        if key != last and self._size is not None and last is not None:
            # Lines of one session tend to come together: measure the one left behind only.
            left = by_key.get(last)
            if left is not None:
                by_key.resize(last, self._size(left))
        state = by_key.get(key)
        if state is None:
            state = self._factory()
            by_key.put(key, state)
        else:
            by_key.touch(key)
        self._last = key
        return state

    def pop(self, key: str) -> T | None:
        return self._by_key.pop(key)

    def drain(self) -> list[T]:
        """Every session still open, oldest first; the store is left empty."""
        return self._by_key.drain()

    def keys(self) -> list[str]:
        return self._by_key.keys()

    def __len__(self) -> int:
        return len(self._by_key)


def reply_event(
    event: Callable[..., Event],
    reply: Reply,
    direction: Direction,
    ts: str | None,
    *,
    remote_host: str | None,
    remote_ip: str | None,
    sender: str | None,
    recipient: str | None,
    queue_id: str | None,
) -> Event:
    """The event of a complete ``reply`` (on its final line, ``ts`` that line's time), made by
    ``event`` (a parser's :class:`~logscan.parsing.event_builder.EventBuilder`): the outcome
    its code decides at its stage, the enhanced code its text holds."""
    return event(
        line=reply.last_line,
        direction=direction,
        stage=reply.stage,
        status=outcome(direction, reply.stage, reply.code),
        code=reply.code,
        enhanced=enhanced_in_text(reply.text),
        text=reply.text,
        ts=ts,
        remote_host=remote_host,
        remote_ip=remote_ip,
        sender=sender,
        recipient=recipient,
        queue_id=queue_id,
    )


def outcome(direction: str, stage: str, code: str | None) -> str | None:
    """The delivery outcome a reply decides, or None when it decides none.

    Outbound (a remote server's reply to us): a refusal of MAIL, RCPT, DATA or the message is
    ``deferred`` (4xx) or ``bounced`` (5xx) for that message or recipient; a 2xx to the end of
    the data is ``sent``. Inbound (our reply to a client): a 4xx/5xx refusal at those stages is
    ``rejected``. Refusals at connect, HELO, STARTTLS or AUTH decide nothing on their own (the
    MTA tries another host, or the client retries), so they carry no status.

    >>> outcome("outbound", "rcpt", "550"), outcome("outbound", "end-of-data", "250")
    ('bounced', 'sent')
    >>> outcome("inbound", "rcpt", "450"), outcome("inbound", "auth", "535")
    ('rejected', None)
    """
    if code is None or stage not in _MESSAGE_STAGES:
        return None
    first = code[0]
    if direction == "inbound":
        return "rejected" if first in "45" else None
    if first == "2":
        return "sent" if stage == "end-of-data" else None
    return {"4": "deferred", "5": "bounced"}.get(first)


_MESSAGE_STAGES = frozenset({"mail", "rcpt", "data", "end-of-data"})
