"""What an alert rule watches (:class:`Signal`) and what it compares with its threshold
(:class:`Kind`).

The members' values are the rule files' words (``signal = "source-quiet"``, ``count = 3``,
``quiet = "10m"``: a documented contract, README "Alerting rules"); code names the concepts by
member only, so the quiet concept is ``QUIET`` whether it is a signal or a kind::

    >>> Signal("source-quiet") is Signal.QUIET, LEVEL_KIND[Signal.QUIET] is Kind.QUIET
    (True, True)
    >>> [str(k) for k in COUNTED_KINDS[Signal.UNRECOGNIZED]]
    ['count', 'ratio']
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType


class Signal(StrEnum):
    """What a rule watches: classified events, or the health the daemon reports per source."""

    EVENTS = "events"  # classified events that match the rule's filter
    UNRECOGNIZED = "unrecognized"  # unrecognized lines among all lines of a source
    QUIET = "source-quiet"  # no line from a source for a while
    DOWN = "reader-down"  # a journal reader that is not running

    @property
    def is_level(self) -> bool:
        """Measured afresh at each tick (see :data:`LEVEL_KIND`), not counted in a window."""
        return self in LEVEL_KIND


class Kind(StrEnum):
    """What value a rule compares with its threshold (the threshold's key in the rule file)."""

    COUNT = "count"  # events in the window
    RATE = "rate"  # events per second over the window
    RATIO = "ratio"  # matching events among those of a base
    QUIET = "quiet"  # seconds since a source's last line
    DOWN = "down"  # 1 while a reader is down (a rule file gives it no threshold)

    @property
    def is_level(self) -> bool:
        """The kind of a level signal: no window, no base."""
        return self in LEVEL_KIND.values()


# The kinds a rule file names as a threshold key (a reader is down or up: no threshold).
THRESHOLD_KEYS: tuple[Kind, ...] = (Kind.COUNT, Kind.RATE, Kind.RATIO, Kind.QUIET)
# The signals measured as a level at each tick, each with the one kind it is compared as.
LEVEL_KIND: Mapping[Signal, Kind] = MappingProxyType(
    {Signal.QUIET: Kind.QUIET, Signal.DOWN: Kind.DOWN}
)
# The signals counted in sliding windows, with the kinds a rule over each may use (in the order
# the rule-file errors name them).
COUNTED_KINDS: Mapping[Signal, tuple[Kind, ...]] = MappingProxyType(
    {
        Signal.EVENTS: (Kind.COUNT, Kind.RATE, Kind.RATIO),
        Signal.UNRECOGNIZED: (Kind.COUNT, Kind.RATIO),
    }
)
