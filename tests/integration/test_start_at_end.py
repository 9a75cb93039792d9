"""A file already there at start: its history is skipped, from the end of its last full line."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import StartDaemon
from tests.helpers.daemon import append, lines
from tests.helpers.line_counts import all_lines, events

pytestmark = pytest.mark.integration


def test_start_at_end_skips_history(tmp_path: Path, daemon: StartDaemon) -> None:
    log = tmp_path / "mail.log"
    log.write_text(lines(5) + "partial")
    d = daemon("--source", str(log), "--parser", "testmta")
    append(log, " end\n" + lines(2))
    s = d.wait_for(lambda s: all_lines(s) >= 3, "3 lines")
    assert all_lines(s) == 3  # the partial line's end, and the 2 new lines
    assert events(s) == 2
