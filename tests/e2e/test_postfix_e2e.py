"""End to end with a real Postfix: sink replies -> its log -> logscan -> Prometheus -> Alertmanager.

The chain, all real processes on loopback, started once for this module:

- a scripted SMTP sink (tests/e2e/sink.py) answering by recipient: 250, 550 5.1.1, 452 4.2.2,
  421 4.7.0, 554 5.7.1 naming zen.spamhaus.org, a Gmail-worded 550 5.1.1, a dropped connection;
- a real Postfix (Debian's) relaying to it, logging to a file through postlogd;
- ``logscan run --compat postfix_exporter`` following that file;
- Debian's postfix_exporter following the same file (reference for the compat names);
- Prometheus scraping logscan every second, with the shipped alerting rules
  (deploy/prometheus/alerts.yml), sending to
- a real Alertmanager.

Mail goes in through Postfix's sendmail in two rounds, with a scrape between them, so that the
dashboard's rate() and increase() queries see counters rise. Expected counts come from what the
sink recorded it said (tests/e2e/expect.py), never from logscan.
"""

from __future__ import annotations

import json
import os
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest

from logscan.sinks.postfix_exporter import exposed_names
from tests.e2e.chain import Exporter, is_loopback, listening_addresses
from tests.e2e.conftest import Chain
from tests.e2e.expect import (
    EXTRA_SCRIPT,
    ROUND_1,
    ROUND_2,
    SENDER,
    bounces,
    check_counters,
    check_logscan_alert,
    check_prometheus_alert,
    sink_said,
)
from tests.e2e.postfix import PostfixInstance
from tests.e2e.sink import ScriptedSink
from tests.helpers.alertmanager_proc import Alertmanager
from tests.helpers.daemon import Daemon, Scrape
from tests.helpers.prometheus_proc import Prometheus, http_get
from tests.unit.sinks.test_compat_postfix_exporter import oracle, samples

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
DASHBOARD = ROOT / "deploy" / "grafana" / "logscan.json"
PROMETHEUS_RULES = ROOT / "deploy" / "prometheus" / "alerts.yml"
# A line another program writes into the mail log (postlog -t), as milters and policy daemons
# do: logscan must count it as unrecognized, and the "Unrecognized lines" panel must show it.
NEIGHBOUR = ("e2e-milter", "milter e2e: connection from 127.0.0.1 accepted")


@dataclass
class Run:
    sink: ScriptedSink
    mta: PostfixInstance
    daemon: Daemon
    exporter: Exporter
    prom: Prometheus
    am: Alertmanager
    chain: Chain
    scrape: Scrape


def send_round(mta: PostfixInstance, names: list[str], lines_before: int) -> int:
    """One message per recipient, plus a neighbour's line; wait until Postfix logged every
    outcome (and each bounce notification's delivery). Returns the status lines so far."""
    for name in names:
        mta.send(SENDER, [f"{name}@dest.test"])
    mta.postlog(*NEIGHBOUR)
    want = lines_before + len(names) + bounces(names)
    mta.wait_for_log("status=", want)
    return want


@pytest.fixture(scope="module")
def run(chain: Chain) -> Run:
    sink = chain.sink(EXTRA_SCRIPT)
    mta_log = chain.root / "postfix" / "log" / "mail.log"
    mta_log.parent.mkdir(parents=True, exist_ok=True)
    mta_log.touch()
    am = chain.alertmanager()
    # Followers first, Postfix second: both read the file from its end, like on a live host.
    exporter = chain.postfix_exporter(mta_log)
    daemon = chain.logscan(
        "--source",
        str(mta_log),
        "--parser",
        "postfix",
        "--compat",
        "postfix_exporter",
        "--alertmanager",
        am.url,
    )
    prom = chain.prometheus([f"127.0.0.1:{daemon.port}"], [PROMETHEUS_RULES], am.url)
    mta = chain.postfix(sink)

    status_lines = send_round(mta, ROUND_1, 0)
    daemon.wait_for(lambda s: s.get("logscan_deliveries_total") == status_lines, "round 1 counted")
    prom.wait_value("sum(logscan_deliveries_total)", status_lines)

    status_lines = send_round(mta, ROUND_2, status_lines)
    scrape = daemon.wait_for(
        lambda s: (
            s.get("logscan_deliveries_total") == status_lines
            and s.get("logscan_lines_total", outcome="unrecognized") == 2
        ),
        "round 2 counted",
    )
    prom.wait_value("sum(logscan_deliveries_total)", status_lines)
    return Run(sink, mta, daemon, exporter, prom, am, chain, scrape)


def test_the_sink_saw_every_message(run: Run) -> None:
    kinds = Counter(k for k, _ in sink_said(run.sink))
    sent = ROUND_1 + ROUND_2
    assert kinds == Counter(n.rstrip("0123456789") for n in sent) + Counter(
        {"sender": bounces(sent)}
    )


def test_counters_match_what_the_sink_said(run: Run) -> None:
    check_counters(run.scrape, run.sink, "postfix", drop=("none", "4.4.2"))
    assert run.scrape.get("logscan_lines_total", outcome="unrecognized") == 2  # the neighbour's


def test_compat_names_match_the_real_postfix_exporter(run: Run) -> None:
    ours = series(run.daemon.url())
    theirs = series(run.exporter.url)
    shared = {name for name, _ in theirs} & {name for name, _ in ours}
    assert {"postfix_smtp_status_deferred"} <= shared
    for name in shared:
        assert only(ours, name) == only(theirs, name), name
    # The names Debian's older exporter lacks, against the maintained source's rules.
    lines = run.mta.log.read_text().splitlines()
    assert {k: v for k, v in ours.items() if v} == oracle(lines)
    deferred = sum(1 for _, reply in sink_said(run.sink) if reply[0] in "4D")
    assert ours["postfix_smtp_status_deferred", ""] == deferred


def series(url: str) -> Counter[tuple[str, str]]:
    """The compat series on an endpoint, as (name, label value) -> value."""
    out: Counter[tuple[str, str]] = Counter()
    for name, labels, value in samples(http_get(url) or ""):
        if name in exposed_names():
            out[name, next(iter(labels.values()), "")] += int(value)
    return out


def only(counts: Counter[tuple[str, str]], name: str) -> dict[tuple[str, str], int]:
    return {k: v for k, v in counts.items() if k[0] == name and v}


def test_logscan_blocklist_alert_reaches_alertmanager(run: Run) -> None:
    check_logscan_alert(run.am, "postfix", run.mta.log)


def test_prometheus_rule_alert_reaches_alertmanager(run: Run) -> None:
    check_prometheus_alert(run.am, f"127.0.0.1:{run.daemon.port}")


def grafana_vars(instance: str) -> dict[str, str]:
    """What Grafana sends with one instance and the postfix MTA selected: values regex-escaped
    (its Prometheus data source escapes them for =~), a 1m rate interval and a 1h range."""
    return {
        "$__rate_interval": "1m",
        "$__range": "1h",
        "$instance": re.sub(r"([.\\+*?\[^\]$(){}=!<>|:-])", r"\\\\\1", instance),
        "$mta": "postfix",
    }


def substitute(expr: str, values: dict[str, str]) -> str:
    for var, value in values.items():
        expr = expr.replace(var, value)
    assert "$" not in expr, expr
    return expr


def test_every_grafana_panel_returns_data(run: Run) -> None:
    dash = json.loads(DASHBOARD.read_text())
    values = grafana_vars(f"127.0.0.1:{run.daemon.port}")
    # The variables' own queries, label_values(metric, label), as Grafana asks them.
    for var in dash["templating"]["list"]:
        if var["type"] != "query":
            continue
        m = re.fullmatch(r"label_values\((.*), (\w+)\)", var["definition"])
        assert m is not None, var["definition"]
        got = run.prom.api(f"label/{m.group(2)}/values", **{"match[]": substitute(m[1], values)})
        assert got, var["name"]
    empty: list[str] = []
    for panel in dash["panels"]:
        for target in panel["targets"]:
            result = run.prom.query(substitute(target["expr"], values))
            # Data, and not only zeros: the counters rose within the rate window. The lag is a
            # gauge whose healthy value is 0 (everything written was read).
            zero_ok = "logscan_source_lag_bytes" in target["expr"]
            if not result or not (zero_ok or any(float(r["value"][1]) for r in result)):
                empty.append(f"{panel['title']}: {target['expr']} -> {result}")
    assert not empty, "panels without data:\n" + "\n".join(empty)


def test_nothing_listens_beyond_loopback(run: Run) -> None:
    """Every process of the chain listens on loopback only; Postfix listens nowhere."""
    master = int((run.mta.queue / "pid" / "master.pid").read_text().split()[0])
    assert master in run.chain.pids
    assert listening_addresses(master) == set()
    seen = {pid: listening_addresses(pid) for pid in run.chain.pids}
    seen[os.getpid()] = listening_addresses(os.getpid())  # the sink runs in this process
    for pid, addresses in seen.items():
        assert all(is_loopback(a) for a in addresses), (pid, addresses)
    everything = set().union(*seen.values())
    for port in (run.sink.port, run.daemon.port):
        assert f"127.0.0.1:{port}" in everything
