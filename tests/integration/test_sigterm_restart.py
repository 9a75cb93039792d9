"""SIGTERM with a backlog unread, then a restart: the checkpoint resumes where it stopped, every
line counted once."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import StartDaemon
from tests.helpers.daemon import append, lines
from tests.helpers.line_counts import total

pytestmark = pytest.mark.integration


def test_sigterm_drains_and_restart_resumes(tmp_path: Path, daemon: StartDaemon) -> None:
    log = tmp_path / "mail.log"
    log.touch()
    d = daemon("--source", str(log), "--parser", "testmta")
    append(log, lines(5))
    d.wait_for(lambda s: total(s) >= 5, "5 lines")
    append(log, lines(20_000))  # a backlog the daemon may not have read at SIGTERM
    assert d.stop() == 0
    d.wait_message("STOPPING=1")
    append(log, lines(3))
    d.start()
    s = d.wait_for(lambda s: total(s) >= 20_008, "20008 lines")
    assert total(s) == 20_008
    assert s.get("logscan_lines_total", outcome="event") == 20_008
