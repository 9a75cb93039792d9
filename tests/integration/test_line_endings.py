"""Lines that end in CRLF or in CR alone (issue 11): what the daemon cannot read is said, counted,
never a crash."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import StartDaemon
from tests.helpers.daemon import append, lines
from tests.helpers.line_counts import all_lines, events

pytestmark = pytest.mark.integration


def test_crlf(tmp_path: Path, daemon: StartDaemon) -> None:
    log = tmp_path / "mail.log"
    log.touch()
    d = daemon("--source", str(log), "--parser", "testmta")
    append(log, lines(3).replace("\n", "\r\n"))
    s = d.wait_for(lambda s: all_lines(s) >= 3, "3 lines")
    assert events(s) == 3  # the parser rejects a line that still ends in \r


POSTFIX = (
    "Feb 28 23:59:59 mx1 postfix/smtp[42]: 3F2A1: to=<a@example.org>, "
    "relay=mx.example.org[192.0.2.9]:25, status=bounced (host mx.example.org[192.0.2.9] said: "
    "550 5.1.1 User unknown)"
)


def test_cr_only_file_is_reported_by_the_daemon(tmp_path: Path, daemon: StartDaemon) -> None:
    """The follower splits at LF only (offsets stay exact): CR-only lines are reported, once."""
    cr_log, lf_log = tmp_path / "mac.log", tmp_path / "mail.log"
    cr_log.write_text("")
    lf_log.write_text("")
    d = daemon("--source", str(cr_log), "--source", str(lf_log), "--parser", "postfix")
    append(cr_log, (POSTFIX + "\r") * 3)
    append(lf_log, (POSTFIX + "\n") * 2)
    s = d.wait_for(
        lambda s: (
            s.get("logscan_source_read_errors_total", error="cr_line_endings") >= 1
            and s.get("logscan_lines_total", source=str(lf_log)) >= 2
        ),
        "the CR-only file reported",
    )
    assert s.get("logscan_source_read_errors_total", source=str(cr_log)) == 1
    assert s.get("logscan_source_read_errors_total", source=str(lf_log)) == 0
    assert s.get("logscan_lines_total", source=str(cr_log)) == 0  # nothing invented either
    append(cr_log, (POSTFIX + "\r") * 3)
    append(lf_log, POSTFIX + "\n")  # read in the same loop pass as the CR-only file, after it
    s = d.wait_for(lambda s: s.get("logscan_lines_total", source=str(lf_log)) >= 3, "a 3rd line")
    assert s.get("logscan_source_read_errors_total", error="cr_line_endings") == 1  # once
    assert "lines end in CR alone" in d.log()
