"""A parser plug-in that raises on a line, on both paths lines take (the daemon, ``scan``): the
line is counted as a parser error and as unrecognized, logged with the file and the line (never
a traceback), and no other line is lost."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import StartDaemon
from tests.helpers.daemon import append, lines
from tests.helpers.logscan_cli import run, summary

pytestmark = pytest.mark.integration

BOOM = "x testmta: boom\n"


def test_parser_errors_are_counted_on_the_daemon_and_scan_paths(
    tmp_path: Path, daemon: StartDaemon, plugin_site: Path
) -> None:
    log = tmp_path / "mail.log"
    log.touch()
    d = daemon("--source", str(log), "--parser", "testmta")
    append(log, lines(2) + BOOM + lines(1, start=2))
    s = d.wait_for(lambda s: s.get("logscan_lines_total") >= 4, "4 lines")
    assert s.get("logscan_parser_errors_total", source=str(log), parser="testmta") == 1
    assert s.get("logscan_lines_total", outcome="event") == 3
    assert s.get("logscan_lines_total", outcome="unrecognized") == 1
    d.wait_for(lambda s: "parser raised" in d.log(), "the fault logged")
    assert str(log) in d.log() and "line 3" in d.log()
    assert "Traceback" not in d.log()

    done = run(["scan", "--parser", "testmta", "--format", "json", str(log)], plugin_site)
    (f,) = summary(done)["files"]
    assert f["parser_errors"] == 1
    assert f["outcomes"] == {"event": 3, "ignored": 0, "unrecognized": 1}
    assert f"{log}" in done.stderr and "line 3" in done.stderr  # run() asserts no traceback
