"""Checkpoints, restarts, crashes, reloads and systemd notifications of the real daemon."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import time
from pathlib import Path

import pytest

from tests.conftest import StartDaemon
from tests.helpers.daemon import Scrape, append, config, lines

pytestmark = pytest.mark.integration


def total(s: Scrape) -> float:
    return s.get("logscan_lines_total")


def test_sigterm_drains_and_restart_resumes(tmp_path: Path, daemon: StartDaemon) -> None:
    log = tmp_path / "mail.log"
    log.touch()
    d = daemon("--source", str(log), "--parser", "testmta")
    append(log, lines(5))
    d.wait_for(lambda s: total(s) >= 5, "5 lines")
    append(log, lines(20_000))  # a backlog the daemon may not have read at SIGTERM
    assert d.stop() == 0
    d.wait_message("STOPPING=1")
    append(log, lines(3))
    d.start()
    s = d.wait_for(lambda s: total(s) >= 20_008, "20008 lines")
    assert total(s) == 20_008
    assert s.get("logscan_lines_total", outcome="event") == 20_008


def test_kill9_loses_and_repeats_nothing(tmp_path: Path, daemon: StartDaemon) -> None:
    log = tmp_path / "mail.log"
    log.touch()
    d = daemon("--source", str(log), "--parser", "testmta")
    append(log, lines(5))
    seen = d.wait_for(lambda s: total(s) >= 5, "5 lines")
    d.kill9()
    append(log, lines(3))
    d.start()
    s = d.wait_for(lambda s: total(s) >= 8, "8 lines")
    assert total(s) == 8
    for key, value in seen.counters().items():
        if key[0].startswith("logscan_"):  # process_* belong to the process: they restart
            assert s.counters().get(key, 0) >= value, key


def test_rotated_twice_while_down(tmp_path: Path, daemon: StartDaemon) -> None:
    """Rotations missed while down are found by identity and finished in order."""
    log = tmp_path / "mail.log"
    log.touch()
    d = daemon("--source", str(log), "--parser", "testmta")
    append(log, lines(5))
    d.wait_for(lambda s: total(s) >= 5, "5 lines")
    d.kill9()
    append(log, lines(2))
    os.rename(log, tmp_path / "mail.log.1")
    append(log, lines(3))
    time.sleep(0.01)  # distinct modification times, as between real rotations
    os.rename(tmp_path / "mail.log.1", tmp_path / "mail.log.2")
    os.rename(log, tmp_path / "mail.log.1")
    append(log, lines(4))
    (tmp_path / "mail.log.3.gz").write_bytes(b"\x1f\x8b not read")
    d.start()
    s = d.wait_for(lambda s: total(s) >= 14, "14 lines")
    assert total(s) == 14
    assert s.get("logscan_lines_total", outcome="event") == 14


def test_copytruncate_while_down(tmp_path: Path, daemon: StartDaemon) -> None:
    log = tmp_path / "mail.log"
    log.touch()
    d = daemon("--source", str(log), "--parser", "testmta")
    append(log, lines(5))
    d.wait_for(lambda s: total(s) >= 5, "5 lines")
    d.kill9()
    append(log, lines(2))
    shutil.copyfile(log, tmp_path / "mail.log.1")
    os.truncate(log, 0)
    append(log, lines(3))
    d.start()
    s = d.wait_for(lambda s: total(s) >= 10, "10 lines")
    assert total(s) == 10


def test_corrupt_checkpoint_starts_from_the_end_loudly(tmp_path: Path, daemon: StartDaemon) -> None:
    log = tmp_path / "mail.log"
    log.write_text(lines(5))
    state = tmp_path / "state"
    state.mkdir()
    (state / "checkpoint.json").write_text('{"version": 1, "sources": {tru')
    d = daemon("--source", str(log), "--parser", "testmta")
    append(log, lines(2))
    s = d.wait_for(lambda s: total(s) >= 2, "2 lines")
    assert total(s) == 2
    assert "checkpoint unusable" in d.log()
    assert list(state.glob("checkpoint.json.corrupt-*"))
    json.loads((state / "checkpoint.json").read_text())  # replaced by a good one


def test_unwritable_state_dir_is_a_clear_error(tmp_path: Path, daemon: StartDaemon) -> None:
    blocker = tmp_path / "state"
    blocker.write_text("a file, not a directory")
    d = daemon("--source", str(tmp_path / "mail.log"), wait_ready=False)
    assert d.proc is not None
    assert d.proc.wait(20) == 1
    assert "cannot start" in d.log()
    assert "Traceback" not in d.log()


def test_sighup_reload_keeps_counters(tmp_path: Path, daemon: StartDaemon) -> None:
    a, b = tmp_path / "a.log", tmp_path / "b.log"
    a.touch()
    b.touch()
    src_a = f'[[sources]]\nname = "a"\npath = "{a}"\nparser = "testmta"\n'
    src_b = f'[[sources]]\nname = "b"\npath = "{b}"\nparser = "testmta"\n'
    d = daemon(config=config(tmp_path / "state", src_a))
    append(a, lines(3))
    d.wait_for(lambda s: total(s) >= 3, "3 lines")
    cfg = tmp_path / "logscan.toml"
    cfg.write_text(config(tmp_path / "state", src_a + src_b))
    d.signal(signal.SIGHUP)
    d.wait_message("RELOADING=1")
    d.wait_message("READY=1")
    append(a, lines(1))
    append(b, lines(2))
    s = d.wait_for(lambda s: total(s) >= 6, "6 lines")
    assert s.get("logscan_lines_total", source="a") == 4
    assert s.get("logscan_lines_total", source="b") == 2
    assert s.get("logscan_config_reloads_total", result="ok") == 1

    cfg.write_text(config(tmp_path / "state", src_a + "[[sources]]\nname = 1\n"))
    d.signal(signal.SIGHUP)
    d.wait_message("RELOADING=1")
    d.wait_message("READY=1")
    append(b, lines(1))
    s = d.wait_for(lambda s: total(s) >= 7, "7 lines")
    assert s.get("logscan_config_reloads_total", result="error") == 1
    assert s.get("logscan_lines_total", source="b") == 3  # the old config still runs
    assert "sources[1]" in d.log()


def test_watchdog_pings(tmp_path: Path, daemon: StartDaemon) -> None:
    d = daemon(
        "--source",
        str(tmp_path / "mail.log"),
        env={"WATCHDOG_USEC": "400000"},  # 0.4 s: pings every 0.2 s
    )
    d.wait_message("WATCHDOG=1")
    d.wait_message("WATCHDOG=1")
    d.stop()
    d.wait_message("STOPPING=1")


def test_scrape_writes_the_checkpoint_it_serves(tmp_path: Path, daemon: StartDaemon) -> None:
    log = tmp_path / "mail.log"
    log.touch()
    # A checkpoint interval far longer than the test: only scrapes write checkpoints.
    d = daemon("--source", str(log), "--parser", "testmta", "--checkpoint-interval", "3600")
    append(log, lines(4))
    s = d.wait_for(lambda s: total(s) >= 4, "4 lines")
    doc = json.loads((tmp_path / "state" / "checkpoint.json").read_text())
    saved = {tuple(row[:-1]): row[-1] for row in doc["counters"]["logscan_lines"]}
    assert sum(saved.values()) >= total(s)


def test_notify_socket_receives_ready(tmp_path: Path) -> None:
    """The sd_notify client against a real unix datagram socket."""
    from logscan.app.sdnotify import SystemdNotify

    path = tmp_path / "notify.sock"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind(str(path))
        n = SystemdNotify.from_env({"NOTIFY_SOCKET": str(path), "WATCHDOG_USEC": "2000000"})
        assert n.watchdog_interval == 1.0
        assert n.send("READY=1", "STATUS=ok")
        assert sock.recv(100) == b"READY=1\nSTATUS=ok"


def test_sighup_during_startup_is_one_reload_after_start(
    tmp_path: Path, daemon: StartDaemon
) -> None:
    """SIGHUPs while Python imports, the config loads and the checkpoint is restored: not fatal
    (Python's default for SIGHUP is to terminate), coalesced into one reload once started."""
    log = tmp_path / "mail.log"
    log.touch()
    d = daemon("--source", str(log), "--parser", "testmta", wait_ready=False)
    time.sleep(0.15)  # the interpreter itself starts: before our code runs, no handler can be
    sent, ready = 0, False
    d.notify.settimeout(0.02)
    while not ready and sent < 200:
        assert d.proc is not None and d.proc.poll() is None, f"daemon died:\n{d.log()}"
        d.signal(signal.SIGHUP)
        sent += 1
        try:
            d.wait_message("READY=1", timeout=0.03)
            ready = True
        except AssertionError:
            pass
    d.notify.settimeout(0.2)
    assert ready
    assert sent >= 3
    d.wait_message("RELOADING=1")
    d.wait_message("READY=1")
    append(log, lines(2))
    s = d.wait_for(lambda s: total(s) >= 2, "2 lines")
    assert s.get("logscan_config_reloads_total", result="ok") >= 1
    assert "signal received during start-up" in d.log()
    assert d.stop() == 0


def test_sigterm_during_startup_stops_cleanly(tmp_path: Path, daemon: StartDaemon) -> None:
    log = tmp_path / "mail.log"
    log.touch()
    d = daemon("--source", str(log), "--parser", "testmta", wait_ready=False)
    time.sleep(0.3)
    d.signal(signal.SIGTERM)
    assert d.proc is not None
    assert d.proc.wait(20) == 0, d.log()
    assert (tmp_path / "state" / "checkpoint.json").exists()


def test_reload_with_changed_settings_keeps_position(tmp_path: Path, daemon: StartDaemon) -> None:
    """New settings for the same path: its unread backlog is still read, nothing twice."""
    log, other = tmp_path / "mail.log", tmp_path / "other.log"
    log.touch()
    other.write_text(lines(7))
    src = f'[[sources]]\nname = "a"\npath = "{log}"\nparser = "testmta"\n'
    d = daemon(config=config(tmp_path / "state", src))
    append(log, lines(3))
    d.wait_for(lambda s: total(s) >= 3, "3 lines")
    cfg = tmp_path / "logscan.toml"
    cfg.write_text(config(tmp_path / "state", src + 'watch = "poll"\n'))
    append(log, lines(50_000))  # a backlog: the reload comes before most of it is read
    d.signal(signal.SIGHUP)
    d.wait_message("RELOADING=1")
    d.wait_message("READY=1")
    s = d.wait_for(lambda s: total(s) >= 50_003, "50003 lines", timeout=60)
    assert total(s) == 50_003
    assert "source settings changed: it keeps its position" in d.log()

    # Another path under the same name: other files, which start per 'start' (the end).
    cfg.write_text(config(tmp_path / "state", src.replace(str(log), str(other))))
    d.signal(signal.SIGHUP)
    d.wait_message("RELOADING=1")
    d.wait_message("READY=1")
    append(other, lines(2))
    s = d.wait_for(lambda s: total(s) >= 50_005, "50005 lines")
    assert total(s) == 50_005
    assert "source now reads other files" in d.log()


def test_rotated_files_deleted_while_down_are_counted_as_lost(
    tmp_path: Path, daemon: StartDaemon
) -> None:
    """logrotate (rotate 2) runs five times while the daemon is down: the file it was reading
    is gone (counted lost, named in the log); the rotated files still there are all read."""
    log = tmp_path / "mail.log"
    log.touch()
    d = daemon("--source", str(log), "--parser", "testmta")
    append(log, lines(5))
    d.wait_for(lambda s: total(s) >= 5, "5 lines")
    d.kill9()
    append(log, lines(4))  # unread: lost with the file
    for rotation in range(5):
        old2 = tmp_path / "mail.log.2"
        old2.unlink(missing_ok=True)  # rotate 2: the oldest goes
        if (tmp_path / "mail.log.1").exists():
            os.rename(tmp_path / "mail.log.1", old2)
        os.rename(log, tmp_path / "mail.log.1")
        time.sleep(0.01)  # distinct modification times, as between real rotations
        append(log, lines(10 + rotation))
    kept = 12 + 13 + 14  # mail.log.2, mail.log.1 and mail.log hold the last three batches
    d.start()
    s = d.wait_for(lambda s: total(s) >= 5 + kept, f"{5 + kept} lines")
    assert total(s) == 5 + kept  # every line still on disk, once
    assert s.get("logscan_source_lost_files_total", reason="rotated_file_gone") == 1
    assert s.get("logscan_source_lost_bytes_total", reason="rotated_file_gone") >= 0
    assert "file gone before it was read to its end" in d.log()
    assert str(log) in d.log()
    d.kill9()  # the loss is checkpointed with the counters: not counted again, not forgotten
    d.start()
    s = d.scrape()
    assert s.get("logscan_source_lost_files_total", reason="rotated_file_gone") == 1
