"""A checkpoint the daemon cannot trust (broken JSON, values out of range, an offset past the
file's end): set aside (``checkpoint.json.corrupt-*``), never a crash, never a re-read.

A checkpoint is the only thing that survives ``kill -9``: a bad file must never crash the daemon.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import StartDaemon
from tests.helpers.daemon import Daemon, append, lines
from tests.helpers.line_counts import total

pytestmark = pytest.mark.integration


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
