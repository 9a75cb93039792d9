"""The end-to-end chain's parts, each a real process on loopback started and stopped by the test
(the fixture that strings them together is ``chain`` in tests/e2e/conftest.py).

- Prometheus is tests/helpers/prometheus_proc.py's (shared with the daemon's scrape tests);
- :func:`run_logscan`: ``logscan run`` through the daemon tests' harness (tests/helpers/daemon.py:
  real subprocess, real sd_notify socket, real endpoint);
- :func:`run_postfix_exporter`: Debian's prometheus-postfix-exporter, the reference for
  ``--compat postfix_exporter``;
- the Alertmanager is the alerting tests' (tests/helpers/alertmanager_proc.py);
- :func:`listening_addresses`: what a process listens on, from /proc, to prove that nothing
  listens beyond loopback.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.e2e.sink import free_port
from tests.helpers.daemon import Daemon
from tests.helpers.prometheus_proc import http_get, wait_until

POSTFIX_EXPORTER = shutil.which("prometheus-postfix-exporter")


def need(binary: str | None, package: str) -> str:
    """The binary's path; skip the test when its Debian package is missing."""
    if binary is None:
        pytest.skip(f"{package} (Debian package) is not installed")
    return binary


@dataclass
class Exporter:
    url: str
    proc: subprocess.Popen[bytes]

    def metrics(self) -> str:
        return http_get(self.url) or ""


@contextmanager
def run_postfix_exporter(tmp: Path, log: Path) -> Iterator[Exporter]:
    """Debian's postfix_exporter following ``log`` (from its end, like ``tail -f``)."""
    binary = need(POSTFIX_EXPORTER, "prometheus-postfix-exporter")
    port = free_port()
    with (tmp / "postfix_exporter.log").open("wb") as out:
        proc = subprocess.Popen(
            [
                binary,
                f"--web.listen-address=127.0.0.1:{port}",
                f"--postfix.logfile_path={log}",
                f"--postfix.showq_path={tmp / 'no-showq'}",
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    exporter = Exporter(f"http://127.0.0.1:{port}/metrics", proc)
    try:
        wait_until(lambda: "postfix_up" in exporter.metrics(), "postfix_exporter ready")
        yield exporter
    finally:
        stop(proc)


@contextmanager
def run_logscan(tmp: Path, plugin_site: Path, *args: str) -> Iterator[Daemon]:
    """``logscan run ARGS`` on a free loopback port, state under ``tmp``; ready when it says so."""
    tmp.mkdir(parents=True, exist_ok=True)
    argv = [
        "--listen",
        "127.0.0.1:0",
        "--state-dir",
        str(tmp / "state"),
        "--checkpoint-interval",
        "0.5",
        "--poll-interval",
        "0.1",
        *args,
    ]
    daemon = Daemon(tmp, plugin_site, argv, {})
    try:
        yield daemon.start()
    finally:
        code = daemon.stop()
        daemon.close()
        assert code == 0, f"logscan exited {code}:\n{daemon.log()[-3000:]}"


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def listening_addresses(pid: int) -> set[str]:
    """``ip:port`` of every TCP socket in LISTEN state that process ``pid`` holds."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    found = set()
    for table, width in (("/proc/net/tcp", 8), ("/proc/net/tcp6", 32)):
        for row in Path(table).read_text().splitlines()[1:]:
            cols = row.split()
            local, state, inode = cols[1], cols[3], cols[9]
            if state == "0A" and inode in inodes:  # 0A: TCP_LISTEN
                found.add(_address(local, width))
    return found


def _address(hex_addr: str, width: int) -> str:
    addr, port = hex_addr.split(":")
    raw = bytes.fromhex(addr)
    if width == 8:
        ip = ".".join(str(b) for b in reversed(raw))
    else:  # four little-endian 32-bit words
        words = [raw[i : i + 4][::-1] for i in range(0, 16, 4)]
        ip = "[" + b"".join(words).hex() + "]"
    return f"{ip}:{int(port, 16)}"


def is_loopback(address: str) -> bool:
    host = address.rsplit(":", 1)[0]
    return host.startswith("127.") or host == "[" + "0" * 31 + "1]"
