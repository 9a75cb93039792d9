"""deploy/prometheus/alerts.yml and docs/runbooks are generated from rules/alerts.toml: the shipped
files must equal the export, every rule must be exercised by promtool's unit tests (firing and
silent), and what the PromQL cannot express must be said, in the file and the README."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from logscan.classify.classifier import Classifier
from logscan.classify.rule_files import load_rule_files
from logscan.cli.main import main
from logscan.sinks.alerting.alert import EngineOptions
from logscan.sinks.alerting.engine import AlertEngine
from logscan.sinks.alerting.promql import ExportError, export_rules, render_file, translate
from logscan.sinks.alerting.rules import load_alert_rules
from logscan.sinks.alerting.runbooks import build_runbooks
from logscan.sinks.alerting.settings import DEFAULT_RUNBOOK_BASE
from logscan.sinks.metrics import Metrics, MetricsSink
from tests.helpers.alert_helpers import event, rules_from
from tests.helpers.paths import REPO

ROOT = REPO
RULES = ROOT / "deploy" / "prometheus" / "alerts.yml"
UNIT_TESTS = ROOT / "deploy" / "prometheus" / "alerts_test.yml"
RUNBOOKS = ROOT / "docs" / "runbooks"
REGENERATE = "logscan rules export --format prometheus --output deploy/prometheus/alerts.yml"
# The rules whose PromQL differs from the daemon's (the README lists them too).
APPROXIMATE = {"BlocklistRejections", "SourceQuiet"}
T0 = 1_800_000_000.0


def exported() -> str:
    return render_file(export_rules(load_rule_files(), DEFAULT_RUNBOOK_BASE))


def shipped_rules() -> list[dict[str, object]]:
    rules: list[dict[str, object]] = yaml.safe_load(RULES.read_text())["groups"][0]["rules"]
    return rules


def test_shipped_file_is_the_export() -> None:
    assert RULES.read_text() == exported(), f"regenerate it: {REGENERATE}"


def test_cli_writes_the_export(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules", "export", "--format", "prometheus"]) == 0
    assert capsys.readouterr().out == exported()
    out = tmp_path / "alerts.yml"
    base = "https://git.example.com/logscan/docs/runbooks/"
    argv = ["rules", "export", "--format", "prometheus", "--output", str(out)]
    assert main([*argv, "--runbook-base", base]) == 0
    assert f'runbook_url: "{base}SourceQuiet.md"' in out.read_text()


def test_operator_overrides_take_part(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "site.toml").write_text(
        '[[alert]]\nname = "UnknownMailboxBounces"\nenabled = false\n'
        '[[alert]]\nname = "BlocklistRejections"\n'
        'filter = \'category == "blocklisted" and direction == "outbound"\'\n'
        'window = "5m"\ncount = 7\ngroup_by = "blocklist"\nseverity = "page"\n'
    )
    assert main(["rules", "export", "--format", "prometheus", "--rules-dir", str(tmp_path)]) == 0
    text = capsys.readouterr().out
    assert "UnknownMailboxBounces" not in text
    assert "[5m]))\n          >= 7\n" in text


def test_every_rule_is_exported_with_its_runbook() -> None:
    engine = {r.name for r in load_alert_rules(load_rule_files())}
    rules = shipped_rules()
    names = {str(r["alert"]) for r in rules}
    assert engine <= names and names - engine == {"SourceLagging", "LogscanDown"}
    for rule in rules:
        annotations = rule["annotations"]
        assert isinstance(annotations, dict)
        assert annotations["runbook_url"] == f"{DEFAULT_RUNBOOK_BASE}/{rule['alert']}.md"
        assert (RUNBOOKS / f"{rule['alert']}.md").is_file()


def runbooks() -> dict[str, str]:
    files = load_rule_files()
    prom = export_rules(files, DEFAULT_RUNBOOK_BASE)
    return build_runbooks(files, {r.alert: r.approximation for r in prom})


def test_runbooks_are_current() -> None:
    pages = runbooks()
    shipped = {p.stem: p.read_text() for p in RUNBOOKS.glob("*.md")}
    regenerate = "logscan rules export --format runbooks --output docs/runbooks"
    assert shipped == pages, f"regenerate them: {regenerate}"


def test_runbooks_name_the_way_out() -> None:
    pages = runbooks()
    blocklists = Classifier.load().signatures.blocklists()
    # every named Spamhaus list and the big providers' lists have their delisting page
    for name in ("zen.spamhaus.org", "b.barracudacentral.org", "bl.spamcop.net"):
        assert name in blocklists and f"| `{name}` | <https://" in pages["BlocklistRejections"]
    assert "postmaster" in pages["Refusals554ByProvider"]
    # the catalogue's meaning of a 554, and a confirm command that selects outbound events
    assert "A permanent refusal of the transaction" in pages["Refusals554ByProvider"]
    assert '.direction == "outbound"' in pages["Refusals554ByProvider"]
    assert (
        "evaluates this rule approximately: logscan_blocklist_hits_total has no category"
        in (pages["BlocklistRejections"])
    )
    assert "evaluates this rule exactly" in pages["DeferralRatioHigh"]
    for page in pages.values():
        assert "## How to confirm" in page and "## What to do" in page
        assert re.search(r"## What to do\n\n- ", page), page[:80]


def test_approximate_rules_say_so_in_the_file_and_the_readme() -> None:
    marked = set()
    text = RULES.read_text()
    for rule in shipped_rules():
        annotations = rule["annotations"]
        assert isinstance(annotations, dict)
        if "approximation" in annotations:
            marked.add(str(rule["alert"]))
            assert (
                f"# APPROXIMATE: {annotations['approximation']}\n      - alert: {rule['alert']}\n"
                in text
            )
    assert marked == APPROXIMATE
    readme = (ROOT / "README.md").read_text()
    section = readme.split("### Prometheus rules", 1)[1].split("\n### ", 1)[0]
    for name in APPROXIMATE:
        assert f"- `{name}`:" in section
    exact = (
        {str(r["alert"]) for r in shipped_rules()} - APPROXIMATE - {"LogscanDown", "SourceLagging"}
    )
    for name in exact:
        assert f"`{name}`" in section.split("Approximate,", 1)[0], name


def test_every_rule_is_unit_tested_firing_and_silent() -> None:
    tests = yaml.safe_load(UNIT_TESTS.read_text())["tests"]
    firing: set[str] = set()
    silent: set[str] = set()
    for group in tests:
        for case in group["alert_rule_test"]:
            (firing if case["exp_alerts"] else silent).add(case["alertname"])
    names = {str(r["alert"]) for r in shipped_rules()}
    assert firing == names
    assert silent == names


def test_direction_on_every_selector_of_a_directed_rule() -> None:
    # A rule whose filter names a direction reads only counters of that direction, in every
    # part of the expression: numerator, base, volume, the group "other" and the hysteresis.
    for rule in load_alert_rules(load_rule_files()):
        directions = re.findall(
            r'direction == "(\w+)"', rule.filter.text + (rule.of.text if rule.of else "")
        )
        if not directions:
            continue
        expr = translate(rule, DEFAULT_RUNBOOK_BASE).expr
        selectors = re.findall(r"logscan_\w+_total\{[^}]*\}", expr)
        assert selectors, rule.name
        for selector in selectors:
            assert f'direction="{directions[0]}"' in selector, (rule.name, selector)


def test_unrecognized_count_rule_reads_the_unrecognized_lines() -> None:
    """A count of unrecognized lines was exported as the reader-down expression."""
    [rule] = rules_from(
        '[[alert]]\nname = "Drift"\nsignal = "unrecognized"\nwindow = "10m"\ncount = 50\n'
    )
    expr = translate(rule, DEFAULT_RUNBOOK_BASE).expr
    assert "journal_reader_up" not in expr
    assert expr == (
        "sum by (instance, source) "
        '(increase(logscan_lines_total{outcome="unrecognized"}[10m]))\n>= 50'
    )


def test_filters_that_are_no_plain_conjunction_are_refused() -> None:
    [rule] = rules_from(
        '[[alert]]\nname = "Either"\nfilter = \'code == "421" or code == "451"\'\ncount = 3\n'
    )
    with pytest.raises(ExportError, match="alert 'Either': only a plain 'and'"):
        translate(rule, DEFAULT_RUNBOOK_BASE)
    [rule] = rules_from('[[alert]]\nname = "ByStage"\ngroup_by = "stage"\ncount = 3\n')
    with pytest.raises(ExportError, match="alert 'ByStage': no exported counter has the label"):
        translate(rule, DEFAULT_RUNBOOK_BASE)


def test_blocklist_rule_difference_from_the_engine() -> None:
    # What BlocklistRejections' approximation says, on real events: the daemon counts blocklisted
    # replies that name no list (group "unnamed"), the counter has nothing to count for them; and
    # the counter counts replies that name a list whatever their category.
    [rule] = [r for r in load_alert_rules(load_rule_files()) if r.name == "BlocklistRejections"]
    metrics = Metrics()
    sink = MetricsSink(metrics, Classifier.load())
    engine = AlertEngine([rule], options=EngineOptions(labels={}))
    unnamed = event("blocklisted", blocklist=None)
    for i in range(3):
        engine.observe(unnamed, T0 + i)
        sink(unnamed)
    [alert] = engine.tick(T0 + 5)
    assert alert.labels["blocklist"] == "unnamed"
    assert metrics.snapshot()["logscan_blocklist_hits"] == {}
    sink(event("policy-rejected", blocklist="zen.spamhaus.org"))
    assert metrics.snapshot()["logscan_blocklist_hits"] == {
        ("postfix", "outbound", "zen.spamhaus.org"): 1.0
    }


def test_cli_reports_a_rule_it_cannot_translate(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "site.toml").write_text(
        '[[alert]]\nname = "Either"\nfilter = \'code == "421" or code == "451"\'\ncount = 3\n'
    )
    argv = ["rules", "export", "--format", "prometheus", "--rules-dir", str(tmp_path)]
    assert main(argv) == 1
    assert "alert 'Either': only a plain 'and'" in capsys.readouterr().err
    assert main(["rules", "export", "--format", "runbooks"]) == 1
