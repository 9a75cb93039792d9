"""What a parser remembers about a queued message between its log lines, bounded in size.

Exim logs the sender on the arrival line (``<=``) and Sendmail on the ``from=`` line; the
delivery lines that follow carry only the recipient. A parser keeps the envelope here, keyed by
message or queue id, and forgets it when the log says the message is done, or when more than
``limit`` messages or ``max_bytes`` are held (oldest first, counted in ``evictions``), so memory
stays flat on a log that never says so; a sender is kept to its first 256 characters::

    >>> state = MessageState(limit=2)
    >>> state.remember("1RwtJa-0009RI-2d", Envelope(sender="a@example.com", size=1289))
    >>> state.get("1RwtJa-0009RI-2d").sender
    'a@example.com'
    >>> state.remember("b", Envelope()); state.remember("c", Envelope())
    >>> state.get("1RwtJa-0009RI-2d") is UNKNOWN, state.evictions  # oldest of three, limit 2
    (True, 1)
    >>> state.remember("d", Envelope(sender="x" * 60_000)); len(state.get("d").sender)
    256
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, replace

from logscan.core.bounded import BoundedMap

DEFAULT_LIMIT = 50_000
DEFAULT_MAX_BYTES = 16 << 20
# A sender longer than this is cut (RFC 5321 allows 256 octets for a path): a remote host
# chooses it, and it is kept for as long as its message is.
MAX_SENDER_CHARS = 256
# What one entry costs beyond its strings: the dict slot, the Envelope, the int.
_ENTRY_OVERHEAD = 200


@dataclass(frozen=True, slots=True)
class Envelope:
    """The envelope of one message as its arrival line told it."""

    sender: str | None = None
    size: int | None = None


# The envelope of a message whose arrival the log did not show (or that was evicted).
UNKNOWN = Envelope()


class MessageState:
    """Envelopes by message id, at most ``limit`` of them and ``max_bytes`` (estimated) in all
    (first in, first evicted; counted in ``evictions``)."""

    def __init__(self, limit: int = DEFAULT_LIMIT, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self._map: BoundedMap[str, Envelope] = BoundedMap(limit, max_bytes)

    @property
    def evictions(self) -> int:
        return self._map.evictions

    @property
    def bytes(self) -> int:
        return self._map.bytes

    def remember(self, key: str, envelope: Envelope) -> None:
        sender = envelope.sender
        if sender is not None and len(sender) > MAX_SENDER_CHARS:
            envelope = replace(envelope, sender=sender[:MAX_SENDER_CHARS])
        cost = _ENTRY_OVERHEAD + sys.getsizeof(key) + sys.getsizeof(envelope.sender)
        self._map.put(key, envelope, cost)

    def get(self, key: str | None) -> Envelope:
        """The envelope of ``key``; :data:`UNKNOWN` (all fields None) if not held."""
        env = self._map.get(key) if key is not None else None
        return UNKNOWN if env is None else env

    def forget(self, key: str) -> None:
        self._map.pop(key)

    def __len__(self) -> int:
        return len(self._map)
