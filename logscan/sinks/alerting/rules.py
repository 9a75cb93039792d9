"""Alert rules as data: the ``[[alert]]`` tables of the rule files, checked once at load time.

A rule watches one *signal* and compares a value with a threshold::

    [[alert]]
    name = "BlocklistRejections"          # the alertname label; [A-Za-z_][A-Za-z0-9_]*
    filter = 'category == "blocklisted" and direction == "outbound"'
    window = "5m"                         # sliding window ("30s", "5m", "1h30m")
    count = 3                             # or rate = 0.5 (per second), or ratio = 0.1 with of
    group_by = "blocklist"                # one alert per value, carried as a label
    severity = "page"
    summary = "{count} rejections naming {blocklist} in {window}"
    description = "{meaning} {action} Sample: {sample}"

Signals (:class:`~logscan.sinks.alerting.signals.Signal`): ``events`` (the default: classified
events that match ``filter``), ``unrecognized`` (unrecognized lines over all lines of a source, a
parser-drift signal), ``source-quiet`` (no line from a source for ``quiet``) and ``reader-down``
(a journal reader that is not running). The last three read the health the daemon hands to
``AlertEngine.tick`` (see ``logscan.sinks.alerting.health``).

Files load in order (built-in ``rules/`` first, then operators' directories); a later rule with
the same ``name`` replaces an earlier one, and ``enabled = false`` switches a rule off::

    >>> from logscan.classify.rule_files import load_rule_files
    >>> rules = load_alert_rules(load_rule_files())
    >>> any(r.name == "BlocklistRejections" for r in rules)
    True
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from logscan.classify.rule_files import RuleError, RuleFile
from logscan.sinks.alerting.durations import format_duration, parse_duration
from logscan.sinks.alerting.filter_language import FIELDS, ExpressionError, Filter
from logscan.sinks.alerting.signals import (
    COUNTED_KINDS,
    LEVEL_KIND,
    THRESHOLD_KEYS,
    Kind,
    Signal,
)

SEVERITIES = ("page", "critical", "warning", "info")
# Fields an events rule may group by: bounded vocabularies or values from the rule files.
GROUP_FIELDS = frozenset({"provider", "blocklist", "category", "code", "enhanced", "class", "mta"})
GROUP_FIELDS |= frozenset({"direction", "status", "stage"})

# Placeholders a summary or description may use (see AlertEngine for their values).
TEMPLATE_FIELDS = frozenset(
    {
        "alertname",
        "severity",
        "value",
        "threshold",
        "count",
        "total",
        "window",
        "group",
        "source",
        "sample",
        "sample_source",
        "meaning",
        "action",
        *FIELDS,
    }
)

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# A ``{field}`` of a summary or description (also read by the exports).
PLACEHOLDER = re.compile(r"\{([^{}]*)\}")

_KEYS = frozenset(
    {
        "name",
        "signal",
        "filter",
        "of",
        "window",
        *THRESHOLD_KEYS,
        "min_volume",
        "resolve_below",
        "for",
        "group_by",
        "group_default",
        "max_groups",
        "severity",
        "summary",
        "description",
        "labels",
        "enabled",
    }
)


@dataclass(frozen=True)
class Template:
    """A summary or description: ``{field}`` placeholders, checked at load time.

    >>> Template.parse("{count} hits on {blocklist}").render({"count": 3, "blocklist": "zen"})
    '3 hits on zen'
    """

    text: str
    names: tuple[str, ...]

    @classmethod
    def parse(cls, text: str) -> Template:
        names = tuple(PLACEHOLDER.findall(text))
        for name in names:
            if name not in TEMPLATE_FIELDS:
                known = ", ".join(sorted(TEMPLATE_FIELDS))
                raise ValueError(f"unknown placeholder {{{name}}} (placeholders: {known})")
        return cls(text, names)

    def render(self, values: Mapping[str, object]) -> str:
        def one(m: re.Match[str]) -> str:
            v = values.get(m.group(1))
            return "none" if v is None else str(v)

        return PLACEHOLDER.sub(one, self.text).strip()


@dataclass(frozen=True)
class AlertRule:
    """One checked rule. Durations are in seconds."""

    name: str
    origin: str  # the file the rule came from
    signal: Signal
    kind: Kind
    threshold: float
    window: float
    filter: Filter
    of: Filter | None = None
    resolve_below: float | None = None
    min_volume: int = 0
    for_: float = 0.0
    group_by: str | None = None
    group_default: str | None = None
    max_groups: int = 50
    severity: str = "warning"
    summary: Template = field(default_factory=lambda: Template.parse("{alertname}"))
    description: Template = field(default_factory=lambda: Template.parse(""))
    labels: Mapping[str, str] = field(default_factory=dict)

    @property
    def clear_below(self) -> float:
        """The value under which a firing alert resolves (hysteresis: at most the threshold)."""
        return self.threshold if self.resolve_below is None else self.resolve_below


def _duration(raw: Mapping[str, Any], key: str, default: object) -> float:
    """``parse_duration`` of ``raw[key]``, its error naming the key."""
    try:
        return parse_duration(raw.get(key, default))
    except ValueError as exc:
        raise ValueError(f"'{key}': {exc}") from None


def show_value(kind: Kind, value: float) -> str:
    """A rule's value or threshold as people read it: 12, 0.5/s, 35%, 15m; the same words in the
    daemon's alerts and in the PromQL export's annotations.

    >>> show_value(Kind.RATE, 0.01), show_value(Kind.RATIO, 0.25), show_value(Kind.COUNT, 3.0)
    ('0.01/s', '25%', '3')
    """
    return _SHOWN[kind](value)


_SHOWN: Mapping[Kind, Callable[[float], str]] = {
    Kind.COUNT: lambda v: f"{v:g}",
    Kind.RATE: lambda v: f"{v:.3g}/s",
    Kind.RATIO: lambda v: f"{v * 100:.0f}%",
    Kind.QUIET: format_duration,
    Kind.DOWN: lambda v: "down" if v else "up",
}


def load_alert_rules(files: Sequence[RuleFile]) -> list[AlertRule]:
    """Every enabled rule of ``files``, later files overriding earlier ones by name.

    Raise :class:`RuleError` naming the file, the rule and (for a filter) the column.
    """
    rules: dict[str, AlertRule | None] = {}
    for rf in files:
        tables = rf.data.get("alert", [])
        if not isinstance(tables, list):
            raise RuleError(f"{rf.path}: 'alert' must be an array of tables ([[alert]])")
        seen: set[str] = set()
        for index, raw in enumerate(tables, start=1):
            where = f"{rf.path}: [[alert]] #{index}"
            if not isinstance(raw, dict):
                raise RuleError(f"{where}: must be a table")
            name = raw.get("name")
            if not isinstance(name, str) or not _NAME.match(name):
                raise RuleError(f"{where}: 'name' must match [A-Za-z_][A-Za-z0-9_]*, got {name!r}")
            if name in seen:
                raise RuleError(f"{rf.path}: alert {name!r}: defined twice in this file")
            seen.add(name)
            rules.pop(name, None)  # an override takes the place (and order) of the earlier rule
            rules[name] = _rule(rf, name, raw) if raw.get("enabled", True) is not False else None
    return [r for r in rules.values() if r is not None]


def _rule(rf: RuleFile, name: str, raw: dict[str, Any]) -> AlertRule:
    where = f"{rf.path}: alert {name!r}"
    try:
        return _build(rf, name, raw)
    except (ValueError, TypeError) as exc:
        raise RuleError(f"{where}: {exc}") from None


def _filter(raw: dict[str, Any], key: str) -> Filter | None:
    text = _optional_str(raw, key, what="a string expression")
    if text is None:
        return None
    try:
        return Filter.parse(text)
    except ExpressionError as exc:
        raise ValueError(f"{key}, column {exc.column}: {exc.message}") from None
    except RecursionError:  # the expression parser recurses once per level of parentheses
        raise ValueError(f"'{key}': parentheses nested too deeply") from None


def _build(rf: RuleFile, name: str, raw: dict[str, Any]) -> AlertRule:
    unknown = set(raw) - _KEYS
    if unknown:
        raise ValueError(f"unknown key(s) {', '.join(sorted(unknown))}")
    signal = _signal(raw)
    flt = _filter(raw, "filter")
    of = _filter(raw, "of")
    if signal is not Signal.EVENTS and (flt is not None or of is not None):
        raise ValueError(f"signal {signal.value!r} takes no 'filter' or 'of'")
    kind, threshold = _threshold(signal, raw)
    if kind is Kind.RATIO and signal is Signal.EVENTS and of is None:
        raise ValueError("a 'ratio' needs 'of', the filter of the events it is a ratio of")
    if kind is not Kind.RATIO and of is not None:
        raise ValueError("'of' is only for a 'ratio'")
    window = _duration(raw, "window", "5m")
    if window <= 0 and not kind.is_level:
        raise ValueError("'window' must be positive")
    group_by = raw.get("group_by")
    allowed = GROUP_FIELDS if signal is Signal.EVENTS else frozenset({"source"})
    if group_by is None and signal is not Signal.EVENTS:
        group_by = "source"  # health signals are per source
    if group_by is not None and group_by not in allowed:
        choices = ", ".join(sorted(allowed))
        raise ValueError(f"'group_by' must be one of {choices}, got {group_by!r}")
    severity = raw.get("severity", "warning")
    if severity not in SEVERITIES:
        raise ValueError(f"'severity' must be one of {', '.join(SEVERITIES)}, got {severity!r}")
    labels = raw.get("labels", {})
    if not isinstance(labels, dict) or not all(
        isinstance(k, str) and _NAME.match(k) and isinstance(v, str) for k, v in labels.items()
    ):
        raise ValueError("'labels' must be a table of label names to strings")
    resolve_below = raw.get("resolve_below")
    if resolve_below is not None:
        resolve_below = _number(resolve_below, "resolve_below")
        if resolve_below > threshold:
            raise ValueError("'resolve_below' must not be above the threshold")
    return AlertRule(
        name=name,
        origin=str(rf.path),
        signal=signal,
        kind=kind,
        threshold=threshold,
        window=window,
        filter=flt or Filter.always(),
        of=of,
        resolve_below=resolve_below,
        min_volume=int(_number(raw.get("min_volume", 0), "min_volume")),
        for_=_duration(raw, "for", 0),
        group_by=group_by,
        group_default=_optional_str(raw, "group_default"),
        max_groups=max(1, int(_number(raw.get("max_groups", 50), "max_groups"))),
        severity=severity,
        summary=_template(raw, "summary", "{alertname}"),
        description=_template(raw, "description", ""),
        labels=dict(labels),
    )


def _signal(raw: dict[str, Any]) -> Signal:
    word = raw.get("signal", Signal.EVENTS.value)
    try:
        return Signal(word)
    except ValueError:
        raise ValueError(f"'signal' must be one of {', '.join(Signal)}, got {word!r}") from None


def _threshold(signal: Signal, raw: dict[str, Any]) -> tuple[Kind, float]:
    """The rule's kind (the threshold key it gives) and threshold."""
    given = [k for k in THRESHOLD_KEYS if k in raw]
    level = LEVEL_KIND.get(signal)
    if level is not None:
        return level, _level_threshold(signal, level, given, raw)
    allowed = COUNTED_KINDS[signal]
    if len(given) != 1 or given[0] not in allowed:
        raise ValueError(f"give exactly one threshold of {', '.join(allowed)}")
    kind = given[0]
    value = _number(raw[kind], kind)
    if value <= 0 or (kind is Kind.RATIO and value > 1):
        at_most = " and at most 1" if kind is Kind.RATIO else ""
        raise ValueError(f"'{kind}' must be positive{at_most}")
    return kind, value


def _level_threshold(signal: Signal, level: Kind, given: list[Kind], raw: dict[str, Any]) -> float:
    """A reader is down or up: no threshold. Quiet takes one, a duration under its own key."""
    if level is Kind.DOWN:
        if given:
            raise ValueError(f"signal {signal.value!r} takes no threshold")
        return 1.0
    if given != [level]:
        raise ValueError(f"signal {signal.value!r} needs {level.value!r} (a duration) and no other")
    return _duration(raw, level, None)


def _number(raw: object, key: str) -> float:
    # ``not 0 <= raw < inf`` also rejects nan (every comparison with it is false).
    if isinstance(raw, bool) or not isinstance(raw, int | float) or not 0 <= raw < math.inf:
        raise ValueError(f"'{key}' must be a non-negative number, got {raw!r}")
    return float(raw)


def _optional_str(raw: dict[str, Any], key: str, what: str = "a string") -> str | None:
    value = raw.get(key)
    if value is not None and not isinstance(value, str):
        raise ValueError(f"'{key}' must be {what}")
    return value


def _template(raw: dict[str, Any], key: str, default: str) -> Template:
    text = _optional_str(raw, key)
    try:
        return Template.parse(default if text is None else text)
    except ValueError as exc:
        raise ValueError(f"{key}: {exc}") from None
