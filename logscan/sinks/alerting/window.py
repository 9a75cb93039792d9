"""A sliding window of counts: the memory behind every counted alert rule."""

from __future__ import annotations

import math

# Buckets per window: memory per group is fixed, resolution is window/60 (5 s for 5 minutes).
_BUCKETS = 60
_MIN_BUCKET = 1.0


class Ring:
    """Counts of the last ``window`` seconds in a ring of time buckets (bounded memory).

    Buckets are aligned on multiples of their width, so the ring keeps one bucket more than the
    window: an event leaves it when it is at least ``window`` (at most window + width) old, so
    an alert never resolves before its window has passed. A ring ``with_base`` also counts the
    base of a ratio, in the same buckets::

    >>> r = Ring(10.0)
    >>> r.add(100.0); r.add(104.0); r.total_at(105.0)
    2
    >>> r.total_at(113.5)        # 104 is within the last 10 s
    1
    >>> r.total_at(115.0)        # 104 is 11 s old
    0
    >>> r.add(112.0); r.add(90.0); r.total_at(115.0)   # a late event counts; a stale one not
    1
    >>> q = Ring(10.0, with_base=True)
    >>> q.add(100.0, 1, base=1); q.add(101.0, 0, base=1)
    >>> q.total_at(102.0), q.base_at(102.0)
    (1, 2)
    """

    __slots__ = ("base", "base_total", "head", "hits", "inv", "pos", "slots", "total", "width")

    def __init__(self, window: float, with_base: bool = False) -> None:
        self.width = max(_MIN_BUCKET, window / _BUCKETS)
        self.slots = math.ceil(window / self.width) + 1
        # int(now * inv) is several times cheaper than now // width on the line path
        self.inv = 1.0 / self.width
        self.hits = [0] * self.slots
        self.base = [0] * self.slots if with_base else []
        self.head = 0  # the newest bucket, in bucket numbers since the epoch
        self.pos = 0  # its index in the lists
        self.total = 0
        self.base_total = 0

    @property
    def with_base(self) -> bool:
        return bool(self.base)

    def add(self, at: float, k: int = 1, base: int = 0) -> None:
        """Count ``k`` hits (and ``base`` events of a ratio's base) that happened at ``at``.

        A late event (a backlog, another source's older line) goes into its own bucket; one
        older than the ring is dropped: it left the window before it arrived.
        """
        b = int(at * self.inv)
        if b > self.head:
            self._advance(b)
            i = self.pos
        elif self.head - b < self.slots:
            i = b % self.slots
        else:
            return
        self.hits[i] += k
        self.total += k
        if base:
            self.base[i] += base
            self.base_total += base

    def total_at(self, now: float) -> int:
        b = int(now * self.inv)
        if b > self.head:
            self._advance(b)
        return self.total

    def base_at(self, now: float) -> int:
        b = int(now * self.inv)
        if b > self.head:
            self._advance(b)
        return self.base_total

    def _advance(self, b: int) -> None:
        slots, hits, base = self.slots, self.hits, self.base
        if b - self.head >= slots:
            hits[:] = [0] * slots
            if base:
                base[:] = [0] * slots
            self.total = self.base_total = 0
        else:
            for n in range(self.head + 1, b + 1):
                i = n % slots
                self.total -= hits[i]
                hits[i] = 0
                if base:
                    self.base_total -= base[i]
                    base[i] = 0
        self.head = b
        self.pos = b % slots
