"""The alert engine's state as a checkpoint section: what a restart needs to go on alerting.

A firing alert keeps its ``startsAt``, labels and annotations, and every group its window
contents, so after ``kill -9`` and a restart an alert that still holds is re-sent unchanged (one
continuous alert in Alertmanager: no resolve, no new ``startsAt``) and one whose window has
passed meanwhile resolves. The section is plain JSON, written with the counters and positions
(``Hooks.sections`` of the daemon), and checked field by field when read back: anything wrong
raises :class:`AlertStateError` and the caller starts with an empty state::

    >>> from logscan.sinks.alerting.groups import AlertState
    >>> doc = dump_state(AlertState())
    >>> doc
    {'version': 1, 'groups': [], 'orphans': [], 'first_seen': {}}
    >>> load_state(doc).groups
    {}
    >>> load_state({"version": 1, "groups": [{"rule": 3}], "orphans": []})
    Traceback (most recent call last):
    ...
    logscan.sinks.alerting.state.AlertStateError: groups[0]: 'rule': not a string: 3

Also kept: when each source was first watched (a source that never wrote a line is quiet since
then, so a restart neither resets nor flaps its ``SourceQuiet``). Not kept: the line counters'
baseline (the restored counters are the new baseline).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from typing import Any, get_args

from logscan.core.event import ClassifiedEvent, Event, Verdict
from logscan.sinks.alerting.groups import AlertState, GroupState, Status
from logscan.sinks.alerting.signals import Signal
from logscan.sinks.alerting.window import Ring

VERSION = 1
STATUSES: tuple[Status, ...] = get_args(Status)
_EVENT_FIELDS = {f.name for f in dataclasses.fields(Event)}
_VERDICT_FIELDS = {f.name for f in dataclasses.fields(Verdict)}
_TIMES = ("pending_since", "started_at", "last_sent", "hold_until", "level")


class AlertStateError(ValueError):
    """A checkpointed alert section that cannot be used (the message says where)."""


def dump_state(state: AlertState) -> dict[str, Any]:
    """``state`` as JSON-ready data (the line path's pending counts must have been flushed)."""
    return {
        "version": VERSION,
        "groups": [
            _dump_group(st, rule, key)
            for rule, groups in state.groups.items()
            for key, st in groups.items()
        ],
        "orphans": [_dump_group(st, None, None) for st in state.orphans],
        "first_seen": dict(state.first_seen),
    }


def load_state(doc: object) -> AlertState:
    """The state ``dump_state`` wrote; raise :class:`AlertStateError` if it is not that."""
    if not isinstance(doc, Mapping) or doc.get("version") != VERSION:
        raise AlertStateError(f"not a version {VERSION} alert state")
    state = AlertState()
    for i, raw in enumerate(_list(doc, "groups", "")):
        where = f"groups[{i}]: "
        rule = _str(raw, "rule", where)
        key = _opt_str(raw, "key", where)
        groups = state.groups.setdefault(rule, {})
        if key in groups:
            raise AlertStateError(f"{where}group {key!r} of {rule!r} twice")
        groups[key] = _load_group(raw, where)
    for i, raw in enumerate(_list(doc, "orphans", "")):
        st = _load_group(raw, f"orphans[{i}]: ")
        if st.status == "firing":
            state.orphans.append(st)
    first_seen = doc.get("first_seen", {})
    if not isinstance(first_seen, Mapping):
        raise AlertStateError("'first_seen': not an object")
    state.first_seen = {
        _source(name): _time(first_seen, name, "first_seen: ") for name in first_seen
    }
    return state


def _source(name: object) -> str:
    if not isinstance(name, str):
        raise AlertStateError(f"first_seen: not a source name: {name!r}")
    return name


def _dump_group(st: GroupState, rule: str | None, key: str | None) -> dict[str, Any]:
    ring = st.counts
    return {
        "rule": rule,
        "key": key,
        "signal": st.signal.value,
        "group_by": st.group_by,
        "window": st.window,
        "status": st.status,
        **{name: getattr(st, name) for name in _TIMES},
        "ring": {"head": ring.head, "hits": list(ring.hits), "base": list(ring.base)},
        "labels": dict(st.labels),
        "annotations": dict(st.annotations),
        "sample": _dump_sample(st.sample),
    }


def _dump_sample(ce: ClassifiedEvent | None) -> dict[str, Any] | None:
    if ce is None:
        return None
    return {"event": dataclasses.asdict(ce.event), "verdict": dataclasses.asdict(ce.verdict)}


def _load_group(raw: Any, where: str) -> GroupState:
    if not isinstance(raw, Mapping):
        raise AlertStateError(f"{where}not an object")
    status = raw.get("status")
    if status not in STATUSES:
        raise AlertStateError(f"{where}'status': not one of {', '.join(STATUSES)}: {status!r}")
    window = _time(raw, "window", where)
    if window <= 0:
        raise AlertStateError(f"{where}'window': not positive")
    st = GroupState(
        signal=_signal(raw, where),
        group_by=_opt_str(raw, "group_by", where),
        window=window,
        counts=_load_ring(raw.get("ring"), window, where),
        status=status,
        labels=_labels(raw, "labels", where),
        annotations=_labels(raw, "annotations", where),
        sample=_load_sample(raw.get("sample"), where),
    )
    for name in _TIMES:
        setattr(st, name, _time(raw, name, where))
    return st


def _load_ring(raw: Any, window: float, where: str) -> Ring:
    if not isinstance(raw, Mapping):
        raise AlertStateError(f"{where}'ring': not an object")
    hits, base = raw.get("hits"), raw.get("base")
    ring = Ring(window, with_base=bool(base))
    head = raw.get("head")
    if not isinstance(head, int) or not _count(head):
        raise AlertStateError(f"{where}'ring': 'head' must be a non-negative integer")
    if not isinstance(hits, list) or not isinstance(base, list):
        raise AlertStateError(f"{where}'ring': needs lists of hits and base")
    if len(hits) != ring.slots or (base and len(base) != ring.slots):
        raise AlertStateError(f"{where}'ring': {len(hits)} buckets for a window of {window} s")
    if not all(_count(n) for n in (*hits, *base)):
        raise AlertStateError(f"{where}'ring': counts must be non-negative integers")
    ring.head, ring.pos = head, head % ring.slots
    ring.hits, ring.base = list(hits), list(base)
    ring.total, ring.base_total = sum(hits), sum(base)
    return ring


def _load_sample(raw: Any, where: str) -> ClassifiedEvent | None:
    if raw is None:
        return None
    try:
        ev, verdict = raw["event"], raw["verdict"]
        if set(ev) - _EVENT_FIELDS or set(verdict) - _VERDICT_FIELDS:
            raise TypeError("unknown field")
        if not all(_scalar(v) for v in (*ev.values(), *verdict.values())):
            raise TypeError("not a scalar")
        return ClassifiedEvent(Event(**ev), Verdict(**verdict))
    except (KeyError, TypeError, AttributeError) as exc:
        raise AlertStateError(f"{where}'sample': not an event ({exc})") from None


def _list(doc: Mapping[str, Any], name: str, where: str) -> list[Any]:
    value = doc.get(name)
    if not isinstance(value, list):
        raise AlertStateError(f"{where}{name!r}: not a list")
    return value


def _str(raw: Mapping[str, Any], name: str, where: str) -> str:
    value = raw.get(name)
    if not isinstance(value, str):
        raise AlertStateError(f"{where}{name!r}: not a string: {value!r}")
    return value


def _signal(raw: Mapping[str, Any], where: str) -> Signal:
    word = _str(raw, "signal", where)
    try:
        return Signal(word)
    except ValueError:
        raise AlertStateError(
            f"{where}'signal': not one of {', '.join(Signal)}: {word!r}"
        ) from None


def _opt_str(raw: Mapping[str, Any], name: str, where: str) -> str | None:
    value = raw.get(name)
    return None if value is None else _str(raw, name, where)


def _time(raw: Mapping[str, Any], name: str, where: str) -> float:
    value = raw.get(name)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise AlertStateError(f"{where}{name!r}: not a finite number: {value!r}")
    return float(value)


def _labels(raw: Mapping[str, Any], name: str, where: str) -> dict[str, str]:
    value = raw.get(name)
    if not isinstance(value, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise AlertStateError(f"{where}{name!r}: not a table of strings")
    return dict(value)


def _count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _scalar(value: Any) -> bool:
    return value is None or isinstance(value, str | int | float | bool)
