"""An impossible timestamp (Feb 30 25:61:61) in a followed log: the daemon counts it and sets the
event's time to null, never invents one (unit tests: tests/unit/core/test_timestamps.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import StartDaemon
from tests.helpers.daemon import append
from tests.unit.core.test_timestamps import POSTFIX

pytestmark = pytest.mark.integration


def test_daemon_counts_invalid_timestamps(tmp_path: Path, daemon: StartDaemon) -> None:
    log = tmp_path / "mail.log"
    log.write_text("")
    d = daemon("--source", str(log), "--parser", "postfix")
    append(log, POSTFIX.format(ts="Feb 30 25:61:61") + POSTFIX.format(ts="Feb 28 23:59:59"))
    s = d.wait_for(lambda s: s.get("logscan_lines_total") >= 2, "2 lines")
    assert s.get("logscan_invalid_timestamps_total", source=str(log), parser="postfix") == 1
