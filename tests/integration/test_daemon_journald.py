"""The journald source against a real journal file made by systemd-journal-remote.

Entries are written in the journal export format and turned into a journal file by
``systemd-journal-remote``; the daemon reads it with ``journalctl --directory`` (the same code
path as the system journal, only the location differs).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
import uuid
from pathlib import Path

import pytest

from tests.conftest import StartDaemon
from tests.helpers.daemon import Daemon, Scrape, config

pytestmark = pytest.mark.integration

REMOTE = "/lib/systemd/systemd-journal-remote"


def write_journal(directory: Path, name: str, start: int, n: int, age: float = 0) -> None:
    """``n`` test entries written ``age`` seconds ago into ``directory/name``."""
    boot = uuid.uuid4().hex
    now = time.time_ns() // 1000 - int(age * 1e6)
    out = []
    for i in range(start, start + n):
        out.append(
            f"__REALTIME_TIMESTAMP={now + i}\n__MONOTONIC_TIMESTAMP={1000 + i}\n_BOOT_ID={boot}\n"
            f"MESSAGE=testmta: code=550 enh=5.1.1 status=bounced entry {i}\n"
            "SYSLOG_IDENTIFIER=testmta\n_PID=42\n_HOSTNAME=mx1\n\n"
        )
    export = directory.parent / f"{name}.export"
    export.write_text("".join(out))
    subprocess.run(
        [REMOTE, f"--output={directory / name}", str(export)],
        check=True,
        capture_output=True,
    )


def journalctl_child(d: Daemon) -> int:
    assert d.proc is not None
    for task in Path(f"/proc/{d.proc.pid}/task").iterdir():
        for pid in (task / "children").read_text().split():
            if "journalctl" in Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace"):
                return int(pid)
    raise AssertionError("no journalctl child")


def events(s: Scrape) -> float:
    return s.get("logscan_lines_total", source="journal", outcome="event")


@pytest.fixture
def journal_dir(tmp_path: Path) -> Path:
    if not (os.path.exists(REMOTE) and shutil.which("journalctl")):
        pytest.skip("systemd-journal-remote or journalctl is not installed")
    d = tmp_path / "journal"
    d.mkdir()
    return d


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
