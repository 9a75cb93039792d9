"""A real Prometheus (Debian's ``prometheus``) on a free loopback port for a test, beside
tests/helpers/alertmanager_proc.py: temp config and TSDB, scraping its targets every second, queried
through the HTTP API. Used by the daemon's scrape tests and the end-to-end chain::

    with run_prometheus(tmp, ["127.0.0.1:9842"]) as prom:
        prom.wait_value('sum(logscan_lines_total{outcome="event"})', 10)
        prom.query("up")            # [{"metric": {...}, "value": [t, "1"]}]
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.helpers.alertmanager_proc import free_port

WAIT = 30.0


def wait_until(check: Callable[[], Any], what: str, timeout: float = WAIT) -> Any:
    """Poll ``check`` until it returns something truthy; fail naming ``what``."""
    deadline = time.monotonic() + timeout
    while True:
        got = check()
        if got:
            return got
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.2)


def http_get(url: str) -> str | None:
    try:
        with urllib.request.urlopen(url, timeout=5) as resp:
            return str(resp.read().decode())
    except OSError:
        return None


@dataclass
class Prometheus:
    url: str
    proc: subprocess.Popen[bytes]
    log: Path

    def api(self, path: str, **params: str | Sequence[str]) -> Any:
        query = urllib.parse.urlencode(params, doseq=True)
        with urllib.request.urlopen(f"{self.url}/api/v1/{path}?{query}", timeout=10) as resp:
            body = json.load(resp)
        assert body["status"] == "success", body
        return body["data"]

    def query(self, expr: str) -> list[dict[str, Any]]:
        """An instant query's result vector (``[{"metric": {...}, "value": [t, "v"]}, ...]``)."""
        data = self.api("query", query=expr)
        assert data["resultType"] == "vector", (expr, data)
        result: list[dict[str, Any]] = data["result"]
        return result

    def value(self, expr: str) -> float:
        """The single value of ``expr`` (0 when it has no result yet)."""
        result = self.query(expr)
        assert len(result) <= 1, (expr, result)
        return float(result[0]["value"][1]) if result else 0.0

    def wait_value(self, expr: str, want: float, timeout: float = WAIT) -> None:
        last: list[float] = []

        def reached() -> bool:
            last[:] = [self.value(expr)]
            return last[0] == want

        try:
            wait_until(reached, f"Prometheus: {expr} == {want}", timeout)
        except AssertionError:
            msg = f"Prometheus: {expr} is {last}, not {want}:\n{self.tail()}"
            raise AssertionError(msg) from None

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:]


@contextmanager
def run_prometheus(
    tmp: Path,
    targets: Sequence[str],
    rule_files: Sequence[Path] = (),
    alertmanager: str = "",
    job: Mapping[str, Any] | None = None,
) -> Iterator[Prometheus]:
    """Prometheus scraping ``targets`` (job ``logscan``) every second; ``job`` adds settings to
    the scrape job (``scheme``, ``tls_config``, ``basic_auth``); alerts go to ``alertmanager``."""
    binary = shutil.which("prometheus")
    if binary is None:
        pytest.skip("prometheus (Debian package) is not installed")
    tmp.mkdir(parents=True, exist_ok=True)
    scrape: dict[str, Any] = {"job_name": "logscan", "static_configs": [{"targets": list(targets)}]}
    scrape.update(job or {})
    config: dict[str, Any] = {
        "global": {"scrape_interval": "1s", "scrape_timeout": "1s", "evaluation_interval": "1s"},
        "scrape_configs": [scrape],
        "rule_files": [str(p) for p in rule_files],
    }
    if alertmanager:
        host = urllib.parse.urlparse(alertmanager).netloc
        config["alerting"] = {"alertmanagers": [{"static_configs": [{"targets": [host]}]}]}
    (tmp / "prometheus.yml").write_text(json.dumps(config))  # JSON is YAML
    port = free_port()
    log = tmp / "prometheus.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [
                binary,
                f"--config.file={tmp / 'prometheus.yml'}",
                f"--storage.tsdb.path={tmp / 'tsdb'}",
                f"--web.listen-address=127.0.0.1:{port}",
                "--log.level=warn",
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    prom = Prometheus(f"http://127.0.0.1:{port}", proc, log)
    try:
        wait_until(
            lambda: proc.poll() is not None or http_get(f"{prom.url}/-/ready") is not None,
            "Prometheus ready",
        )
        assert proc.poll() is None, f"Prometheus exited:\n{prom.tail()}"
        yield prom
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
