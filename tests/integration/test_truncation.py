"""A followed file truncated in place (no copy kept): read again from its start."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.conftest import StartDaemon
from tests.helpers.daemon import append, lines
from tests.helpers.line_counts import all_lines, events, wait_lines

pytestmark = pytest.mark.integration


def test_truncation(tmp_path: Path, daemon: StartDaemon) -> None:
    log = tmp_path / "mail.log"
    log.touch()
    d = daemon("--source", str(log), "--parser", "testmta")
    append(log, lines(5))
    wait_lines(d, 5)
    os.truncate(log, 0)
    append(log, lines(2))
    s = d.wait_for(lambda s: all_lines(s) >= 7, "7 lines")
    assert events(s) == 7
    assert s.get("logscan_source_truncations_total") == 1
