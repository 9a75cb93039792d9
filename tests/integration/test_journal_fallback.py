"""``journald_if_missing``: the log file is missing, so the daemon follows the journal (the
embedded default's behaviour), a real journal file made by systemd-journal-remote."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import StartDaemon
from tests.helpers.daemon import config
from tests.helpers.journal import events, write_journal

pytestmark = pytest.mark.integration


def test_journald_missing_file_falls_back(
    tmp_path: Path, journal_dir: Path, daemon: StartDaemon
) -> None:
    """``journald_if_missing``: no log file, so the journal (the embedded default's behaviour)."""
    write_journal(journal_dir, "a.journal", 0, 4)
    missing = tmp_path / "no-such-mail.log"
    src = (
        f'[[sources]]\nname = "journal"\npath = "{missing}"\njournald_if_missing = true\n'
        f'parser = "testmta"\nstart = "beginning"\njournal_directory = "{journal_dir}"\n'
    )
    d = daemon(config=config(tmp_path / "state", src))
    s = d.wait_for(lambda s: events(s) >= 4, "4 journal entries")
    assert events(s) == 4
    assert "following the journal instead" in d.log()
