"""Clients guessing basic-auth passwords (issue 11, item 10): bcrypt work is budgeted, scrapes with
the right credentials still answer."""

from __future__ import annotations

import threading
import time
from collections import Counter
from pathlib import Path

import pytest

from tests.conftest import StartDaemon
from tests.helpers.endpoint_client import assert_log_is_json, basic, cpu_seconds, get, web_config
from tests.helpers.endpoint_client import time_checkpw as _time_checkpw

pytestmark = pytest.mark.integration


def test_wrong_password_flood_does_not_starve_scrapes(tmp_path: Path, daemon: StartDaemon) -> None:
    """20 clients guessing passwords for 4 s: bcrypt work is budgeted, scrapes still answer."""
    web = web_config(tmp_path / "web.yml", {"prom": "s3cret"}, rounds=10)
    log = tmp_path / "mail.log"
    log.touch()
    d = daemon("--source", str(log), "--parser", "testmta", "--web-config", str(web))
    good = basic("prom", "s3cret")
    assert get(d, good)[0] == 200  # Prometheus' credentials are now cached
    one_check = min(_time_checkpw(10) for _ in range(3))
    statuses: Counter[int] = Counter()
    lock = threading.Lock()
    stop = time.monotonic() + 4.0

    def guess(n: int) -> None:
        i = 0
        while time.monotonic() < stop:
            status, _, _ = get(d, basic("prom", f"guess-{n}-{i}"), timeout=10)
            with lock:
                statuses[status] += 1
            i += 1

    threads = [threading.Thread(target=guess, args=(n,)) for n in range(20)]
    cpu_start, start = cpu_seconds(d.proc.pid), time.monotonic()  # type: ignore[union-attr]
    for t in threads:
        t.start()
    latencies = []
    while time.monotonic() < stop:
        status, _, seconds = get(d, good)
        latencies.append(seconds if status == 200 else float("inf"))
        time.sleep(0.3)
    for t in threads:
        t.join()
    elapsed = time.monotonic() - start
    cpu_share = (cpu_seconds(d.proc.pid) - cpu_start) / elapsed  # type: ignore[union-attr]
    print(
        f"flood: {dict(statuses)} in {elapsed:.1f}s, one bcrypt {one_check * 1000:.0f} ms, "
        f"daemon CPU {cpu_share:.0%}, legit scrapes {[round(x, 3) for x in latencies]}"
    )
    assert max(latencies) < 3.0, latencies
    assert statuses[429] > statuses[401], "guesses beyond the budget must not reach bcrypt"
    # Each 401 is one bcrypt: their time fits the budget (1 s burst + a quarter core), with slack.
    assert statuses[401] * one_check <= 2 * (1.0 + 0.25 * elapsed) + 0.5
    assert cpu_share < 1.5
    assert_log_is_json(d)
