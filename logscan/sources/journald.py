"""Follow the systemd journal through ``journalctl -o json --follow``, resuming at a cursor.

A reader thread runs ``journalctl`` and turns each entry into a syslog-style line (``ISO-time
host identifier[pid]: message``, what the MTA parsers read from files) with the entry's cursor.
If ``journalctl`` dies, the thread restarts it after a back-off, after the cursor of the last
entry it read, so nothing is skipped or repeated. The daemon drains the queue in bounded
batches and checkpoints the cursor of the last entry it counted. The line an entry becomes is
:func:`logscan.sources.journal_entry.entry_line`'s.
"""

from __future__ import annotations

import contextlib
import json
import queue
import signal
import subprocess
import threading
import time
from collections.abc import Callable

import structlog

from logscan.app.config import SourceConfig, Start
from logscan.sources.journal_entry import entry_line

log = structlog.get_logger("logscan.sources.journald")

QUEUE_ENTRIES = 20_000  # back-pressure: journalctl blocks on its pipe when we are behind
BACKOFF_FIRST = 0.5
BACKOFF_MAX = 30.0
STABLE_RUN = 60.0  # a reader that ran this long starts its back-off afresh
# journalctl ended by one of these may have been stopped with the whole service: wait this long
# for our own stop before calling it a death.
STOP_SIGNALS = frozenset({-signal.SIGTERM, -signal.SIGINT, -signal.SIGHUP})
SIGNAL_GRACE = 2.0


def journalctl_command(
    src: SourceConfig, cursor: str | None, start: str, since: float | None = None
) -> list[str]:
    """The journalctl command line; ``since`` (Unix time) stands in for a cursor not yet known.

    >>> journalctl_command(SourceConfig("j", journald=True, units=("postfix.service",)), None,
    ...                    "end")[-2:]
    ['--lines=0', '--unit=postfix.service']
    """
    cmd = ["journalctl", "--output=json", "--follow", "--no-pager", "--quiet"]
    if src.journal_file:
        cmd.append(f"--file={src.journal_file}")
    if src.journal_directory:
        cmd.append(f"--directory={src.journal_directory}")
    if cursor:
        # Not --after-cursor: with --follow, journalctl 252 then prints only the last 10 entries
        # (or, with --lines=all, skips one). --cursor with --lines=all starts at or just after
        # the cursor depending on the version; the reader drops the cursor's own entry.
        cmd += [f"--cursor={cursor}", "--lines=all"]
    elif since is not None:
        cmd += [f"--since=@{since:.6f}", "--lines=all"]
    else:
        cmd.append("--lines=all" if start == "beginning" else "--lines=0")
    for unit in src.units:
        cmd.append(f"--unit={unit}")
    for ident in src.identifiers:
        cmd.append(f"--identifier={ident}")
    return cmd


class JournalReader:
    """Runs and re-runs ``journalctl`` in a thread; :meth:`drain` hands over (line, cursor)."""

    def __init__(
        self,
        src: SourceConfig,
        cursor: str | None,
        start: Start,
        on_entry: Callable[[], None] = lambda: None,
        since: float | None = None,
    ) -> None:
        self.src = src
        self.since = since
        self.on_entry = on_entry
        self.queue: queue.Queue[tuple[str, str]] = queue.Queue(QUEUE_ENTRIES)
        self._cursor = cursor  # of the last entry read (queued), where a restart resumes
        self._start = start
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._restarts = 0
        self._proc: subprocess.Popen[bytes] | None = None
        self.up = False
        self._thread = threading.Thread(target=self._run, name=f"journal:{src.name}", daemon=True)
        self._thread.start()

    def drain(self, max_entries: int) -> list[tuple[str, str]]:
        out: list[tuple[str, str]] = []
        with contextlib.suppress(queue.Empty):
            while len(out) < max_entries:
                out.append(self.queue.get_nowait())
        return out

    def pending(self) -> int:
        return self.queue.qsize()

    def take_restarts(self) -> int:
        with self._lock:
            n, self._restarts = self._restarts, 0
        return n

    def pid(self) -> int | None:
        proc = self._proc
        return proc.pid if proc is not None and proc.poll() is None else None

    def stop(self) -> None:
        self._stop.set()
        proc = self._proc
        if proc is not None and proc.poll() is None:
            proc.terminate()
        with contextlib.suppress(queue.Empty):
            while True:  # unblock a put() so the thread can see the stop
                self.queue.get_nowait()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        backoff = BACKOFF_FIRST
        first = True
        while not self._stop.is_set():
            if not first:
                with self._lock:
                    self._restarts += 1
            first = False
            began = time.monotonic()
            returncode, err = self._follow_once()
            if self._stop.is_set():
                break
            if returncode in STOP_SIGNALS and self._stop.wait(SIGNAL_GRACE):
                # Signalled with the rest of the service (systemd stops the whole control
                # group, a terminal the whole process group): a stop, not a death.
                break
            if time.monotonic() - began > STABLE_RUN:
                backoff = BACKOFF_FIRST
            log.warning(
                "journal reader died; restarting",
                source=self.src.name,
                returncode=returncode,
                stderr=err,
                after_s=backoff,
            )
            self._stop.wait(backoff)
            backoff = min(backoff * 2, BACKOFF_MAX)

    def _follow_once(self) -> tuple[int | None, str]:
        """Run journalctl until it exits or the reader stops: its exit code and stderr's tail."""
        cmd = journalctl_command(self.src, self._cursor, self._start, self.since)
        try:
            proc = subprocess.Popen(
                cmd,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                stdin=subprocess.DEVNULL,
                start_new_session=True,  # a Ctrl-C reaches the daemon, which stops it in order
            )
        except OSError as exc:
            log.error("cannot run journalctl", source=self.src.name, error=str(exc))
            return None, ""
        self._proc = proc
        self.up = True
        log.info(
            "journal reader started", source=self.src.name, pid=proc.pid, resume=bool(self._cursor)
        )
        assert proc.stdout is not None
        try:
            for raw in proc.stdout:
                self._queue_entry(raw)
                if self._stop.is_set():
                    break
        finally:
            self.up = False
            if proc.poll() is None:
                proc.terminate()
            try:
                _, err = proc.communicate(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                _, err = proc.communicate()
        return proc.returncode, _tail(err)

    def _queue_entry(self, raw: bytes) -> None:
        try:
            entry = json.loads(raw)
        except (UnicodeDecodeError, json.JSONDecodeError):
            return  # not an entry (journalctl never prints half a line to a pipe)
        if not isinstance(entry, dict) or not isinstance(entry.get("__CURSOR"), str):
            return
        if entry["__CURSOR"] == self._cursor:
            return  # the entry we resumed at: counted already
        item = (entry_line(entry), entry["__CURSOR"])
        while not self._stop.is_set():
            try:
                self.queue.put(item, timeout=0.5)
            except queue.Full:
                continue
            self._cursor = item[1]
            self.on_entry()
            return


def _tail(err: bytes | None, keep: int = 300) -> str:
    return (err or b"").decode("utf-8", "replace").strip()[-keep:]
