"""The daemon's alert rules translated to PromQL: ``deploy/prometheus/alerts.yml`` is generated.

One source of truth: ``rules/alerts.toml`` holds the rules, the daemon evaluates them on events,
and ``logscan rules export --format prometheus`` writes the same rules over the exported counters
for Prometheus to evaluate fleet-wide. The translation of one rule:

* the filter (a plain ``and`` of comparisons) becomes label matchers on the counter that has
  its fields as labels (:data:`COUNTERS`); ``null`` is the label value ``none``;
* ``count`` -> ``sum(increase(...[window])) >= N``, ``rate`` -> ``sum(rate(...[window])) >= r``,
  ``ratio`` -> ``matching / base >= r and base >= min_volume`` (matching is ``filter`` and
  ``of``, as in the engine);
* ``group_by`` -> ``sum by (instance, <field>)``; ``group_default`` (events without the field)
  -> every matching reply minus those with the field, labelled with the default;
* ``resolve_below`` -> hysteresis through the rule's own ``ALERTS`` series;
* ``for`` -> ``for:``; the health signals read their gauges and ``logscan_lines_total``.

A condition no counter can express is left out, and the rule is marked approximate: a comment
above it and its ``approximation`` annotation say what differs (:attr:`PromRule.approximation`).

    >>> from logscan.classify.rule_files import load_rule_files
    >>> rules = export_rules(load_rule_files(), runbook_base="docs/runbooks")
    >>> r = next(r for r in rules if r.alert == "DeferralRatioHigh")
    >>> 'direction="outbound"' in r.expr, r.approximation
    (True, None)
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from logscan.classify.rule_files import RuleError, RuleFile
from logscan.sinks.alerting.durations import format_duration, parse_duration
from logscan.sinks.alerting.filter_language import Comparison, conjunction
from logscan.sinks.alerting.prometheus_text import prometheus_text
from logscan.sinks.alerting.rules import AlertRule, load_alert_rules
from logscan.sinks.alerting.runbooks import runbook_url
from logscan.sinks.alerting.signals import Kind, Signal

Function = Literal["increase", "rate"]


@dataclass(frozen=True)
class Counter:
    """An exported counter the translation can read.

    ``labels``: the event fields it carries as labels; ``requires``: the field every event it
    counts has (it counts only replies naming a provider, a blocklist, or with a status).
    """

    metric: str
    labels: frozenset[str]
    requires: str | None = None


REPLIES = Counter(
    "logscan_replies_total",
    frozenset({"mta", "direction", "code", "enhanced", "class", "category"}),
)
# Narrow counters first: a rule over a field they require reads them; otherwise the replies.
COUNTERS: tuple[Counter, ...] = (
    Counter("logscan_deliveries_total", frozenset({"mta", "direction", "status"}), "status"),
    Counter(
        "logscan_provider_replies_total",
        frozenset({"mta", "direction", "provider", "code", "class", "category"}),
        "provider",
    ),
    Counter(
        "logscan_blocklist_hits_total", frozenset({"mta", "direction", "blocklist"}), "blocklist"
    ),
    REPLIES,
)


@dataclass(frozen=True)
class PromRule:
    """One Prometheus alerting rule, ready to be written."""

    alert: str
    expr: str
    for_: float
    labels: tuple[tuple[str, str], ...]
    annotations: tuple[tuple[str, str], ...]
    approximation: str | None = None  # None: exact; else what differs from the daemon's rule


@dataclass(frozen=True)
class _Selection:
    """Which counter a filter reads, its matchers, and what it cannot express."""

    counter: Counter
    matchers: tuple[str, ...]
    missing: tuple[Comparison, ...]


class ExportError(ValueError):
    """A rule the export cannot translate at all (it names the rule)."""


# --- the file -------------------------------------------------------------------------------

HEADER = """\
# GENERATED from rules/alerts.toml by `logscan rules export --format prometheus`: do not edit.
# Regenerate with:
#   logscan rules export --format prometheus --output deploy/prometheus/alerts.yml
# (tests/unit/sinks/alerting/test_promql_export.py fails while this file differs from the export).
#
# logscan's alert rules in PromQL over the exported metrics, for fleet-wide evaluation in
# Prometheus; unit tests: alerts_test.yml (promtool test rules). Names, severities and grouping
# labels are those of the daemon's rules, so Alertmanager routes both the same way. A rule marked
# APPROXIMATE below (and by its `approximation` annotation) cannot be expressed exactly over the
# metrics. Differences common to every rule: Prometheus sees counters at scrape time, not events;
# increase() extrapolates within the window; a series that appears with its first hits is
# counted from its second scrape on; the daemon's cap on groups per rule (max_groups) has no
# PromQL counterpart.
"""


def render_file(rules: Sequence[PromRule], group: str = "logscan-defaults") -> str:
    """The YAML of ``deploy/prometheus/alerts.yml`` (strings JSON-quoted: valid YAML)."""
    out = [HEADER + "groups:", f"  - name: {group}", "    rules:"]
    for rule in rules:
        out.append("")
        if rule.approximation:
            out.append(f"      # APPROXIMATE: {rule.approximation}")
        out.append(f"      - alert: {rule.alert}")
        out.append("        expr: |")
        out += [f"          {line}" for line in rule.expr.splitlines()]
        if rule.for_:
            out.append(f"        for: {format_duration(rule.for_)}")
        out.append("        labels:")
        out += [f"          {k}: {_quote(v)}" for k, v in rule.labels]
        out.append("        annotations:")
        out += [f"          {k}: {_quote(v)}" for k, v in rule.annotations]
    return "\n".join(out) + "\n"


def _quote(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


# --- the rules ------------------------------------------------------------------------------


def export_rules(files: Sequence[RuleFile], runbook_base: str) -> list[PromRule]:
    """Every enabled rule of ``files`` in PromQL, then the Prometheus-only rules."""
    out = [translate(rule, runbook_base) for rule in load_alert_rules(files)]
    out += prometheus_only(files, runbook_base)
    return out


def translate(rule: AlertRule, runbook_base: str) -> PromRule:
    """One engine rule as a Prometheus rule; raise :class:`ExportError` if it cannot be."""
    try:
        expr, notes, by = _events(rule) if rule.signal is Signal.EVENTS else _health(rule)
    except ExportError as exc:
        raise ExportError(f"alert {rule.name!r}: {exc}") from None
    labels = (("severity", rule.severity), *sorted(rule.labels.items()))
    annotations = [
        ("summary", prometheus_text(rule, rule.summary.text, by) or rule.name),
        ("description", prometheus_text(rule, rule.description.text, by)),
        ("runbook_url", runbook_url(runbook_base, rule.name)),
    ]
    approximation = "; ".join(notes) or None
    if approximation:
        annotations.append(("approximation", approximation))
    return PromRule(rule.name, expr, rule.for_, labels, tuple(annotations), approximation)


def _events(rule: AlertRule) -> tuple[str, list[str], str | None]:
    comps = _comparisons(rule, rule.filter.text)
    base = _comparisons(rule, rule.of.text) if rule.of is not None else None
    if base is not None:
        comps = comps + base  # the engine counts matching events among the base's
    notes: list[str] = []
    fn: Function = "rate" if rule.kind is Kind.RATE else "increase"
    value = _value(rule, comps, fn, notes)
    by = ("instance", rule.group_by) if rule.group_by else ("instance",)
    if base is None:
        return _hysteresis(rule, value, by), notes, rule.group_by
    total = _value(rule, base, fn, notes)
    ratio = f"(\n  {_indent(value)}\n/\n  {_indent(total)}\n)"
    volume = f"{total} >= {_num(rule.min_volume)}"
    expr = f"(\n{_hysteresis(rule, ratio, by)}\n)\nand\n{volume}"
    return expr, list(dict.fromkeys(notes)), rule.group_by


def _comparisons(rule: AlertRule, text: str) -> tuple[Comparison, ...]:
    if not text:
        return ()
    comps = conjunction(text)
    if comps is None:
        raise ExportError("only a plain 'and' of comparisons translates to label matchers")
    return comps


def _value(rule: AlertRule, comps: tuple[Comparison, ...], fn: Function, notes: list[str]) -> str:
    """The summed counter of the events ``comps`` select, by instance and the group field."""
    group = rule.group_by
    default = rule.group_default
    sel = _select(comps, group, with_default=default is not None)
    for c in sel.missing:
        notes.append(
            f"{sel.counter.metric} has no {c.field} label: the condition {_show(c)} is not applied"
        )
    by = ("instance", group) if group else ("instance",)
    value = _sum(fn, sel, rule.window, by)
    if group is None or default is None or sel.counter.requires != group:
        return value
    if sel.missing:
        notes.append(f"events without a {group} (the daemon's group {default!r}) are not counted")
        return value
    # The default group: every matching reply minus those that carry the field.
    rest = _select(comps, None, with_default=True, counters=(REPLIES,))
    if rest.missing:
        notes.append(f"events without a {group} (the daemon's group {default!r}) are not counted")
        return value
    everything = _sum(fn, rest, rule.window, ("instance",))
    with_field = _sum(fn, sel, rule.window, ("instance",))
    without = f"{everything}\n-\n({with_field} or {everything} * 0)"
    labelled = f'label_replace(\n  {_indent(without)},\n  "{group}", "{default}", "", ""\n)'
    # Parenthesized: a comparison binds tighter than "or".
    return f"(\n  {_indent(value)}\nor\n  {_indent(labelled)}\n)"


def _select(
    comps: tuple[Comparison, ...],
    group: str | None,
    with_default: bool,
    counters: tuple[Counter, ...] = COUNTERS,
) -> _Selection:
    """The counter that expresses the most of ``comps`` (ties: the first in ``counters``)."""
    present = {c.field for c in comps if _requires_value(c)}
    if group is not None and not with_default:
        present.add(group)  # the engine skips events without the field: so does the counter
    best: _Selection | None = None
    for counter in counters:
        if group is not None and group not in counter.labels:
            continue
        if counter.requires not in (None, group) and counter.requires not in present:
            continue  # it would miss the events without its field
        matchers = tuple(m for c in comps if (m := _matcher(c, counter)) is not None)
        missing = tuple(c for c in comps if c.field not in counter.labels)
        if best is None or len(missing) < len(best.missing):
            best = _Selection(counter, matchers, missing)
    if best is None:
        raise ExportError(f"no exported counter has the label {group!r}")
    return best


def _requires_value(c: Comparison) -> bool:
    """Whether an event matching ``c`` must have the field."""
    if c.op in ("==", "in", "=~"):
        return c.value is not None
    return c.op == "!=" and c.value is None


def _matcher(c: Comparison, counter: Counter) -> str | None:
    """The label matcher of ``c`` on ``counter``; None when the counter implies it or lacks it."""
    if c.field not in counter.labels:
        return None
    if c.field == counter.requires and c.op == "!=" and c.value is None:
        return None  # the counter counts only events with the field
    if c.op in ("==", "!="):
        value = "none" if c.value is None else str(c.value)
        return f"{c.field}{'=' if c.op == '==' else '!='}{_quote(value)}"
    if c.op in ("in", "not in"):
        values = c.value if isinstance(c.value, tuple) else ()
        alternatives = "|".join(re.escape(v) for v in values)
        return f"{c.field}{'=~' if c.op == 'in' else '!~'}{_quote(alternatives)}"
    # The engine searches; PromQL anchors: widen the expression on both sides.
    return f"{c.field}{c.op}{_quote(f'.*(?:{c.value}).*')}"


def _sum(fn: Function, sel: _Selection, window: float, by: tuple[str, ...]) -> str:
    selector = f"{sel.counter.metric}{{{', '.join(sel.matchers)}}}"
    return f"sum by ({', '.join(by)}) ({fn}({selector}[{format_duration(window)}]))"


def _hysteresis(rule: AlertRule, value: str, by: tuple[str, ...]) -> str:
    """``value >= threshold``; with ``resolve_below``, a firing alert holds down to that."""
    fire = f"{value}\n>= {_num(rule.threshold)}"
    if rule.resolve_below is None or rule.resolve_below >= rule.threshold:
        return fire
    firing = f'ALERTS{{alertname="{rule.name}", alertstate="firing"}}'
    on = ", ".join(by)
    hold = f"(\n  {_indent(value)}\n  >= {_num(rule.resolve_below)}\n  and on ({on})\n  {firing}\n)"
    return f"(\n  {_indent(fire)}\n)\nor\n{hold}"


def _health(rule: AlertRule) -> tuple[str, list[str], str | None]:
    """A health rule over the daemon's per-source gauges and line counters (always by source)."""
    expr, notes = _HEALTH[rule.kind](rule)
    return expr, notes, "source"


def _unrecognized_count(rule: AlertRule) -> tuple[str, list[str]]:
    return _hysteresis(rule, _lines(rule, '{outcome="unrecognized"}'), _BY_SOURCE), []


def _unrecognized_ratio(rule: AlertRule) -> tuple[str, list[str]]:
    matching = _lines(rule, '{outcome="unrecognized"}')
    total = _lines(rule, "")
    ratio = f"(\n  {matching}\n/\n  {total}\n)"
    expr = f"(\n{_hysteresis(rule, ratio, _BY_SOURCE)}\n)\nand\n{total} >= {_num(rule.min_volume)}"
    return expr, []


def _lines(rule: AlertRule, matchers: str) -> str:
    """Lines of each source within the rule's window (``matchers``: on their outcome)."""
    window = format_duration(rule.window)
    return f"sum by (instance, source) (increase(logscan_lines_total{matchers}[{window}]))"


def _quiet(rule: AlertRule) -> tuple[str, list[str]]:
    last = "max by (instance, source) (logscan_source_last_line_timestamp_seconds)"
    note = (
        "a source that has written no line since logscan first started has no timestamp "
        "and is not alerted on (the daemon counts its quiet time from its own start)"
    )
    return f"time() - {last}\n>= {_num(rule.threshold)}", [note]


def _down(rule: AlertRule) -> tuple[str, list[str]]:
    return "max by (instance, source) (logscan_journal_reader_up) == 0", []


_BY_SOURCE = ("instance", "source")
_HEALTH: Mapping[Kind, Callable[[AlertRule], tuple[str, list[str]]]] = {
    Kind.COUNT: _unrecognized_count,
    Kind.RATIO: _unrecognized_ratio,
    Kind.QUIET: _quiet,
    Kind.DOWN: _down,
}


def _num(value: float) -> str:
    return f"{value:g}"


def _show(c: Comparison) -> str:
    value = "null" if c.value is None else c.value
    return (
        f"{c.field} {c.op} {value!r}"
        if not isinstance(value, str)
        else f'{c.field} {c.op} "{value}"'
    )


def _indent(text: str, by: str = "  ") -> str:
    return text.replace("\n", "\n" + by)


# --- rules only Prometheus can evaluate -------------------------------------------------------


def prometheus_only(files: Sequence[RuleFile], runbook_base: str) -> list[PromRule]:
    """The ``[[prometheus_alert]]`` tables: rules about the daemon itself (down, lagging), which
    it cannot evaluate; their ``expr``, ``summary`` and ``description`` are Prometheus'."""
    rules: dict[str, PromRule] = {}
    for rf in files:
        for raw in rf.data.get("prometheus_alert", []):
            try:
                rule = _prometheus_only(raw, runbook_base)
            except (KeyError, TypeError, ValueError) as exc:
                raise RuleError(f"{rf.path}: [[prometheus_alert]]: {exc}") from None
            rules[rule.alert] = rule
    return list(rules.values())


def _prometheus_only(raw: dict[str, Any], runbook_base: str) -> PromRule:
    name = str(raw["name"])
    annotations = (
        ("summary", str(raw["summary"])),
        ("description", str(raw.get("description", ""))),
        ("runbook_url", runbook_url(runbook_base, name)),
    )
    return PromRule(
        alert=name,
        expr=str(raw["expr"]).strip(),
        for_=parse_duration(raw.get("for", 0)),
        labels=(("severity", str(raw.get("severity", "warning"))),),
        annotations=annotations,
    )
