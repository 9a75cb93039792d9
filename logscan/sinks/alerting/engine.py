"""The alert engine: a sink that counts matching events in sliding windows, and a tick that turns
the counts into firing and resolved alerts.

The daemon wires it in two places: ``engine.observe`` is a sink on the line path (it only finds
the rules that can match the event's category, runs their pre-compiled filters and increments a
counter, moved into a ring of time buckets once a second), and ``engine.tick(now, health)`` runs
every second or so off the line path, evaluates the rules, hands the transitions to the
notifiers' :class:`~logscan.sinks.alerting.notifiers.Dispatcher` and returns them::

    >>> import time
    >>> from logscan.sinks.alerting.rules import load_alert_rules
    >>> from logscan.classify.rule_files import load_rule_files
    >>> engine = AlertEngine(load_alert_rules(load_rule_files()))
    >>> sink = engine.sink(time.time)         # Pipeline(..., sinks=[..., sink])
    >>> engine.tick(1_700_000_000.0, [SourceHealth("mail.log", last_line_at=1_700_000_000.0)])
    []

Health (the input of the ``unrecognized``, ``source-quiet`` and ``reader-down`` rules) is what
the daemon knows about each source, handed to every tick as :class:`SourceHealth`: the time of
its last line, whether its reader is up (journal readers; None for files) and its cumulative line
outcome counters (``Pipeline.counts.as_dict()``).

State (window counts, pending and firing alerts) lives in an :class:`AlertState` keyed by rule
name and group value. It outlives the engine's rules: ``engine.reload(rules, now)`` keeps the
state of every rule that still exists, resolves the alerts of rules that were removed, and a
rule whose window changed keeps firing until a full new window has been seen. It also outlives
the process: the daemon checkpoints ``engine.checkpoint_state()``
(``logscan.sinks.alerting.state``) and
hands it back to ``engine.restore`` at start.

Time: events count at their log time (``logscan.sinks.alerting.log_time``; see ``observe`` and
``tick``), so a
backlog read after downtime lands where it happened; health rules are wall-clock.
"""

from __future__ import annotations

import math
import operator
import socket
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from logscan.core.categories import CATEGORIES
from logscan.core.event import ClassifiedEvent
from logscan.sinks.alerting.filter_language import FIELDS
from logscan.sinks.alerting.log_time import DEFAULT_SKEW, LogClock
from logscan.sinks.alerting.masking import mask_text
from logscan.sinks.alerting.rules import AlertRule, format_duration, show_value

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


@dataclass(frozen=True)
class SourceHealth:
    """What the daemon knows about one source at a tick (input of the health rules)."""

    name: str
    last_line_at: float | None = None  # Unix time of its last line; None: none since start
    up: bool | None = None  # journal reader running; None for sources without a reader process
    lines: Mapping[str, int] = field(default_factory=dict)  # cumulative counts per line outcome


@dataclass(frozen=True)
class Alert:
    """One alert at one moment, as the notifiers send it.

    ``repeat`` marks a re-send of an alert still firing (Alertmanager expects them; the webhook
    and the log only want transitions). ``ends_at`` is set on a resolved alert.
    """

    status: str  # "firing" | "resolved"
    labels: Mapping[str, str]
    annotations: Mapping[str, str]
    starts_at: float
    ends_at: float | None
    generator_url: str
    repeat: bool = False

    @property
    def name(self) -> str:
        return self.labels["alertname"]


@dataclass
class GroupState:
    """The mutable state of one rule for one group value."""

    signal: str
    group_by: str | None
    window: float
    counts: Ring  # with a base for ratio rules
    status: str = "inactive"  # inactive | pending | firing
    pending_since: float = 0.0
    started_at: float = 0.0
    last_sent: float = 0.0
    hold_until: float = 0.0  # no resolve before this (after a reload that changed the window)
    level: float = 0.0  # health rules: seconds without a line, or 1 while a reader is down
    # Counted on the line path, moved into the ring about once a second (AlertEngine._flush).
    pending: int = 0
    pending_base: int = 0
    sample: ClassifiedEvent | None = None
    labels: dict[str, str] = field(default_factory=dict)
    annotations: dict[str, str] = field(default_factory=dict)


@dataclass
class AlertState:
    """Everything the engine remembers; survives a rules reload.

    ``groups[rule name][group value]``; the group value is None for an ungrouped rule.
    """

    groups: dict[str, dict[str | None, GroupState]] = field(default_factory=dict)
    line_counts: dict[str, tuple[int, int]] = field(default_factory=dict)  # unrecognized, all
    first_seen: dict[str, float] = field(default_factory=dict)
    orphans: list[GroupState] = field(default_factory=list)  # firing, rule removed: resolve


@dataclass(frozen=True)
class EngineOptions:
    """Settings of the ``[alerting]`` config that the engine itself uses."""

    resend_interval: float = 60.0  # shorter than Alertmanager's resolve_timeout (5m default)
    generator_url: str = "http://localhost:9842/"
    mask_samples: bool = True
    labels: Mapping[str, str] = field(default_factory=lambda: {"instance": socket.gethostname()})
    clock_skew: float = DEFAULT_SKEW  # how far ahead of ours a log's clock may run (seconds)


class Delivery(Protocol):
    """Where alerts go (``logscan.sinks.alerting.notifiers.Dispatcher``): must not block the
    caller."""

    def submit(self, alerts: Sequence[Alert]) -> None: ...


class _Watcher:
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
                st = self.groups[key] = _new_state(self.rule)
        return st

    def _full(self) -> bool:
        """Whether the groups of unknown values fill ``max_groups`` (known ones are bounded by
        the rules; only asked when a value has no group yet)."""
        known = self.known
        return sum(1 for k in self.groups if k not in known) >= self.rule.max_groups


def _new_state(rule: AlertRule) -> GroupState:
    return GroupState(rule.signal, rule.group_by, rule.window, _ring(rule))


def _ring(rule: AlertRule) -> Ring:
    return Ring(rule.window, with_base=rule.kind == "ratio")


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
        # Group field -> the values that always get their own group (see _Watcher).
        self.known_groups: Mapping[str, frozenset[str]] = known_groups or {}
        self.options = options or EngineOptions()
        self.delivery = delivery
        self._snapshot: tuple[tuple[str, str, bool], ...] = ()
        self._log_clock = LogClock(self.options.clock_skew)
        # The line path's counts wait in GroupState.pending while events fall in the same second
        # of log time [_batch_from, _batch_to); then they go into the rings at _pending_at.
        self._batch_from = self._batch_to = 0.0
        self._pending_at = 0.0  # log time of the last event observed
        self._latest = 0.0  # latest log time counted (at most clock_skew ahead of its read time)
        self.rules: tuple[AlertRule, ...] = ()
        self._index: dict[str, tuple[_Watcher, ...]] = {}
        self._any: tuple[_Watcher, ...] = ()
        self.reload(rules, now)

    # --- line path ---------------------------------------------------------------------------

    def observe(self, ce: ClassifiedEvent, now: float) -> None:
        """Count ``ce`` (read at Unix time ``now``) in the windows of the rules it matches.

        It counts at its log time (``logscan.sinks.alerting.log_time``): an event older than a
        window when it
        arrives is not in that window.
        """
        watchers = self._index.get(ce.verdict.category, self._any)
        if watchers:
            ts = ce.event.ts
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
        self._take_health(now, health)
        for st in self.state.orphans:
            out.append(self._resolved(st, now))
        self.state.orphans.clear()
        for rule in self.rules:
            groups = self.state.groups.setdefault(rule.name, {})
            if rule.kind in ("quiet", "down"):
                self._measure_health(rule, groups, now, health)
            at = log_now if rule.signal == "events" else now
            for key, st in list(groups.items()):
                alert = self._evaluate(rule, key, st, now, at)
                if alert is not None:
                    out.append(alert)
                if st.status == "inactive" and _empty(st, at):
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

    def _take_health(self, now: float, health: Sequence[SourceHealth]) -> None:
        line_rules = [r for r in self.rules if r.signal == "unrecognized"]
        for h in health:
            self.state.first_seen.setdefault(h.name, now)
            unrec = int(h.lines.get("unrecognized", 0))
            total = sum(int(v) for v in h.lines.values())
            # The first sight of a source is its baseline: counters restored from a checkpoint
            # are history, not a burst.
            prev_unrec, prev_total = self.state.line_counts.get(h.name, (unrec, total))
            # Counters that went down were reset (a restarted pipeline): count from zero.
            d_unrec = unrec - prev_unrec if unrec >= prev_unrec else unrec
            d_total = total - prev_total if total >= prev_total else total
            self.state.line_counts[h.name] = (unrec, total)
            for rule in line_rules:
                groups = self.state.groups.setdefault(rule.name, {})
                st = groups.get(h.name)
                if st is None:
                    if not d_total:
                        continue
                    st = groups[h.name] = _new_state(rule)
                st.counts.add(now, d_unrec, d_total if st.counts.with_base else 0)

    def _measure_health(
        self,
        rule: AlertRule,
        groups: dict[str | None, GroupState],
        now: float,
        health: Sequence[SourceHealth],
    ) -> None:
        for h in health:
            if rule.kind == "down" and h.up is None:
                continue
            st = groups.get(h.name)
            if st is None:
                st = groups[h.name] = _new_state(rule)
            if rule.kind == "down":
                st.level = 0.0 if h.up else 1.0
            else:
                last = h.last_line_at
                if last is None:
                    last = self.state.first_seen[h.name]
                st.level = max(0.0, now - last)
        seen = {h.name for h in health}
        for key, st in groups.items():
            if key not in seen:
                st.level = 0.0  # a source that is gone is neither quiet nor down

    def _measure(self, rule: AlertRule, st: GroupState, now: float) -> tuple[float, int, int, bool]:
        """(value, count, total, volume enough) of one group at ``now``."""
        if rule.kind in ("quiet", "down"):
            return st.level, int(st.level), int(st.level), True
        count = st.counts.total_at(now)
        if rule.kind == "count":
            return float(count), count, count, True
        if rule.kind == "rate":
            return count / rule.window, count, count, True
        total = st.counts.base_at(now)
        value = count / total if total else 0.0
        return value, count, total, total >= rule.min_volume and total > 0

    def _evaluate(
        self, rule: AlertRule, key: str | None, st: GroupState, now: float, at: float
    ) -> Alert | None:
        """One group's transition at wall-clock ``now``, its window ending at ``at``."""
        value, count, total, volume = self._measure(rule, st, at)
        if st.status == "firing":
            # Hysteresis: a firing alert holds until the value falls under resolve_below.
            holds = value >= rule.clear_below and (rule.kind != "ratio" or total > 0)
            if holds or now < st.hold_until:
                if now - st.last_sent >= self.options.resend_interval:
                    st.last_sent = now
                    st.annotations = self._annotations(rule, key, st, value, count, total)
                    return self._firing(st, repeat=True)
                return None
            st.annotations = self._annotations(rule, key, st, value, count, total)
            st.status = "inactive"
            return self._resolved(st, now)
        if not (volume and value >= rule.threshold):
            st.status = "inactive"
            return None
        if st.status != "pending":
            st.status, st.pending_since = "pending", now
        if now - st.pending_since < rule.for_:
            return None
        st.status, st.started_at, st.last_sent = "firing", now, now
        st.labels = self._labels(rule, key, st)
        st.annotations = self._annotations(rule, key, st, value, count, total)
        return self._firing(st, repeat=False)

    def _firing(self, st: GroupState, repeat: bool) -> Alert:
        return Alert(
            "firing",
            dict(st.labels),
            dict(st.annotations),
            st.started_at,
            None,
            self.options.generator_url,
            repeat,
        )

    def _resolved(self, st: GroupState, now: float) -> Alert:
        return Alert(
            "resolved",
            dict(st.labels),
            dict(st.annotations),
            st.started_at,
            now,
            self.options.generator_url,
        )

    def _labels(self, rule: AlertRule, key: str | None, st: GroupState) -> dict[str, str]:
        # Frozen when the alert fires: Alertmanager identifies an alert by its label set.
        labels = {**self.options.labels, **rule.labels}
        labels["alertname"] = rule.name
        labels["severity"] = rule.severity
        if rule.group_by is not None and key is not None:
            labels[rule.group_by] = key
        if st.sample is not None:
            labels["mta"] = st.sample.event.mta
        return labels

    def _annotations(
        self,
        rule: AlertRule,
        key: str | None,
        st: GroupState,
        value: float,
        count: int,
        total: int,
    ) -> dict[str, str]:
        values = self._template_values(rule, key, st, value, count, total)
        out = {
            "summary": rule.summary.render(values),
            "description": rule.description.render(values),
            "value": str(values["value"]),
            "threshold": str(values["threshold"]),
            "count": str(count),
            "window": str(values["window"]),
        }
        if rule.kind == "ratio":
            out["total"] = str(total)
        for name in ("meaning", "action", "sample", "sample_source"):
            if values.get(name):
                out[name] = str(values[name])
        return out

    def _template_values(
        self,
        rule: AlertRule,
        key: str | None,
        st: GroupState,
        value: float,
        count: int,
        total: int,
    ) -> dict[str, object]:
        values: dict[str, object] = {
            "alertname": rule.name,
            "severity": rule.severity,
            "value": show_value(rule.kind, value),
            "threshold": show_value(rule.kind, rule.threshold),
            "count": count,
            "total": total,
            "window": format_duration(rule.window),
            "group": key,
        }
        ce = st.sample
        if ce is not None:
            for name, path in FIELDS.items():
                values[name] = operator.attrgetter(path)(ce)
            ev = ce.event
            text = ev.text or " ".join(x for x in (ev.status, ev.code, ev.enhanced) if x)
            values["sample"] = mask_text(text) if self.options.mask_samples else text
            values["sample_source"] = f"{ev.path}:{ev.line}"
            values["meaning"] = ce.verdict.meaning
            values["action"] = ce.verdict.action
        if rule.group_by is not None:
            values[rule.group_by] = key
        return values

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
            if rule is None or any(
                st.signal != rule.signal or st.group_by != rule.group_by for st in kept.values()
            ):
                self.state.orphans.extend(st for st in kept.values() if st.status == "firing")
                del groups[name]
                continue
            for st in kept.values():
                _refit(st, rule, now)
        self.rules = tuple(rules)
        watchers = [
            _Watcher(r, groups.setdefault(r.name, {}), self._known(r))
            for r in rules
            if r.signal == "events"
        ]
        self._any = tuple(w for w in watchers if _categories(w.rule) is None)
        self._index = {
            cat: tuple(w for w in watchers if (c := _categories(w.rule)) is None or cat in c)
            for cat in CATEGORIES
        }
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


def _refit(st: GroupState, rule: AlertRule, now: float) -> None:
    if st.window != rule.window or st.counts.with_base != (rule.kind == "ratio"):
        st.window = rule.window
        st.counts = _ring(rule)
        if st.status == "firing":
            st.hold_until = now + rule.window  # do not resolve on counts that were just reset


def _categories(rule: AlertRule) -> frozenset[str] | None:
    """The categories an event needs to concern ``rule`` (None: any)."""
    if rule.of is not None:
        return rule.of.categories
    return rule.filter.categories


def _empty(st: GroupState, now: float) -> bool:
    if st.signal in ("source-quiet", "reader-down"):
        return st.level == 0.0
    return st.counts.total_at(now) == 0 and st.counts.base_at(now) == 0
