"""Shared builders for the alerting tests: rules from TOML text, synthetic classified events, an
engine over a small rule with a fixed clock (Unix seconds passed in)."""

from __future__ import annotations

import time
import tomllib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from logscan.classify.rule_files import RuleFile
from logscan.core.event import ClassifiedEvent, Event, Verdict
from logscan.sinks.alerting.alert import EngineOptions
from logscan.sinks.alerting.engine import AlertEngine
from logscan.sinks.alerting.rules import AlertRule, load_alert_rules

T0 = 1_800_000_000.0

OPTS = EngineOptions(
    resend_interval=60, generator_url="http://mx1:9842/", labels={"instance": "mx1"}
)


BLOCKLIST = """
[[alert]]
name = "Blocklisted"
filter = 'category == "blocklisted" and direction == "outbound"'
window = "60s"
count = 3
group_by = "blocklist"
severity = "page"
summary = "{count} rejections naming {blocklist} in {window}"
description = "{meaning} {action} Sample: {sample}"
"""


RATIO = """
[[alert]]
name = "Deferrals"
filter = 'status == "deferred"'
of = 'direction == "outbound" and status != null'
window = "10m"
ratio = 0.3
resolve_below = 0.2
min_volume = 20
summary = "{value} ({count} of {total})"
"""


def rules_from(text: str, path: str = "test-rules.toml") -> list[AlertRule]:
    return load_alert_rules([RuleFile(Path(path), tomllib.loads(text), False)])


def event(
    category: str = "blocklisted",
    *,
    code: str | None = "554",
    enhanced: str | None = "5.7.1",
    direction: Any = "outbound",
    blocklist: str | None = "zen.spamhaus.org",
    provider: str | None = None,
    status: str | None = "bounced",
    mta: str = "postfix",
    text: str | None = None,
    line: int = 1,
    ts: str | None = None,
) -> ClassifiedEvent:
    if text is None:
        text = (
            f"{code} {enhanced} Service unavailable; Client host [198.51.100.25] blocked using "
            f"{blocklist}; to=<alice@example.com>"
        )
    ev = Event(
        path="/var/log/mail.log",
        line=line,
        mta=mta,
        direction=direction,
        stage="rcpt",
        status=status,
        code=code,
        enhanced=enhanced,
        text=text,
        ts=ts,
    )
    class_ = {"2": "success", "4": "transient", "5": "permanent"}.get((code or "")[:1])
    verdict = Verdict(
        class_,
        category,
        provider,
        blocklist,
        meaning="The sending IP is on a blocklist.",
        action="Request delisting.",
    )
    return ClassifiedEvent(ev, verdict)


def iso(t: float) -> str:
    """Unix time as an event's ``ts`` (ISO 8601, UTC)."""
    return datetime.fromtimestamp(t, UTC).isoformat()


def restamp(text: str, start: float, step: float = 0.0) -> str:
    """Syslog lines of ``text`` with their BSD timestamps (``Nov 29 00:17:48``, local time) set
    to ``start``, ``start + step``, ...: the alert engine counts events at their log time."""
    out = []
    for i, line in enumerate(text.splitlines(keepends=True)):
        stamp = time.strftime("%b %e %H:%M:%S", time.localtime(start + i * step))
        out.append(stamp + line[15:])
    return "".join(out)


def engine(text: str = BLOCKLIST, **kw: object) -> AlertEngine:
    return AlertEngine(rules_from(text), options=kw.pop("options", OPTS), **kw)  # type: ignore[arg-type]
