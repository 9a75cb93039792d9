"""`logscan scan` and real pflogsumm agree where both count the same thing on one Postfix log.

Compared: pflogsumm's Grand Totals (received, delivered, deferred messages and deferrals,
bounced, rejected, bytes received and delivered) and its "Host/Domain Summary: Message Delivery"
(per recipient domain: deliveries, bytes, deferrals, average and maximal delay), on the
generated logs and the real relay log of tests/data/postfix, and on a fresh genlog.py log when
the benchmark generator is at hand.

Intended differences (README, "scan: pflogsumm's numbers"): pflogsumm's "rejected" counts
``reject_warning`` lines in its hourly table (we never count a warning as a rejection); the
corpus fragments of tests/data/postfix (lines cut from other projects' tests) are not compared:
pflogsumm drops lines whose syslog name is not ``postfix`` or whose fields are out of order.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers.logscan_cli import run, summary
from tests.helpers.paths import DATA as TEST_DATA

DATA = TEST_DATA / "postfix"
LOGS = ["genlog-seed7-bsd.log", "genlog-seed8-rfc3339.log", "real-postfix-3.7.11-relay.log"]
GENLOG = Path("/work/shared/bench/genlog.py")
PFLOGSUMM = shutil.which("pflogsumm")
pytestmark = pytest.mark.skipif(PFLOGSUMM is None, reason="pflogsumm not installed")
_UNITS = {"": 1, "k": 1024, "m": 1024 * 1024}
_TIME = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def pflogsumm(path: Path) -> str:
    assert PFLOGSUMM is not None
    return subprocess.run([PFLOGSUMM, str(path)], capture_output=True, text=True, check=True).stdout


def _number(text: str) -> tuple[int, int]:
    """pflogsumm's "42399k" as (value, precision): it truncates to its unit."""
    m = re.fullmatch(r"(\d+)([km]?)", text)
    assert m, text
    unit = _UNITS[m.group(2)]
    return int(m.group(1)) * unit, unit


def grand_totals(report: str) -> dict[str, tuple[int, int]]:
    section = report.split("Grand Totals", 1)[1].split("Per-Hour", 1)[0]
    out = {}
    for key, pattern in {
        "received": r"(\S+)\s+received",
        "delivered": r"(\S+)\s+delivered\n",
        "messages_deferred": r"(\S+)\s+deferred",
        "bounced": r"(\S+)\s+bounced",
        "rejected": r"(\S+)\s+rejected \(",
        "bytes_received": r"(\S+)\s+bytes received",
        "bytes_delivered": r"(\S+)\s+bytes delivered",
    }.items():
        m = re.search(pattern, section)
        assert m, key
        out[key] = _number(m.group(1))
    m = re.search(r"\((\S+)\s+deferrals\)", section)
    out["deferrals"] = _number(m.group(1)) if m else (0, 1)
    return out


def delivery_by_domain(report: str) -> dict[str, dict[str, float]]:
    if "Host/Domain Summary: Message Delivery" not in report:
        return {}
    section = report.split("Host/Domain Summary: Message Delivery", 1)[1]
    section = section.split("\n\n", 1)[0]
    out = {}
    row = re.compile(r"\s*(\d+)\s+(\d+[km]?)\s+(\d+)\s+([\d.]+) (\w)\s+([\d.]+) (\w)\s+(\S+)")
    for line in section.splitlines():
        m = row.fullmatch(line)
        if m:
            sent, size, defers, avg, avg_u, mx, mx_u, name = m.groups()
            out[name] = {
                "delivered": int(sent),
                "bytes": _number(size)[0],
                "bytes_unit": _number(size)[1],
                "deferred": int(defers),
                "delay_avg": float(avg) * _TIME[avg_u],
                "delay_max": float(mx) * _TIME[mx_u],
            }
    return out


def assert_agree(path: Path) -> None:
    ours = summary(run(["scan", "--format", "json", "--parser", "postfix", str(path)]))["traffic"]
    theirs = pflogsumm(path)
    totals = ours["totals"]
    for key, (value, unit) in grand_totals(theirs).items():
        assert value <= totals[key] < value + unit, (path.name, key, totals[key], value)
    domains = {r["name"]: r for r in ours["by_recipient_domain"]}
    theirs_domains = delivery_by_domain(theirs)
    assert theirs_domains or not totals["delivered"]
    for name, row in theirs_domains.items():
        mine = domains[name]
        assert mine["delivered"] == row["delivered"], name
        assert mine["deferred"] == row["deferred"], name
        assert row["bytes"] <= mine["bytes"] < row["bytes"] + row["bytes_unit"], name
        # pflogsumm prints one decimal in its unit: 2.7 h is 2.65 h .. 2.75 h.
        for key in ("delay_avg", "delay_max"):
            assert abs(mine[key] - row[key]) <= 0.051 * max(row[key], 1.0), (name, key)


@pytest.mark.parametrize("name", LOGS)
def test_pflogsumm_agrees_on_project_logs(name: str) -> None:
    assert_agree(DATA / name)


@pytest.mark.skipif(not GENLOG.exists(), reason="benchmark generator not at hand")
def test_pflogsumm_agrees_on_a_fresh_benchmark_log(tmp_path: Path) -> None:
    log = tmp_path / "mail.log"
    with log.open("w") as out:
        subprocess.run(
            [sys.executable, str(GENLOG), "--mta", "postfix", "--lines", "60000", "--seed", "5"],
            stdout=out,
            check=True,
        )
    assert_agree(log)
