"""A line written in two parts: held back until its newline, counted once."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import StartDaemon
from tests.helpers.daemon import append, lines
from tests.helpers.line_counts import all_lines, events

pytestmark = pytest.mark.integration


def test_partial_line(tmp_path: Path, daemon: StartDaemon) -> None:
    log = tmp_path / "mail.log"
    log.touch()
    d = daemon("--source", str(log), "--parser", "testmta")
    full = lines(1)
    append(log, lines(2) + full[:10])
    # The daemon has read the partial line (it shows as lag) but counted only the 2 full ones.
    s = d.wait_for(
        lambda s: all_lines(s) == 2 and s.get("logscan_source_lag_bytes") == 10, "partial read"
    )
    assert events(s) == 2
    append(log, full[10:])
    s = d.wait_for(lambda s: all_lines(s) >= 3, "3 lines")
    assert events(s) == 3  # one whole line, not two fragments
