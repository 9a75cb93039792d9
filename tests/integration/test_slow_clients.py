"""Hundreds of idle or slow clients on the metrics endpoint (issue 11, item 9), against the real
daemon with few file descriptors: scrapes still answer, checkpoints still run.

The endpoint tests are named by the fault they prove absent. Loads are bounded (a few hundred
sockets, a few seconds), loopback only, and assertions are behavioural or relative (shares, ratios,
counts), not tight timings: the machine running them is shared.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import time
from pathlib import Path

import pytest

from tests.conftest import StartDaemon
from tests.helpers.daemon import Scrape, append, config, lines
from tests.helpers.endpoint_client import OK_WRITES, assert_log_is_json, cpu_seconds, get

pytestmark = pytest.mark.integration


def open_idle(port: int, count: int) -> list[socket.socket]:
    """``count`` connections that never finish a request: half send nothing, half a partial line.

    Opened a few at a time, so that a server accepting them all (the fault) does accept them all
    rather than dropping SYNs off a full backlog; non-blocking, so a server that stopped
    accepting cannot hang the test.
    """
    socks = []
    for i in range(count):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setblocking(False)
        s.connect_ex(("127.0.0.1", port))
        socks.append(s)
        if i % 4 == 3:
            time.sleep(0.02)
    time.sleep(0.5)
    for s in socks[::2]:
        with contextlib.suppress(OSError):
            s.send(b"GET /metrics HTTP/1.1\r\n")
    return socks


@pytest.mark.parametrize(
    ("nofile", "max_connections"),
    [(256, 16), (128, 4096)],  # the second is lowered to keep the descriptor reserve free
)
def test_slow_clients_do_not_block_scrapes(
    tmp_path: Path, daemon: StartDaemon, nofile: int, max_connections: int
) -> None:
    """300 idle clients against a daemon with few descriptors (systemd's 1024, scaled down)."""
    if shutil.which("prlimit") is None:
        pytest.skip("prlimit (util-linux) is not installed")
    log = tmp_path / "mail.log"
    log.touch()
    sources = (
        f'[[sources]]\npath = "{log}"\nparser = "testmta"\n'
        f"[metrics]\nmax_connections = {max_connections}\n"
    )
    d = daemon(config=config(tmp_path / "state", sources), prefix=("prlimit", f"--nofile={nofile}"))
    writes_before = Scrape(get(d)[1].decode()).get(OK_WRITES, result="ok")
    idle = open_idle(d.port, 300)
    try:
        cpu_start, start = cpu_seconds(d.proc.pid), time.monotonic()  # type: ignore[union-attr]
        latencies = []
        for i in range(4):
            append(log, lines(5, start=5 * i))
            status, _, seconds = get(d, timeout=8)
            latencies.append(seconds if status == 200 else float("inf"))
            time.sleep(0.5)
        cpu_share = (cpu_seconds(d.proc.pid) - cpu_start) / (time.monotonic() - start)  # type: ignore[union-attr]
        status, body, _ = get(d, timeout=8)
    finally:
        for s in idle:
            s.close()
    print(f"scrape latencies under 300 idle clients: {latencies}, daemon CPU {cpu_share:.0%}")
    assert max(latencies) < 3.0, latencies
    assert status == 200
    after = Scrape(body.decode())
    assert after.get("logscan_lines_total") == 20
    # Periodic checkpoints (every 0.3 s) went on beside the scrapes' own, and none failed.
    assert after.get(OK_WRITES, result="ok") >= writes_before + 5 + 4
    assert after.get(OK_WRITES, result="error") == 0
    assert cpu_share < 0.5, "the accept loop spins"
    assert_log_is_json(d)
    assert ("max_connections lowered" in d.log()) == (max_connections > 100)
