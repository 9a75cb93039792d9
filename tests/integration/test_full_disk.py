"""A full disk under the state directory: a checkpoint write that fails never replaces the last
good one, and what is served is what that checkpoint holds."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import StartDaemon
from tests.helpers.daemon import append, lines
from tests.helpers.line_counts import total

pytestmark = pytest.mark.integration


@pytest.fixture
def small_tmpfs(tmp_path: Path) -> Iterator[Path]:
    """A 64 KiB tmpfs (as root); skip where mounting is not permitted."""
    mnt = tmp_path / "state"
    mnt.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mnt)],
        capture_output=True,
        check=False,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs: {done.stderr.decode(errors='replace').strip()}")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=False)


def fill(directory: Path, leave: int) -> Path:
    """Fill the filesystem holding ``directory`` so that about ``leave`` bytes stay free."""
    filler = directory / "filler"
    st = os.statvfs(directory)
    free = st.f_bavail * st.f_frsize
    with filler.open("wb") as fh, contextlib.suppress(OSError):
        fh.write(b"\0" * max(free - leave, 0))
    return filler


def test_full_disk_keeps_last_good_checkpoint(
    tmp_path: Path, daemon: StartDaemon, small_tmpfs: Path
) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    # Many files make a checkpoint larger than the page left free: the write comes up short.
    for i in range(40):
        (logs / f"{'x' * 60}-{i:02}.log").touch()
    d = daemon("--source", str(logs / "*.log"), "--parser", "testmta")
    first = logs / f"{'x' * 60}-00.log"
    append(first, lines(5))
    d.wait_for(lambda s: total(s) >= 5, "5 lines")
    good = (small_tmpfs / "checkpoint.json").read_bytes()
    assert len(good) > 8192, len(good)
    filler = fill(small_tmpfs, leave=4096)

    append(first, lines(3))
    s = d.wait_for(
        lambda s: s.get("logscan_checkpoint_writes_total", result="error") >= 2,
        "failed checkpoint writes",
    )
    # What is served is what the kept checkpoint holds: a crash now loses nothing served.
    assert total(s) == 5
    kept = json.loads((small_tmpfs / "checkpoint.json").read_bytes())
    assert sum(row[-1] for row in kept["counters"]["logscan_lines"]) == 5
    assert not (small_tmpfs / ".checkpoint.json.tmp").exists()
    assert "checkpoint write failed; the previous checkpoint is kept" in d.log()

    d.kill9()
    filler.unlink()
    append(first, lines(2))
    d.start()
    s = d.wait_for(lambda s: total(s) >= 10, "10 lines")
    assert total(s) == 10  # the 3 lines read while the disk was full are read again, once
