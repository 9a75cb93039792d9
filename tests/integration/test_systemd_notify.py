"""The systemd notification protocol: READY on a real unix datagram socket, watchdog pings."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from tests.conftest import StartDaemon

pytestmark = pytest.mark.integration


def test_watchdog_pings(tmp_path: Path, daemon: StartDaemon) -> None:
    d = daemon(
        "--source",
        str(tmp_path / "mail.log"),
        env={"WATCHDOG_USEC": "400000"},  # 0.4 s: pings every 0.2 s
    )
    d.wait_message("WATCHDOG=1")
    d.wait_message("WATCHDOG=1")
    d.stop()
    d.wait_message("STOPPING=1")


def test_notify_socket_receives_ready(tmp_path: Path) -> None:
    """The sd_notify client against a real unix datagram socket."""
    from logscan.app.sdnotify import SystemdNotify

    path = tmp_path / "notify.sock"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind(str(path))
        n = SystemdNotify.from_env({"NOTIFY_SOCKET": str(path), "WATCHDOG_USEC": "2000000"})
        assert n.watchdog_interval == 1.0
        assert n.send("READY=1", "STATUS=ok")
        assert sock.recv(100) == b"READY=1\nSTATUS=ok"
