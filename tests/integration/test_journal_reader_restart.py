"""The journald source's reader (``journalctl``) killed, the daemon restarted before or after a
cursor, the whole service stopped: resumed after the cursor, nothing twice, no false alarm.

Against a real journal file made by systemd-journal-remote (tests/helpers/journal.py).
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from tests.conftest import StartDaemon
from tests.helpers.daemon import config
from tests.helpers.journal import events, journalctl_child, write_journal

pytestmark = pytest.mark.integration


def test_journald_cursor_restart_and_checkpoint(
    tmp_path: Path, journal_dir: Path, daemon: StartDaemon
) -> None:
    write_journal(journal_dir, "a.journal", 0, 30)
    src = (
        '[[sources]]\nname = "journal"\njournald = true\nparser = "testmta"\n'
        f'start = "beginning"\njournal_directory = "{journal_dir}"\n'
    )
    d = daemon(config=config(tmp_path / "state", src))
    s = d.wait_for(lambda s: events(s) >= 30, "30 journal entries")
    assert events(s) == 30
    assert s.get("logscan_journal_reader_up", source="journal") == 1
    assert s.get("logscan_replies_total", code="550", mta="testmta") == 30

    # More entries, then the reader dies: it restarts after its cursor, nothing twice.
    write_journal(journal_dir, "b.journal", 30, 20)
    os.kill(journalctl_child(d), signal.SIGKILL)
    s = d.wait_for(
        lambda s: events(s) >= 50 and s.get("logscan_journal_reader_restarts_total") >= 1,
        "50 entries after a reader restart",
    )
    assert events(s) == 50
    assert s.get("logscan_journal_reader_restarts_total", source="journal") == 1

    # The daemon restarts from its checkpointed cursor.
    assert d.stop() == 0
    write_journal(journal_dir, "c.journal", 50, 5)
    d.start()
    s = d.wait_for(lambda s: events(s) >= 55, "55 entries after a daemon restart")
    assert events(s) == 55
    assert s.get("logscan_journal_reader_up", source="journal") == 1


def test_journald_from_the_end_resumes_by_time_before_any_cursor(
    tmp_path: Path, journal_dir: Path, daemon: StartDaemon
) -> None:
    write_journal(journal_dir, "old.journal", 0, 10, age=3600)  # history: not counted
    src = (
        '[[sources]]\nname = "journal"\njournald = true\nparser = "testmta"\n'
        f'journal_directory = "{journal_dir}"\n'
    )
    d = daemon(config=config(tmp_path / "state", src))
    d.wait_for(lambda s: s.get("logscan_journal_reader_up") == 1, "reader up")
    assert d.stop() == 0  # checkpointed with no cursor yet
    write_journal(journal_dir, "new.journal", 10, 3)
    d.start()
    s = d.wait_for(lambda s: events(s) >= 3, "3 new entries")
    assert events(s) == 3


def test_stop_of_the_whole_service_is_not_a_reader_death(
    tmp_path: Path, journal_dir: Path, daemon: StartDaemon
) -> None:
    # systemd stops a service by signalling its whole control group: journalctl gets SIGTERM
    # at the same moment as the daemon, and that must not be logged as a crash.
    write_journal(journal_dir, "a.journal", 0, 3)
    src = (
        '[[sources]]\nname = "journal"\njournald = true\nparser = "testmta"\n'
        f'start = "beginning"\njournal_directory = "{journal_dir}"\n'
    )
    d = daemon(config=config(tmp_path / "state", src))
    d.wait_for(lambda s: events(s) >= 3, "3 journal entries")
    os.kill(journalctl_child(d), signal.SIGTERM)
    assert d.stop() == 0
    assert "journal reader died" not in d.log()
    assert "journalctl exited" not in d.log()
