"""Loading [[alert]] tables: the defaults, overrides, and errors that name file, rule and column."""

from __future__ import annotations

from pathlib import Path

import pytest

from logscan.classify.rule_files import RuleError, load_rule_files
from logscan.sinks.alerting.durations import parse_duration
from logscan.sinks.alerting.rules import SEVERITIES, load_alert_rules
from tests.helpers.alert_helpers import rules_from

SPEC_DEFAULTS = {
    "BlocklistRejections": "blocklist",
    "ServiceUnavailable421": "provider",
    "TransientReplies451Ratio": None,
    "RateLimitedByProvider": "provider",
    "SenderAuthFailures": "provider",
    "InboundAuthFailedBurst": None,
    "DeferralRatioHigh": None,
    "UnknownMailboxBounces": None,
    "UnrecognizedLinesRising": "source",
    "SourceQuiet": "source",
    "JournalReaderDown": "source",
    "Refusals554ByProvider": "provider",
}


def test_builtin_defaults_cover_the_spec() -> None:
    rules = {r.name: r for r in load_alert_rules(load_rule_files())}
    assert {name: r.group_by for name, r in rules.items()} == SPEC_DEFAULTS
    assert rules["BlocklistRejections"].severity == "page"
    assert rules["TransientReplies451Ratio"].kind == "ratio"
    assert rules["TransientReplies451Ratio"].min_volume > 0
    assert rules["DeferralRatioHigh"].for_ > 0
    assert all(r.severity in SEVERITIES for r in rules.values())
    assert all(r.summary.text for r in rules.values())


def test_operator_file_overrides_and_disables(tmp_path: Path) -> None:
    (tmp_path / "50-site.toml").write_text(
        """
[[alert]]
name = "BlocklistRejections"
filter = 'category == "blocklisted"'
window = "2m"
count = 1
group_by = "blocklist"
severity = "critical"

[[alert]]
name = "UnknownMailboxBounces"
enabled = false

[[alert]]
name = "SiteGreylisting"
filter = 'category == "greylisted"'
count = 100
"""
    )
    rules = {r.name: r for r in load_alert_rules(load_rule_files([tmp_path]))}
    assert rules["BlocklistRejections"].severity == "critical"
    assert rules["BlocklistRejections"].window == 120
    assert rules["BlocklistRejections"].origin.endswith("50-site.toml")
    assert "UnknownMailboxBounces" not in rules
    assert rules["SiteGreylisting"].window == 300  # the default window


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (
            'filter = \'category == "blocklisted" and categroy == "x"\'\ncount = 1',
            "alert 'R': filter, column 31: unknown field 'categroy'",
        ),
        (
            "filter = 'code == \"421\"'\nof = 'direction = \"outbound\"'\nratio = 0.5",
            "alert 'R': of, column 11: syntax error",
        ),
        (
            "filter = 'blocklist =~ \"(?=zen)z\"'\ncount = 1",
            "alert 'R': filter, column 14: bad regular expression: invalid perl operator",
        ),
        ("filter = 'code == \"421\"'", "give exactly one threshold of count, rate, ratio"),
        ("filter = 'code == \"421\"'\ncount = 1\nrate = 2", "give exactly one threshold"),
        ("filter = 'code == \"421\"'\nratio = 0.5", "a 'ratio' needs 'of'"),
        ("filter = 'code == \"421\"'\nratio = 1.5\nof = 'code != null'", "at most 1"),
        ('filter = \'code == "421"\'\ncount = 1\nwindow = "5 minutes"', "not a duration"),
        ('filter = \'code == "421"\'\ncount = 1\ngroup_by = "recipient"', "'group_by' must be"),
        ('filter = \'code == "421"\'\ncount = 1\nseverity = "urgent"', "'severity' must be"),
        (
            'filter = \'code == "421"\'\ncount = 1\nsummary = "{count} {who}"',
            "summary: unknown placeholder {who}",
        ),
        ('filter = \'code == "421"\'\ncount = 1\ncolour = "red"', "unknown key(s) colour"),
        ('signal = "source-quiet"\ncount = 3', "needs 'quiet'"),
        ('signal = "reader-down"\nfilter = \'code == "421"\'', "takes no 'filter'"),
        ("filter = 'code == \"421\"'\ncount = 5\nresolve_below = 9", "must not be above"),
        ("filter = 'code == \"421\"'\ncount = true", "must be a non-negative number"),
    ],
)
def test_errors_name_file_and_rule(body: str, words: str) -> None:
    with pytest.raises(RuleError) as info:
        rules_from(f'[[alert]]\nname = "R"\n{body}\n', path="/etc/logscan/rules.d/site.toml")
    message = str(info.value)
    assert message.startswith("/etc/logscan/rules.d/site.toml: ")
    assert words in message, message


def test_bad_name_and_duplicates() -> None:
    with pytest.raises(RuleError, match=r"\[\[alert\]\] #2: 'name' must match"):
        rules_from('[[alert]]\nname = "A"\ncount = 1\n[[alert]]\nname = "has space"\ncount = 1\n')
    with pytest.raises(RuleError, match="alert 'A': defined twice"):
        rules_from('[[alert]]\nname = "A"\ncount = 1\n[[alert]]\nname = "A"\ncount = 2\n')
    with pytest.raises(RuleError, match="must be an array of tables"):
        rules_from('[alert]\nname = "A"\n')


def test_broken_rule_file_names_its_line(tmp_path: Path) -> None:
    (tmp_path / "bad.toml").write_text('[[alert]]\nname = "A"\ncount = \n')
    with pytest.raises(RuleError, match=r"bad\.toml: .*line 3"):
        load_rule_files([tmp_path])


def test_durations() -> None:
    assert parse_duration("2h") == 7200
    assert parse_duration("1m30s") == 90
    for bad in ("", "5", "m", "-5s", "1d", True, -1):
        with pytest.raises(ValueError):
            parse_duration(bad)
