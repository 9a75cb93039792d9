"""Firing and resolving: where one group's alert stands after a tick, and the alert it sends.

A group goes inactive -> pending (value at or over the threshold) -> firing (after the rule's
``for``); a firing alert holds until its value falls under ``resolve_below`` (hysteresis) and is
re-sent every ``resend_interval`` meanwhile. Labels are frozen when it fires (Alertmanager
identifies an alert by its label set); annotations are rendered anew at every send.
"""

from __future__ import annotations

import operator

from logscan.sinks.alerting.alert import Alert, AlertStatus, EngineOptions
from logscan.sinks.alerting.durations import format_duration
from logscan.sinks.alerting.filter_language import FIELDS
from logscan.sinks.alerting.groups import GroupState
from logscan.sinks.alerting.masking import mask_text
from logscan.sinks.alerting.measure import Measurement, measure
from logscan.sinks.alerting.rules import AlertRule, show_value
from logscan.sinks.alerting.signals import Kind

# Annotations that only some alerts have (an event's facts; a sample needs one).
_OPTIONAL_ANNOTATIONS = ("meaning", "action", "sample", "sample_source")


class Transitions:
    """Turns groups' measurements into alerts, with the engine's options."""

    def __init__(self, options: EngineOptions) -> None:
        self.options = options

    def evaluate(
        self, rule: AlertRule, key: str | None, st: GroupState, now: float, at: float
    ) -> Alert | None:
        """One group's transition at wall-clock ``now``, its window ending at ``at``."""
        m = measure(rule, st, at)
        if st.status == "firing":
            # Hysteresis: a firing alert holds until the value falls under resolve_below.
            holds = m.value >= rule.clear_below and (rule.kind is not Kind.RATIO or m.total > 0)
            if holds or now < st.hold_until:
                if now - st.last_sent >= self.options.resend_interval:
                    st.last_sent = now
                    st.annotations = self._annotations(rule, key, st, m)
                    return self.firing(st, repeat=True)
                return None
            st.annotations = self._annotations(rule, key, st, m)
            st.status = "inactive"
            return self.resolved(st, now)
        if not (m.enough and m.value >= rule.threshold):
            st.status = "inactive"
            return None
        if st.status != "pending":
            st.status, st.pending_since = "pending", now
        if now - st.pending_since < rule.for_:
            return None
        st.status, st.started_at, st.last_sent = "firing", now, now
        st.labels = self._labels(rule, key, st)
        st.annotations = self._annotations(rule, key, st, m)
        return self.firing(st, repeat=False)

    def firing(self, st: GroupState, repeat: bool) -> Alert:
        return self._alert(st, "firing", None, repeat)

    def resolved(self, st: GroupState, now: float) -> Alert:
        return self._alert(st, "resolved", now, repeat=False)

    def _alert(
        self, st: GroupState, status: AlertStatus, ends_at: float | None, repeat: bool
    ) -> Alert:
        return Alert(
            status,
            dict(st.labels),
            dict(st.annotations),
            st.started_at,
            ends_at,
            self.options.generator_url,
            repeat,
        )

    def _labels(self, rule: AlertRule, key: str | None, st: GroupState) -> dict[str, str]:
        labels = {**self.options.labels, **rule.labels}
        labels["alertname"] = rule.name
        labels["severity"] = rule.severity
        if rule.group_by is not None and key is not None:
            labels[rule.group_by] = key
        if st.sample is not None:
            labels["mta"] = st.sample.event.mta
        return labels

    def _annotations(
        self, rule: AlertRule, key: str | None, st: GroupState, m: Measurement
    ) -> dict[str, str]:
        values = self._template_values(rule, key, st, m)
        out = {
            "summary": rule.summary.render(values),
            "description": rule.description.render(values),
            "value": str(values["value"]),
            "threshold": str(values["threshold"]),
            "count": str(m.count),
            "window": str(values["window"]),
        }
        if rule.kind is Kind.RATIO:
            out["total"] = str(m.total)
        for name in _OPTIONAL_ANNOTATIONS:
            if values.get(name):
                out[name] = str(values[name])
        return out

    def _template_values(
        self, rule: AlertRule, key: str | None, st: GroupState, m: Measurement
    ) -> dict[str, object]:
        """What a summary's or description's placeholders stand for (``rules.TEMPLATE_FIELDS``)."""
        values: dict[str, object] = {
            "alertname": rule.name,
            "severity": rule.severity,
            "value": show_value(rule.kind, m.value),
            "threshold": show_value(rule.kind, rule.threshold),
            "count": m.count,
            "total": m.total,
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
