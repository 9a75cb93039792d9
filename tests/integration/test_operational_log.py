"""The daemon's own log fitted to where it goes: syslog priorities under journald, the console
renderer on a terminal, JSON elsewhere."""

from __future__ import annotations

import json
import os
import pty
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import StartDaemon

pytestmark = pytest.mark.integration


def test_log_lines_carry_their_syslog_priority_under_journald(
    tmp_path: Path, daemon: StartDaemon
) -> None:
    # systemd names the stream it connected to stderr; the harness logs to a file, so name it.
    d = daemon("--source", str(tmp_path / "missing.log"), wait_ready=False)
    log_stat = os.stat(d.log_path)
    d.close()
    d = daemon(
        "--source",
        str(tmp_path / "missing.log"),
        env={"JOURNAL_STREAM": f"{log_stat.st_dev}:{log_stat.st_ino}"},
    )
    assert d.stop() == 0
    entries = [x for x in d.log().splitlines() if x.startswith("<")]
    warning = next(x for x in entries if "nothing to read" in x)
    assert warning.startswith("<4>{")  # warning
    assert any(x.startswith("<6>{") and '"started"' in x for x in entries)  # info


def test_console_log_on_a_terminal_json_elsewhere(tmp_path: Path, daemon: StartDaemon) -> None:
    d = daemon("--source", str(tmp_path / "m.log"))
    assert d.stop() == 0
    assert all(json.loads(x) for x in d.log().splitlines() if x.strip())  # not a TTY: JSON

    where = ["--source", str(tmp_path / "m.log"), "--listen", "127.0.0.1:0"]
    primary, secondary = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "logscan", "run", "--state-dir", str(tmp_path / "s"), *where],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=secondary,
    )
    os.close(secondary)
    seen = b""
    deadline = time.monotonic() + 30
    while b"started" not in seen and time.monotonic() < deadline:
        try:
            seen += os.read(primary, 4096)
        except OSError:
            break
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(30) == 0
    os.close(primary)
    text = seen.decode(errors="replace")
    assert "started" in text and '"event":' not in text  # the console renderer, not JSON
