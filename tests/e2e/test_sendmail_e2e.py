"""End to end with a real Sendmail: sink replies -> syslog -> logscan -> Prometheus -> Alertmanager.

Debian's sendmail-bin (unpacked by .ci/run beside Postfix, see tests/e2e/sendmail.py) relays to
the scripted sink; its syslog(3) messages reach a socket of the test's own, which writes them to a
mail.log as rsyslog would; ``logscan run`` follows that file; Prometheus scrapes logscan every
second with the shipped alerting rules and sends to a real Alertmanager. Expected counts come
from what the sink recorded it said (tests/e2e/expect.py).
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.e2e.chain import is_loopback, listening_addresses
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
from tests.e2e.sendmail import SendmailInstance
from tests.e2e.sink import ScriptedSink
from tests.helpers.alertmanager_proc import Alertmanager
from tests.helpers.daemon import Daemon, Scrape
from tests.helpers.prometheus_proc import Prometheus

pytestmark = pytest.mark.integration

PROMETHEUS_RULES = Path(__file__).resolve().parents[2] / "deploy" / "prometheus" / "alerts.yml"
OUTCOME = ", stat="  # every delivery attempt's line


@dataclass
class Run:
    sink: ScriptedSink
    mta: SendmailInstance
    daemon: Daemon
    prom: Prometheus
    am: Alertmanager
    chain: Chain
    scrape: Scrape


def send_round(mta: SendmailInstance, names: list[str], before: int) -> int:
    for name in names:
        mta.send(SENDER, [f"{name}@dest.test"])
    want = before + len(names) + bounces(names)
    mta.wait_for_log(OUTCOME, want)
    return want


@pytest.fixture(scope="module")
def run(chain: Chain) -> Run:
    sink = chain.sink(EXTRA_SCRIPT)
    mta = chain.sendmail(sink)
    am = chain.alertmanager()
    daemon = chain.logscan(
        "--source", str(mta.log), "--parser", "sendmail", "--alertmanager", am.url
    )
    prom = chain.prometheus([f"127.0.0.1:{daemon.port}"], [PROMETHEUS_RULES], am.url)

    done = send_round(mta, ROUND_1, 0)
    daemon.wait_for(lambda s: s.get("logscan_deliveries_total") == done, "round 1 counted")
    prom.wait_value("sum(logscan_deliveries_total)", done)

    done = send_round(mta, ROUND_2, done)
    scrape = daemon.wait_for(lambda s: s.get("logscan_deliveries_total") == done, "round 2 counted")
    prom.wait_value("sum(logscan_deliveries_total)", done)
    return Run(sink, mta, daemon, prom, am, chain, scrape)


def test_every_outcome_was_logged_once(run: Run) -> None:
    sent = ROUND_1 + ROUND_2
    assert run.mta.log.read_text().count(OUTCOME) == len(sent) + bounces(sent)
    kinds = Counter(k for k, _ in sink_said(run.sink))
    assert kinds == Counter(n.rstrip("0123456789") for n in sent) + Counter(
        {"sender": bounces(sent)}
    )


def test_counters_match_what_the_sink_said(run: Run) -> None:
    # Sendmail logs a delivery's 250 without its code (stat=Sent (2.0.0 ...)), and for a dropped
    # connection its dsn=4.4.2 without a code of the remote's.
    check_counters(run.scrape, run.sink, "sendmail", drop=("none", "4.4.2"), sent_code=False)


def test_logscan_blocklist_alert_reaches_alertmanager(run: Run) -> None:
    check_logscan_alert(run.am, "sendmail", run.mta.log)


def test_prometheus_rule_alert_reaches_alertmanager(run: Run) -> None:
    check_prometheus_alert(run.am, f"127.0.0.1:{run.daemon.port}")


def test_nothing_listens_beyond_loopback(run: Run) -> None:
    seen = {pid: listening_addresses(pid) for pid in run.chain.pids}
    seen[os.getpid()] = listening_addresses(os.getpid())  # the sink runs in this process
    for pid, addresses in seen.items():
        assert all(is_loopback(a) for a in addresses), (pid, addresses)
    assert f"127.0.0.1:{run.daemon.port}" in set().union(*seen.values())
