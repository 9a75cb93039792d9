"""A real Alertmanager (Debian's prometheus-alertmanager) started on loopback for a test."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

BINARY = "/usr/bin/prometheus-alertmanager"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def alertmanager_binary() -> str:
    found = shutil.which("prometheus-alertmanager") or (BINARY if Path(BINARY).exists() else None)
    if found is None:
        pytest.skip("prometheus-alertmanager is not installed")
    return found


class Alertmanager:
    def __init__(self, url: str, proc: subprocess.Popen[bytes], log: Path) -> None:
        self.url = url
        self.proc = proc
        self.log = log

    def alerts(self, **filters: str) -> list[dict[str, Any]]:
        """``GET /api/v2/alerts`` (active alerts only, as Alertmanager's default)."""
        query = "&".join(f"filter={k}%3D%22{v}%22" for k, v in filters.items())
        with urllib.request.urlopen(f"{self.url}/api/v2/alerts?{query}", timeout=5) as resp:
            found: list[dict[str, Any]] = json.load(resp)
            return found

    def wait_for(self, cond: Any, timeout: float, what: str) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            got = cond()
            if got:
                return got
            time.sleep(0.2)
        raise AssertionError(f"Alertmanager: {what} not seen in {timeout} s; log:\n{self.tail()}")

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:]


@contextmanager
def run_alertmanager(tmp: Path, webhook_url: str | None = None) -> Iterator[Alertmanager]:
    """Alertmanager on a free loopback port, clustering off; routes to ``webhook_url`` if given."""
    binary = alertmanager_binary()
    port = free_port()
    receiver: dict[str, Any] = {"name": "test"}
    if webhook_url is not None:
        receiver["webhook_configs"] = [{"url": webhook_url, "send_resolved": True}]
    config = {
        "route": {
            "receiver": "test",
            "group_by": ["alertname", "blocklist"],
            "group_wait": "1s",
            "group_interval": "1s",
            "repeat_interval": "1h",
        },
        "receivers": [receiver],
    }
    (tmp / "alertmanager.yml").write_text(json.dumps(config))  # JSON is YAML
    log = tmp / "alertmanager.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [
                binary,
                f"--config.file={tmp / 'alertmanager.yml'}",
                f"--storage.path={tmp / 'am-data'}",
                f"--web.listen-address=127.0.0.1:{port}",
                "--cluster.listen-address=",
                "--log.level=info",
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    am = Alertmanager(f"http://127.0.0.1:{port}", proc, log)
    try:
        deadline = time.monotonic() + 30
        while True:
            if proc.poll() is not None:
                raise AssertionError(f"Alertmanager exited: {am.tail()}")
            try:
                with urllib.request.urlopen(f"{am.url}/-/ready", timeout=2) as resp:
                    if resp.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError(f"Alertmanager not ready: {am.tail()}")
            time.sleep(0.1)
        yield am
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
