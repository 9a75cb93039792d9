"""A rule's summary or description in Prometheus' template language, for the PromQL export.

Facts of the most recent event (its sample, meaning, code...) have no value in Prometheus; the
rule's value, threshold, window and group do, as template expressions.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from logscan.sinks.alerting.durations import format_duration
from logscan.sinks.alerting.filter_language import conjunction
from logscan.sinks.alerting.rules import PLACEHOLDER, AlertRule, show_value
from logscan.sinks.alerting.signals import Kind

# Event fields that exist only on the most recent event: a Prometheus rule cannot show them.
_EVENT_ONLY = frozenset({"sample", "sample_source", "meaning", "action", "total"})


def prometheus_text(rule: AlertRule, template: str, group: str | None) -> str:
    """A template in Prometheus' template language.

    The placeholders that hold a fact of the most recent event (its sample, meaning, code...)
    have no value in Prometheus: a parenthesis holding one goes, and so does a sentence that still
    holds one, so what is left reads as a sentence.
    """
    values = _template_values(rule, group)

    def known(text: str) -> bool:
        return all(name in values for name in PLACEHOLDER.findall(text))

    text = re.sub(r"\s*\([^()]*\)", lambda m: m.group(0) if known(m.group(0)) else "", template)
    sentences = re.split(r"(?<=[.!?])\s+", text.replace("\n", " "))
    text = " ".join(s for s in sentences if known(s))
    return " ".join(PLACEHOLDER.sub(lambda m: values[m.group(1)], text).split())


def _template_values(rule: AlertRule, group: str | None) -> dict[str, str]:
    values = {
        "alertname": rule.name,
        "severity": rule.severity,
        "window": format_duration(rule.window),
        "threshold": show_value(rule.kind, rule.threshold),
        "value": _SHOWN_VALUE[rule.kind],
    }
    if rule.kind is Kind.COUNT:
        values["count"] = "{{ $value | humanize }}"
    if group is not None:
        values[group] = values["group"] = f"{{{{ $labels.{group} }}}}"
    for text in (rule.filter.text, rule.of.text if rule.of else ""):
        for c in conjunction(text) or () if text else ():
            if c.op == "==" and isinstance(c.value, str) and c.field not in values:
                values[c.field] = c.value  # a field the filter fixes has that value
    return {k: v for k, v in values.items() if k not in _EVENT_ONLY}


# A rule's value in Prometheus' template language (show_value's counterpart).
_SHOWN_VALUE: Mapping[Kind, str] = {
    Kind.COUNT: "{{ $value | humanize }}",
    Kind.RATE: '{{ printf "%.3f" $value }}/s',
    Kind.RATIO: "{{ $value | humanizePercentage }}",
    Kind.QUIET: "{{ $value | humanizeDuration }}",
    Kind.DOWN: "{{ $value | humanize }}",
}
