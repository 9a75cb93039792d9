"""A scrape writes the checkpoint of what it serves: a crash right after it cannot make a served
counter go down."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import StartDaemon
from tests.helpers.daemon import append, lines
from tests.helpers.line_counts import total

pytestmark = pytest.mark.integration


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
