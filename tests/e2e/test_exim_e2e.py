"""End to end with a real Exim: sink replies -> mainlog -> logscan -> Prometheus -> Alertmanager.

Debian's exim4-daemon-light (unpacked by .ci/run beside Postfix, see tests/e2e/exim.py) relays to
the scripted sink and writes its own mainlog; ``logscan run`` follows it; Prometheus scrapes
logscan every second with the shipped alerting rules and sends to a real Alertmanager. Exim
delivers each message in the foreground (``-odi``), so its log is complete when ``send`` returns.
Expected counts come from what the sink recorded it said (tests/e2e/expect.py).
"""

from __future__ import annotations

import os
import shutil
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.e2e.chain import is_loopback, listening_addresses
from tests.e2e.conftest import Chain
from tests.e2e.exim import EXIM_USER, EximInstance
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
from tests.e2e.sink import ScriptedSink
from tests.helpers.alertmanager_proc import Alertmanager
from tests.helpers.daemon import Daemon, Scrape
from tests.helpers.prometheus_proc import Prometheus

pytestmark = pytest.mark.integration

PROMETHEUS_RULES = Path(__file__).resolve().parents[2] / "deploy" / "prometheus" / "alerts.yml"
# Exim's delivery outcome markers: delivered, deferred, failed (bounced).
OUTCOME_MARKERS = (" => ", " == ", " ** ")


@dataclass
class Run:
    sink: ScriptedSink
    mta: EximInstance
    daemon: Daemon
    prom: Prometheus
    am: Alertmanager
    chain: Chain
    scrape: Scrape


def outcomes(mta: EximInstance) -> int:
    text = mta.log.read_text(errors="replace") if mta.log.exists() else ""
    return sum(1 for line in text.splitlines() if any(m in line for m in OUTCOME_MARKERS))


def send_round(mta: EximInstance, names: list[str]) -> int:
    for name in names:
        mta.send(SENDER, [f"{name}@dest.test"])
    return outcomes(mta)


@pytest.fixture(scope="module")
def run(chain: Chain) -> Run:
    sink = chain.sink(EXTRA_SCRIPT)
    mta = chain.exim(sink)
    mta.log.parent.mkdir(parents=True, exist_ok=True)
    mta.log.touch()  # logscan follows it from its end; Exim (as its user) appends
    shutil.chown(mta.log, EXIM_USER, EXIM_USER)
    am = chain.alertmanager()
    daemon = chain.logscan("--source", str(mta.log), "--parser", "exim", "--alertmanager", am.url)
    prom = chain.prometheus([f"127.0.0.1:{daemon.port}"], [PROMETHEUS_RULES], am.url)

    done = send_round(mta, ROUND_1)
    assert done == len(ROUND_1) + bounces(ROUND_1), mta.log.read_text()
    daemon.wait_for(lambda s: s.get("logscan_deliveries_total") == done, "round 1 counted")
    prom.wait_value("sum(logscan_deliveries_total)", done)

    done = send_round(mta, ROUND_2)
    scrape = daemon.wait_for(lambda s: s.get("logscan_deliveries_total") == done, "round 2 counted")
    prom.wait_value("sum(logscan_deliveries_total)", done)
    return Run(sink, mta, daemon, prom, am, chain, scrape)


def test_every_outcome_was_logged_once(run: Run) -> None:
    sent = ROUND_1 + ROUND_2
    assert outcomes(run.mta) == len(sent) + bounces(sent)
    kinds = Counter(k for k, _ in sink_said(run.sink))
    assert kinds == Counter(n.rstrip("0123456789") for n in sent) + Counter(
        {"sender": bounces(sent)}
    )


def test_counters_match_what_the_sink_said(run: Run) -> None:
    # Exim logs no enhanced code of its own for a dropped connection.
    check_counters(run.scrape, run.sink, "exim", drop=("none", "none"))


def test_logscan_blocklist_alert_reaches_alertmanager(run: Run) -> None:
    check_logscan_alert(run.am, "exim", run.mta.log)


def test_prometheus_rule_alert_reaches_alertmanager(run: Run) -> None:
    check_prometheus_alert(run.am, f"127.0.0.1:{run.daemon.port}")


def test_nothing_listens_beyond_loopback(run: Run) -> None:
    seen = {pid: listening_addresses(pid) for pid in run.chain.pids}
    seen[os.getpid()] = listening_addresses(os.getpid())  # the sink runs in this process
    for pid, addresses in seen.items():
        assert all(is_loopback(a) for a in addresses), (pid, addresses)
    assert f"127.0.0.1:{run.daemon.port}" in set().union(*seen.values())
