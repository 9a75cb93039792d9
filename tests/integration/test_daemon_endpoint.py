"""The endpoint under hostile clients (issue 11, items 9 and 10), against the real daemon.

Each test is named by the fault it proves absent. Loads are bounded (a few hundred sockets, a few
seconds), loopback only, and assertions are behavioural or relative (shares, ratios, counts), not
tight timings: the machine running them is shared.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import shutil
import socket
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
from tests.helpers.daemon import Daemon, Scrape, append, config, lines

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


def test_client_that_left_is_not_served(tmp_path: Path, daemon: StartDaemon) -> None:
    """A client gone while its credentials were checked gets no scrape and costs no checkpoint."""
    web = web_config(tmp_path / "web.yml", {"prom": "s3cret"}, rounds=4)
    slow = web_config(tmp_path / "slow.yml", {"leaver": "pw"}, rounds=12).read_text()
    web.write_text(web.read_text() + slow.split("\n", 1)[1])  # one file, two users
    log = tmp_path / "mail.log"
    log.touch()
    args = ("--source", str(log), "--parser", "testmta", "--web-config", str(web))
    d = daemon(*args, "--checkpoint-interval", "3600")  # no periodic checkpoint in between
    good = basic("prom", "s3cret")
    status, body, _ = get(d, good)
    assert status == 200
    writes = Scrape(body.decode()).get(OK_WRITES, result="ok")
    request = f"GET /metrics HTTP/1.1\r\nAuthorization: {basic('leaver', 'pw')}\r\n\r\n"
    with socket.create_connection(("127.0.0.1", d.port), timeout=5) as s:
        s.sendall(request.encode())  # and leave at once, while the daemon is in bcrypt (cost 12)
    time.sleep(3 * _time_checkpw(12) + 0.5)
    status, body, _ = get(d, good)
    assert status == 200
    assert Scrape(body.decode()).get(OK_WRITES, result="ok") == writes + 1  # this scrape's only
    assert_log_is_json(d)
