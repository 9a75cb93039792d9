"""The assembled alerting the daemon plugs in: engine, notifiers, runbook links, health.

The ``[alerting]`` section is :mod:`logscan.sinks.alerting.settings`, checked when the config
is parsed (``Config.alerting``). Wiring (``logscan.cli.run`` does this, on the rule files that
:mod:`logscan.app.compose` parsed once; the daemon's hooks take sinks, ticks and metrics)::

    alerting = Alerting.assemble(app.config.alerting, app.rule_files, app.alert_rules, listen,
                                 health=lambda: health_from_metrics(metrics.values, names))
    def tick(now):              # Hooks(sinks=[alerting.sink], ticks=[tick], metrics=ALERT_METRICS)
        alerting.tick(now)
        alerting.export(metrics, exported)           # the two alert metrics
    ...
    alerting.reload_rules(files, rules)  # on SIGHUP: state and firing alerts are kept
    alerting.close()                 # on shutdown: deliver what is queued (bounded time)
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Protocol

import structlog

from logscan.classify.rule_files import RuleFile, load_rule_files
from logscan.core.event import ClassifiedEvent
from logscan.sinks.alerting.alert import Alert, EngineOptions
from logscan.sinks.alerting.engine import AlertEngine, Delivery
from logscan.sinks.alerting.groups import AlertState
from logscan.sinks.alerting.health import SourceHealth
from logscan.sinks.alerting.notifiers import (
    AlertmanagerNotifier,
    Backoff,
    Dispatcher,
    LogNotifier,
    Notifier,
    WebhookNotifier,
)
from logscan.sinks.alerting.rules import AlertRule, load_alert_rules
from logscan.sinks.alerting.runbooks import runbook_url
from logscan.sinks.alerting.settings import AlertingConfig, AlertingConfigError, WebhookConfig
from logscan.sinks.alerting.state import AlertStateError, dump_state, load_state
from logscan.sinks.labels import LabelSets
from logscan.sinks.metrics import MetricSpec

# The [alerting] section's names, importable from here as before it had its own module.
__all__ = [
    "ALERT_METRICS",
    "Alerting",
    "AlertingConfig",
    "AlertingConfigError",
    "RunbookLinks",
    "WebhookConfig",
    "build_notifiers",
    "health_from_metrics",
]

# The daemon's metrics, by name without ``_total`` (docs/design.md contract for the first two).
FIRING_METRIC = "logscan_alerts_firing"
NOTIFICATIONS_METRIC = "logscan_alert_notifications"
# Declared in the daemon's store before its checkpoint is restored (the counter persists).
ALERT_METRICS = (
    MetricSpec(
        FIRING_METRIC,
        "gauge",
        "1 while the alert rule fires (for any group), else 0",
        ("alert", "severity"),
        persist=False,
    ),
    MetricSpec(
        NOTIFICATIONS_METRIC,
        "counter",
        "Alert notifications by alert, notifier and result (success, failed, dropped)",
        ("alert", "notifier", "result"),
    ),
)
# Read from the daemon's metrics to build the sources' health.
LAST_LINE_METRIC = "logscan_source_last_line_timestamp_seconds"
READER_UP_METRIC = "logscan_journal_reader_up"
LINES_METRIC = "logscan_lines"

Snapshot = Mapping[str, Mapping[tuple[str, ...], float]]


class MetricsStore(Protocol):
    """The daemon's metrics store (``logscan.sinks.metrics.Metrics``), as far as alerting uses
    it."""

    def inc(self, name: str, labels: tuple[str, ...], by: float = 1) -> None: ...

    def set(self, name: str, labels: tuple[str, ...], value: float) -> None: ...


def health_from_metrics(snapshot: Snapshot, sources: Sequence[str]) -> list[SourceHealth]:
    """The health of each configured source, from the daemon's metrics snapshot.

    >>> snap = {"logscan_source_last_line_timestamp_seconds": {("mail",): 100.0},
    ...         "logscan_journal_reader_up": {("journal",): 0.0},
    ...         "logscan_lines": {("mail", "postfix", "event"): 5.0,
    ...                           ("mail", "postfix", "unrecognized"): 2.0}}
    >>> [(h.name, h.last_line_at, h.up, dict(h.lines)) for h in health_from_metrics(
    ...     snap, ["mail", "journal"])]
    [('mail', 100.0, None, {'event': 5, 'unrecognized': 2}), ('journal', None, False, {})]
    """
    last = snapshot.get(LAST_LINE_METRIC, {})
    up = snapshot.get(READER_UP_METRIC, {})
    lines: dict[str, dict[str, int]] = {}
    for (source, _parser, outcome), n in snapshot.get(LINES_METRIC, {}).items():
        per = lines.setdefault(source, {})
        per[outcome] = per.get(outcome, 0) + int(n)
    out = []
    for name in sources:
        reader = up.get((name,))
        out.append(
            SourceHealth(
                name,
                last_line_at=last.get((name,)),
                up=None if reader is None else bool(reader),
                lines=lines.get(name, {}),
            )
        )
    return out


def build_notifiers(cfg: AlertingConfig) -> list[Notifier]:
    out: list[Notifier] = [
        AlertmanagerNotifier(url, resend_interval=cfg.resend_interval) for url in cfg.alertmanagers
    ]
    out += [WebhookNotifier(h.url, h.secret, h.timeout) for h in cfg.webhooks]
    if cfg.log:
        out.append(LogNotifier())
    return out


@dataclass(frozen=True)
class RunbookLinks:
    """The delivery between the engine and the notifiers that adds each alert's ``runbook_url``
    annotation (``<runbook_base>/<alert>.md``, as the PromQL export writes it)."""

    delivery: Delivery
    base: str

    def submit(self, alerts: Sequence[Alert]) -> None:
        self.delivery.submit([self.with_runbook(a) for a in alerts])

    def with_runbook(self, alert: Alert) -> Alert:
        url = runbook_url(self.base, alert.name)
        return replace(alert, annotations={**alert.annotations, "runbook_url": url})


@dataclass
class Alerting:
    """The engine and its notifiers, assembled from the config (see the module docstring)."""

    engine: AlertEngine
    dispatcher: Dispatcher
    clock: Callable[[], float] = time.time
    # What the daemon knows of its sources, asked at each tick (see
    # logscan.sinks.alerting.engine.SourceHealth).
    health: Callable[[], Sequence[SourceHealth]] = tuple
    _sink_failed: bool = False  # logged once

    @classmethod
    def build(
        cls,
        cfg: AlertingConfig,
        rules_dirs: Sequence[Path | str] = (),
        listen: str = "127.0.0.1:9842",
        state: AlertState | None = None,
        backoff: Backoff | None = None,
    ) -> Alerting:
        """Load the rules (built-in ``rules/`` and ``rules_dirs``) and start the notifiers.

        Raises ``RuleError`` for a bad rule file.
        """
        files = load_rule_files([Path(d) for d in rules_dirs])
        return cls.assemble(cfg, files, load_alert_rules(files), listen, state, backoff)

    @classmethod
    def assemble(
        cls,
        cfg: AlertingConfig,
        files: Sequence[RuleFile],
        rules: Sequence[AlertRule],
        listen: str = "127.0.0.1:9842",
        state: AlertState | None = None,
        backoff: Backoff | None = None,
        health: Callable[[], Sequence[SourceHealth]] = tuple,
    ) -> Alerting:
        """The engine on rules already loaded (``files`` name the label sets), the notifiers
        started; ``health`` tells of the sources at each tick."""
        options = EngineOptions(
            resend_interval=cfg.resend_interval,
            generator_url=cfg.generator_url or f"http://{listen}/",
            mask_samples=cfg.mask_samples,
            labels={"instance": socket.gethostname(), **cfg.labels},
            clock_skew=cfg.clock_skew,
        )
        dispatcher = Dispatcher(build_notifiers(cfg), backoff=backoff)
        dispatcher.start()
        delivery = RunbookLinks(dispatcher, cfg.runbook_base)
        known = LabelSets.from_rule_files(files).by_field()
        engine = AlertEngine(
            list(rules), state, options, delivery, now=time.time(), known_groups=known
        )
        return cls(engine, dispatcher, health=health)

    def sink(self, ce: ClassifiedEvent) -> None:
        """The pipeline sink: observe at the current time."""
        try:
            self.engine.observe(ce, self.clock())
        except Exception:  # a bug here must not stop the line path (try is free in 3.11)
            if not self._sink_failed:
                self._sink_failed = True
                structlog.get_logger("logscan.sinks.alerting.engine").exception(
                    "alert engine failed on an event"
                )

    def tick(self, now: float | None = None) -> None:
        """The daemon's periodic hook: evaluate the rules with the sources' health."""
        try:
            health = self.health()
        except Exception:  # the health callback must not stop the rules from being evaluated
            health = ()
        self.engine.tick(self.clock() if now is None else now, health)

    def reload(self, rules_dirs: Sequence[Path | str]) -> None:
        """Reload the rule files; raise ``RuleError`` (and keep the old rules) on a bad one."""
        files = load_rule_files([Path(d) for d in rules_dirs])
        self.reload_rules(files, load_alert_rules(files))

    def reload_rules(self, files: Sequence[RuleFile], rules: Sequence[AlertRule]) -> None:
        """Go on with rules already loaded (a daemon reload parses the files once)."""
        known = LabelSets.from_rule_files(files).by_field()
        self.engine.reload(list(rules), self.clock(), known_groups=known)

    def export(self, metrics: MetricsStore, exported: dict[tuple[str, str, str], int]) -> None:
        """Write the alert metrics into the daemon's store: the firing gauge, and the counts of
        notifications since the last export (``exported`` remembers them), so the daemon's
        checkpointed counters keep counting across restarts."""
        for name, severity, on in self.engine.firing_by_rule():
            metrics.set(FIRING_METRIC, (name, severity), 1.0 if on else 0.0)
        for key, n in self.dispatcher.counts().items():
            delta = n - exported.get(key, 0)
            if delta > 0:
                metrics.inc(NOTIFICATIONS_METRIC, key, delta)
                exported[key] = n

    def save(self) -> dict[str, Any] | None:
        """The ``alerts`` section of the daemon's checkpoint (None if the state cannot be
        written: the positions and counters must be checkpointed anyway)."""
        try:
            return dump_state(self.engine.checkpoint_state())
        except Exception:
            structlog.get_logger("logscan.sinks.alerting.engine").exception(
                "alert state not checkpointed"
            )
            return None

    def restore(self, doc: object) -> None:
        """Go on from the ``alerts`` section of the checkpoint (None: there was none)."""
        if doc is None:
            return
        try:
            state = load_state(doc)
        except AlertStateError as exc:
            structlog.get_logger("logscan.sinks.alerting.engine").warning(
                "checkpointed alert state unusable: alerts start afresh", error=str(exc)
            )
            return
        self.engine.restore(state, self.clock())

    def close(self, timeout: float = 5.0) -> None:
        self.dispatcher.close(timeout)
