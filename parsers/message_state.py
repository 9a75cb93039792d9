"""What a parser remembers about a queued message between its log lines, bounded in size.

Exim logs the sender on the arrival line (``<=``) and Sendmail on the ``from=`` line; the
delivery lines that follow carry only the recipient. A parser keeps the envelope here, keyed by
message or queue id, and forgets it when the log says the message is done, or when more than
``limit`` messages are held (oldest first), so memory stays flat on a log that never says so::

    >>> state = MessageState(limit=2)
    >>> state.remember("1RwtJa-0009RI-2d", Envelope(sender="a@example.com", size=1289))
    >>> state.get("1RwtJa-0009RI-2d").sender
    'a@example.com'
    >>> state.remember("b", Envelope()); state.remember("c", Envelope())
    >>> state.get("1RwtJa-0009RI-2d") is None         # evicted: oldest of three, limit 2
    True
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

DEFAULT_LIMIT = 50_000


@dataclass(frozen=True, slots=True)
class Envelope:
    """The envelope of one message as its arrival line told it."""

    sender: str | None = None
    size: int | None = None


class MessageState:
    """Envelopes by message id, at most ``limit`` of them (first in, first evicted)."""

    def __init__(self, limit: int = DEFAULT_LIMIT) -> None:
        self.limit = limit
        self._items: OrderedDict[str, Envelope] = OrderedDict()

    def remember(self, key: str, envelope: Envelope) -> None:
        items = self._items
        items[key] = envelope
        items.move_to_end(key)
        if len(items) > self.limit:
            items.popitem(last=False)

    def get(self, key: str | None) -> Envelope | None:
        return self._items.get(key) if key is not None else None

    def forget(self, key: str) -> None:
        self._items.pop(key, None)

    def __len__(self) -> int:
        return len(self._items)
