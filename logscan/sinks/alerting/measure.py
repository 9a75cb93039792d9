"""A rule's value for one group at one moment, one function per kind (count, rate, ratio, and the
levels quiet and down), dispatched by a table."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from logscan.sinks.alerting.groups import GroupState
from logscan.sinks.alerting.rules import AlertRule
from logscan.sinks.alerting.signals import Kind


@dataclass(frozen=True, slots=True)
class Measurement:
    """What a rule compares with its threshold, and what its alert's annotations tell."""

    value: float
    count: int  # events in the window (for a level: the level, whole)
    total: int  # the ratio's base; else the count
    enough: bool  # volume enough to judge (a ratio's min_volume)


def measure(rule: AlertRule, st: GroupState, at: float) -> Measurement:
    """The value of ``rule`` for the group ``st``, its window ending at ``at``."""
    return _MEASURES[rule.kind](rule, st, at)


def _level(rule: AlertRule, st: GroupState, at: float) -> Measurement:
    return Measurement(st.level, int(st.level), int(st.level), True)


def _count(rule: AlertRule, st: GroupState, at: float) -> Measurement:
    count = st.counts.total_at(at)
    return Measurement(float(count), count, count, True)


def _rate(rule: AlertRule, st: GroupState, at: float) -> Measurement:
    count = st.counts.total_at(at)
    return Measurement(count / rule.window, count, count, True)


def _ratio(rule: AlertRule, st: GroupState, at: float) -> Measurement:
    count = st.counts.total_at(at)
    total = st.counts.base_at(at)
    value = count / total if total else 0.0
    return Measurement(value, count, total, total >= rule.min_volume and total > 0)


_MEASURES: Mapping[Kind, Callable[[AlertRule, GroupState, float], Measurement]] = {
    Kind.COUNT: _count,
    Kind.RATE: _rate,
    Kind.RATIO: _ratio,
    Kind.QUIET: _level,
    Kind.DOWN: _level,
}
