"""Rotation by copytruncate while the daemon runs, also when it had fallen behind: lines copied
before they were read are read from the copy."""

from __future__ import annotations

import os
import shutil
import signal
from pathlib import Path

import pytest

from tests.conftest import StartDaemon
from tests.helpers.daemon import append, lines
from tests.helpers.line_counts import all_lines, events, wait_lines

pytestmark = pytest.mark.integration


def test_copytruncate(tmp_path: Path, daemon: StartDaemon) -> None:
    log = tmp_path / "mail.log"
    log.touch()
    d = daemon("--source", str(log), "--parser", "testmta")
    append(log, lines(5))
    wait_lines(d, 5)
    shutil.copyfile(log, tmp_path / "mail.log.1")
    os.truncate(log, 0)
    append(log, lines(3))
    s = d.wait_for(lambda s: all_lines(s) >= 8, "8 lines")
    assert events(s) == 8
    assert s.get("logscan_source_truncations_total") == 1


def test_copytruncate_of_unread_lines_reads_the_copy(tmp_path: Path, daemon: StartDaemon) -> None:
    """Lines logrotate copied before the daemon read them are read from the copy."""
    log = tmp_path / "mail.log"
    log.touch()
    d = daemon("--source", str(log), "--parser", "testmta")
    append(log, lines(5))
    wait_lines(d, 5)
    d.signal(signal.SIGSTOP)  # the daemon falls behind
    try:
        append(log, lines(4))
        shutil.copyfile(log, tmp_path / "mail.log.1")
        os.truncate(log, 0)
        append(log, lines(2))
    finally:
        d.signal(signal.SIGCONT)
    s = d.wait_for(lambda s: all_lines(s) >= 11, "11 lines")
    assert events(s) == 11
    assert s.get("logscan_source_truncations_total") == 1
