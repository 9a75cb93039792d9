"""A followed symlink atomically re-pointed to another file (as deploy tools do): a rotation."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.conftest import StartDaemon
from tests.helpers.daemon import append, lines
from tests.helpers.line_counts import all_lines, events, wait_lines

pytestmark = pytest.mark.integration


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
