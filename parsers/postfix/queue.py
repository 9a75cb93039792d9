"""What Postfix's queue manager says of a queued message (sender and size), kept for the
delivery lines that follow, bounded."""

from __future__ import annotations

import sys
from collections.abc import Callable

from logscan.core.bounded import BoundedMap
from logscan.parsing.message_state import MAX_SENDER_CHARS

# What one entry costs beyond its two strings: the dict slot, the tuple, the ints.
_ENTRY_OVERHEAD = 160
# What is held of one queued message: its sender, its size and the line it was last seen on.
Entry = tuple[str | None, int | None, int]


class QueueState:
    """Sender and size of queued messages (qmgr ``from=<..>, size=N``), bounded.

    At most ``max_entries`` ids and ``max_bytes`` bytes (the least recently seen goes first,
    counted in ``evictions``); an id is also dropped ``max_age`` lines after it was last seen
    (a parser has no trustworthy clock; line numbers grow with the log), and on ``qmgr ...
    removed``. Should line numbers restart, the count and byte bounds still hold. A sender is
    kept to its first ``MAX_SENDER_CHARS`` characters.

    >>> q = QueueState(max_entries=2, max_age=10)
    >>> q.put("A", "a@x", 1, now=1); q.put("B", "b@x", 2, now=2); q.put("C", "c@x", 3, now=3)
    >>> q.get("A"), q.get("C"), len(q), q.evictions
    (None, ('c@x', 3), 2, 1)
    >>> q.expire(now=13); q.get("B"), q.get("C")
    (None, ('c@x', 3))
    >>> q.put("D", "d" * 60_000, None, now=14); len(q.get("D")[0]), q.bytes < 1_000
    (256, True)
    """

    def __init__(
        self, max_entries: int = 100_000, max_age: int = 2_000_000, max_bytes: int = 32 << 20
    ) -> None:
        self.max_age = max_age
        # (sender, size, line last seen) by queue id; the costs are estimated: strings as
        # sys.getsizeof sees them, plus the entry overhead.
        self._map: BoundedMap[str, Entry] = BoundedMap(max_entries, max_bytes)
        self._puts = 0
        # Asked on every delivery line, told on every removal: the map's own, one call less.
        # A removal gives back what was held: (sender, size, line last seen), or None.
        self._get = self._map.get
        self.remove: Callable[[str], Entry | None] = self._map.pop

    @property
    def evictions(self) -> int:
        """Entries dropped by the count or byte bound (not by age or removal)."""
        return self._map.evictions

    @property
    def bytes(self) -> int:
        return self._map.bytes

    def __len__(self) -> int:
        return len(self._map)

    def put(self, qid: str, sender: str | None, size: int | None, now: int) -> None:
        if sender is not None and len(sender) > MAX_SENDER_CHARS:
            sender = sender[:MAX_SENDER_CHARS]
        cost = _ENTRY_OVERHEAD + sys.getsizeof(qid) + sys.getsizeof(sender)
        self._map.put(qid, (sender, size, now), cost)
        self._puts += 1
        if self._puts & 255 == 0:  # amortized: most puts find nothing old enough
            self.expire(now)

    def expire(self, now: int) -> None:
        """Drop the entries not seen for more than ``max_age`` lines, oldest first."""
        limit = now - self.max_age
        oldest = self._map.oldest()
        while oldest is not None and oldest[1][2] < limit:
            self._map.pop(oldest[0])
            oldest = self._map.oldest()

    def get(self, qid: str) -> tuple[str | None, int | None] | None:
        entry = self._get(qid)
        return None if entry is None else (entry[0], entry[1])

    def held(self) -> list[tuple[str, Entry]]:
        """Every entry held, oldest first, by queue id (the messages still queued)."""
        return self._map.items()
