"""A file that appears under a source's glob after start: read from its start, counted under the
source's glob."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import StartDaemon
from tests.helpers.daemon import append, lines
from tests.helpers.line_counts import all_lines, events, wait_lines

pytestmark = pytest.mark.integration


def test_glob_after_start(tmp_path: Path, daemon: StartDaemon) -> None:
    (tmp_path / "a.log").touch()
    d = daemon("--source", str(tmp_path / "*.log"), "--parser", "testmta")
    append(tmp_path / "a.log", lines(2))
    wait_lines(d, 2)
    (tmp_path / "b.log").write_text(lines(3))  # appears after start: read from its start
    s = d.wait_for(lambda s: all_lines(s) >= 5, "5 lines")
    assert events(s) == 5
    assert s.get("logscan_source_files") == 2
    assert set(s.series("logscan_lines_total")) == {
        (("outcome", "event"), ("parser", "testmta"), ("source", str(tmp_path / "*.log")))
    }
