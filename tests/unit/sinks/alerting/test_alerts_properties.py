"""Properties: the ring counts exactly what a naive window counts, also for events that arrive
late and out of order (a backlog); filters never crash on input."""

from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from logscan.sinks.alerting.filter_language import ExpressionError, Filter
from logscan.sinks.alerting.window import Ring
from tests.helpers.alert_helpers import event

T0 = 1_800_000_000.0


@settings(max_examples=200, deadline=None)
@given(
    window=st.sampled_from([5.0, 60.0, 90.0, 300.0, 3600.0]),
    steps=st.lists(
        st.tuples(st.floats(0, 400, allow_nan=False), st.integers(0, 5), st.booleans()),
        max_size=60,
    ),
)
def test_ring_matches_a_naive_window(window: float, steps: list[tuple[float, int, bool]]) -> None:
    ring = Ring(window)
    seen: list[tuple[float, int]] = []
    now = T0
    for advance, k, query in steps:
        now += advance  # time only moves forward here
        if query:
            # the ring holds every event of the last `window` s, and none older than window+width
            got = ring.total_at(now)
            first_bucket = math.floor(now / ring.width) - ring.slots + 1
            expected = sum(n for t, n in seen if math.floor(t / ring.width) >= first_bucket)
            assert got == expected
            assert got >= sum(n for t, n in seen if now - t <= window - ring.width * 1e-9)
            assert got <= sum(n for t, n in seen if now - t < window + ring.width)
        else:
            ring.add(now, k)
            seen.append((now, k))


@settings(max_examples=200, deadline=None)
@given(
    window=st.sampled_from([5.0, 60.0, 300.0, 600.0]),
    arrivals=st.lists(
        st.tuples(st.floats(0, 2000, allow_nan=False), st.integers(1, 3)), max_size=60
    ),
    queries=st.lists(st.floats(0, 200, allow_nan=False), min_size=1, max_size=5),
)
def test_ring_counts_late_events_where_they_happened(
    window: float, arrivals: list[tuple[float, int]], queries: list[float]
) -> None:
    """Events ``age`` seconds before ``now``, in any order, count as a window at ``now`` (and
    later) sees them: never an event older than the window when it arrived."""
    ring = Ring(window)
    now = T0 + 5000
    for age, k in arrivals:
        ring.add(now - age, k)
    for later in sorted(queries):
        at = now + later
        first_bucket = math.floor(at / ring.width) - ring.slots + 1
        # an event the ring dropped on arrival (older than the ring then) never comes back
        kept = [
            (now - age, k)
            for age, k in arrivals
            if math.floor((now - age) / ring.width) > max_head(ring, now, arrivals) - ring.slots
        ]
        expected = sum(k for t, k in kept if math.floor(t / ring.width) >= first_bucket)
        assert ring.total_at(at) == expected
        assert expected <= sum(k for age, k in arrivals if at - (now - age) < window + ring.width)


def max_head(ring: Ring, now: float, arrivals: list[tuple[float, int]]) -> int:
    """The ring's newest bucket after the arrivals (the latest event's)."""
    return max((math.floor((now - age) / ring.width) for age, _ in arrivals), default=0)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=80))
def test_any_text_parses_or_fails_cleanly(text: str) -> None:
    try:
        f = Filter.parse(text)
    except ExpressionError as exc:
        assert 1 <= exc.column <= len(text) + 1
        return
    assert f.matches(event()) in (True, False)


WORDS = [
    "code",
    "category",
    "provider",
    "==",
    "!=",
    "in",
    "not",
    "and",
    "or",
    "(",
    ")",
    '"421"',
    '"blocklisted"',
    "null",
    "[",
    "]",
    ",",
    "=~",
    '"^4"',
    "421",
]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(WORDS), max_size=12))
def test_token_soup_parses_or_fails_cleanly(tokens: list[str]) -> None:
    text = " ".join(tokens)
    try:
        f = Filter.parse(text)
    except ExpressionError as exc:
        assert 1 <= exc.column <= len(text) + 1
        return
    assert f.matches(event()) in (True, False)


INDEX_WORDS = [
    *WORDS,
    "direction",
    '"outbound"',
    '"inbound"',
    '"mailbox-unknown"',
    '"451"',
]
INDEX_EVENTS = [
    event(category, code=code, direction=direction)
    for category in ("blocklisted", "mailbox-unknown", "delivered")
    for code in ("421", "451", "554", None)
    for direction in ("outbound", "inbound", None)
]


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(INDEX_WORDS), min_size=3, max_size=12))
def test_the_rule_index_never_skips_an_event_its_filter_matches(tokens: list[str]) -> None:
    """``Filter.requires`` lets the engine skip a rule unasked; it must be sound: whatever the
    filter matches has its indexed fields among the required values."""
    try:
        f = Filter.parse(" ".join(tokens))
    except ExpressionError:
        return
    for ce in INDEX_EVENTS:
        if f.matches(ce):
            key = {"category": ce.verdict.category, "direction": ce.event.direction}
            key["code"] = ce.event.code
            assert all(v in f.requires.get(k, {v}) for k, v in key.items()), (tokens, ce)
