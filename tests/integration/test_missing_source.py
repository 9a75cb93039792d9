"""A source with nothing to read (its file not there yet, its glob matching nothing): a warning,
a down gauge, read from its start once it appears; ``check-config`` says so too.

(A missing log file can fall back to the journal instead: test_journal_fallback.py.)
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import StartDaemon
from tests.helpers.daemon import append, config, lines
from tests.helpers.line_counts import all_lines, events
from tests.helpers.logscan_cli import run

pytestmark = pytest.mark.integration


def test_file_not_yet_existing(tmp_path: Path, daemon: StartDaemon) -> None:
    log = tmp_path / "later" / "mail.log"
    d = daemon("--source", str(log), "--parser", "testmta")
    s = d.scrape()
    assert s.get("logscan_source_files") == 0
    log.parent.mkdir()
    log.write_text(lines(3))  # a new file: read from its start
    s = d.wait_for(lambda s: all_lines(s) >= 3, "3 lines")
    assert events(s) == 3


def test_missing_source_is_a_warning_and_a_down_gauge(tmp_path: Path, daemon: StartDaemon) -> None:
    log = tmp_path / "later.log"
    src = f'[[sources]]\nname = "mail"\npath = "{log}"\nparser = "testmta"\nstart = "beginning"\n'
    d = daemon(config=config(tmp_path / "state", src))
    assert d.scrape().get("logscan_source_up", source="mail") == 0
    warning = next(json.loads(x) for x in d.log().splitlines() if "nothing to read" in x)
    assert warning["level"] == "warning" and warning["source"] == "mail"
    assert str(log) in warning["detail"]
    append(log, lines(3))
    d.wait_for(lambda s: s.get("logscan_source_up", source="mail") == 1, "source up")


def test_check_config_warns_of_a_source_with_nothing_to_read(tmp_path: Path) -> None:
    cfg = tmp_path / "logscan.toml"
    cfg.write_text(
        config(
            tmp_path / "state",
            f'[[sources]]\nname = "mail"\npath = "{tmp_path}/nope.log"\n'
            f'[[sources]]\nname = "exim"\npath = "{tmp_path}/exim/*.log"\n',
        )
    )
    done = run(["check-config", "-c", str(cfg)])
    assert done.returncode == 0, done.stderr
    assert f"sources[0] (mail): {tmp_path}/nope.log does not exist (yet)" in done.stderr
    assert f"sources[1] (exim): no file matches {tmp_path}/exim/*.log" in done.stderr
