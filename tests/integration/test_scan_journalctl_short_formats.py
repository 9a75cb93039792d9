"""``journalctl -o short-full`` and ``-o short-unix`` (and the streaming JSON formats ``json-seq``
and ``json-sse``) piped into ``logscan scan -``: real journalctl, reading a real journal file
(made by systemd-journal-remote from the project's real Postfix, Sendmail and Exim syslog lines,
tests/data), prints them in its own formats; scan gives the events the plain lines give, each at
the instant journald recorded for its line. Before 2026-12-07 the short formats' events had no
``ts``, and the JSON streams gave no events."""

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
# How the first line journalctl prints in each format starts.
STARTS = {
    "short-full": r"[A-Z][a-z]{2} \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC ",
    "short-unix": r"\d{10}\.\d{6} ",
    "json-seq": "\x1e{",
    "json-sse": "data: {",
}
FILES = {
    "postfix": "real-postfix-3.7.11-relay.log",
    "sendmail": "blogs-sendmail-pastes.log",
    "exim": "github-issues-exim-pastes-3.log",
}


def journal_of(mta: str, tmp_path: Path, journal_dir: Path) -> tuple[list[str], list[datetime]]:
    """The BSD lines of ``mta``'s real log written to a journal file, and the instant of each."""
    real = (DATA / mta / FILES[mta]).read_text(encoding="utf-8", errors="replace").splitlines()
    boot, entries, lines, instants = uuid.uuid4().hex, [], [], []
    for line in real:
        m = _BSD.fullmatch(line)
        if m is None:
            continue
        stamp, host, program, pid, message = m.groups()
        when = datetime.fromisoformat(f"{iso_ts(stamp, 2024)}+00:00")
        entries.append(
            f"__REALTIME_TIMESTAMP={int(when.timestamp()) * 1_000_000}\n"
            f"__MONOTONIC_TIMESTAMP={len(lines) + 1}\n_BOOT_ID={boot}\nMESSAGE={message}\n"
            f"SYSLOG_IDENTIFIER={program}\n_PID={pid}\n_HOSTNAME={host}\n\n"
        )
        lines.append(line)
        instants.append(when)
    export = tmp_path / "real.export"
    export.write_text("".join(entries))
    subprocess.run([REMOTE, f"--output={journal_dir / 'real.journal'}", str(export)], check=True)
    return lines, instants


def scanned(args: list[str], stdin: bytes | None = None) -> list[dict[str, object]]:
    done = run(["scan", "--format", "events", *args], stdin=stdin)
    assert done.returncode == 0, done.stderr
    return [json.loads(text) for text in done.stdout.splitlines()]


def shape(event: dict[str, object]) -> tuple[object, ...]:
    return tuple(v for k, v in sorted(event.items()) if k not in ("path", "ts", "mta", "line"))


@pytest.mark.parametrize("fmt", list(STARTS))
@pytest.mark.parametrize("mta", list(FILES))
def test_scan_reads_the_time_of_journalctl_short_formats(
    tmp_path: Path, journal_dir: Path, mta: str, fmt: str
) -> None:
    lines, instants = journal_of(mta, tmp_path, journal_dir)
    printed = subprocess.run(
        ["journalctl", f"--directory={journal_dir}", "-o", fmt, "--no-pager", "--utc"],
        check=True,
        capture_output=True,
    ).stdout
    printed_lines = printed.decode().split("\n")
    # json-sse writes a blank line after each entry: the n-th entry's line number
    entry_at = [n for n, text in enumerate(printed_lines, 1) if text]
    assert len(entry_at) == len(lines) >= 5
    assert re.match(STARTS[fmt], printed_lines[0])

    plain = tmp_path / "mail.log"
    plain.write_text("".join(f"{line}\n" for line in lines))
    want = scanned(["--parser", mta, str(plain)])
    got = scanned(["-"], stdin=printed)  # the parser found by detection
    assert want, "the plain lines give events"
    assert [shape(e) for e in got] == [shape(e) for e in want]
    assert [entry_at.index(int(str(e["line"]))) + 1 for e in got] == [e["line"] for e in want]
    assert {e["mta"] for e in got} == {mta}
    for w, g in zip(want, got, strict=True):
        journal_time = instants[int(str(w["line"])) - 1]
        # The plain line's syslog time has the current year: the rest must be the journal's,
        # else the time is an Exim line's own stamp after the program, which is kept.
        if str(w["ts"])[4:] != journal_time.replace(tzinfo=None).isoformat()[4:]:
            assert g["ts"] == w["ts"]
            continue
        assert isinstance(g["ts"], str)
        assert datetime.fromisoformat(g["ts"]).astimezone(UTC) == journal_time
