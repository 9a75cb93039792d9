"""What the alert engine remembers: per rule and group value, a window of counts (or a level)
and where the alert stands (inactive, pending, firing).

It outlives the engine's rules: a reload keeps the groups of every rule that still exists
(:func:`refit` adapts them to a changed window) and a restart restores them from the checkpoint
(``logscan.sinks.alerting.state``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from logscan.core.event import ClassifiedEvent
from logscan.sinks.alerting.rules import AlertRule
from logscan.sinks.alerting.signals import Kind, Signal
from logscan.sinks.alerting.window import Ring

Status = Literal["inactive", "pending", "firing"]


@dataclass
class GroupState:
    """The mutable state of one rule for one group value."""

    signal: Signal
    group_by: str | None
    window: float
    counts: Ring  # with a base for ratio rules
    status: Status = "inactive"
    pending_since: float = 0.0
    started_at: float = 0.0
    last_sent: float = 0.0
    hold_until: float = 0.0  # no resolve before this (after a reload that changed the window)
    level: float = 0.0  # level signals: seconds without a line, or 1 while a reader is down
    # Counted on the line path, moved into the ring about once a second (AlertEngine._flush).
    pending: int = 0
    pending_base: int = 0
    sample: ClassifiedEvent | None = None
    labels: dict[str, str] = field(default_factory=dict)
    annotations: dict[str, str] = field(default_factory=dict)

    def is_idle(self, now: float) -> bool:
        """Nothing to remember at ``now`` (when inactive, the group can go: bounded memory)."""
        if self.signal.is_level:
            return self.level == 0.0
        return self.counts.total_at(now) == 0 and self.counts.base_at(now) == 0


@dataclass
class AlertState:
    """Everything the engine remembers; survives a rules reload.

    ``groups[rule name][group value]``; the group value is None for an ungrouped rule.
    """

    groups: dict[str, dict[str | None, GroupState]] = field(default_factory=dict)
    line_counts: dict[str, tuple[int, int]] = field(default_factory=dict)  # unrecognized, all
    first_seen: dict[str, float] = field(default_factory=dict)
    orphans: list[GroupState] = field(default_factory=list)  # firing, rule removed: resolve


def new_group(rule: AlertRule) -> GroupState:
    return GroupState(rule.signal, rule.group_by, rule.window, _ring(rule))


def fits(st: GroupState, rule: AlertRule) -> bool:
    """Whether ``st`` can go on under ``rule`` after a reload (else it resolves)."""
    return st.signal == rule.signal and st.group_by == rule.group_by


def refit(st: GroupState, rule: AlertRule, now: float) -> None:
    """Adapt ``st`` to ``rule``'s window after a reload; a firing alert holds a full window."""
    if st.window != rule.window or st.counts.with_base != (rule.kind is Kind.RATIO):
        st.window = rule.window
        st.counts = _ring(rule)
        if st.status == "firing":
            st.hold_until = now + rule.window  # do not resolve on counts that were just reset


def _ring(rule: AlertRule) -> Ring:
    return Ring(rule.window, with_base=rule.kind is Kind.RATIO)
