"""A log the daemon may not read: counted as a read error, read once its mode allows."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.conftest import StartDaemon
from tests.helpers.daemon import append, lines
from tests.helpers.line_counts import all_lines, events

pytestmark = pytest.mark.integration


def test_permission_denied(tmp_path: Path, daemon: StartDaemon) -> None:
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("setpriv (util-linux) is not installed")
    log = tmp_path / "mail.log"
    log.touch()
    log.chmod(0)
    # Root reads anything; drop the capabilities that let it, so the denial is real.
    caps = "-dac_override,-dac_read_search"
    prefix = (setpriv, f"--bounding-set={caps}", f"--inh-caps={caps}") if os.geteuid() == 0 else ()
    d = daemon("--source", str(log), "--parser", "testmta", prefix=prefix)
    s = d.wait_for(
        lambda s: s.get("logscan_source_read_errors_total", error="permission_denied") == 1,
        "permission denied counted",
    )
    assert all_lines(s) == 0
    log.chmod(0o644)
    d.wait_for(lambda s: s.get("logscan_source_opens_total") == 1, "file opened")
    append(log, lines(3))
    s = d.wait_for(lambda s: all_lines(s) >= 3, "3 lines")
    assert events(s) == 3
    assert s.get("logscan_source_read_errors_total", error="permission_denied") == 1
    assert d.proc is not None and d.proc.poll() is None
