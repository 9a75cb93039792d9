"""The Grafana dashboard: every panel query is valid PromQL over the contract's metrics.

That each query also returns data from a real Prometheus scraping a real logscan is checked in the
end-to-end tests (tests/e2e).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.helpers.paths import DEPLOY

DASHBOARD = DEPLOY / "grafana" / "logscan.json"
CONTRACT_METRICS = {
    "logscan_replies_total",
    "logscan_deliveries_total",
    "logscan_blocklist_hits_total",
    "logscan_provider_replies_total",
    "logscan_lines_total",
    "logscan_source_lag_bytes",
    "logscan_alerts_firing",
    "logscan_alert_notifications_total",
    "logscan_build_info",
}
# Grafana's variables, replaced by what Grafana would send for "All" and a 1h view.
GRAFANA_VARS = {"$__rate_interval": "1m", "$__range": "1h", "$instance": ".*", "$mta": ".*"}


def panel_queries() -> list[tuple[str, str]]:
    dash = json.loads(DASHBOARD.read_text())
    return [(p["title"], t["expr"]) for p in dash["panels"] for t in p["targets"]]


def as_prometheus(expr: str) -> str:
    for var, value in GRAFANA_VARS.items():
        expr = expr.replace(var, value)
    return expr


def test_dashboard_has_the_promised_panels_and_variables() -> None:
    dash = json.loads(DASHBOARD.read_text())
    titles = {p["title"] for p in dash["panels"]}
    for wanted in (
        "Replies by class",
        "Replies by category",
        "Deferral and bounce ratios (outbound)",
        "Blocklist hits",
        "Replies by provider",
        "Top reject reasons",
        "Alerts firing",
        "Source lag",
        "Unrecognized lines",
    ):
        assert wanted in titles
    variables = {v["name"] for v in dash["templating"]["list"]}
    assert {"instance", "mta"} <= variables


def test_queries_use_only_contract_metrics() -> None:
    for title, expr in panel_queries():
        names = set(re.findall(r"\blogscan_[a-z_]+", expr))
        assert names, title
        assert names <= CONTRACT_METRICS, (title, names - CONTRACT_METRICS)


@pytest.mark.skipif(shutil.which("promtool") is None, reason="promtool (Debian prometheus) missing")
def test_queries_are_valid_promql(tmp_path: Path) -> None:
    rules = ["groups:", "  - name: dashboard", "    rules:"]
    for i, (_, expr) in enumerate(panel_queries()):
        rules += [
            f"      - record: dashboard:panel_{i}",
            f"        expr: {json.dumps(as_prometheus(expr))}",
        ]
    path = tmp_path / "dashboard-rules.yml"
    path.write_text("\n".join(rules) + "\n")
    out = subprocess.run(
        ["promtool", "check", "rules", str(path)], capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stdout + out.stderr


# Metrics with a direction label, and the labels that say "we are listed" from "we refused them".
DIRECTED = ("logscan_replies_total", "logscan_deliveries_total", "logscan_blocklist_hits_total")
DIRECTED += ("logscan_provider_replies_total",)
MTA_LABELLED = DIRECTED


def selectors(expr: str, metric: str) -> list[str]:
    return re.findall(rf"\b{metric}\{{([^}}]*)\}}", expr)


def test_no_panel_mixes_directions() -> None:
    # Every query of a metric with a direction either selects one direction or keeps them apart
    # (by direction): outbound refusals (we are listed) page, inbound ones are our own filter.
    for title, expr in panel_queries():
        for metric in DIRECTED:
            for sel in selectors(expr, metric):
                apart = re.search(r"by \([^)]*\bdirection\b", expr) is not None
                assert 'direction="' in sel or apart, (title, expr)


def test_blocklist_panels_name_the_directions_in_words() -> None:
    for title, expr in panel_queries():
        if "logscan_blocklist_hits_total" in expr:
            assert "we are listed (outbound)" in expr and "we refused them (inbound)" in expr, title


def test_every_panel_honours_the_mta_variable() -> None:
    for title, expr in panel_queries():
        for metric in MTA_LABELLED:
            for sel in selectors(expr, metric):
                assert 'mta=~"$mta"' in sel, (title, expr)


def test_ratio_panels_are_of_outbound_deliveries() -> None:
    for title, expr in panel_queries():
        if "clamp_min" in expr:
            for sel in selectors(expr, "logscan_deliveries_total"):
                assert 'direction="outbound"' in sel, (title, expr)
