"""A followed file deleted and created again: closed, then opened anew."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import StartDaemon
from tests.helpers.daemon import append, lines
from tests.helpers.line_counts import all_lines, events, wait_lines

pytestmark = pytest.mark.integration


def test_file_deleted_recreated(tmp_path: Path, daemon: StartDaemon) -> None:
    log = tmp_path / "mail.log"
    log.touch()
    d = daemon("--source", str(log), "--parser", "testmta")
    append(log, lines(2))
    wait_lines(d, 2)
    log.unlink()
    d.wait_for(lambda s: s.get("logscan_source_files") == 0, "deleted file closed")
    log.write_text(lines(3))
    s = d.wait_for(lambda s: all_lines(s) >= 5, "5 lines")
    assert events(s) == 5
    assert s.get("logscan_source_opens_total") == 2
