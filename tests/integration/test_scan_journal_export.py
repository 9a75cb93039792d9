"""``journalctl -o json`` piped into ``logscan scan -``: real journalctl, reading a real journal
file (made by systemd-journal-remote from real Postfix lines, tests/data/postfix), prints the
export; scan reads each entry as the syslog line the daemon's journald source makes of it, and
counts what the same lines give read from a file."""

from __future__ import annotations

import json
import re
import subprocess
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest

from logscan.parsing.syslog import iso_ts
from tests.helpers.journal import REMOTE
from tests.helpers.logscan_cli import run
from tests.helpers.paths import DATA

pytestmark = pytest.mark.integration

_BSD = re.compile(r"([A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d) (\S+) ([^\s\[\]:]+)\[(\d+)\]: (.*)")


def test_scan_reads_a_real_journalctl_json_export(tmp_path: Path, journal_dir: Path) -> None:
    real = (DATA / "postfix" / "real-postfix-3.7.11-relay.log").read_text().splitlines()
    boot, entries, lines = uuid.uuid4().hex, [], []
    for n, line in enumerate(real):
        m = _BSD.fullmatch(line)
        if m is None:
            continue
        stamp, host, program, pid, message = m.groups()
        when = datetime.fromisoformat(f"{iso_ts(stamp, 2024)}+00:00").astimezone(UTC)
        entries.append(
            f"__REALTIME_TIMESTAMP={int(when.timestamp() * 1e6)}\n__MONOTONIC_TIMESTAMP={n + 1}\n"
            f"_BOOT_ID={boot}\nMESSAGE={message}\nSYSLOG_IDENTIFIER={program}\n_PID={pid}\n"
            f"_HOSTNAME={host}\n\n"
        )
        lines.append(line)
    export = tmp_path / "real.export"
    export.write_text("".join(entries))
    subprocess.run([REMOTE, f"--output={journal_dir / 'real.journal'}", str(export)], check=True)
    dump = subprocess.run(
        ["journalctl", f"--directory={journal_dir}", "-o", "json", "--no-pager"],
        check=True,
        capture_output=True,
    ).stdout
    assert len(dump.splitlines()) == len(lines) >= 10
    assert "__CURSOR" in json.loads(dump.splitlines()[0])  # journalctl's own export, not ours

    plain = tmp_path / "mail.log"
    plain.write_text("".join(f"{line}\n" for line in lines))
    want = run(["scan", "--format", "json", str(plain)])
    got = run(["scan", "--format", "json", "-"], stdin=dump)
    assert want.returncode == got.returncode == 0, got.stderr
    w, g = json.loads(want.stdout), json.loads(got.stdout)
    assert w["events"] > 0
    for key in ("lines", "events", "by_status", "by_category", "by_code", "outcomes"):
        assert g[key] == w[key], key
