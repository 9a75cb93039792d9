"""A real Alertmanager (Debian's prometheus-alertmanager) started on loopback for a test, alone
or as a gossip cluster of several (``run_cluster``), as an HA pair runs in production."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
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

    def peers(self) -> int:
        """How many members its gossip cluster has (itself included)."""
        with urllib.request.urlopen(f"{self.url}/api/v2/status", timeout=5) as resp:
            status = json.load(resp)
        return len(status.get("cluster", {}).get("peers") or [])


@dataclass(frozen=True)
class Cluster:
    """Gossip settings: listen on ``port``, join ``peers``; short timeouts for tests (the peer
    timeout is how long the second member waits for the first one's notification log)."""

    port: int
    peers: Sequence[int]
    peer_timeout: str = "3s"


@contextmanager
def run_alertmanager(
    tmp: Path,
    webhook_url: str | None = None,
    route: Mapping[str, Any] | None = None,
    cluster: Cluster | None = None,
) -> Iterator[Alertmanager]:
    """Alertmanager on a free loopback port, routing to ``webhook_url`` if given; clustering off
    unless ``cluster``. ``route`` overrides the route's settings (group_wait, ...)."""
    binary = alertmanager_binary()
    tmp.mkdir(parents=True, exist_ok=True)
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
            **(route or {}),
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
                *_cluster_flags(cluster),
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


def _cluster_flags(cluster: Cluster | None) -> list[str]:
    if cluster is None:
        return ["--cluster.listen-address="]
    return [
        f"--cluster.listen-address=127.0.0.1:{cluster.port}",
        *(f"--cluster.peer=127.0.0.1:{p}" for p in cluster.peers),
        f"--cluster.peer-timeout={cluster.peer_timeout}",
        "--cluster.settle-timeout=5s",
        "--cluster.pushpull-interval=2s",
        "--cluster.reconnect-interval=1s",
    ]


@contextmanager
def run_cluster(
    tmp: Path, size: int, webhook_url: str, route: Mapping[str, Any] | None = None
) -> Iterator[list[Alertmanager]]:
    """``size`` Alertmanagers gossiping with each other, all routing to ``webhook_url``; yields
    once every member sees the whole cluster."""
    ports = [free_port() for _ in range(size)]
    with ExitStack() as stack:
        ams = [
            stack.enter_context(
                run_alertmanager(
                    tmp / f"am{i}",
                    webhook_url,
                    route,
                    Cluster(port, [p for p in ports if p != port]),
                )
            )
            for i, port in enumerate(ports)
        ]
        for am in ams:
            am.wait_for(lambda am=am: am.peers() == size, 30, f"a cluster of {size}")
        yield ams
