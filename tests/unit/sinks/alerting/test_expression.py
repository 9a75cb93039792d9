"""The filter expression language: what matches, and errors that point at the column."""

from __future__ import annotations

import time

import pytest

from logscan.sinks.alerting.filter_language import ExpressionError, Filter
from tests.helpers.alert_helpers import event

BLOCKED_OUT = event("blocklisted")
BLOCKED_IN = event("blocklisted", direction="inbound")
DEFERRED_421 = event(
    "rate-limited",
    code="421",
    enhanced="4.7.0",
    status="deferred",
    blocklist=None,
    provider="microsoft",
    text="421 4.7.0 Too many connections",
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('category == "blocklisted" and direction == "outbound"', [True, False, False]),
        ('category == "blocklisted" or code == "421"', [True, True, True]),
        ('not direction == "inbound"', [True, False, True]),
        ('code in ["421", "451"]', [False, False, True]),
        ('code not in ["421", "451"]', [True, True, False]),
        ("code == 421", [False, False, True]),
        ("provider == null", [True, True, False]),
        ("provider != null", [False, False, True]),
        ('enhanced =~ "^4\\\\.7\\\\."', [False, False, True]),
        ('blocklist !~ "spamhaus"', [False, False, True]),
        ('blocklist =~ "spamhaus"', [True, True, False]),
        ('(code == "554" or code == "421") and not (direction == "inbound")', [True, False, True]),
        ('class == "transient" and status == "deferred"', [False, False, True]),
        ("code_inferred == false", [True, True, True]),
        ('mta == "postfix" and stage == "rcpt"', [True, True, True]),
    ],
)
def test_filter_matches(text: str, expected: list[bool]) -> None:
    f = Filter.parse(text)
    assert [f.matches(ce) for ce in (BLOCKED_OUT, BLOCKED_IN, DEFERRED_421)] == expected


def test_and_binds_tighter_than_or() -> None:
    # a or (b and c): the 421 matches through "a" although b and c are false for it
    f = Filter.parse('code == "421" or category == "blocklisted" and direction == "inbound"')
    assert [f.matches(ce) for ce in (BLOCKED_OUT, BLOCKED_IN, DEFERRED_421)] == [False, True, True]


def test_three_way_and_or() -> None:
    f = Filter.parse('mta == "postfix" and code != null and direction == "outbound"')
    assert f.matches(BLOCKED_OUT) and not f.matches(BLOCKED_IN)
    g = Filter.parse('code == "250" or code == "251" or code == "421"')
    assert g.matches(DEFERRED_421) and not g.matches(BLOCKED_OUT)


@pytest.mark.parametrize(
    ("text", "categories"),
    [
        ('category == "blocklisted" and direction == "outbound"', {"blocklisted"}),
        ('category in ["blocklisted", "rate-limited"]', {"blocklisted", "rate-limited"}),
        ('category == "blocklisted" or category == "info"', {"blocklisted", "info"}),
        ('category == "blocklisted" or code == "421"', None),
        ('not category == "info"', None),
        ('code == "421"', None),
    ],
)
def test_categories_for_the_rule_index(text: str, categories: set[str] | None) -> None:
    found = Filter.parse(text).categories
    assert (set(found) if found is not None else None) == categories


@pytest.mark.parametrize(
    ("text", "column", "words"),
    [
        ('categroy == "blocklisted"', 1, "unknown field 'categroy'"),
        ('direction == "outbound" and category == "blocklist"', 41, "no value 'blocklist'"),
        ('code == "55"', 9, "not a three-digit reply code"),
        ('enhanced == "5.7"', 13, "not an enhanced code"),
        ('blocklist =~ "(spamhaus"', 14, "bad regular expression"),
        ('category == "blocklisted" and', 30, "expected a comparison"),
        ('(code == "421"', 15, "expected ')'"),
        ("code 421", 6, "expected an operator"),
        ('code == "421" && class == "transient"', 15, "syntax error"),
        ("code ==", 8, "expected a value"),
        ('code in ["421"', 15, "expected ']'"),
        ('code == "421" and not', 22, "expected a comparison"),
        ('code = "421"', 6, "expected an operator"),
        ("   ", 1, "empty expression"),
    ],
)
def test_errors_name_the_column(text: str, column: int, words: str) -> None:
    with pytest.raises(ExpressionError) as info:
        Filter.parse(text)
    assert info.value.column == column, str(info.value)
    assert words in str(info.value)
    assert str(info.value).startswith(f"column {column}: ")


# Each of these backtracks exponentially in Python's re on a value of 30+ characters that
# (almost) matches: (a+)+$ took 11 s on 25 characters, holding the line path and every scrape.
CATASTROPHIC = [
    ("(a+)+$", "a" * 40 + "!", False),
    ("(a|aa)*b", "a" * 40, False),
    ("(.*a){20}", "a" * 19 + "b" * 20, False),
    ("(.*a){20}", "a" * 40, True),
]


@pytest.mark.parametrize(("pattern", "value", "found"), CATASTROPHIC)
def test_catastrophic_regex_filter_runs_in_linear_time(
    pattern: str, value: str, found: bool
) -> None:
    f = Filter.parse(f"blocklist =~ {pattern!r}")
    ce = event("blocklisted", blocklist=value)
    started = time.perf_counter()
    for _ in range(100):
        assert f.matches(ce) is found
    # 100 evaluations well under a second (RE2 takes microseconds; re would take minutes)
    assert time.perf_counter() - started < 0.5


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ('blocklist =~ "(spam)\\\\1"', "backreferences and lookaround are not supported"),
        ('blocklist =~ "(?=zen)z"', "backreferences and lookaround are not supported"),
        ('blocklist !~ "spam(?<!x)"', "backreferences and lookaround are not supported"),
    ],
)
def test_regex_needing_backtracking_is_rejected_with_its_column(text: str, words: str) -> None:
    with pytest.raises(ExpressionError) as info:
        Filter.parse(text)
    assert info.value.column == 14
    assert "bad regular expression" in str(info.value)
    assert words in str(info.value)
