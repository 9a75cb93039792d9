"""Dead ends an operator meets in the first hour, each said plainly by the real daemon.

A source that has nothing to read, a state directory the user may not write, and the daemon's own
log fitted to where it goes (a terminal, a pipe, the journal).
"""

from __future__ import annotations

import json
import os
import pty
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import StartDaemon
from tests.helpers.daemon import append, config, lines
from tests.helpers.logscan_cli import run

pytestmark = pytest.mark.integration


def test_missing_source_is_a_warning_and_a_down_gauge(tmp_path: Path, daemon: StartDaemon) -> None:
    log = tmp_path / "later.log"
    src = f'[[sources]]\nname = "mail"\npath = "{log}"\nparser = "testmta"\nstart = "beginning"\n'
    d = daemon(config=config(tmp_path / "state", src))
    assert d.scrape().get("logscan_source_up", source="mail") == 0
    warning = next(json.loads(x) for x in d.log().splitlines() if "nothing to read" in x)
    assert warning["level"] == "warning" and warning["source"] == "mail"
    assert str(log) in warning["detail"]
    append(log, lines(3))
    d.wait_for(lambda s: s.get("logscan_source_up", source="mail") == 1, "source up")


def test_check_config_warns_of_a_source_with_nothing_to_read(tmp_path: Path) -> None:
    cfg = tmp_path / "logscan.toml"
    cfg.write_text(
        config(
            tmp_path / "state",
            f'[[sources]]\nname = "mail"\npath = "{tmp_path}/nope.log"\n'
            f'[[sources]]\nname = "exim"\npath = "{tmp_path}/exim/*.log"\n',
        )
    )
    done = run(["check-config", "-c", str(cfg)])
    assert done.returncode == 0, done.stderr
    assert f"sources[0] (mail): {tmp_path}/nope.log does not exist (yet)" in done.stderr
    assert f"sources[1] (exim): no file matches {tmp_path}/exim/*.log" in done.stderr


def test_unwritable_state_dir_says_what_to_do(tmp_path: Path) -> None:
    setpriv = shutil.which("setpriv")
    if setpriv is None or os.geteuid() != 0:
        pytest.skip("needs root and setpriv (util-linux) to run as an unprivileged user")
    # An unprivileged user that may still read the interpreter under /root (read-search only).
    nobody = [
        setpriv,
        "--reuid=65534",
        "--regid=65534",
        "--clear-groups",
        "--inh-caps=+dac_read_search",
        "--ambient-caps=+dac_read_search",
    ]
    state = tmp_path / "root-only" / "state"
    state.parent.mkdir(mode=0o755)
    where = ["--source", str(tmp_path / "m.log"), "--listen", "127.0.0.1:0"]
    done = subprocess.run(
        [*nobody, sys.executable, "-m", "logscan", "run", "--state-dir", str(state), *where],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    error = json.loads(done.stderr.strip().splitlines()[-1])
    assert f"cannot write the state directory {state}" in error["error"]
    assert "--state-dir" in error["error"] and "systemd unit" in error["error"]


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
