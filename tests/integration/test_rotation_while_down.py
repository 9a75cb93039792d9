"""logrotate runs while the daemon is down (rename, twice or past its ``rotate`` count, and
copytruncate): missed rotations are found by identity and finished in order; a file gone before
it was read to its end is counted lost."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest

from tests.conftest import StartDaemon
from tests.helpers.daemon import append, lines
from tests.helpers.line_counts import total

pytestmark = pytest.mark.integration


def test_rotated_twice_while_down(tmp_path: Path, daemon: StartDaemon) -> None:
    """Rotations missed while down are found by identity and finished in order."""
    log = tmp_path / "mail.log"
    log.touch()
    d = daemon("--source", str(log), "--parser", "testmta")
    append(log, lines(5))
    d.wait_for(lambda s: total(s) >= 5, "5 lines")
    d.kill9()
    append(log, lines(2))
    os.rename(log, tmp_path / "mail.log.1")
    append(log, lines(3))
    time.sleep(0.01)  # distinct modification times, as between real rotations
    os.rename(tmp_path / "mail.log.1", tmp_path / "mail.log.2")
    os.rename(log, tmp_path / "mail.log.1")
    append(log, lines(4))
    (tmp_path / "mail.log.3.gz").write_bytes(b"\x1f\x8b not read")
    d.start()
    s = d.wait_for(lambda s: total(s) >= 14, "14 lines")
    assert total(s) == 14
    assert s.get("logscan_lines_total", outcome="event") == 14


def test_copytruncate_while_down(tmp_path: Path, daemon: StartDaemon) -> None:
    log = tmp_path / "mail.log"
    log.touch()
    d = daemon("--source", str(log), "--parser", "testmta")
    append(log, lines(5))
    d.wait_for(lambda s: total(s) >= 5, "5 lines")
    d.kill9()
    append(log, lines(2))
    shutil.copyfile(log, tmp_path / "mail.log.1")
    os.truncate(log, 0)
    append(log, lines(3))
    d.start()
    s = d.wait_for(lambda s: total(s) >= 10, "10 lines")
    assert total(s) == 10


def test_rotated_files_deleted_while_down_are_counted_as_lost(
    tmp_path: Path, daemon: StartDaemon
) -> None:
    """logrotate (rotate 2) runs five times while the daemon is down: the file it was reading
    is gone (counted lost, named in the log); the rotated files still there are all read."""
    log = tmp_path / "mail.log"
    log.touch()
    d = daemon("--source", str(log), "--parser", "testmta")
    append(log, lines(5))
    d.wait_for(lambda s: total(s) >= 5, "5 lines")
    d.kill9()
    append(log, lines(4))  # unread: lost with the file
    for rotation in range(5):
        old2 = tmp_path / "mail.log.2"
        old2.unlink(missing_ok=True)  # rotate 2: the oldest goes
        if (tmp_path / "mail.log.1").exists():
            os.rename(tmp_path / "mail.log.1", old2)
        os.rename(log, tmp_path / "mail.log.1")
        time.sleep(0.01)  # distinct modification times, as between real rotations
        append(log, lines(10 + rotation))
    kept = 12 + 13 + 14  # mail.log.2, mail.log.1 and mail.log hold the last three batches
    d.start()
    s = d.wait_for(lambda s: total(s) >= 5 + kept, f"{5 + kept} lines")
    assert total(s) == 5 + kept  # every line still on disk, once
    assert s.get("logscan_source_lost_files_total", reason="rotated_file_gone") == 1
    assert s.get("logscan_source_lost_bytes_total", reason="rotated_file_gone") >= 0
    assert "file gone before it was read to its end" in d.log()
    assert str(log) in d.log()
    d.kill9()  # the loss is checkpointed with the counters: not counted again, not forgotten
    d.start()
    s = d.scrape()
    assert s.get("logscan_source_lost_files_total", reason="rotated_file_gone") == 1
