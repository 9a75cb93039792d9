"""`scan --since/--until` (pflogsumm -d) and the progress shown on a terminal only."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
from pathlib import Path

from tests.helpers.logscan_cli import run, summary
from tests.helpers.paths import DATA

LOG = DATA / "postfix" / "genlog-seed8-rfc3339.log"


def traffic(*args: str) -> dict:
    return summary(run(["scan", "--format", "json", *args, str(LOG)]))


def test_since_until_split_the_log_without_losing_or_doubling() -> None:
    whole = traffic()
    first, last = whole["traffic"]["span"]["first"], whole["traffic"]["span"]["last"]
    middle = f"{first[:17]}{(int(first[17:19]) + 30) % 60:02d}"  # some seconds in
    before = traffic("--until", middle)
    after = traffic("--since", middle)
    assert before["window"] == {"since": None, "until": middle}
    assert before["traffic"]["span"]["last"] < middle <= after["traffic"]["span"]["first"]
    for key in ("delivered", "deferrals", "bounced", "rejected", "received"):
        a, b = before["traffic"]["totals"][key], after["traffic"]["totals"][key]
        assert a + b == whole["traffic"]["totals"][key], key
    assert before["events"] + after["events"] == whole["events"]
    assert before["lines"] == whole["lines"]  # lines are read and counted all the same
    assert last >= middle


def test_relative_and_named_bounds() -> None:
    # The log is from 2024: "-1h" and "today" leave nothing; "yesterday" as --until keeps all.
    assert traffic("--since=-1h")["events"] == 0  # "=": argparse takes "-1h" for an option
    assert traffic("--since", "today")["traffic"]["totals"]["delivered"] == 0
    assert traffic("--until", "yesterday")["events"] == traffic()["events"]


def test_bad_bound_is_a_usage_error() -> None:
    done = run(["scan", "--since", "last tuesday", str(LOG)])
    assert done.returncode == 2 and "--since/--until" in done.stderr


def _on_a_terminal(*args: str) -> str:
    """stderr of `logscan scan` run with a pty as stderr (stdout to /dev/null)."""
    master, slave = pty.openpty()
    env = {**os.environ, "COLUMNS": "120"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "logscan", "scan", *args],
        stdout=subprocess.DEVNULL,
        stderr=slave,
        env=env,
    )
    os.close(slave)
    chunks = []
    while True:
        ready, _, _ = select.select([master], [], [], 30)
        if not ready:
            break
        try:
            data = os.read(master, 65536)
        except OSError:  # the child closed the pty
            break
        if not data:
            break
        chunks.append(data)
    proc.wait(timeout=60)
    os.close(master)
    return b"".join(chunks).decode(errors="replace")


def test_progress_on_a_terminal_only(tmp_path: Path) -> None:
    big = tmp_path / "mail.log"
    big.write_text(LOG.read_text() * 150)  # 300k lines: more than one redraw interval
    shown = _on_a_terminal(str(big))
    assert "MB/s" in shown and "lines" in shown and "ETA" in shown, shown[:500]
    assert shown.endswith("\r\x1b[K")  # cleared when done
    assert _on_a_terminal("--quiet", str(big)) == ""
    done = run(["scan", str(LOG)])  # stderr is a pipe here: nothing
    assert done.stderr == ""


def test_progress_with_jobs_counts_the_files_read(tmp_path: Path) -> None:
    """``-j 2``: the workers draw nothing; the line says how many files are read, and is
    cleared before a file's error and at the end."""
    missing = str(tmp_path / "missing.log")
    copy = tmp_path / "copy.log"
    copy.write_bytes(LOG.read_bytes())
    shown = _on_a_terminal("-j", "2", str(LOG), missing, str(copy))
    assert "0 of 3 files read" in shown and "2 of 3 files read" in shown, shown
    assert "MB/s" not in shown
    assert f"\r\x1b[Klogscan scan: {missing}: no such file" in shown
    assert shown.endswith("\r\x1b[K")


def test_a_window_counts_no_message_it_does_not_hold() -> None:
    # Postfix's removal lines carry no time (the window keeps them): a message whose arrival
    # and deliveries are all outside the window must not be counted as ended without outcome.
    # (Messages still queued at the log's end are reported in_flight whatever the window: the
    # envelope the parser gives at the end has no time either.)
    outcomes = traffic("--since", "2030-01-01")["traffic"]["messages"]["by_outcome"]
    assert sum(n for outcome, n in outcomes.items() if outcome != "in_flight") == 0
