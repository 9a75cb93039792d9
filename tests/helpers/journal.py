"""Real journal files for the journald source tests, made by systemd-journal-remote.

Entries are written in the journal export format and turned into a journal file by
``systemd-journal-remote``; the daemon reads it with ``journalctl --directory`` (the same code
path as the system journal, only the location differs). The ``journal_dir`` fixture
(tests/conftest.py) skips where these tools are missing.
"""

from __future__ import annotations

import subprocess
import time
import uuid
from pathlib import Path

from tests.helpers.daemon import Daemon, Scrape

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
