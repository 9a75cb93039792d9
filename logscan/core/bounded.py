"""A map bounded by count and by bytes: what a long-running reader keeps about things whose end a
log (or a client) may never announce.

Entries are ordered oldest first; :meth:`BoundedMap.put` and :meth:`BoundedMap.touch` make an
entry the newest. Beyond ``max_items`` entries, or ``max_bytes`` of the costs their owner gave
them, the oldest go, counted in ``evictions`` (what the daemon exports, so a flood that costs
context shows); what the owner removes itself (:meth:`pop`) is not an eviction::

    >>> m: BoundedMap[str, int] = BoundedMap(max_items=2)
    >>> m.put("a", 1); m.put("b", 2); m.touch("a"); m.put("c", 3)
    >>> m.keys(), m.evictions  # "b" was the least recently put or touched
    (['a', 'c'], 1)
    >>> m.put("d", 4, cost=900); m.bytes
    900

The newest entry is never evicted for bytes alone: one entry over the budget stays until the
next one comes (the owner cuts what it stores, so one entry is small). Not thread-safe: a reader
owns its map.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

UNBOUNDED = 1 << 62  # a byte budget no map reaches: bounded by count alone


class BoundedMap(Generic[K, V]):
    """Values by key, at most ``max_items`` of them and ``max_bytes`` (their costs summed)."""

    __slots__ = (
        "_costs", "_items", "bytes", "evictions", "get", "max_bytes", "max_items", "on_evict",
    )  # fmt: skip

    def __init__(
        self,
        max_items: int,
        max_bytes: int = UNBOUNDED,
        on_evict: Callable[[K, V], None] | None = None,
    ) -> None:
        self.max_items = max_items
        self.max_bytes = max_bytes
        # Told of each entry dropped to stay within the bounds (after it left the map), for
        # holders that must report what they lose (message correlation's "evicted").
        self.on_evict = on_evict
        self.bytes = 0  # the costs of the entries held, as last given
        self.evictions = 0
        self._items: OrderedDict[K, V] = OrderedDict()
        self._costs: dict[K, int] = {}
        # The value of a key (its place in the order unchanged), None if not held: the
        # OrderedDict's own, as a parser asks on most of its lines and a method would double it.
        self.get: Callable[[K], V | None] = self._items.get

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, key: object) -> bool:
        return key in self._items

    def put(self, key: K, value: V, cost: int = 0) -> None:
        """Hold ``value`` under ``key`` as the newest entry, costing ``cost`` bytes; evict the
        oldest while over a bound."""
        items = self._items
        if key in items:
            items.move_to_end(key)
            self.bytes -= self._costs.pop(key, 0)
        items[key] = value
        if cost:
            self._costs[key] = cost
            self.bytes += cost
        if len(items) > self.max_items or self.bytes > self.max_bytes:
            self._shrink()

    def touch(self, key: K) -> None:
        """Make ``key`` (held) the newest entry."""
        self._items.move_to_end(key)

    def resize(self, key: K, cost: int) -> None:
        """``key`` (held) now costs ``cost`` bytes; evict the oldest while over the budget."""
        self.bytes += cost - self._costs.get(key, 0)
        self._costs[key] = cost
        if self.bytes > self.max_bytes:
            self._shrink()

    def grow(self, key: K, delta: int) -> None:
        """``key`` (held) now costs ``delta`` bytes more (or less); as :meth:`resize`."""
        self.bytes += delta
        self._costs[key] = self._costs.get(key, 0) + delta
        if self.bytes > self.max_bytes:
            self._shrink()

    def pop(self, key: K) -> V | None:
        """Remove ``key`` (not an eviction); its value, None if not held."""
        self.bytes -= self._costs.pop(key, 0)
        return self._items.pop(key, None)

    def oldest(self) -> tuple[K, V] | None:
        """The oldest entry, None when empty."""
        for item in self._items.items():
            return item
        return None

    def drain(self) -> list[V]:
        """Every value, oldest first; the map is left empty (nothing counted as evicted)."""
        out = list(self._items.values())
        self._items.clear()
        self._costs.clear()
        self.bytes = 0
        return out

    def keys(self) -> list[K]:
        return list(self._items)

    def values(self) -> list[V]:
        """Every value, oldest first."""
        return list(self._items.values())

    def items(self) -> list[tuple[K, V]]:
        """Every entry, oldest first."""
        return list(self._items.items())

    def shrink(self) -> None:
        """Evict the oldest while over a bound (after the bounds were lowered)."""
        if len(self._items) > self.max_items or self.bytes > self.max_bytes:
            self._shrink()

    def __iter__(self) -> Iterator[K]:
        return iter(self._items)

    def _shrink(self) -> None:
        items, costs = self._items, self._costs
        while len(items) > self.max_items or (self.bytes > self.max_bytes and len(items) > 1):
            key, value = items.popitem(last=False)
            self.bytes -= costs.pop(key, 0)
            self.evictions += 1
            if self.on_evict is not None:
                self.on_evict(key, value)
