"""The crash/rotation model (tests/helpers/rotation_model.py) over many seeds: mixed rotation
methods on
one file, ``rotate K`` deleting files, ``kill -9`` anywhere, lines written while down.

Each seed costs tens of milliseconds (the real follower in-process, crashes simulated by dropping
its state and resuming from the last checkpoint); ``bench/rotation_soak.py`` runs thousands.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers.rotation_model import KEEP_ALL, run

SEEDS = range(300)


@pytest.mark.parametrize("seed", SEEDS)
def test_crash_and_rotation_model_counts_once_and_reports_losses(tmp_path: Path, seed: int) -> None:
    outcome = run(tmp_path, seed)
    assert not outcome.problems(), outcome


def test_the_model_does_lose_lines_and_the_daemon_says_so(tmp_path: Path) -> None:
    """The model must exercise what it checks: seeds where logrotate deleted unread files."""
    outcomes = []
    for seed in range(40):
        (tmp_path / str(seed)).mkdir()
        outcomes.append(run(tmp_path / str(seed), seed))
    lossy = [o for o in outcomes if o.missing_lines]
    assert len(lossy) >= 5
    assert sum(1 for o in lossy if o.lost_files and o.lost_bytes) >= 3
    assert any(o.keep == KEEP_ALL for o in outcomes)
