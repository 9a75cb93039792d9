"""One test per file fault (after mtail's integration tests), against the real running daemon.

Each test writes real files in a temp dir, runs ``logscan run`` as a subprocess and asserts the
exact counters scraped from its endpoint.
"""

from __future__ import annotations

import os
import shutil
import signal
from pathlib import Path

import pytest

from tests.conftest import StartDaemon
from tests.helpers.daemon import Scrape, append, lines

pytestmark = pytest.mark.integration


def events(s: Scrape) -> float:
    return s.get("logscan_lines_total", outcome="event")


def all_lines(s: Scrape) -> float:
    return s.get("logscan_lines_total")


def wait_lines(d: object, n: int, what: str = "") -> Scrape:
    from tests.helpers.daemon import Daemon

    assert isinstance(d, Daemon)
    return d.wait_for(lambda s: all_lines(s) >= n, what or f"{n} lines")


def test_counts_every_outcome_and_bounded_labels(tmp_path: Path, daemon: StartDaemon) -> None:
    log = tmp_path / "mail.log"
    log.touch()
    d = daemon("--source", str(log), "--parser", "testmta")
    append(
        log,
        lines(2)
        + lines(1, kind="code=999 enh=5.9.99 status=weird host=mx1.google.com")
        + lines(1, kind="code=none status=deferred")
        + "x testmta: noise\nnot ours\nx testmta: boom\n",
    )
    s = wait_lines(d, 7)
    assert all_lines(s) == 7
    assert events(s) == 4
    assert s.get("logscan_lines_total", outcome="ignored") == 1
    assert s.get("logscan_lines_total", outcome="unrecognized") == 2
    assert s.get("logscan_parser_errors_total", parser="testmta") == 1
    assert s.get("logscan_replies_total", code="550", enhanced="5.1.1") == 2
    assert s.get("logscan_replies_total", code="other", enhanced="other") == 1
    assert s.get("logscan_replies_total", code="none", enhanced="none", **{"class": "none"}) == 1
    assert s.get("logscan_deliveries_total", status="bounced") == 2
    assert s.get("logscan_deliveries_total", status="other") == 1
    assert s.get("logscan_deliveries_total", status="deferred") == 1
    assert s.get("logscan_provider_replies_total", provider="google") == 1
    assert s.get("logscan_build_info") == 1
    assert s.get("logscan_lines_total", source=str(log), parser="testmta") == 7


def test_rotation_rename(tmp_path: Path, daemon: StartDaemon) -> None:
    log = tmp_path / "mail.log"
    log.touch()
    d = daemon("--source", str(log), "--parser", "testmta")
    with log.open("a") as old:
        old.write(lines(3))
        old.flush()
        wait_lines(d, 3)
        os.rename(log, tmp_path / "mail.log.1")
        old.write(lines(2))  # the writer has not reopened yet: the old file gets more
        old.flush()
        append(log, lines(4))
    s = d.wait_for(lambda s: all_lines(s) >= 9, "9 lines")
    assert events(s) == 9
    assert s.get("logscan_source_rotations_total") == 1


def test_copytruncate(tmp_path: Path, daemon: StartDaemon) -> None:
    log = tmp_path / "mail.log"
    log.touch()
    d = daemon("--source", str(log), "--parser", "testmta")
    append(log, lines(5))
    wait_lines(d, 5)
    shutil.copyfile(log, tmp_path / "mail.log.1")
    os.truncate(log, 0)
    append(log, lines(3))
    s = d.wait_for(lambda s: all_lines(s) >= 8, "8 lines")
    assert events(s) == 8
    assert s.get("logscan_source_truncations_total") == 1


def test_copytruncate_of_unread_lines_reads_the_copy(tmp_path: Path, daemon: StartDaemon) -> None:
    """Lines logrotate copied before the daemon read them are read from the copy."""
    log = tmp_path / "mail.log"
    log.touch()
    d = daemon("--source", str(log), "--parser", "testmta")
    append(log, lines(5))
    wait_lines(d, 5)
    d.signal(signal.SIGSTOP)  # the daemon falls behind
    try:
        append(log, lines(4))
        shutil.copyfile(log, tmp_path / "mail.log.1")
        os.truncate(log, 0)
        append(log, lines(2))
    finally:
        d.signal(signal.SIGCONT)
    s = d.wait_for(lambda s: all_lines(s) >= 11, "11 lines")
    assert events(s) == 11
    assert s.get("logscan_source_truncations_total") == 1


def test_truncation(tmp_path: Path, daemon: StartDaemon) -> None:
    log = tmp_path / "mail.log"
    log.touch()
    d = daemon("--source", str(log), "--parser", "testmta")
    append(log, lines(5))
    wait_lines(d, 5)
    os.truncate(log, 0)
    append(log, lines(2))
    s = d.wait_for(lambda s: all_lines(s) >= 7, "7 lines")
    assert events(s) == 7
    assert s.get("logscan_source_truncations_total") == 1


def test_partial_line(tmp_path: Path, daemon: StartDaemon) -> None:
    log = tmp_path / "mail.log"
    log.touch()
    d = daemon("--source", str(log), "--parser", "testmta")
    full = lines(1)
    append(log, lines(2) + full[:10])
    # The daemon has read the partial line (it shows as lag) but counted only the 2 full ones.
    s = d.wait_for(
        lambda s: all_lines(s) == 2 and s.get("logscan_source_lag_bytes") == 10, "partial read"
    )
    assert events(s) == 2
    append(log, full[10:])
    s = d.wait_for(lambda s: all_lines(s) >= 3, "3 lines")
    assert events(s) == 3  # one whole line, not two fragments


def test_permission_denied(tmp_path: Path, daemon: StartDaemon) -> None:
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("setpriv (util-linux) is not installed")
    log = tmp_path / "mail.log"
    log.touch()
    log.chmod(0)
    # Root reads anything; drop the capabilities that let it, so the denial is real.
    caps = "-dac_override,-dac_read_search"
    prefix = (setpriv, f"--bounding-set={caps}", f"--inh-caps={caps}") if os.geteuid() == 0 else ()
    d = daemon("--source", str(log), "--parser", "testmta", prefix=prefix)
    s = d.wait_for(
        lambda s: s.get("logscan_source_read_errors_total", error="permission_denied") == 1,
        "permission denied counted",
    )
    assert all_lines(s) == 0
    log.chmod(0o644)
    d.wait_for(lambda s: s.get("logscan_source_opens_total") == 1, "file opened")
    append(log, lines(3))
    s = d.wait_for(lambda s: all_lines(s) >= 3, "3 lines")
    assert events(s) == 3
    assert s.get("logscan_source_read_errors_total", error="permission_denied") == 1
    assert d.proc is not None and d.proc.poll() is None


def test_glob_after_start(tmp_path: Path, daemon: StartDaemon) -> None:
    (tmp_path / "a.log").touch()
    d = daemon("--source", str(tmp_path / "*.log"), "--parser", "testmta")
    append(tmp_path / "a.log", lines(2))
    wait_lines(d, 2)
    (tmp_path / "b.log").write_text(lines(3))  # appears after start: read from its start
    s = d.wait_for(lambda s: all_lines(s) >= 5, "5 lines")
    assert events(s) == 5
    assert s.get("logscan_source_files") == 2
    assert set(s.series("logscan_lines_total")) == {
        (("outcome", "event"), ("parser", "testmta"), ("source", str(tmp_path / "*.log")))
    }


def test_glob_rotation_is_not_a_new_file(tmp_path: Path, daemon: StartDaemon) -> None:
    log = tmp_path / "a.log"
    log.touch()
    d = daemon("--source", str(tmp_path / "a.log*"), "--parser", "testmta")
    append(log, lines(2))
    wait_lines(d, 2)
    os.rename(log, tmp_path / "a.log.1")
    append(log, lines(3))
    s = d.wait_for(lambda s: all_lines(s) >= 5, "5 lines")
    assert events(s) == 5
    assert s.get("logscan_source_files") == 1


def test_symlink_repointed(tmp_path: Path, daemon: StartDaemon) -> None:
    first, second = tmp_path / "first.log", tmp_path / "second.log"
    first.touch()
    link = tmp_path / "current.log"
    link.symlink_to(first)
    d = daemon("--source", str(link), "--parser", "testmta")
    append(first, lines(2))
    wait_lines(d, 2)
    second.write_text(lines(3))
    tmp_link = tmp_path / "current.log.new"
    tmp_link.symlink_to(second)
    os.rename(tmp_link, link)  # atomic re-point, as deploy tools do
    s = d.wait_for(lambda s: all_lines(s) >= 5, "5 lines")
    assert events(s) == 5
    assert s.get("logscan_source_rotations_total") == 1


def test_file_deleted_recreated(tmp_path: Path, daemon: StartDaemon) -> None:
    log = tmp_path / "mail.log"
    log.touch()
    d = daemon("--source", str(log), "--parser", "testmta")
    append(log, lines(2))
    wait_lines(d, 2)
    log.unlink()
    d.wait_for(lambda s: s.get("logscan_source_files") == 0, "deleted file closed")
    log.write_text(lines(3))
    s = d.wait_for(lambda s: all_lines(s) >= 5, "5 lines")
    assert events(s) == 5
    assert s.get("logscan_source_opens_total") == 2


def test_file_not_yet_existing(tmp_path: Path, daemon: StartDaemon) -> None:
    log = tmp_path / "later" / "mail.log"
    d = daemon("--source", str(log), "--parser", "testmta")
    s = d.scrape()
    assert s.get("logscan_source_files") == 0
    log.parent.mkdir()
    log.write_text(lines(3))  # a new file: read from its start
    s = d.wait_for(lambda s: all_lines(s) >= 3, "3 lines")
    assert events(s) == 3


def test_crlf(tmp_path: Path, daemon: StartDaemon) -> None:
    log = tmp_path / "mail.log"
    log.touch()
    d = daemon("--source", str(log), "--parser", "testmta")
    append(log, lines(3).replace("\n", "\r\n"))
    s = d.wait_for(lambda s: all_lines(s) >= 3, "3 lines")
    assert events(s) == 3  # the parser rejects a line that still ends in \r


def test_garbage_and_overlong_lines(tmp_path: Path, daemon: StartDaemon) -> None:
    log = tmp_path / "mail.log"
    log.touch()
    d = daemon("--source", str(log), "--parser", "testmta")
    append(log, b"\xff\xfe\x00garbage\xc3\n" + b"x" * (10 * 1024 * 1024) + b"\n")
    append(log, lines(2))
    s = d.wait_for(lambda s: all_lines(s) >= 4, "4 lines")
    assert all_lines(s) == 4
    assert events(s) == 2
    assert s.get("logscan_source_lag_bytes") == 0


def test_start_at_end_skips_history(tmp_path: Path, daemon: StartDaemon) -> None:
    log = tmp_path / "mail.log"
    log.write_text(lines(5) + "partial")
    d = daemon("--source", str(log), "--parser", "testmta")
    append(log, " end\n" + lines(2))
    s = d.wait_for(lambda s: all_lines(s) >= 3, "3 lines")
    assert all_lines(s) == 3  # the partial line's end, and the 2 new lines
    assert events(s) == 2
