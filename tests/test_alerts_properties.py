"""Properties: the ring counts exactly what a naive window counts; filters never crash on input."""

from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from logscan.alerts import Ring
from logscan.expression import ExpressionError, Filter
from tests.alert_helpers import event

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
