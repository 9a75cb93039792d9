"""The endpoint under hostile clients (issue 11, item 10: basic auth), against the real daemon.

Each test is named by the fault it proves absent. Loads are bounded (a few hundred sockets, a few
seconds), loopback only, and assertions are behavioural or relative (shares, ratios, counts), not
tight timings: the machine running them is shared.
"""

from __future__ import annotations

import base64
import json
import os
import statistics
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from pathlib import Path

import bcrypt
import pytest

from tests.conftest import StartDaemon
from tests.daemon.harness import Daemon

pytestmark = pytest.mark.integration

OK_WRITES = "logscan_checkpoint_writes_total"


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def get(d: Daemon, auth: str | None = None, timeout: float = 10.0) -> tuple[int, bytes, float]:
    """(status, body, seconds) of one GET /metrics; status 0 when the connection failed."""
    req = urllib.request.Request(d.url(), headers={"Authorization": auth} if auth else {})
    start = time.monotonic()
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status, resp.read(), time.monotonic() - start
    except urllib.error.HTTPError as exc:
        return exc.code, b"", time.monotonic() - start
    except OSError:
        return 0, b"", time.monotonic() - start


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def assert_log_is_json(d: Daemon) -> None:
    for line in d.log().splitlines():
        if line.strip():
            try:
                json.loads(line)
            except ValueError:
                raise AssertionError(f"not a JSON log line: {line!r}\n{d.log()[-3000:]}") from None


def web_config(path: Path, users: dict[str, str], rounds: int) -> Path:
    salt = bcrypt.gensalt(rounds=rounds)
    hashes = {u: bcrypt.hashpw(p.encode(), salt).decode() for u, p in users.items()}
    path.write_text("basic_auth_users:\n" + "".join(f"  {u}: '{h}'\n" for u, h in hashes.items()))
    return path


def test_unknown_user_costs_as_much_as_known_user(tmp_path: Path, daemon: StartDaemon) -> None:
    """No user enumeration by timing: an unknown user pays bcrypt like a known one."""
    web = web_config(tmp_path / "web.yml", {"prom": "s3cret"}, rounds=8)
    log = tmp_path / "mail.log"
    log.touch()
    d = daemon("--source", str(log), "--parser", "testmta", "--web-config", str(web))
    known: list[float] = []
    unknown: list[float] = []
    for i in range(8):  # fresh passwords: nothing cached; 16 checks stay within the bcrypt budget
        for user, times in (("prom", known), ("nobody", unknown)):
            status, _, seconds = get(d, basic(user, f"wrong-{i}"))
            assert status == 401
            times.append(seconds)
    k, u = statistics.median(known), statistics.median(unknown)
    print(f"median 401: known user {k * 1000:.1f} ms, unknown user {u * 1000:.1f} ms")
    assert u >= 0.5 * k, (known, unknown)


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


def _time_checkpw(rounds: int) -> float:
    hashed = bcrypt.hashpw(b"x", bcrypt.gensalt(rounds=rounds))
    start = time.monotonic()
    bcrypt.checkpw(b"y", hashed)
    return time.monotonic() - start
