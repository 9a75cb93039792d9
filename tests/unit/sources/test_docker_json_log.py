"""``scan`` of a Docker ``json-file`` log (the default log driver's ``ID-json.log``): each entry
is read as the line the container wrote. Built from the project's real Postfix, Sendmail and Exim
syslog lines (tests/data, see SOURCES.md), each written as Docker writes a container's output
line (``{"log": LINE\\n, "stream": "stdout", "time": RFC3339Nano}``, ``<`` ``>`` ``&`` escaped as
Go's encoder does): they give the events of the plain lines, at the plain lines' times (the
MTA host's own); without a time of their own (a program logging to stdout), at Docker's.
Before 2026-12-07 such a file gave events with no ``ts`` and ``\\u003c`` in their addresses,
or none.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from logscan.parsing.registry import Registry
from logscan.parsing.syslog import iso_ts
from logscan.sources.batch import read_lines
from tests.helpers.paths import DATA
from tests.helpers.rewrapped import BSD_LINE, CASES, FILES, YEAR, events, shape

# Docker's clock: later than the MTA's by a little, so which time won can be told.
LAG = timedelta(seconds=2, microseconds=345678)


def docker_entry(inner: str, when: datetime, stream: str = "stdout") -> str:
    """One json-file line as Docker writes it: RFC3339Nano in UTC, HTML characters escaped."""
    stamp = when.strftime("%Y-%m-%dT%H:%M:%S.%f") + "789Z"
    entry = {"log": f"{inner}\n", "stream": stream, "time": stamp}
    text = json.dumps(entry, ensure_ascii=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def real_lines(mta: str, name: str) -> list[tuple[str, datetime, str]]:
    """(plain line, its time as UTC, the line without time and host) for each BSD line."""
    out = []
    for line in (DATA / mta / name).read_text(encoding="utf-8", errors="replace").splitlines():
        m = BSD_LINE.fullmatch(line)
        if m is not None:
            stamp, _host, program, pid, message = m.groups()
            when = datetime.fromisoformat(f"{iso_ts(stamp, YEAR)}+00:00")
            out.append((line, when, f"{program}[{pid}]: {message}"))
    assert len(out) >= 5, "too few BSD syslog lines to compare"
    return out


def read(tmp_path: Path, entries: list[str]) -> list[str]:
    path = tmp_path / "0123abcd-json.log"
    path.write_text("".join(f"{entry}\n" for entry in entries), encoding="utf-8")
    return [text for _, text in read_lines(str(path))]


@pytest.mark.parametrize(("mta", "name"), CASES)
def test_lines_with_their_own_time_keep_it(tmp_path: Path, mta: str, name: str) -> None:
    real = real_lines(mta, name)
    plain = [line for line, _, _ in real]
    got_lines = read(tmp_path, [docker_entry(line, when + LAG) for line, when, _ in real])
    assert got_lines == plain
    want, got = events(mta, plain), events(mta, got_lines)
    assert want, "the plain lines give events"
    assert [(shape(e), e.ts) for e in got] == [(shape(e), e.ts) for e in want]
    assert Registry.load().detect(got_lines[:50], "0123abcd-json.log").name == mta


@pytest.mark.parametrize(("mta", "name"), CASES)
def test_lines_without_a_time_get_dockers(tmp_path: Path, mta: str, name: str) -> None:
    real = real_lines(mta, name)
    bare = [line for _, _, line in real]
    got_lines = read(tmp_path, [docker_entry(line, when + LAG) for _, when, line in real])
    want, got = events(mta, bare), events(mta, got_lines)
    assert want, "the lines without time give events"
    assert [shape(e) for e in got] == [shape(e) for e in want]
    for w, g in zip(want, got, strict=True):
        if w.ts is None:  # the line's time is Docker's
            docker = real[w.line - 1][1] + LAG
            assert g.ts == docker.isoformat(timespec="microseconds")
        else:  # an Exim line with Exim's own time stamp after the program
            assert g.ts == w.ts
        assert g.ts is not None
        datetime.fromisoformat(g.ts)
    assert Registry.load().detect(got_lines[:50], "0123abcd-json.log").name == mta


def test_a_line_that_is_no_entry_stays_as_it_is(tmp_path: Path) -> None:
    first = docker_entry("postfix/qmgr[7]: x", datetime(2024, 3, 1, 10, 0, 1, tzinfo=UTC))
    lines = [first, "not json", '{"log": 5, "time": "x"}', '{"log":"a\\n","time":"bad"}']
    assert read(tmp_path, lines) == [
        "2024-03-01T10:00:01.000000+00:00 postfix/qmgr[7]: x",
        "not json",
        '{"log": 5, "time": "x"}',
        "a",
    ]


def test_other_json_lines_are_not_taken_for_a_docker_log(tmp_path: Path) -> None:
    text = '{"time": "2024-03-01T10:00:01Z", "log": "hello\\n"}'
    assert read(tmp_path, [text]) == [text]


@pytest.mark.parametrize("name", FILES["exim"])
def test_exims_own_main_log_lines_keep_exims_time(tmp_path: Path, name: str) -> None:
    """An Exim container writing its main log to stdout: each line starts with Exim's own time
    stamp (``2022-06-29 16:04:05``), which stays; Docker's time is not used."""
    text = (DATA / "exim" / name).read_text(encoding="utf-8", errors="replace").splitlines()
    plain = [line for line in text if re.match(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", line)]
    assert len(plain) >= 5
    docker_time = datetime(2030, 1, 1, tzinfo=UTC)
    got_lines = read(tmp_path, [docker_entry(line, docker_time) for line in plain])
    assert got_lines == plain
    want, got = events("exim", plain), events("exim", got_lines)
    assert want, "the plain lines give events"
    assert [(shape(e), e.ts) for e in got] == [(shape(e), e.ts) for e in want]
    assert all(e.ts is not None and not e.ts.startswith("2030") for e in got)
    assert Registry.load().detect(got_lines[:50], "0123abcd-json.log").name == "exim"
