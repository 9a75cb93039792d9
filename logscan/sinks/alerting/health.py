"""Source health: the input of the ``unrecognized``, ``source-quiet`` and ``reader-down`` rules.

Health is what the daemon knows about each source, handed to every tick as
:class:`SourceHealth`: the time of its last line, whether its reader is up (journal readers;
None for files) and its cumulative line outcome counters (``Pipeline.counts.as_dict()``).
Unrecognized lines are counted into windows like events (:func:`count_lines`); quiet and down
are levels, measured afresh at each tick (:func:`measure_levels`). Health is wall-clock.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from logscan.sinks.alerting.groups import AlertState, GroupState, new_group
from logscan.sinks.alerting.rules import AlertRule
from logscan.sinks.alerting.signals import Kind, Signal


@dataclass(frozen=True)
class SourceHealth:
    """What the daemon knows about one source at a tick (input of the health rules)."""

    name: str
    last_line_at: float | None = None  # Unix time of its last line; None: none since start
    up: bool | None = None  # journal reader running; None for sources without a reader process
    lines: Mapping[str, int] = field(default_factory=dict)  # cumulative counts per line outcome


def count_lines(
    state: AlertState, rules: Sequence[AlertRule], now: float, health: Sequence[SourceHealth]
) -> None:
    """Count each source's new lines since the last tick into its ``unrecognized`` rules'
    windows (and note when each source was first seen)."""
    line_rules = [r for r in rules if r.signal is Signal.UNRECOGNIZED]
    for h in health:
        state.first_seen.setdefault(h.name, now)
        unrec = int(h.lines.get("unrecognized", 0))
        total = sum(int(v) for v in h.lines.values())
        # The first sight of a source is its baseline: counters restored from a checkpoint
        # are history, not a burst.
        prev_unrec, prev_total = state.line_counts.get(h.name, (unrec, total))
        # Counters that went down were reset (a restarted pipeline): count from zero.
        d_unrec = unrec - prev_unrec if unrec >= prev_unrec else unrec
        d_total = total - prev_total if total >= prev_total else total
        state.line_counts[h.name] = (unrec, total)
        for rule in line_rules:
            groups = state.groups.setdefault(rule.name, {})
            st = groups.get(h.name)
            if st is None:
                if not d_total:
                    continue
                st = groups[h.name] = new_group(rule)
            st.counts.add(now, d_unrec, d_total if st.counts.with_base else 0)


def measure_levels(
    rule: AlertRule,
    groups: dict[str | None, GroupState],
    first_seen: Mapping[str, float],
    now: float,
    health: Sequence[SourceHealth],
) -> None:
    """Set the level of each source's group of a level rule (quiet, down) at ``now``."""
    level_of = _LEVELS[rule.kind]
    for h in health:
        level = level_of(h, first_seen, now)
        if level is None:
            continue
        st = groups.get(h.name)
        if st is None:
            st = groups[h.name] = new_group(rule)
        st.level = level
    seen = {h.name for h in health}
    for key, st in groups.items():
        if key not in seen:
            st.level = 0.0  # a source that is gone is neither quiet nor down


def _quiet(h: SourceHealth, first_seen: Mapping[str, float], now: float) -> float | None:
    """Seconds without a line (a source that never wrote: since it was first seen)."""
    last = h.last_line_at if h.last_line_at is not None else first_seen[h.name]
    return max(0.0, now - last)


def _down(h: SourceHealth, first_seen: Mapping[str, float], now: float) -> float | None:
    """1 while the source's reader is down; None for a source without a reader process."""
    return None if h.up is None else 0.0 if h.up else 1.0


# A level at a tick, or None where the rule does not apply to the source.
_LEVELS: Mapping[Kind, Callable[[SourceHealth, Mapping[str, float], float], float | None]] = {
    Kind.QUIET: _quiet,
    Kind.DOWN: _down,
}
