"""A real Prometheus (Debian package, on loopback) scrapes the daemon; PromQL sees the counts.

The second test puts the endpoint behind TLS and basic auth (exporter-toolkit web config) and
has Prometheus scrape it with credentials.
"""

from __future__ import annotations

import base64
import shutil
import ssl
import subprocess
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import bcrypt
import pytest

from tests.conftest import StartDaemon
from tests.helpers.daemon import append, lines
from tests.helpers.prometheus_proc import run_prometheus

pytestmark = pytest.mark.integration


def test_prometheus_scrapes_exact_counts(tmp_path: Path, daemon: StartDaemon) -> None:
    log = tmp_path / "mail.log"
    log.touch()
    d = daemon("--source", str(log), "--parser", "testmta")
    append(log, lines(7) + lines(3, kind="code=250 status=sent host=mx.google.com"))
    d.wait_for(lambda s: s.get("logscan_lines_total") >= 10, "10 lines")
    with run_prometheus(tmp_path / "prometheus", [f"127.0.0.1:{d.port}"]) as prom:
        prom.wait_value('sum(logscan_lines_total{outcome="event"})', 10)
        prom.wait_value('sum(logscan_deliveries_total{status="bounced"})', 7)
        prom.wait_value('sum(logscan_provider_replies_total{provider="google"})', 3)
        prom.wait_value('up{job="logscan"}', 1)


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


def test_tls_and_basic_auth(tmp_path: Path, daemon: StartDaemon) -> None:
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

    job = {
        "scheme": "https",
        "tls_config": {"ca_file": str(cert)},
        "basic_auth": {"username": "prom", "password": "s3cret"},
    }
    with run_prometheus(tmp_path / "prometheus", [f"127.0.0.1:{d.port}"], job=job) as prom:
        prom.wait_value('sum(logscan_lines_total{outcome="event"})', 4)
