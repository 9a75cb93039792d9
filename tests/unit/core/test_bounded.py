"""The one bounded map behind parser state (queued messages, open sessions): count and byte
bounds, least recently put or touched first, evictions counted apart from removals."""

from __future__ import annotations

from logscan.core.bounded import BoundedMap


def test_count_bound_evicts_the_least_recently_put_or_touched() -> None:
    m: BoundedMap[str, int] = BoundedMap(max_items=3)
    for key in "abc":
        m.put(key, ord(key))
    m.touch("a")
    m.put("b", 0)  # put again: newest, and its value replaced
    m.put("d", 4)
    assert m.keys() == ["a", "b", "d"]
    assert (m.get("c"), m.get("b"), m.evictions) == (None, 0, 1)


def test_byte_bound_evicts_oldest_but_keeps_the_newest() -> None:
    m: BoundedMap[int, str] = BoundedMap(max_items=100, max_bytes=1_000)
    for i in range(10):
        m.put(i, "x", cost=300)
    assert m.keys() == [7, 8, 9] and m.bytes == 900 and m.evictions == 7
    m.put(10, "huge", cost=5_000)  # over the budget alone: it stays, the rest go
    assert m.keys() == [10] and m.bytes == 5_000 and m.evictions == 10


def test_resize_counts_growth_and_evicts_for_it() -> None:
    m: BoundedMap[str, list[int]] = BoundedMap(max_items=10, max_bytes=100)
    m.put("a", [])
    m.put("b", [])
    m.resize("a", 60)
    m.resize("b", 60)  # 120 > 100: the oldest ("a") goes
    assert m.keys() == ["b"] and m.bytes == 60 and m.evictions == 1
    m.resize("b", 10)
    assert m.bytes == 10


def test_grow_counts_a_change_of_cost_and_evicts_for_it() -> None:
    m: BoundedMap[str, int] = BoundedMap(max_items=10, max_bytes=100)
    m.put("a", 1, cost=30)
    m.put("b", 2, cost=30)
    m.grow("b", -10)
    m.grow("a", 50)  # 80 + 20 = 100: within
    assert m.bytes == 100 and m.evictions == 0
    m.grow("b", 40)  # 140 > 100: the oldest ("a") goes, and its cost with it
    assert m.keys() == ["b"] and m.bytes == 60 and m.evictions == 1
    assert m.pop("b") == 2 and m.bytes == 0


def test_pop_and_drain_are_not_evictions() -> None:
    m: BoundedMap[str, int] = BoundedMap(max_items=10, max_bytes=1_000)
    m.put("a", 1, cost=100)
    m.put("b", 2, cost=200)
    m.put("c", 3)
    assert m.pop("a") == 1 and m.pop("a") is None
    assert m.bytes == 200 and m.oldest() == ("b", 2) and "a" not in m
    assert m.drain() == [2, 3]
    assert (len(m), m.bytes, m.evictions, m.oldest()) == (0, 0, 0, None)
