"""``scan`` of a ``journalctl -o json`` export: each entry is read as the syslog-style line the
daemon's journald source makes of it. Built from a real Postfix log (tests/data/postfix, see
SOURCES.md): its lines as journal entries give the events the lines give."""

from __future__ import annotations

import gzip
import json
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from logscan.parsing.registry import Registry
from logscan.parsing.syslog import iso_ts
from logscan.sources.batch import read_lines
from tests.helpers.paths import DATA

YEAR = 2024
_BSD = re.compile(r"([A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d) (\S+) ([^\s\[\]:]+)\[(\d+)\]: (.*)")


def as_entry(line: str, n: int) -> dict[str, str] | None:
    """``line`` as journald keeps it (the fields ``journalctl -o json`` prints)."""
    m = _BSD.fullmatch(line)
    if m is None:
        return None
    stamp, host, program, pid, message = m.groups()
    when = datetime.fromisoformat(f"{iso_ts(stamp, YEAR)}+00:00").astimezone(UTC)
    return {
        "__CURSOR": f"s=0;i={n:x}",
        "__REALTIME_TIMESTAMP": str(int(when.timestamp() * 1_000_000)),
        "_HOSTNAME": host,
        "SYSLOG_IDENTIFIER": program,
        "_PID": pid,
        "PRIORITY": "6",
        "MESSAGE": message,
    }


def events(lines: list[str]) -> list[tuple[object, ...]]:
    parser = Registry.load().get("postfix")(path="m.log", year=YEAR)
    out = []
    for n, text in enumerate(lines, 1):
        out.extend(parser.feed(text, n) or [])
    return [
        (e.line, e.status, e.code, e.enhanced, e.text, e.queue_id, (e.ts or "")[:19]) for e in out
    ]


@pytest.mark.parametrize("compressed", [False, True])
def test_a_journal_export_gives_the_events_of_its_lines(tmp_path: Path, compressed: bool) -> None:
    real = (DATA / "postfix" / "real-postfix-3.7.11-relay.log").read_text().splitlines()
    pairs = [(line, as_entry(line, n)) for n, line in enumerate(real)]
    lines = [line for line, entry in pairs if entry is not None]
    export = "".join(json.dumps(entry) + "\n" for _, entry in pairs if entry is not None)
    path = tmp_path / ("export.json.gz" if compressed else "export.json")
    path.write_bytes(gzip.compress(export.encode()) if compressed else export.encode())
    read = [text for _, text in read_lines(str(path))]
    assert len(read) == len(lines) >= 10
    assert all(not text.startswith("{") for text in read)
    want = events(lines)
    assert want and events(read) == want
    assert Registry.load().detect(read[:50], str(path)).name == "postfix"


def test_a_line_that_is_no_entry_stays_as_it_is(tmp_path: Path) -> None:
    entry = {"__REALTIME_TIMESTAMP": "0", "SYSLOG_IDENTIFIER": "postfix/qmgr", "MESSAGE": "x"}
    path = tmp_path / "export.json"
    path.write_text(json.dumps(entry) + "\n-- Boot 1a2b --\n[1, 2]\n")
    assert [text for _, text in read_lines(str(path))] == [
        "1970-01-01T00:00:00.000000+00:00 localhost postfix/qmgr: x",
        "-- Boot 1a2b --",
        "[1, 2]",
    ]


def test_other_json_lines_are_not_taken_for_a_journal(tmp_path: Path) -> None:
    path = tmp_path / "app.json"
    text = '{"time": "2024-03-01T10:00:01Z", "MESSAGE": "hello"}\n'
    path.write_text(text)
    assert [t for _, t in read_lines(str(path))] == [text.strip()]
