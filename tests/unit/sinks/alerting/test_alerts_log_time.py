"""The alert engine counts events at their log time: a backlog never pages for history.

Events carry ``ts`` (ISO 8601); the engine is handed the time they were *read* (``now``).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from logscan.sinks.alerting.alert import EngineOptions
from logscan.sinks.alerting.engine import AlertEngine
from tests.helpers.alert_helpers import BLOCKLIST, OPTS, T0, event, iso, rules_from

HOUR = 3600.0


def engine(skew: float = 300.0) -> AlertEngine:
    options = EngineOptions(
        resend_interval=OPTS.resend_interval, labels=OPTS.labels, clock_skew=skew
    )
    return AlertEngine(rules_from(BLOCKLIST), options=options)  # 3 in 60 s fires


def test_backlog_hours_old_read_in_one_go_does_not_fire() -> None:
    e = engine()
    # Downtime: bounces at -6 h, -5 h, -4 h, and a real burst at -3 h; all read now.
    for i, ago in enumerate((6 * HOUR, 5 * HOUR, 4 * HOUR, 3 * HOUR, 3 * HOUR - 1, 3 * HOUR - 2)):
        e.observe(event(ts=iso(T0 - ago), line=i), T0)
    assert e.tick(T0) == []
    assert e.tick(T0 + 1) == [] and e.firing() == []


def test_backlog_burst_over_by_now_does_not_fire_but_one_still_in_the_window_does() -> None:
    e = engine()
    for i in range(5):  # a burst 2 to 3 minutes ago: over (60 s window), read now
        e.observe(event(ts=iso(T0 - 180 + i)), T0)
    assert e.tick(T0) == []
    for ago in (50, 30, 5):  # three bounces over the last 50 s, read together now
        e.observe(event(ts=iso(T0 - ago)), T0)
    [fired] = e.tick(T0)
    assert fired.status == "firing" and fired.annotations["count"] == "3"
    assert fired.starts_at == T0  # when logscan knew it: wall-clock
    assert e.tick(T0 + 9) == []  # the oldest (at -50 s) is still in the window
    [resolved] = e.tick(T0 + 11)  # it left at +10 s: the window is in log time, not read time
    assert resolved.status == "resolved" and resolved.ends_at == T0 + 11


def test_events_without_ts_count_when_read() -> None:
    e = engine()
    for _ in range(3):
        e.observe(event(ts=None), T0)
    [fired] = e.tick(T0)
    assert fired.status == "firing"


def test_clock_ahead_within_the_skew_counts_at_its_own_time() -> None:
    e = engine(skew=300.0)
    for i in range(3):  # the log's clock runs 2 minutes ahead of ours
        e.observe(event(ts=iso(T0 + 120 + i)), T0 + i)
    [fired] = e.tick(T0 + 3)
    assert fired.status == "firing"
    # the window slides on the log's clock while it is ahead: the events stay for their
    # full 60 s of log time, so the alert holds until our clock passes them
    assert [a.status for a in e.tick(T0 + 150)] == ["firing"]  # a re-send, still firing
    [resolved] = e.tick(T0 + 182)
    assert resolved.status == "resolved"


def test_timestamp_far_ahead_is_not_trusted_and_counts_when_read() -> None:
    e = engine(skew=300.0)
    for i in range(3):  # a day ahead: wrong zone, year or clock
        e.observe(event(ts=iso(T0 + 86_400 + i)), T0 + i)
    [fired] = e.tick(T0 + 3)
    assert fired.status == "firing"
    [resolved] = e.tick(T0 + 62)  # counted at T0..T0+2: gone 60 s later
    assert resolved.status == "resolved"


def test_clock_behind_counts_for_what_is_left_of_its_window() -> None:
    e = engine()
    for i in range(3):  # the log's clock is 40 s behind ours
        e.observe(event(ts=iso(T0 - 40 + i)), T0 + i)
    [fired] = e.tick(T0 + 3)
    assert fired.status == "firing"
    [resolved] = e.tick(T0 + 22)  # the first left the window 60 s after its own time
    assert resolved.status == "resolved"


def test_interleaved_sources_old_and_current_are_not_mixed() -> None:
    e = engine()
    for i in range(2):  # a live source (two bounces) interleaved with an old backlog
        e.observe(event(ts=iso(T0 + i)), T0 + i)
        e.observe(event(ts=iso(T0 - 2 * HOUR + i)), T0 + i)
        e.observe(event(ts=iso(T0 - 2 * HOUR + i)), T0 + i)
    assert e.tick(T0 + 2) == []  # 2 live events in the window, not 6
    e.observe(event(ts=iso(T0 + 2)), T0 + 2)
    [fired] = e.tick(T0 + 3)
    assert fired.annotations["count"] == "3"


def test_unparseable_ts_counts_when_read() -> None:
    e = engine()
    for i in range(3):
        e.observe(event(ts="yesterday-ish"), T0 + i)
    [fired] = e.tick(T0 + 3)
    assert fired.status == "firing"


def test_clock_skew_is_an_alerting_setting() -> None:
    from logscan.sinks.alerting.assembly import Alerting, AlertingConfig, AlertingConfigError

    assert AlertingConfig.from_table({}).clock_skew == 300.0
    cfg = AlertingConfig.from_table({"clock_skew": "2m"})
    alerting = Alerting.build(replace(cfg, log=False))
    try:
        assert alerting.engine.options.clock_skew == 120.0
    finally:
        alerting.close()
    with pytest.raises(AlertingConfigError, match="duration"):
        AlertingConfig.from_table({"clock_skew": "soon"})


def _year(t: float, years: int) -> str:
    d = datetime.fromtimestamp(t, UTC)
    return d.replace(year=d.year + years).isoformat()


def test_new_year_backlog_completed_with_next_year_is_history() -> None:
    e = engine()
    # Down over New Year: a parser started in January gives December's lines January's year,
    # so they look a year ahead. They are a backlog from hours ago: no page.
    for i in range(5):
        e.observe(event(ts=_year(T0 - 3 * HOUR + i, +1)), T0)
    assert e.tick(T0) == [] and e.firing() == []


def test_live_lines_completed_with_last_year_still_fire() -> None:
    e = engine()
    # Running over New Year: a parser started in December gives January's lines last year's
    # number; read as they are written, they are now.
    for i in range(3):
        e.observe(event(ts=_year(T0 + i - 1, -1)), T0 + i)
    [fired] = e.tick(T0 + 3)
    assert fired.status == "firing"
    [resolved] = e.tick(T0 + 61)  # in the window where they happened, not a year back
    assert resolved.status == "resolved"


def test_lines_a_year_old_are_history() -> None:
    e = engine()
    for i in range(5):
        e.observe(event(ts=_year(T0 - 2 * HOUR + i, -1)), T0)
    assert e.tick(T0) == []
