"""The line counters the daemon tests read from a scrape (``logscan_lines_total``)."""

from __future__ import annotations

from tests.helpers.daemon import Daemon, Scrape


def all_lines(s: Scrape) -> float:
    return s.get("logscan_lines_total")


total = all_lines  # the name the restart and checkpoint tests read it by


def events(s: Scrape) -> float:
    return s.get("logscan_lines_total", outcome="event")


def wait_lines(d: Daemon, n: int, what: str = "") -> Scrape:
    return d.wait_for(lambda s: all_lines(s) >= n, what or f"{n} lines")
