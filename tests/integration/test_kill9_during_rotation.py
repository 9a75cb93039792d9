"""The crash test: bursts of lines, rotations in between, ``kill -9`` at random moments.

The scraped totals must end equal to the truth, and no scraped counter may ever go down (across
every restart). The writer performs copytruncate itself with no write in flight (as a writer
paused during logrotate's copy), so the truth is every line written: copytruncate's own race
(lines appended between the copy and the truncation) is outside what anyone can count.
"""

from __future__ import annotations

import http.client
import os
import random
import shutil
import threading
import time
import urllib.error
from pathlib import Path

import pytest

from tests.conftest import StartDaemon
from tests.helpers.daemon import Daemon, Scrape

pytestmark = pytest.mark.integration

SETTLE = 1.5  # seconds: three of the daemon's default poll intervals (0.5 s), rescans included


class Monotonic:
    """Scrapes all along from a thread; records any counter that went down.

    Only scrapes of this test's daemon count: between a kill and the next start the port of the
    killed one is free, and another test's daemon (other suites run on the same machine) may
    take it and answer with its own counters. A scrape without ``source`` is not ours."""

    def __init__(self, d: Daemon, source: Path) -> None:
        self.d = d
        self.source = str(source)
        self.max: dict[tuple[str, tuple[tuple[str, str], ...]], float] = {}
        self.violations: list[str] = []
        self.scrapes = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Monotonic:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def check(self, s: Scrape) -> None:
        with self._lock:
            self._check(s)

    def _check(self, s: Scrape) -> None:
        for key, value in s.counters().items():
            if not key[0].startswith("logscan_"):
                continue
            if value < self.max.get(key, 0):
                self.violations.append(f"{key}: {self.max[key]} -> {value}")
            self.max[key] = max(value, self.max.get(key, 0))

    def ours(self, s: Scrape) -> bool:
        return any(lab.get("source") == self.source for _, lab, _ in s.samples)

    def take(self, timeout: float = 30) -> None:
        """One scrape now, in the test's thread (after a restart): on a loaded machine the
        background thread may find the daemon down at nearly every try, and the check would then
        rest on almost nothing."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._scrape_and_check():
                return
            time.sleep(0.05)
        raise AssertionError(
            f"no scrape of our daemon within {timeout:.0f} s\n{self.d.log()[-3000:]}"
        )

    def _scrape_and_check(self) -> bool:
        """One scrape, checked; False if the daemon did not answer (or not ours). The lock is
        held across the scrape: two threads' scrapes must be checked in the order they were
        served, or a slow scrape checked after a quicker, later one looks like a decrease."""
        with self._lock:
            try:
                s = self.d.scrape()
            except (OSError, urllib.error.URLError, http.client.HTTPException):
                return False  # killed or restarting
            if not self.ours(s):
                return False
            self.scrapes += 1
            self._check(s)
            return True

    def _run(self) -> None:
        while not self._stop.is_set():
            self._scrape_and_check()
            time.sleep(0.01)


def settled(d: Daemon) -> Scrape:
    """A scrape once the daemon has read all there is and counts no more: two scrapes a few poll
    intervals apart with no lag and the same line count (a file read twice late shows here).
    Taken after :class:`Monotonic` stopped, so no scrape of it is newer than this one."""
    s = d.wait_for(lambda s: s.get("logscan_source_lag_bytes") == 0, "caught up", timeout=60)
    for _ in range(20):
        time.sleep(SETTLE)
        again = d.wait_for(lambda s: s.get("logscan_source_lag_bytes") == 0, "caught up", 60)
        if again.get("logscan_lines_total") == s.get("logscan_lines_total"):
            return again
        s = again
    raise AssertionError(f"still counting lines after {20 * SETTLE:.0f} s with no lag")


def shift(log: Path) -> None:
    """Make room for ``.1``: ``.N`` -> ``.N+1`` (every rotated file is kept)."""
    rotated = sorted((int(p.name.rsplit(".", 1)[1]), p) for p in log.parent.glob(log.name + ".*"))
    for n, p in reversed(rotated):
        os.rename(p, log.with_name(f"{log.name}.{n + 1}"))


# Each rotation method alone, and both mixed on one file (drawn per rotation), as the README
# guarantees; the in-process model (tests/unit/sources/test_rotation_model.py) mixes both too.
@pytest.mark.parametrize("method", ["rename", "copytruncate", "mixed"])
def test_kill9_with_rotations_counts_exactly(
    tmp_path: Path, daemon: StartDaemon, method: str
) -> None:
    seed = int(os.environ.get("LOGSCAN_CRASH_SEED", time.time_ns() % 100_000))
    rng = random.Random(seed)
    log = tmp_path / "mail.log"
    log.touch()
    d = daemon("--source", str(log), "--parser", "testmta", "--checkpoint-interval", "0.5")
    written = kills = rotations = 0
    with Monotonic(d, log) as mono:
        for burst in range(40):
            n = rng.randint(100, 3000)
            with log.open("a") as fh:
                fh.write(
                    "".join(f"{seed} {burst} {i} testmta: code=250 status=sent\n" for i in range(n))
                )
            written += n
            if burst % 10 == 0:
                mono.take()
            action = rng.random()
            rename = method == "rename" or (method == "mixed" and rng.random() < 0.5)
            if action < 0.3 and rename:
                shift(log)
                os.rename(log, log.with_name(log.name + ".1"))
                log.touch()
                rotations += 1
            elif action < 0.3:
                shift(log)
                shutil.copyfile(log, log.with_name(log.name + ".1"))
                os.truncate(log, 0)
                rotations += 1
            if rng.random() < 0.2 or (burst == 39 and kills == 0):
                time.sleep(rng.uniform(0, 0.3))  # kill mid-read, mid-checkpoint, anywhere
                d.kill9()
                kills += 1
                if rng.random() < 0.5:  # sometimes write and rotate while it is down
                    with log.open("a") as fh:
                        fh.write(
                            "".join(
                                f"{seed} down{burst} {i} testmta: code=250\n" for i in range(500)
                            )
                        )
                    written += 500
                d.start()
                mono.take()
        d.wait_for(
            lambda s: s.get("logscan_lines_total") >= written,
            f"{written} lines, seed {seed}",
            timeout=60,
        )
    s = settled(d)
    mono.check(s)
    detail = f"seed={seed} kills={kills} rotations={rotations} scrapes={mono.scrapes}"
    assert s.get("logscan_lines_total") == written, detail
    assert s.get("logscan_lines_total", outcome="event") == written, detail
    assert s.get("logscan_replies_total", code="250") == written, detail
    assert not mono.violations, f"{detail}: {mono.violations[:5]}"
    assert kills >= 1 and mono.scrapes >= 3


def rotate_keeping(log: Path, keep: int, rng: random.Random) -> int:
    """logrotate with ``rotate keep``, rename or copytruncate drawn per rotation; files deleted."""
    deleted = 0
    rotated = sorted((int(p.name.rsplit(".", 1)[1]), p) for p in log.parent.glob(log.name + ".*"))
    for n, p in reversed(rotated):
        if n >= keep:
            p.unlink()
            deleted += 1
        else:
            os.rename(p, log.with_name(f"{log.name}.{n + 1}"))
    if rng.random() < 0.5:
        os.rename(log, log.with_name(log.name + ".1"))
        log.touch()
    else:
        shutil.copyfile(log, log.with_name(log.name + ".1"))
        os.truncate(log, 0)
    return deleted


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_kill9_with_files_deleted_while_down_never_counts_twice_and_reports_losses(
    tmp_path: Path, daemon: StartDaemon, seed: int
) -> None:
    """The model's real-process counterpart: ``rotate 2``, mixed methods, kill -9, and many
    rotations while down. Lines may be lost (logrotate deleted them unread), never counted twice;
    the bytes reported lost never exceed the bytes missing; counters never go down."""
    rng = random.Random(seed)
    log = tmp_path / "mail.log"
    log.touch()
    d = daemon("--source", str(log), "--parser", "testmta", "--checkpoint-interval", "0.5")
    written_lines = longest = deleted = 0

    def burst(tag: str) -> None:
        nonlocal written_lines, longest
        n = rng.randint(100, 1500)
        batch = [f"{seed} {tag} {i} testmta: code=250 status=sent\n" for i in range(n)]
        with log.open("a") as fh:
            fh.write("".join(batch))
        written_lines += n
        longest = max(longest, *(len(line) for line in batch))

    with Monotonic(d, log) as mono:
        for b in range(12):
            burst(str(b))
            d.wait_for(lambda s: s.get("logscan_lines_total") > 0, "some lines")
            time.sleep(rng.uniform(0, 0.3))
            d.kill9()
            for r in range(rng.randint(0, 4)):  # down: the writer and logrotate carry on
                burst(f"down{b}.{r}")
                deleted += rotate_keeping(log, 2, rng)
                time.sleep(0.01)
            d.start()
    s = settled(d)
    mono.check(s)
    counted = s.get("logscan_lines_total")
    lost_bytes = s.get("logscan_source_lost_bytes_total")
    at_most_missing = (written_lines - counted) * longest  # bytes
    detail = f"seed={seed} written={written_lines} counted={counted} deleted={deleted}"
    assert counted <= written_lines, detail
    assert s.get("logscan_replies_total", code="250") == counted, detail
    assert lost_bytes <= at_most_missing, f"{detail} lost_bytes={lost_bytes}"
    assert not mono.violations, f"{detail}: {mono.violations[:5]}"
