"""``logscan scan -j N`` prints what ``-j 1`` prints: reports merged in file order, events too."""

from __future__ import annotations

import gzip
import os
import subprocess
from pathlib import Path

from logscan.event import ClassifiedEvent, Event, Verdict
from logscan.report import Report
from tests.logscan_cli import logscan_exe, run

DATA = Path(__file__).parent / "data"
# Real logs of every MTA, with failures, unrecognized lines and a file that fails (missing).
FILES = [
    DATA / "postfix" / "genlog-seed7-bsd.log",
    DATA / "exim" / "real-exim-4.96-relay.log",
    DATA / "postfix" / "fail2ban-postfix.log",
    DATA / "exchange" / "MSGTRK20240312-1.LOG",
    DATA / "mdaemon" / "MDaemon-all-realtime-2024-03-12.log",
    DATA / "exim" / "github-issues-exim-pastes.log",
]


def _scan(jobs: int, *args: str) -> tuple[int, str, str]:
    paths = [str(p) for p in FILES] + ["/nonexistent/mail.log"]
    done = run([*args, "-j", str(jobs), *paths])
    return done.returncode, done.stdout, done.stderr


def test_json_report_is_the_same_with_jobs() -> None:
    one = _scan(1, "scan", "--format", "json", "--show-unrecognized")
    assert one[0] == 1  # the missing file
    assert '"events": 0' not in one[1]
    for jobs in (2, 3):
        assert _scan(jobs, "scan", "--format", "json", "--show-unrecognized") == one


def test_events_and_table_are_the_same_with_jobs() -> None:
    for fmt in ("events", "table"):
        assert _scan(2, "scan", "--format", fmt) == _scan(1, "scan", "--format", fmt)


def test_gzip_and_plain_files_together(tmp_path: Path) -> None:
    packed = tmp_path / "mail.log.1.gz"
    packed.write_bytes(gzip.compress(FILES[0].read_bytes()))
    args = ["scan", "--format", "json", str(packed), str(FILES[2])]
    assert run([*args, "-j", "2"]).stdout == run([*args, "-j", "1"]).stdout


def test_merge_keeps_the_first_examples_and_the_unrecognized_cap() -> None:
    def report_of(*lines: int) -> Report:
        r = Report(max_unrecognized=3)
        keep = r.unrecognized_line("f")
        for n in lines:
            ev = Event("f", n, "postfix", "outbound", status="bounced", code="550", text=f"{n}")
            r(ClassifiedEvent(ev, Verdict("permanent", "mailbox-unknown")))
            keep(n, "junk")
        return r

    whole, first, second = report_of(1, 2, 3, 4), report_of(1, 2), report_of(3, 4)
    first.merge(second)
    assert first.summary() == whole.summary()


def test_closed_stdout_leaves_no_events_files(tmp_path: Path) -> None:
    """``scan -j 2 --format events ... | head -1``: exit 0, and the workers' files are gone."""
    env = {**os.environ, "TMPDIR": str(tmp_path)}  # where the workers' events files go
    # Their events are 235 KB: more than a pipe holds, so the writer meets the closed end.
    cmd = [logscan_exe(), "scan", "-j", "2", "--format", "events", *map(str, FILES)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
    assert proc.stdout is not None
    assert proc.stdout.readline().startswith(b"{")
    proc.stdout.close()
    assert proc.wait(120) == 0
    assert not list(tmp_path.glob("logscan-events-*"))
