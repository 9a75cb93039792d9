"""Runbooks: one Markdown page per alert (``docs/runbooks/<alert>.md``), generated from the data.

Every alert, the daemon's and Prometheus', carries a ``runbook_url`` annotation,
``<runbook_base>/<alert>.md`` (``[alerting] runbook_base``; :data:`DEFAULT_RUNBOOK_BASE` is where
the install steps put the pages). A page is built from:

* the rule (``rules/alerts.toml``): its severity, its condition, its description;
* the catalogue: the meaning and action of the categories and reply codes its filter names
  (``rules/categories.toml``, ``rules/catalogue.toml``);
* ``rules/runbooks.toml``: delisting pages of blocklists, postmaster pages of providers, and the
  steps of alerts that have no filter (health signals, Prometheus-only rules).

``logscan rules export --format runbooks --output docs/runbooks`` writes them; a test fails when a
page is missing or out of date.

    >>> from logscan.classify.rule_files import load_rule_files
    >>> pages = build_runbooks(load_rule_files(), {"BlocklistRejections": "counts more"})
    >>> "https://check.spamhaus.org/" in pages["BlocklistRejections"]
    True
    >>> "approximately: counts more" in pages["BlocklistRejections"]
    True
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from logscan.classify.rule_files import RuleError, RuleFile
from logscan.sinks.alerting.durations import format_duration
from logscan.sinks.alerting.filter_language import Comparison, conjunction
from logscan.sinks.alerting.rules import PLACEHOLDER, AlertRule, load_alert_rules
from logscan.sinks.alerting.signals import Kind, Signal

# Event fields as `logscan scan --format events` names them (jq paths).
_JQ_FIELD = {"class": '.["class"]'}


def runbook_url(base: str, alert: str) -> str:
    """Where the runbook of ``alert`` is: ``<base>/<alert>.md``.

    >>> runbook_url("https://example.com/runbooks/", "SourceQuiet")
    'https://example.com/runbooks/SourceQuiet.md'
    """
    return f"{base.rstrip('/')}/{alert}.md"


@dataclass(frozen=True)
class Knowledge:
    """What the pages draw on besides the rules (see the module docstring)."""

    categories: Mapping[str, Mapping[str, str]]
    codes: Mapping[str, Mapping[str, str]]
    delisting: Mapping[str, str]
    postmaster: Mapping[str, str]
    steps: Mapping[str, Mapping[str, list[str]]]

    @classmethod
    def load(cls, files: Sequence[RuleFile]) -> Knowledge:
        merged: dict[str, dict[str, Any]] = {}
        for rf in files:  # later files (operators') override earlier ones, key by key
            for table in ("category", "basic", "delisting", "postmaster", "runbook"):
                merged.setdefault(table, {}).update(rf.data.get(table, {}))
        return cls(
            merged["category"],
            merged["basic"],
            merged["delisting"],
            merged["postmaster"],
            merged["runbook"],
        )


def build_runbooks(
    files: Sequence[RuleFile], approximations: Mapping[str, str | None]
) -> dict[str, str]:
    """Alert name -> Markdown page, for every enabled rule and every Prometheus-only rule.

    ``approximations``: what the PromQL of a rule cannot express (``PromRule.approximation``),
    so that a page says how far the Prometheus alert of the same name can be trusted.
    """
    know = Knowledge.load(files)
    pages = {
        rule.name: _rule_page(rule, know, approximations.get(rule.name))
        for rule in load_alert_rules(files)
    }
    for rf in files:
        for raw in rf.data.get("prometheus_alert", []):
            name = str(raw["name"])
            pages[name] = _prometheus_page(name, raw, know)
    return pages


def _rule_page(rule: AlertRule, know: Knowledge, approximation: str | None) -> str:
    comps = _comparisons(rule)
    if rule.signal is not Signal.EVENTS and rule.name not in know.steps:
        raise RuleError(f"alert {rule.name!r}: rules/runbooks.toml needs [runbook.{rule.name}]")
    out = _head(rule.name, rule.severity, "rules/alerts.toml")
    out += ["## What it means", "", _static(rule.description.text), "", _condition(rule), ""]
    out += _meanings(comps, know)
    out += [_in_prometheus(approximation), ""]
    out += ["## How to confirm", ""]
    if rule.signal is Signal.EVENTS:
        out += _confirm_events(rule, comps)
    out += [f"- {s}" for s in know.steps.get(rule.name, {}).get("confirm", [])]
    out += ["", "## What to do", ""]
    out += _actions(comps, know)
    out += [f"- {s}" for s in know.steps.get(rule.name, {}).get("act", [])]
    out += _links(rule, comps, know)
    return "\n".join(out).rstrip() + "\n"


def _prometheus_page(name: str, raw: Mapping[str, Any], know: Knowledge) -> str:
    if name not in know.steps:
        raise RuleError(f"alert {name!r}: rules/runbooks.toml needs [runbook.{name}]")
    description = re.sub(r"\{\{[^}]*\}\}", "the source", str(raw.get("description", "")))
    out = _head(
        name, str(raw.get("severity", "warning")), "rules/alerts.toml ([[prometheus_alert]])"
    )
    out += ["## What it means", "", description, ""]
    out += [f"Fires when, in Prometheus: `{str(raw['expr']).strip()}`", ""]
    for title, key in (("## How to confirm", "confirm"), ("## What to do", "act")):
        out += [title, "", *[f"- {s}" for s in know.steps[name].get(key, [])], ""]
    return "\n".join(out).rstrip() + "\n"


def _head(name: str, severity: str, origin: str) -> list[str]:
    return [
        f"# {name}",
        "",
        f"Severity **{severity}**. Rule: `{origin}`. Generated by `logscan rules export --format "
        "runbooks` from the rules and the catalogue: edit those, then regenerate.",
        "",
    ]


def _comparisons(rule: AlertRule) -> tuple[Comparison, ...]:
    comps: tuple[Comparison, ...] = ()
    for text in (rule.filter.text, rule.of.text if rule.of else ""):
        if text:
            comps += conjunction(text) or ()
    return comps


def _static(template: str) -> str:
    """The description without what only a firing alert knows (its sample, counts, group)."""
    text = re.sub(r"\s*\([^()]*\{[^()]*\)", "", template)
    sentences = re.split(r"(?<=[.!?])\s+", " ".join(text.split()))
    kept = [s for s in sentences if not re.search(r"\{(meaning|action|sample|code|enhanced)", s)]
    return PLACEHOLDER.sub(lambda m: f"<{m.group(1)}>", " ".join(kept))


def _condition(rule: AlertRule) -> str:
    cond = _CONDITIONS[rule.kind](rule)
    if rule.for_:
        cond += f", for {format_duration(rule.for_)}"
    if rule.resolve_below is not None and not rule.kind.is_level:
        below = (
            f"{rule.resolve_below:.0%}" if rule.kind is Kind.RATIO else f"{rule.resolve_below:g}"
        )
        cond += f"; it resolves below {below}"
    return f"Fires when {cond}."


def _what(rule: AlertRule) -> str:
    return f"events matching `{rule.filter.text}`" if rule.filter.text else "lines"


def _per(rule: AlertRule) -> str:
    return f", per {rule.group_by}" if rule.group_by else ""


def _count_condition(rule: AlertRule) -> str:
    window = format_duration(rule.window)
    return f"there are at least {rule.threshold:g} {_what(rule)} within {window}{_per(rule)}"


def _rate_condition(rule: AlertRule) -> str:
    n = rule.threshold * rule.window
    window = format_duration(rule.window)
    return f"{_what(rule)} arrive at {rule.threshold:g}/s or more ({n:g} in {window}){_per(rule)}"


def _ratio_condition(rule: AlertRule) -> str:
    base = f"events matching `{rule.of.text}`" if rule.of else "all lines"
    share = "unrecognized lines" if rule.signal is Signal.UNRECOGNIZED else _what(rule)
    window = format_duration(rule.window)
    return (
        f"{share} make up {rule.threshold:.0%} or more of {base} within {window}{_per(rule)} "
        f"(once there are at least {rule.min_volume} of them)"
    )


def _quiet_condition(rule: AlertRule) -> str:
    return f"a source writes no line for {format_duration(rule.threshold)}"


def _down_condition(rule: AlertRule) -> str:
    return "a journal reader is not running"


_CONDITIONS: Mapping[Kind, Callable[[AlertRule], str]] = {
    Kind.COUNT: _count_condition,
    Kind.RATE: _rate_condition,
    Kind.RATIO: _ratio_condition,
    Kind.QUIET: _quiet_condition,
    Kind.DOWN: _down_condition,
}


def _in_prometheus(approximation: str | None) -> str:
    says = (
        f"approximately: {approximation}."
        if approximation
        else "exactly (it counts the same events with the same thresholds)."
    )
    return (
        "The Prometheus alert of the same name (`deploy/prometheus/alerts.yml`, over the "
        f"exported counters; no sample) evaluates this rule {says}"
    )


def _meanings(comps: tuple[Comparison, ...], know: Knowledge) -> list[str]:
    out = [f"- **{field} {key}**: {text}" for field, key, text in _told(comps, know, "meaning")]
    return [*out, ""] if out else []


def _actions(comps: tuple[Comparison, ...], know: Knowledge) -> list[str]:
    return [f"- {text}" for _, _, text in _told(comps, know, "action")]


def _told(
    comps: tuple[Comparison, ...], know: Knowledge, what: Literal["meaning", "action"]
) -> list[tuple[str, str, str]]:
    """(field, value, text) of what the catalogue tells of each category and code a filter
    fixes, where it tells ``what``."""
    out = []
    for field, key in _named(comps):
        entry = (know.categories if field == "category" else know.codes).get(key, {})
        if entry.get(what):
            out.append((field, key, entry[what]))
    return out


def _named(comps: tuple[Comparison, ...]) -> list[tuple[str, str]]:
    """The categories and reply codes a filter fixes, in its order."""
    out = []
    for c in comps:
        if c.field in ("category", "code") and c.op in ("==", "in") and c.value is not None:
            values = c.value if isinstance(c.value, tuple) else (c.value,)
            out += [(c.field, v) for v in values]
    return list(dict.fromkeys(out))


def _confirm_events(rule: AlertRule, comps: tuple[Comparison, ...]) -> list[str]:
    select = " and ".join(_jq(c) for c in comps) or "true"
    group = f' and .{rule.group_by} == "<{rule.group_by}>"' if rule.group_by else ""
    return [
        "- The alert's `sample` and `sample_source` annotations (daemon) name the most recent "
        "matching reply and its `file:line`; `logscan explain '<sample>'` says how it is "
        "classified and why.",
        "- The matching events of a log, one JSON object each:",
        "",
        f"      logscan scan /var/log/mail.log --format events | jq -c 'select({select}{group})'",
        "",
        "- `logscan scan /var/log/mail.log` (the report) separates what others refused of our "
        "mail (outbound) from what we refused (inbound): check the alert's direction there.",
    ]


def _jq(c: Comparison) -> str:
    path = _JQ_FIELD.get(c.field, f".{c.field}")
    if c.op in ("==", "!="):
        value = "null" if c.value is None else f'"{c.value}"'
        return f"{path} {c.op} {value}"
    if c.op in ("in", "not in"):
        values = c.value if isinstance(c.value, tuple) else ()
        quoted = ", ".join(f'"{v}"' for v in values)
        test = f"({path} | IN({quoted}))"
        return test if c.op == "in" else f"({test} | not)"
    test = f'(({path} // "") | test("{c.value}"))'
    return test if c.op == "=~" else f"({test} | not)"


def _links(rule: AlertRule, comps: tuple[Comparison, ...], know: Knowledge) -> list[str]:
    categories = {c.value for c in comps if c.field == "category"}
    if rule.group_by == "blocklist" or "blocklisted" in categories:
        rows = [f"| `{name}` | <{url}> |" for name, url in sorted(know.delisting.items())]
        return ["", "### Delisting", "", "| blocklist | look up and delist |", "|---|---|", *rows]
    if rule.group_by == "provider":
        rows = [f"| `{name}` | <{url}> |" for name, url in sorted(know.postmaster.items())]
        return ["", "### Provider postmaster pages", "", "| provider | page |", "|---|---|", *rows]
    return []
