"""The ``[alerting]`` config section, checked into a frozen :class:`AlertingConfig`.

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
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from logscan.sinks.alerting.durations import parse_duration
from logscan.sinks.alerting.log_time import DEFAULT_SKEW

# Where alerts' runbook links point unless [alerting] runbook_base says otherwise: the pages
# the package installs (docs/runbooks, as shared data).
DEFAULT_RUNBOOK_BASE = "file:///usr/share/doc/logscan/runbooks"


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
