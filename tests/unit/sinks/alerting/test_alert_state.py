"""The alert engine's state through a checkpoint: JSON out, checked JSON in, engine goes on."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
import structlog

from logscan.sinks.alerting.assembly import Alerting, AlertingConfig
from logscan.sinks.alerting.engine import AlertEngine
from logscan.sinks.alerting.health import SourceHealth
from logscan.sinks.alerting.state import AlertStateError, dump_state, load_state
from tests.helpers.alert_helpers import BLOCKLIST, OPTS, T0, event, iso, rules_from


def engine() -> AlertEngine:
    return AlertEngine(rules_from(BLOCKLIST), options=OPTS)


def through_json(e: AlertEngine) -> Any:
    return json.loads(json.dumps(dump_state(e.checkpoint_state())))


def firing_engine() -> AlertEngine:
    e = engine()
    for i in range(3):
        e.observe(event(ts=iso(T0 + i), line=10 + i), T0 + i)
    [fired] = e.tick(T0 + 3)
    assert fired.status == "firing"
    return e


def test_restart_keeps_a_firing_alert_with_its_start_and_window() -> None:
    before = firing_engine()
    e2 = engine()  # the restarted process
    e2.restore(load_state(through_json(before)), T0 + 10)
    [again] = e2.tick(T0 + 10)
    # re-sent at once (the old process's queue is lost), as the same alert: no new start
    assert again.status == "firing" and again.repeat and again.starts_at == T0 + 3
    assert again.labels["blocklist"] == "zen.spamhaus.org"
    assert again.annotations["sample_source"] == "/var/log/mail.log:12"  # the sample survived
    assert e2.tick(T0 + 20) == []
    # the window goes on from the checkpointed counts: resolves when the first event leaves
    assert e2.tick(T0 + 60) == []
    [resolved] = e2.tick(T0 + 61)
    assert resolved.status == "resolved" and resolved.starts_at == T0 + 3


def test_restart_after_the_window_passed_resolves_once() -> None:
    e2 = engine()
    e2.restore(load_state(through_json(firing_engine())), T0 + 3600)
    [resolved] = e2.tick(T0 + 3600)
    assert resolved.status == "resolved" and resolved.starts_at == T0 + 3
    assert e2.tick(T0 + 3601) == []


def test_pending_counts_of_the_line_path_are_checkpointed() -> None:
    e = engine()
    e.observe(event(ts=iso(T0)), T0)
    e.observe(event(ts=iso(T0)), T0)  # still in the line path's batch, not yet in a ring
    e2 = engine()
    e2.restore(load_state(through_json(e)), T0 + 1)
    e2.observe(event(ts=iso(T0 + 1)), T0 + 1)
    [fired] = e2.tick(T0 + 2)
    assert fired.annotations["count"] == "3"


def test_restored_state_of_a_removed_rule_resolves() -> None:
    doc = through_json(firing_engine())
    other = AlertEngine(rules_from(BLOCKLIST.replace("Blocklisted", "Other")), options=OPTS)
    other.restore(load_state(doc), T0 + 5)
    [resolved] = other.tick(T0 + 5)
    assert resolved.status == "resolved" and resolved.name == "Blocklisted"


def test_a_source_that_never_wrote_stays_quiet_across_a_restart() -> None:
    rules = rules_from('[[alert]]\nname = "Quiet"\nsignal = "source-quiet"\nquiet = "30m"\n')
    e = AlertEngine(rules, options=OPTS)
    silent = [SourceHealth("never")]
    assert e.tick(T0, silent) == []
    [fired] = e.tick(T0 + 1800, silent)
    e2 = AlertEngine(rules, options=OPTS)
    e2.restore(load_state(through_json(e)), T0 + 1810)
    [again] = e2.tick(T0 + 1810, silent)  # not reset to zero by the restart: no resolve
    assert again.status == "firing" and again.repeat and again.starts_at == fired.starts_at


def _broken(doc: Any, path: tuple[Any, ...], value: Any) -> Any:
    bad = copy.deepcopy(doc)
    node = bad
    for k in path[:-1]:
        node = node[k]
    node[path[-1]] = value
    return bad


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("version",), 2),
        (("groups",), {}),
        (("groups", 0, "status"), "burning"),
        (("groups", 0, "started_at"), "yesterday"),
        (("groups", 0, "started_at"), float("nan")),
        (("groups", 0, "window"), 0),
        (("groups", 0, "ring", "hits"), [1, 2, 3]),
        (("groups", 0, "ring", "head"), -1),
        (("groups", 0, "labels"), {"a": 1}),
        (("groups", 0, "sample"), {"event": {"nope": 1}, "verdict": {}}),
        (("groups", 0, "rule"), None),
        (("groups", 0, "signal"), "quiet"),  # the rule files' word is "source-quiet"
        (("first_seen",), {"mail": "now"}),
    ],
)
def test_invalid_section_is_refused(path: tuple[Any, ...], value: Any) -> None:
    doc = through_json(firing_engine())
    with pytest.raises(AlertStateError):
        load_state(_broken(doc, path, value))


def test_negative_ring_count_is_refused() -> None:
    doc = through_json(firing_engine())
    doc["groups"][0]["ring"]["hits"][0] = -5
    with pytest.raises(AlertStateError, match="non-negative"):
        load_state(doc)


def test_alerting_drops_an_invalid_section_with_a_warning() -> None:
    alerting = Alerting.build(AlertingConfig(log=False))
    try:
        with structlog.testing.capture_logs() as logs:
            alerting.restore({"version": 1, "groups": "garbage", "orphans": []})
            alerting.restore(None)  # no section: nothing to say
        assert [entry["log_level"] for entry in logs] == ["warning"]
        assert "alert state" in logs[0]["event"]
        assert alerting.engine.firing() == []
        saved = alerting.save()
        assert saved is not None and saved["groups"] == []
    finally:
        alerting.close()
