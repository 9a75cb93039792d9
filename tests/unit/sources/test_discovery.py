"""A configured file source: the files a glob names, and positions in and out as JSON (the
checkpoint's ``files``), old checkpoints included."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from logscan.sources.discovery import FileSource
from logscan.sources.file_reader import LineHandler
from logscan.sources.resume_position import POSITION_VERSION


class _Lines:
    """Lines handed over, by path, and the notices."""

    def __init__(self) -> None:
        self.got: dict[str, list[str]] = {}
        self.notices: list[tuple[str, str, str]] = []

    def make(self, path: str) -> LineHandler:
        return lambda lines, first: self.got.setdefault(path, []).extend(lines)

    def notify(self, kind: str, path: str, detail: str) -> None:
        self.notices.append((kind, path, detail))

    def source(self, pattern: Path | str, saved: Any = None, start: str = "end") -> FileSource:
        return FileSource(str(pattern), self.make, self.notify, start, saved)


def _drain(fs: FileSource) -> None:
    while fs.step():
        pass


def _as_written_before_versions(files: dict[str, list[dict[str, Any]]], keep: set[str]) -> Any:
    """The checkpoint's ``files`` as an older release wrote them: only the keys in ``keep``."""
    return {p: [{k: v for k, v in e.items() if k in keep} for e in es] for p, es in files.items()}


def _as_version_2(files: dict[str, list[dict[str, Any]]]) -> Any:
    """The checkpoint's ``files`` as version 2 wrote them (no inode generation)."""
    return {
        p: [{**{k: v for k, v in e.items() if k != "gen"}, "version": 2} for e in es]
        for p, es in files.items()
    }


FIRST_RELEASE_KEYS = {"path", "dev", "ino", "fp_len", "fp", "offset", "lineno"}
LAST_UNVERSIONED_KEYS = FIRST_RELEASE_KEYS | {"siblings", "size", "mtime_ns"}
VERSION_2 = {"version_2"}


@pytest.mark.parametrize("keys", [FIRST_RELEASE_KEYS, LAST_UNVERSIONED_KEYS, VERSION_2, None])
def test_a_checkpoint_of_any_version_resumes_exactly(tmp_path: Path, keys: set[str] | None) -> None:
    log = tmp_path / "mail.log"
    log.write_text("".join(f"old {i} x\n" for i in range(40)))
    before = _Lines()
    fs = before.source(log, start="beginning")
    _drain(fs)
    with log.open("a") as fh:
        fh.write("half of a li")
    _drain(fs)
    files = json.loads(json.dumps(fs.positions()))  # through JSON, as the checkpoint holds it
    fs.close()
    assert [e["version"] for e in files[str(log)]] == [POSITION_VERSION]
    if keys is None:
        saved = files
    elif keys == VERSION_2:
        saved = _as_version_2(files)
    else:
        saved = _as_written_before_versions(files, keys)
    with log.open("a") as fh:
        fh.write("ne\nnew 1\n")
    after = _Lines()
    fs = after.source(log, saved)
    _drain(fs)
    fs.close()
    assert before.got[str(log)] == [f"old {i} x" for i in range(40)]
    assert after.got[str(log)] == ["half of a line", "new 1"]
    assert not [n for n in after.notices if n[0] == "read_error"]


def test_a_malformed_entry_is_reported_and_the_file_read_as_new(tmp_path: Path) -> None:
    log = tmp_path / "mail.log"
    log.write_text("a\nb\n")
    lines = _Lines()
    fs = lines.source(log, {str(log): [{"path": str(log), "version": 3}]})
    _drain(fs)
    assert ("read_error", str(log), "malformed_checkpoint_entry") in lines.notices
    assert lines.got[str(log)] == ["a", "b"]  # with a checkpoint, an unknown file is new


def test_a_glob_follows_live_files_only_and_picks_up_new_ones_from_their_start(
    tmp_path: Path,
) -> None:
    for name in ("a.log", "a.log.1", "a.log.2.gz", "a.log-20240101", "b.log"):
        (tmp_path / name).write_text(f"{name}\n")
    lines = _Lines()
    fs = lines.source(tmp_path / "*.log*", start="beginning")
    assert sorted(os.path.basename(p) for p in fs.followers) == ["a.log", "b.log"]
    (tmp_path / "c.log").write_text("c1\n")
    fs.rescan()
    _drain(fs)
    assert lines.got[str(tmp_path / "c.log")] == ["c1"]
    assert fs.watch_dirs() == {str(tmp_path)}
    (tmp_path / "c.log").unlink()
    _drain(fs)
    fs.rescan()
    assert str(tmp_path / "c.log") not in fs.followers
    fs.close()
