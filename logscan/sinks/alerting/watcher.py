"""The line path of the events rules: find the rules an event's category concerns, run their
pre-compiled filters, pick the group and increment a counter (nothing else runs per event)."""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from logscan.core.categories import CATEGORIES
from logscan.core.event import ClassifiedEvent
from logscan.sinks.alerting.filter_language import FIELDS
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


def by_category(watchers: Iterable[Watcher]) -> Mapping[str, tuple[Watcher, ...]]:
    """The watchers an event of each category concerns (those of any category included)."""
    ws = tuple(watchers)
    return {
        cat: tuple(w for w in ws if (c := _categories(w.rule)) is None or cat in c)
        for cat in CATEGORIES
    }


def any_category(watchers: Iterable[Watcher]) -> tuple[Watcher, ...]:
    """The watchers an event of any category concerns (for a category the index lacks)."""
    return tuple(w for w in watchers if _categories(w.rule) is None)


def _categories(rule: AlertRule) -> frozenset[str] | None:
    """The categories an event needs to concern ``rule`` (None: any)."""
    if rule.of is not None:
        return rule.of.categories
    return rule.filter.categories
