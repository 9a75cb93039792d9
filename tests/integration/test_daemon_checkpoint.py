"""The checkpoint's own faults, against the real daemon: a full disk, and values it cannot trust.

A checkpoint is the only thing that survives ``kill -9``: a bad write must never replace a good
one, and a bad file must be set aside (``checkpoint.json.corrupt-*``), never crash the daemon.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import StartDaemon
from tests.helpers.daemon import Daemon, Scrape, append, lines

pytestmark = pytest.mark.integration


def total(s: Scrape) -> float:
    return s.get("logscan_lines_total")


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


@pytest.fixture
def good_checkpoint(tmp_path: Path, daemon: StartDaemon) -> Callable[[], tuple[Daemon, Any]]:
    """A daemon that counted 5 lines of ``mail.log`` and stopped: its checkpoint, parsed."""

    def make() -> tuple[Daemon, Any]:
        log = tmp_path / "mail.log"
        log.touch()
        d = daemon("--source", str(log), "--parser", "testmta")
        append(log, lines(5))
        d.wait_for(lambda s: total(s) >= 5, "5 lines")
        assert d.stop() == 0
        return d, json.loads((tmp_path / "state" / "checkpoint.json").read_text())

    return make


def _position(doc: Any) -> Any:
    (source,) = doc["sources"].values()
    (positions,) = source["files"].values()
    return positions[0]


def _offset(value: Any) -> Callable[[Any], str]:
    def mutate(doc: Any) -> str:
        _position(doc)["offset"] = value
        return json.dumps(doc)  # allow_nan: writes Infinity and NaN as a broken file would

    return mutate


def _nan_counter(doc: Any) -> str:
    doc["counters"]["logscan_lines"][0][-1] = float("nan")
    return json.dumps(doc)


def _deep(doc: Any) -> str:
    return '{"version": 1, "sources": {}, "counters": {"x": ' + "[" * 100_000 + "]" * 100_000 + "}}"


def _string_inode(doc: Any) -> str:
    _position(doc)["ino"] = "12"
    return json.dumps(doc)


@pytest.mark.parametrize(
    "mutate",
    [
        pytest.param(_offset(float("inf")), id="infinite_offset"),
        pytest.param(_offset(-100), id="negative_offset"),
        pytest.param(_offset(10**30), id="offset_beyond_off_t"),
        pytest.param(_nan_counter, id="nan_counter"),
        pytest.param(_deep, id="100k_deep_json"),
        pytest.param(_string_inode, id="string_inode"),
    ],
)
def test_checkpoint_with_invalid_values_is_set_aside(
    tmp_path: Path,
    good_checkpoint: Callable[[], tuple[Daemon, Any]],
    mutate: Callable[[Any], str],
) -> None:
    d, doc = good_checkpoint()
    state = tmp_path / "state"
    (state / "checkpoint.json").write_text(mutate(doc))
    d.start()
    append(tmp_path / "mail.log", lines(2))
    s = d.wait_for(lambda s: total(s) >= 2, "2 lines after the bad checkpoint")
    assert total(s) == 2  # from the end, counters at zero: never NaN, never a re-read
    assert "checkpoint unusable" in d.log()
    assert "Traceback" not in d.log()
    assert len(list(state.glob("checkpoint.json.corrupt-*"))) == 1
    json.loads((state / "checkpoint.json").read_text())  # replaced by a good one


def test_checkpoint_offset_beyond_file_size_is_not_reread(
    tmp_path: Path, good_checkpoint: Callable[[], tuple[Daemon, Any]]
) -> None:
    """Same inode, same first bytes, offset past the end: the identity decides, no re-read."""
    d, doc = good_checkpoint()
    _position(doc)["offset"] += 1_000_000
    (tmp_path / "state" / "checkpoint.json").write_text(json.dumps(doc))
    d.start()
    append(tmp_path / "mail.log", lines(3))
    s = d.wait_for(lambda s: total(s) >= 8, "8 lines")
    assert total(s) == 8  # 5 restored + 3 new; re-reading from 0 would make 13
    assert "checkpoint offset beyond the end of the same file" in d.log()
