"""Message correlation: follow each message by its queue id, from arrival to its final outcome.

A reply counter counts delivery *attempts*: a message deferred 12 times and then delivered is 12
deferrals and one delivery. This sink follows the message instead (Postfix queue ids, short or
long; Exim message ids; Sendmail queue ids) and reports it once, when it is done, with one
outcome from :data:`OUTCOMES` and the time it took::

    >>> from logscan.core.event import ClassifiedEvent, Event, MessageNote, Verdict
    >>> done = []
    >>> t = MessageTracker(done.append)
    >>> t.note(MessageNote("received", "postfix", "3F2A1", "2024-01-01T10:00:00", client="h[ip]"))
    >>> def delivery(status, ts):
    ...     ev = Event("m.log", 1, "postfix", "outbound", status=status, queue_id="3F2A1", ts=ts)
    ...     t(ClassifiedEvent(ev, Verdict(None, "none")))
    >>> delivery("deferred", "2024-01-01T10:00:01"); delivery("sent", "2024-01-01T10:30:00")
    >>> t.note(MessageNote("removed", "postfix", "3F2A1", "2024-01-01T10:30:00"))
    >>> done[0].outcome, done[0].deferrals, done[0].delay
    ('delivered_after_deferral', 1, 1800.0)

When is a message done? Postfix says so (qmgr ``removed``), Exim too (``Completed``); Sendmail
logs no removal, so a Sendmail message is done when each of its ``nrcpts`` recipients has a final
outcome. At the end of a ``scan``, :meth:`MessageTracker.finish_all` reports what is left: by
its outcomes so far, or ``in_flight`` when it has none yet (still queued when the log ends).
A Postfix message's envelope (sender, size) comes with its removal, or at the end of the log
for one still queued: a message evicted before either is reported without it.

Memory is bounded by count and by (estimated) bytes; past either bound the oldest message is
dropped and reported with the outcome ``evicted``, so a flood of unique queue ids costs a
counted loss of context, never memory. A message whose delivery is seen but not its arrival
(the daemon started mid-way, or after an eviction) is followed from there: its arrival time is
unknown, its delay is the MTA's own (Postfix ``delay=``) when the log gives one.

The state is checkpointable (:meth:`save`, :meth:`restore`), so the daemon keeps in-flight
messages through a restart; a saved document is validated row by row.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, NamedTuple, get_args

from logscan.core.bounded import BoundedMap
from logscan.core.event import ClassifiedEvent, MessageNote
from logscan.sinks.message_bounds import DEFAULT_MAX_BYTES, DEFAULT_MAX_MESSAGES

Outcome = Literal[
    "delivered",  # every recipient delivered, no deferral seen
    "delivered_after_deferral",  # every recipient delivered, after at least one deferral
    "bounced",  # no recipient delivered, at least one bounced
    "partially_bounced",  # some recipients delivered, some bounced
    "expired",  # left the queue after the maximal queue lifetime
    "rejected",  # refused after its data was received (Postfix cleanup, milter)
    "no_outcome",  # left the queue with no delivery logged (removed by postsuper, forwarded)
    "in_flight",  # still queued when the log ended (scan only)
    "evicted",  # dropped to stay within the memory bounds
]
OUTCOMES: tuple[Outcome, ...] = get_args(Outcome)
DELIVERED: frozenset[str] = frozenset({"delivered", "delivered_after_deferral"})

# Strings kept per message are cut: the remote host chooses them.
MAX_TEXT = 256
# What a message costs beyond its strings: the object and its slots, the dict entry, the key.
_OVERHEAD = 360
SAVE_VERSION = 1


@dataclass(slots=True)
class Message:
    """What is known of one message in flight (mutable: it changes with every line about it)."""

    mta: str
    queue_id: str
    arrived: str | None = None  # ts of the arrival line; None if not seen
    first_seen: str | None = None
    last_seen: str | None = None
    sender: str | None = None
    size: int | None = None
    client: str | None = None
    recipients: int | None = None  # Sendmail's nrcpts=
    deferrals: int = 0
    sent: int = 0
    bounced: int = 0  # recipients that failed for good: bounced, or expired (``expired`` says so)
    expired: bool = False
    rejected: bool = False
    delay: float | None = None  # the largest delay= the MTA logged for a final delivery


class Finished(NamedTuple):
    """A message the tracker is done with, as reported to its listeners (immutable)."""

    mta: str
    queue_id: str
    outcome: Outcome
    deferrals: int
    delay: float | None  # seconds from arrival to the last delivery, when known
    sender: str | None
    size: int | None
    client: str | None
    arrived: str | None
    done: str | None


Listener = Callable[[Finished], None]


class MessageTracker:
    """Messages in flight by (mta, queue id): a sink for events, a receiver for notes."""

    def __init__(
        self,
        on_finish: Listener | None = None,
        max_messages: int = DEFAULT_MAX_MESSAGES,
        max_bytes: int = DEFAULT_MAX_BYTES,
    ) -> None:
        self.listeners: list[Listener] = [on_finish] if on_finish is not None else []
        self.skipped = 0  # checkpoint rows that failed validation
        # Oldest first by arrival (a message is never moved to the end): the oldest in flight
        # is the one evicted, and reported as finished with the outcome "evicted".
        self._messages: BoundedMap[tuple[str, str], Message] = BoundedMap(
            max_messages, max_bytes, on_evict=self._evicted
        )
        # Notes and events a pipeline queues here (``pending.append`` as its sink and its notes
        # callback, a C call each) and hands over with :meth:`settle` after each block: the
        # messages are then updated in one loop while their state is warm in the CPU's caches.
        self.pending: list[MessageNote | ClassifiedEvent] = []

    @property
    def evictions(self) -> int:
        return self._messages.evictions

    @property
    def bytes(self) -> int:
        return self._messages.bytes

    @property
    def max_messages(self) -> int:
        return self._messages.max_items

    @property
    def max_bytes(self) -> int:
        return self._messages.max_bytes

    def set_bounds(self, max_messages: int, max_bytes: int) -> None:
        """New caps (a reload): messages over them are evicted now."""
        self._messages.max_items, self._messages.max_bytes = max_messages, max_bytes
        self._messages.shrink()

    def __len__(self) -> int:
        return len(self._messages)

    # -- input ------------------------------------------------------------------------------

    def note(self, n: MessageNote) -> None:
        """A milestone from a parser: arrival, queued envelope, removal."""
        kind, mta, qid, ts, sender, size, client, recipients, _ = n  # one unpack: the hot path
        key = (mta, qid)
        messages = self._messages
        m = messages.get(key)
        if kind == "removed":
            if m is not None:
                # Postfix's removal carries the envelope (it leaves the map: no byte count).
                if sender is not None:
                    m.sender = sender[:MAX_TEXT]
                if size is not None:
                    m.size = size
                self._finish(key, _outcome(m, removed=True), ts or m.last_seen)
            return
        # Strings are cut (slicing a short string gives it back, no copy); only an arrival
        # says who handed the message over.
        received = kind == "received"
        if sender is not None:
            sender = sender[:MAX_TEXT]
        client = client[:MAX_TEXT] if client is not None and received else None
        if m is None:  # a new message, costed once with its strings in
            m = Message(
                mta, qid[:MAX_TEXT], ts if received else None, ts, ts, sender, size, client,
                recipients if received else None,
            )  # fmt: skip
            messages.put(key, m, _cost(m))
            return
        if received:
            m.arrived = ts
            m.recipients = recipients
        if size is not None:
            m.size = size
        # The byte bound's count changes by the strings replaced (no recount of the message).
        grown = 0
        if client is not None:
            grown += len(client) - len(m.client or "")
            m.client = client
        if sender is not None:
            grown += len(sender) - len(m.sender or "")
            m.sender = sender
        if grown:
            messages.grow(key, grown)

    def __call__(self, item: ClassifiedEvent) -> None:
        """An event: a delivery outcome (or a rejection after data) counts for its message."""
        ev = item[0]
        status = ev.status
        if status is None or ev.queue_id is None:
            return
        if status == "rejected" and ev.stage not in ("end-of-data", "data"):
            return  # one recipient refused in the SMTP dialogue: not the message's fate
        key = (ev.mta, ev.queue_id)
        m = self._messages.get(key) or self._start(key, ev.ts)
        m.last_seen = ev.ts or m.last_seen
        if status == "deferred":
            m.deferrals += 1
            return
        if status == "sent":
            m.sent += 1
        elif status == "bounced":
            m.bounced += 1
        elif status == "expired":  # a final failure too: it counts toward ``recipients``
            m.expired = True
            m.bounced += 1
        elif status == "rejected":
            m.rejected = True
        if ev.delay is not None and status in ("sent", "bounced"):
            m.delay = ev.delay if m.delay is None else max(m.delay, ev.delay)
        if m.recipients is not None and m.sent + m.bounced >= m.recipients:
            self._finish(key, _outcome(m, removed=True), ev.ts)  # Sendmail: all recipients done

    def settle(self) -> None:
        """Take the queued notes and events (:attr:`pending`), in their order."""
        pending = self.pending
        if pending:
            note = self.note
            for item in pending:
                if isinstance(item, MessageNote):
                    note(item)
                else:
                    self(item)
            pending.clear()

    def finish_all(self) -> None:
        """End of input (``scan``): report every message still held."""
        self.settle()
        for m in self._messages.drain():
            self._report(m, _outcome(m, removed=False), m.last_seen)

    # -- state ------------------------------------------------------------------------------

    def _start(self, key: tuple[str, str], ts: str | None) -> Message:
        m = Message(key[0], key[1][:MAX_TEXT], None, ts, ts)
        self._messages.put(key, m, _cost(m))
        return m

    def _finish(self, key: tuple[str, str], outcome: Outcome, done: str | None) -> None:
        m = self._messages.pop(key)
        assert m is not None  # callers found it in the map
        self._report(m, outcome, done)

    def _evicted(self, _key: tuple[str, str], m: Message) -> None:
        self._report(m, "evicted", m.last_seen)

    def _report(self, m: Message, outcome: Outcome, done: str | None) -> None:
        delay = m.delay if m.delay is not None else _seconds_between(m.arrived, done)
        finished = Finished(
            m.mta, m.queue_id, outcome, m.deferrals, delay, m.sender, m.size, m.client,
            m.arrived, done,
        )  # fmt: skip
        for listener in self.listeners:
            listener(finished)

    # -- checkpoint -------------------------------------------------------------------------

    def save(self) -> dict[str, Any]:
        """The messages in flight, oldest first, as JSON-ready rows."""
        self.settle()
        return {
            "version": SAVE_VERSION,
            "messages": [[getattr(m, f) for f in _SAVED] for m in self._messages.values()],
        }

    def restore(self, doc: object) -> None:
        """Load a :meth:`save` document; invalid rows are skipped (counted in ``skipped``)."""
        if not isinstance(doc, dict) or doc.get("version") != SAVE_VERSION:
            return
        rows = doc.get("messages")
        if not isinstance(rows, list):
            return
        for row in rows:
            m = _message_of(row)
            if m is None:
                self.skipped += 1
                continue
            self._messages.put((m.mta, m.queue_id), m, _cost(m))


def _outcome(m: Message, *, removed: bool) -> Outcome:
    """The fate of ``m``, from what its recipients got; ``removed``: the MTA is done with it."""
    if m.rejected:
        return "rejected"
    if m.expired:
        return "expired"
    if m.sent and m.bounced:
        return "partially_bounced"
    if m.bounced:
        return "bounced"
    if m.sent:
        return "delivered_after_deferral" if m.deferrals else "delivered"
    return "no_outcome" if removed else "in_flight"


def _cost(m: Message) -> int:
    """What ``m`` costs in memory, as the byte bound counts it: the object and its strings."""
    return _OVERHEAD + 2 * len(m.queue_id) + len(m.sender or "") + len(m.client or "")


def _seconds_between(start: str | None, end: str | None) -> float | None:
    """Seconds from one ISO 8601 time to another, None if either is missing or unreadable."""
    if start is None or end is None:
        return None
    try:
        s = datetime.datetime.fromisoformat(start)
        e = datetime.datetime.fromisoformat(end)
        seconds = (e - s).total_seconds()
    except (ValueError, TypeError):  # TypeError: one has a UTC offset, the other none
        return None
    return seconds if seconds >= 0 else None


# The fields a checkpoint keeps, in row order, with the types a restored row must have.
_STR = (str,)
_OPT_STR = (str, type(None))
_OPT_INT = (int, type(None))
_SAVED_TYPES: tuple[tuple[str, tuple[type, ...]], ...] = (
    ("mta", _STR),
    ("queue_id", _STR),
    ("arrived", _OPT_STR),
    ("first_seen", _OPT_STR),
    ("last_seen", _OPT_STR),
    ("sender", _OPT_STR),
    ("size", _OPT_INT),
    ("client", _OPT_STR),
    ("recipients", _OPT_INT),
    ("deferrals", (int,)),
    ("sent", (int,)),
    ("bounced", (int,)),
    ("expired", (bool,)),
    ("rejected", (bool,)),
    ("delay", (float, int, type(None))),
)
_SAVED = tuple(name for name, _ in _SAVED_TYPES)


def _message_of(row: object) -> Message | None:
    """A restored :class:`Message`, or None when ``row`` is not what :meth:`save` writes."""
    if not isinstance(row, list) or len(row) != len(_SAVED_TYPES):
        return None
    for value, (name, types) in zip(row, _SAVED_TYPES, strict=True):
        if not isinstance(value, types):
            return None
        if isinstance(value, bool) and bool not in types:
            return None  # JSON true is not a count
        if isinstance(value, str) and len(value) > MAX_TEXT:
            return None
        if isinstance(value, int | float) and not isinstance(value, bool) and value < 0:
            return None
        del name
    fields = dict(zip(_SAVED, row, strict=True))
    if fields["delay"] is not None:
        fields["delay"] = float(fields["delay"])
    return Message(**fields)
