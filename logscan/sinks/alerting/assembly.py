"""The ``[alerting]`` config section, and the assembled alerting the daemon plugs in.

Config (every key optional; ``logscan run --alertmanager URL`` adds a URL without a file)::

    [alerting]
    alertmanager = ["http://127.0.0.1:9093"]   # one URL or a list; each gets every alert
    mask_samples = true                        # mask addresses and IPs in the sample line
    resend_interval = "1m"                     # re-send firing alerts (< resolve_timeout)
    generator_url = "http://mx1.example.com:9842/"   # default: http://<listen>/
    log = true                                 # also log transitions (structlog)
    labels = { instance = "mx1" }              # added to every alert (default instance: host name)
    runbook_base = "https://git.example.com/logscan/runbooks"   # runbook_url: <base>/<alert>.md
    clock_skew = "5m"                          # how far ahead of ours a log's clock may run

    [[alerting.webhook]]
    url = "https://hooks.example.com/logscan"
    secret_file = "/etc/logscan/webhook.secret"    # or secret = "...": HMAC-SHA256 signature
    timeout = "5s"

The section is checked when the config is parsed (``Config.alerting`` is an
:class:`AlertingConfig`). Wiring (``logscan.cli.run`` does this, on the rule files that
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
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol

import structlog

from logscan.classify.rule_files import RuleFile, load_rule_files
from logscan.core.event import ClassifiedEvent
from logscan.sinks.alerting.engine import (
    Alert,
    AlertEngine,
    AlertState,
    Delivery,
    EngineOptions,
    SourceHealth,
)
from logscan.sinks.alerting.log_time import DEFAULT_SKEW
from logscan.sinks.alerting.notifiers import (
    AlertmanagerNotifier,
    Backoff,
    Dispatcher,
    LogNotifier,
    Notifier,
    WebhookNotifier,
)
from logscan.sinks.alerting.rules import AlertRule, load_alert_rules, parse_duration
from logscan.sinks.alerting.runbooks import DEFAULT_RUNBOOK_BASE, runbook_url
from logscan.sinks.alerting.state import AlertStateError, dump_state, load_state
from logscan.sinks.labels import LabelSets
from logscan.sinks.metrics import MetricSpec

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


class AlertingConfigError(ValueError):
    """A bad ``[alerting]`` section; the message names the file and the key."""


@dataclass(frozen=True)
class WebhookConfig:
    url: str
    secret: bytes | None = field(default=None, repr=False)  # never printed
    timeout: float = 5.0


@dataclass(frozen=True)
class AlertingConfig:
    alertmanagers: tuple[str, ...] = ()
    webhooks: tuple[WebhookConfig, ...] = ()
    log: bool = True
    mask_samples: bool = True
    resend_interval: float = 60.0
    generator_url: str | None = None
    labels: Mapping[str, str] = field(default_factory=dict)
    runbook_base: str = DEFAULT_RUNBOOK_BASE
    clock_skew: float = DEFAULT_SKEW

    @classmethod
    def from_table(cls, table: Mapping[str, Any], origin: str = "config") -> AlertingConfig:
        """Check the ``[alerting]`` table of the config file ``origin``."""
        try:
            return _config(table, origin)
        except AlertingConfigError:
            raise
        except (ValueError, TypeError) as exc:
            raise AlertingConfigError(f"{origin}: alerting: {exc}") from None

    def with_alertmanagers(self, urls: Sequence[str]) -> AlertingConfig:
        """This config plus Alertmanager URLs from the command line (``--alertmanager``)."""
        for url in urls:
            _url(url, "--alertmanager")
        merged = tuple(dict.fromkeys([*self.alertmanagers, *urls]))
        return replace(self, alertmanagers=merged)


_KEYS = {
    "alertmanager",
    "webhook",
    "log",
    "mask_samples",
    "resend_interval",
    "generator_url",
    "labels",
    "runbook_base",
    "clock_skew",
}


def _config(table: Mapping[str, Any], origin: str) -> AlertingConfig:
    where = f"{origin}: alerting"
    if not isinstance(table, Mapping):
        raise AlertingConfigError(f"{where}: must be a table")
    unknown = set(table) - _KEYS
    if unknown:
        raise AlertingConfigError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
    ams = table.get("alertmanager", [])
    if isinstance(ams, str):
        ams = [ams]
    if not isinstance(ams, list):
        raise AlertingConfigError(f"{where}.alertmanager: must be a URL or a list of URLs")
    hooks = table.get("webhook", [])
    if not isinstance(hooks, list):
        raise AlertingConfigError(
            f"{where}.webhook: must be an array of tables ([[alerting.webhook]])"
        )
    labels = table.get("labels", {})
    if not isinstance(labels, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in labels.items()
    ):
        raise AlertingConfigError(f"{where}.labels: must be a table of strings")
    try:
        resend = parse_duration(table.get("resend_interval", 60))
    except ValueError as exc:
        raise AlertingConfigError(f"{where}.resend_interval: {exc}") from None
    if resend <= 0:
        raise AlertingConfigError(f"{where}.resend_interval: must be positive")
    generator = table.get("generator_url")
    if generator is not None:
        _url(generator, f"{where}.generator_url")
    runbook_base = table.get("runbook_base", DEFAULT_RUNBOOK_BASE)
    if not isinstance(runbook_base, str) or not runbook_base.strip():
        raise AlertingConfigError(f"{where}.runbook_base: must be a URL or path string")
    return AlertingConfig(
        # each URL once: every one gets its own queue and sends every alert
        alertmanagers=tuple(dict.fromkeys(_url(u, f"{where}.alertmanager") for u in ams)),
        webhooks=tuple(_webhook(h, f"{where}.webhook[{i}]") for i, h in enumerate(hooks)),
        log=_bool(table.get("log", True), f"{where}.log"),
        mask_samples=_bool(table.get("mask_samples", True), f"{where}.mask_samples"),
        resend_interval=resend,
        generator_url=generator,
        labels=dict(labels),
        runbook_base=runbook_base,
        clock_skew=parse_duration(table.get("clock_skew", DEFAULT_SKEW)),
    )


def _url(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value.startswith(("http://", "https://")):
        raise AlertingConfigError(f"{where}: not an http(s) URL: {value!r}")
    return value


def _bool(value: Any, where: str) -> bool:
    if not isinstance(value, bool):
        raise AlertingConfigError(f"{where}: must be true or false")
    return value


def _webhook(raw: Any, where: str) -> WebhookConfig:
    if not isinstance(raw, Mapping):
        raise AlertingConfigError(f"{where}: must be a table")
    unknown = set(raw) - {"url", "secret", "secret_file", "timeout"}
    if unknown:
        raise AlertingConfigError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
    if "secret" in raw and "secret_file" in raw:
        raise AlertingConfigError(f"{where}: give 'secret' or 'secret_file', not both")
    secret: bytes | None = None
    if "secret" in raw:
        if not isinstance(raw["secret"], str) or not raw["secret"]:
            raise AlertingConfigError(f"{where}.secret: must be a non-empty string")
        secret = raw["secret"].encode()
    elif "secret_file" in raw:
        path = Path(str(raw["secret_file"]))
        try:
            secret = path.read_bytes().strip()
        except OSError as exc:
            raise AlertingConfigError(f"{where}.secret_file: {path}: {exc.strerror}") from None
        if not secret:
            raise AlertingConfigError(f"{where}.secret_file: {path}: empty")
    try:
        timeout = parse_duration(raw.get("timeout", 5))
    except ValueError as exc:
        raise AlertingConfigError(f"{where}.timeout: {exc}") from None
    return WebhookConfig(_url(raw.get("url"), f"{where}.url"), secret, timeout or 5.0)


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
