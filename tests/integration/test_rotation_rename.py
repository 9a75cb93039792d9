"""Rotation by rename (logrotate's default) while the daemon runs: the old file is read to its
end, the new one from its start, and a glob does not count the rotated name as a new file."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.conftest import StartDaemon
from tests.helpers.daemon import append, lines
from tests.helpers.line_counts import all_lines, events, wait_lines

pytestmark = pytest.mark.integration


def test_rotation_rename(tmp_path: Path, daemon: StartDaemon) -> None:
    log = tmp_path / "mail.log"
    log.touch()
    d = daemon("--source", str(log), "--parser", "testmta")
    with log.open("a") as old:
        old.write(lines(3))
        old.flush()
        wait_lines(d, 3)
        os.rename(log, tmp_path / "mail.log.1")
        old.write(lines(2))  # the writer has not reopened yet: the old file gets more
        old.flush()
        append(log, lines(4))
    s = d.wait_for(lambda s: all_lines(s) >= 9, "9 lines")
    assert events(s) == 9
    assert s.get("logscan_source_rotations_total") == 1


def test_glob_rotation_is_not_a_new_file(tmp_path: Path, daemon: StartDaemon) -> None:
    log = tmp_path / "a.log"
    log.touch()
    d = daemon("--source", str(tmp_path / "a.log*"), "--parser", "testmta")
    append(log, lines(2))
    wait_lines(d, 2)
    os.rename(log, tmp_path / "a.log.1")
    append(log, lines(3))
    s = d.wait_for(lambda s: all_lines(s) >= 5, "5 lines")
    assert events(s) == 5
    assert s.get("logscan_source_files") == 1
