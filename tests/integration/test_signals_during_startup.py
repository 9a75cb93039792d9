"""SIGHUP and SIGTERM while the daemon is still starting (imports, config, checkpoint restore):
never fatal by accident, a reload or a clean stop once it can."""

from __future__ import annotations

import signal
import time
from pathlib import Path

import pytest

from tests.conftest import StartDaemon
from tests.helpers.daemon import append, lines
from tests.helpers.line_counts import total

pytestmark = pytest.mark.integration


def test_sighup_during_startup_is_one_reload_after_start(
    tmp_path: Path, daemon: StartDaemon
) -> None:
    """SIGHUPs while Python imports, the config loads and the checkpoint is restored: not fatal
    (Python's default for SIGHUP is to terminate), coalesced into one reload once started."""
    log = tmp_path / "mail.log"
    log.touch()
    d = daemon("--source", str(log), "--parser", "testmta", wait_ready=False)
    time.sleep(0.15)  # the interpreter itself starts: before our code runs, no handler can be
    sent, ready = 0, False
    d.notify.settimeout(0.02)
    while not ready and sent < 200:
        assert d.proc is not None and d.proc.poll() is None, f"daemon died:\n{d.log()}"
        d.signal(signal.SIGHUP)
        sent += 1
        try:
            d.wait_message("READY=1", timeout=0.03)
            ready = True
        except AssertionError:
            pass
    d.notify.settimeout(0.2)
    assert ready
    assert sent >= 3
    d.wait_message("RELOADING=1")
    d.wait_message("READY=1")
    append(log, lines(2))
    s = d.wait_for(lambda s: total(s) >= 2, "2 lines")
    assert s.get("logscan_config_reloads_total", result="ok") >= 1
    assert "signal received during start-up" in d.log()
    assert d.stop() == 0


def test_sigterm_during_startup_stops_cleanly(tmp_path: Path, daemon: StartDaemon) -> None:
    log = tmp_path / "mail.log"
    log.touch()
    d = daemon("--source", str(log), "--parser", "testmta", wait_ready=False)
    time.sleep(0.3)
    d.signal(signal.SIGTERM)
    assert d.proc is not None
    assert d.proc.wait(20) == 0, d.log()
    assert (tmp_path / "state" / "checkpoint.json").exists()
