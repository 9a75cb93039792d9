"""A real Prometheus (Debian package, on loopback) scrapes the daemon; PromQL sees the counts.

The second test puts the endpoint behind TLS and basic auth (exporter-toolkit web config) and
has Prometheus scrape it with credentials.
"""

from __future__ import annotations

import base64
import json
import shutil
import socket
import ssl
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import bcrypt
import pytest

from tests.conftest import StartDaemon
from tests.daemon.harness import append, lines

pytestmark = pytest.mark.integration


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class Prometheus:
    def __init__(self, workdir: Path, scrape: str) -> None:
        self.port = free_port()
        cfg = workdir / "prometheus.yml"
        cfg.write_text(
            "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
            f"scrape_configs:\n  - job_name: logscan\n{scrape}"
        )
        self.proc = subprocess.Popen(
            [
                "prometheus",
                f"--config.file={cfg}",
                f"--storage.tsdb.path={workdir / 'tsdb'}",
                f"--web.listen-address=127.0.0.1:{self.port}",
            ],
            stdout=subprocess.DEVNULL,
            stderr=(workdir / "prometheus.log").open("wb"),
        )

    def query(self, promql: str) -> float | None:
        url = f"http://127.0.0.1:{self.port}/api/v1/query?" + urllib.parse.urlencode(
            {"query": promql}
        )
        try:
            with urllib.request.urlopen(url, timeout=5) as resp:
                data = json.load(resp)
        except (OSError, urllib.error.URLError):
            return None
        result = data["data"]["result"]
        return float(result[0]["value"][1]) if result else None

    def wait(self, promql: str, expected: float, timeout: float = 60) -> float | None:
        deadline = time.monotonic() + timeout
        value = None
        while time.monotonic() < deadline:
            value = self.query(promql)
            if value == expected:
                return value
            time.sleep(0.25)
        return value

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(20)


@pytest.fixture
def prometheus(tmp_path: Path) -> Iterator[type[Prometheus]]:
    if shutil.which("prometheus") is None:
        pytest.skip("prometheus (Debian package) is not installed")
    started: list[Prometheus] = []

    def start(workdir: Path, scrape: str) -> Prometheus:
        p = Prometheus(workdir, scrape)
        started.append(p)
        return p

    yield start  # type: ignore[misc]
    for p in started:
        p.stop()


def test_prometheus_scrapes_exact_counts(
    tmp_path: Path, daemon: StartDaemon, prometheus: type[Prometheus]
) -> None:
    log = tmp_path / "mail.log"
    log.touch()
    d = daemon("--source", str(log), "--parser", "testmta")
    append(log, lines(7) + lines(3, kind="code=250 status=sent host=mx.google.com"))
    d.wait_for(lambda s: s.get("logscan_lines_total") >= 10, "10 lines")
    prom = prometheus(tmp_path, f"    static_configs:\n      - targets: ['127.0.0.1:{d.port}']\n")
    assert prom.wait('sum(logscan_lines_total{outcome="event"})', 10) == 10
    assert prom.wait('sum(logscan_deliveries_total{status="bounced"})', 7) == 7
    assert prom.wait('logscan_provider_replies_total{provider="google"}', 3) == 3
    assert prom.wait('up{job="logscan"}', 1) == 1


def make_cert(directory: Path) -> tuple[Path, Path]:
    cert, key = directory / "tls.crt", directory / "tls.key"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
            "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
            "-keyout", str(key), "-out", str(cert),
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key


def test_tls_and_basic_auth(
    tmp_path: Path, daemon: StartDaemon, prometheus: type[Prometheus]
) -> None:
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    cert, key = make_cert(tmp_path)
    hashed = bcrypt.hashpw(b"s3cret", bcrypt.gensalt(rounds=4)).decode()
    web = tmp_path / "web.yml"
    web.write_text(
        f"tls_server_config:\n  cert_file: {cert}\n  key_file: {key}\n"
        f"basic_auth_users:\n  prom: '{hashed}'\n"
    )
    log = tmp_path / "mail.log"
    log.touch()
    d = daemon("--source", str(log), "--parser", "testmta", "--web-config", str(web))
    append(log, lines(4))
    ctx = ssl.create_default_context(cafile=str(cert))
    url = f"https://127.0.0.1:{d.port}/metrics"
    with pytest.raises(urllib.error.HTTPError) as denied:
        urllib.request.urlopen(url, context=ctx, timeout=10)
    assert denied.value.code == 401
    bad = urllib.request.Request(
        url, headers={"Authorization": "Basic " + base64.b64encode(b"prom:wrong").decode()}
    )
    with pytest.raises(urllib.error.HTTPError):
        urllib.request.urlopen(bad, context=ctx, timeout=10)
    with pytest.raises(OSError):  # plain HTTP to a TLS port: reset or refused
        urllib.request.urlopen(f"http://127.0.0.1:{d.port}/metrics", timeout=10)

    prom = prometheus(
        tmp_path,
        "    scheme: https\n"
        f"    tls_config:\n      ca_file: {cert}\n"
        "    basic_auth:\n      username: prom\n      password: s3cret\n"
        f"    static_configs:\n      - targets: ['127.0.0.1:{d.port}']\n",
    )
    assert prom.wait('sum(logscan_lines_total{outcome="event"})', 4) == 4
