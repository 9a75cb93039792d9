"""An alert as it leaves the engine for the notifiers, and the settings that shape it."""

from __future__ import annotations

import socket
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from logscan.sinks.alerting.log_time import DEFAULT_SKEW

AlertStatus = Literal["firing", "resolved"]


@dataclass(frozen=True)
class Alert:
    """One alert at one moment, as the notifiers send it.

    ``repeat`` marks a re-send of an alert still firing (Alertmanager expects them; the webhook
    and the log only want transitions). ``ends_at`` is set on a resolved alert.
    """

    status: AlertStatus
    labels: Mapping[str, str]
    annotations: Mapping[str, str]
    starts_at: float
    ends_at: float | None
    generator_url: str
    repeat: bool = False

    @property
    def name(self) -> str:
        return self.labels["alertname"]


@dataclass(frozen=True)
class EngineOptions:
    """Settings of the ``[alerting]`` config that the engine itself uses."""

    resend_interval: float = 60.0  # shorter than Alertmanager's resolve_timeout (5m default)
    generator_url: str = "http://localhost:9842/"
    mask_samples: bool = True
    labels: Mapping[str, str] = field(default_factory=lambda: {"instance": socket.gethostname()})
    clock_skew: float = DEFAULT_SKEW  # how far ahead of ours a log's clock may run (seconds)
