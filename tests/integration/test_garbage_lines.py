"""Binary garbage and a 10 MiB line in a followed log: counted as lines, nothing else lost."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import StartDaemon
from tests.helpers.daemon import append, lines
from tests.helpers.line_counts import all_lines, events

pytestmark = pytest.mark.integration


def test_garbage_and_overlong_lines(tmp_path: Path, daemon: StartDaemon) -> None:
    log = tmp_path / "mail.log"
    log.touch()
    d = daemon("--source", str(log), "--parser", "testmta")
    append(log, b"\xff\xfe\x00garbage\xc3\n" + b"x" * (10 * 1024 * 1024) + b"\n")
    append(log, lines(2))
    s = d.wait_for(lambda s: all_lines(s) >= 4, "4 lines")
    assert all_lines(s) == 4
    assert events(s) == 2
    assert s.get("logscan_source_lag_bytes") == 0
