"""The line path of the events rules: find the rules an event's category concerns, run their
pre-compiled filters, pick the group and increment a counter (nothing else runs per event)."""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from logscan.core.event import ClassifiedEvent
from logscan.sinks.alerting.filter_language import FIELDS, INDEXED
from logscan.sinks.alerting.groups import GroupState, new_group
from logscan.sinks.alerting.rules import AlertRule


class Watcher:
    """The line-path half of one events rule: filter, group, count.

    ``known``: values of the group field that the rules name (blocklists, providers, the
    catalogue's codes, closed vocabularies). Each always gets its own group; only the other
    values compete for the rule's ``max_groups`` slots, so junk names cannot push a real
    zen.spamhaus.org page into ``other``.
    """

    __slots__ = ("base", "get_group", "groups", "known", "match", "rule")

    def __init__(
        self,
        rule: AlertRule,
        groups: dict[str | None, GroupState],
        known: frozenset[str] = frozenset(),
    ) -> None:
        self.rule = rule
        self.groups = groups
        self.known = known
        self.match = rule.filter.matches
        self.base = rule.of.matches if rule.of is not None else None
        self.get_group: Callable[[ClassifiedEvent], Any] | None = (
            operator.attrgetter(FIELDS[rule.group_by]) if rule.group_by else None
        )

    def observe(self, ce: ClassifiedEvent) -> None:
        if self.base is not None:
            if not self.base(ce):
                return
            st = self._state(ce)
            if st is None:
                return
            st.pending_base += 1
            if self.match(ce):
                st.pending += 1
                st.sample = ce
        elif self.match(ce):
            st = self._state(ce)
            if st is not None:
                st.pending += 1
                st.sample = ce

    def _state(self, ce: ClassifiedEvent) -> GroupState | None:
        key: str | None = None
        if self.get_group is not None:
            value = self.get_group(ce)
            key = str(value) if value is not None else self.rule.group_default
            if key is None:
                return None
        st = self.groups.get(key)
        if st is None:
            if key is not None and key not in self.known and self._full():
                key = "other"  # bounded memory: unknown values past the cap share one group
                st = self.groups.get(key)
            if st is None:
                st = self.groups[key] = new_group(self.rule)
        return st

    def _full(self) -> bool:
        """Whether the groups of unknown values fill ``max_groups`` (known ones are bounded by
        the rules; only asked when a value has no group yet)."""
        known = self.known
        return sum(1 for k in self.groups if k not in known) >= self.rule.max_groups


_Key = tuple[str, str | None, str | None]  # an event's (category, direction, code)


class WatcherIndex:
    """The watchers an event concerns, by its (category, direction, code): a rule whose filter
    (for a ratio, its ``of``) requires other values of these fields is never called for it.

    The answers are memoised per key; keys are bounded (categories, directions and the reply codes
    a log holds), and past ``MAX_KEYS`` an answer is computed and not kept, so a flood of odd
    codes costs time, not memory.
    """

    MAX_KEYS = 4096

    __slots__ = ("_memo", "_watchers")

    def __init__(self, watchers: Iterable[Watcher]) -> None:
        self._watchers = tuple((w, _requires(w.rule)) for w in watchers)
        self._memo: dict[_Key, tuple[Watcher, ...]] = {}

    def __call__(self, key: _Key) -> tuple[Watcher, ...]:
        found = self._memo.get(key)
        if found is None:
            found = tuple(w for w, req in self._watchers if _concerns(req, key))
            if len(self._memo) < self.MAX_KEYS:
                self._memo[key] = found
        return found


def _requires(rule: AlertRule) -> dict[str, frozenset[str | None]]:
    """What an event's indexed fields must be for ``rule`` to look at it."""
    return (rule.of if rule.of is not None else rule.filter).requires


def _concerns(requires: Mapping[str, frozenset[str | None]], key: _Key) -> bool:
    return all(
        (values := requires.get(name)) is None or value in values
        for name, value in zip(INDEXED, key, strict=True)
    )
