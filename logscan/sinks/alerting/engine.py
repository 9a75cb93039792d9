"""The alert engine: a sink that counts matching events in sliding windows, and a tick that turns
the counts into firing and resolved alerts.

The daemon wires it in two places: ``engine.observe`` is a sink on the line path (it only finds
the rules that can match the event's category, direction and code, runs their pre-compiled
filters and increments a counter, moved into a ring of time buckets once a second), and
``engine.tick(now, health)`` runs every second or so off the line path, evaluates the rules,
hands the transitions to the notifiers'
:class:`~logscan.sinks.alerting.notifiers.Dispatcher` and returns them::

    >>> import time
    >>> from logscan.sinks.alerting.rules import load_alert_rules
    >>> from logscan.classify.rule_files import load_rule_files
    >>> engine = AlertEngine(load_alert_rules(load_rule_files()))
    >>> sink = engine.sink(time.time)         # Pipeline(..., sinks=[..., sink])
    >>> engine.tick(1_700_000_000.0, [SourceHealth("mail.log", last_line_at=1_700_000_000.0)])
    []

The engine composes one module per concern: ``watcher`` (the line path), ``window`` (the
sliding windows), ``health`` (the health signals, handed to every tick as
:class:`~logscan.sinks.alerting.health.SourceHealth`), ``measure`` (a rule's value per kind),
``transitions`` (pending, firing, resolved and the alerts sent).

State (window counts, pending and firing alerts) lives in an
:class:`~logscan.sinks.alerting.groups.AlertState` keyed by rule name and group value. It
outlives the engine's rules: ``engine.reload(rules, now)`` keeps the state of every rule that
still exists, resolves the alerts of rules that were removed, and a rule whose window changed
keeps firing until a full new window has been seen. It also outlives the process: the daemon
checkpoints ``engine.checkpoint_state()`` (``logscan.sinks.alerting.state``) and hands it back
to ``engine.restore`` at start.

Time: events count at their log time (``logscan.sinks.alerting.log_time``; see ``observe`` and
``tick``), so a backlog read after downtime lands where it happened; health rules are wall-clock.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Protocol

from logscan.core.event import ClassifiedEvent
from logscan.sinks.alerting.alert import Alert, EngineOptions
from logscan.sinks.alerting.groups import AlertState, fits, refit
from logscan.sinks.alerting.health import SourceHealth, count_lines, measure_levels
from logscan.sinks.alerting.log_time import LogClock
from logscan.sinks.alerting.rules import AlertRule
from logscan.sinks.alerting.signals import Signal
from logscan.sinks.alerting.transitions import Transitions
from logscan.sinks.alerting.watcher import Watcher, WatcherIndex


class Delivery(Protocol):
    """Where alerts go (``logscan.sinks.alerting.notifiers.Dispatcher``): must not block the
    caller."""

    def submit(self, alerts: Sequence[Alert]) -> None: ...


class AlertEngine:
    """Alert rules over classified events and source health; see the module docstring.

    ``observe``, ``tick`` and ``reload`` must be called from one thread (the daemon's loop: its
    sinks and ticks run there); ``firing_by_rule`` is safe from any thread.
    """

    def __init__(
        self,
        rules: Sequence[AlertRule],
        state: AlertState | None = None,
        options: EngineOptions | None = None,
        delivery: Delivery | None = None,
        now: float = 0.0,
        known_groups: Mapping[str, frozenset[str]] | None = None,
    ) -> None:
        self.state = state if state is not None else AlertState()
        # Group field -> the values that always get their own group (see Watcher).
        self.known_groups: Mapping[str, frozenset[str]] = known_groups or {}
        self.options = options or EngineOptions()
        self._transitions = Transitions(self.options)
        self.delivery = delivery
        self._snapshot: tuple[tuple[str, str, bool], ...] = ()
        self._log_clock = LogClock(self.options.clock_skew)
        # The line path's counts wait in GroupState.pending while events fall in the same second
        # of log time [_batch_from, _batch_to); then they go into the rings at _pending_at.
        self._batch_from = self._batch_to = 0.0
        self._pending_at = 0.0  # log time of the last event observed
        self._latest = 0.0  # latest log time counted (at most clock_skew ahead of its read time)
        self.rules: tuple[AlertRule, ...] = ()
        self._index = WatcherIndex(())
        self.reload(rules, now)

    # --- line path ---------------------------------------------------------------------------

    def observe(self, ce: ClassifiedEvent, now: float) -> None:
        """Count ``ce`` (read at Unix time ``now``) in the windows of the rules it matches.

        It counts at its log time (``logscan.sinks.alerting.log_time``): an event older than a
        window when it arrives is not in that window.
        """
        ev = ce.event
        watchers = self._index((ce.verdict.category, ev.direction, ev.code))
        if watchers:
            ts = ev.ts
            at = now if ts is None else self._log_clock.event_time(ts, now)
            if not self._batch_from <= at < self._batch_to:
                self._flush()
                self._batch_from = math.floor(at)
                self._batch_to = self._batch_from + 1.0
            self._pending_at = at
            for w in watchers:
                w.observe(ce)

    def _flush(self) -> None:
        """Move the counts of the line path into the rings, at the log time of the last event.

        The line path only increments integers; bucket arithmetic runs here, once per second of
        log time (and at every tick), so events are timed to within a second, finer than any
        bucket.
        """
        at = self._pending_at
        if at > self._latest:
            self._latest = at
        for groups in self.state.groups.values():
            for st in groups.values():
                if st.pending or st.pending_base:
                    st.counts.add(at, st.pending, st.pending_base)
                    st.pending = st.pending_base = 0

    def sink(self, clock: Callable[[], float]) -> Callable[[ClassifiedEvent], None]:
        """A pipeline ``Sink`` that observes each event at ``clock()`` (e.g. ``time.time``)."""
        observe = self.observe
        return lambda ce: observe(ce, clock())

    # --- evaluation --------------------------------------------------------------------------

    def tick(self, now: float, health: Sequence[SourceHealth] = ()) -> list[Alert]:
        """Evaluate every rule at wall-clock time ``now``; deliver and return the alerts to send.

        Event windows end at ``now``, or at the latest log time counted when a log's clock runs
        ahead of ours (by at most ``clock_skew``); health rules, pending and firing times, and
        the times sent to Alertmanager are wall-clock.
        """
        out: list[Alert] = []
        self._flush()
        log_now = max(now, self._latest)
        count_lines(self.state, self.rules, now, health)
        for st in self.state.orphans:
            out.append(self._transitions.resolved(st, now))
        self.state.orphans.clear()
        for rule in self.rules:
            groups = self.state.groups.setdefault(rule.name, {})
            if rule.signal.is_level:
                measure_levels(rule, groups, self.state.first_seen, now, health)
            at = log_now if rule.signal is Signal.EVENTS else now
            for key, st in list(groups.items()):
                alert = self._transitions.evaluate(rule, key, st, now, at)
                if alert is not None:
                    out.append(alert)
                if st.status == "inactive" and st.is_idle(at):
                    del groups[key]  # nothing to remember: bounded memory
        self._take_snapshot()
        if out and self.delivery is not None:
            self.delivery.submit(out)
        return out

    def firing(self) -> list[tuple[str, str | None]]:
        """(rule name, group value) of every firing alert."""
        return [
            (name, key)
            for name, groups in self.state.groups.items()
            for key, st in groups.items()
            if st.status == "firing"
        ]

    # --- checkpoint --------------------------------------------------------------------------

    def checkpoint_state(self) -> AlertState:
        """The state with the line path's counts moved into the windows (what a checkpoint
        keeps; ``logscan.sinks.alerting.state`` turns it into JSON)."""
        self._flush()
        return self.state

    def restore(self, state: AlertState, now: float) -> None:
        """Go on from a checkpointed ``state`` (at start, before the first tick).

        Firing alerts are re-sent at the next tick: what was queued for the notifiers died with
        the process. Groups of rules that no longer exist resolve, as after a reload.
        """
        for groups in state.groups.values():
            for st in groups.values():
                st.last_sent = 0.0
        self.state = state
        self.reload(self.rules, now)

    # --- reload ------------------------------------------------------------------------------

    def reload(
        self,
        rules: Sequence[AlertRule],
        now: float,
        known_groups: Mapping[str, frozenset[str]] | None = None,
    ) -> None:
        """Switch to ``rules``, keeping the state of the rules that remain (see module doc)."""
        if known_groups is not None:
            self.known_groups = known_groups
        by_name = {r.name: r for r in rules}
        groups = self.state.groups
        for name in list(groups):
            rule = by_name.get(name)
            kept = groups[name]
            if rule is None or not all(fits(st, rule) for st in kept.values()):
                self.state.orphans.extend(st for st in kept.values() if st.status == "firing")
                del groups[name]
                continue
            for st in kept.values():
                refit(st, rule, now)
        self.rules = tuple(rules)
        watchers = [
            Watcher(r, groups.setdefault(r.name, {}), self._known(r))
            for r in rules
            if r.signal is Signal.EVENTS
        ]
        self._index = WatcherIndex(watchers)
        self._take_snapshot()

    def _known(self, rule: AlertRule) -> frozenset[str]:
        return self.known_groups.get(rule.group_by or "", frozenset())

    # --- metrics -----------------------------------------------------------------------------

    def firing_by_rule(self) -> tuple[tuple[str, str, bool], ...]:
        """(rule, severity, any group firing) for every rule, as of the last tick or reload.

        Safe to call from any thread (a scrape): it reads a tuple replaced whole.
        """
        return self._snapshot

    def _take_snapshot(self) -> None:
        groups = self.state.groups
        self._snapshot = tuple(
            (
                r.name,
                r.severity,
                any(st.status == "firing" for st in groups.get(r.name, {}).values()),
            )
            for r in self.rules
        )
