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
from tests.daemon.harness import Daemon, Scrape

pytestmark = pytest.mark.integration


class Monotonic:
    """Scrapes all along from a thread; records any counter that went down."""

    def __init__(self, d: Daemon) -> None:
        self.d = d
        self.max: dict[tuple[str, tuple[tuple[str, str], ...]], float] = {}
        self.violations: list[str] = []
        self.scrapes = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Monotonic:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def check(self, s: Scrape) -> None:
        for key, value in s.counters().items():
            if not key[0].startswith("logscan_"):
                continue
            if value < self.max.get(key, 0):
                self.violations.append(f"{key}: {self.max[key]} -> {value}")
            self.max[key] = max(value, self.max.get(key, 0))

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                s = self.d.scrape()
            except (OSError, urllib.error.URLError, http.client.HTTPException):
                time.sleep(0.01)  # killed or restarting
                continue
            self.scrapes += 1
            self.check(s)
            time.sleep(0.01)


def shift(log: Path) -> None:
    """Make room for ``.1``: ``.N`` -> ``.N+1`` (every rotated file is kept)."""
    rotated = sorted((int(p.name.rsplit(".", 1)[1]), p) for p in log.parent.glob(log.name + ".*"))
    for n, p in reversed(rotated):
        os.rename(p, log.with_name(f"{log.name}.{n + 1}"))


@pytest.mark.parametrize("method", ["rename", "copytruncate"])
def test_kill9_with_rotations_counts_exactly(
    tmp_path: Path, daemon: StartDaemon, method: str
) -> None:
    seed = int(os.environ.get("LOGSCAN_CRASH_SEED", time.time_ns() % 100_000))
    rng = random.Random(seed)
    log = tmp_path / "mail.log"
    log.touch()
    d = daemon("--source", str(log), "--parser", "testmta", "--checkpoint-interval", "0.5")
    written = kills = rotations = 0
    with Monotonic(d) as mono:
        for burst in range(40):
            n = rng.randint(100, 3000)
            with log.open("a") as fh:
                fh.write(
                    "".join(f"{seed} {burst} {i} testmta: code=250 status=sent\n" for i in range(n))
                )
            written += n
            action = rng.random()
            if action < 0.3 and method == "rename":
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
        s = d.wait_for(
            lambda s: s.get("logscan_lines_total") >= written,
            f"{written} lines, seed {seed}",
            timeout=60,
        )
        mono.check(s)
    detail = f"seed={seed} kills={kills} rotations={rotations} scrapes={mono.scrapes}"
    assert s.get("logscan_lines_total") == written, detail
    assert s.get("logscan_lines_total", outcome="event") == written, detail
    assert s.get("logscan_replies_total", code="250") == written, detail
    assert not mono.violations, f"{detail}: {mono.violations[:5]}"
    assert kills >= 1 and mono.scrapes >= 3
