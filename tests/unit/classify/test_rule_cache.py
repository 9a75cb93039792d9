"""The start-up cache of signature analyses changes no signature, and a bad cache is no cache."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from logscan.classify import rule_cache
from logscan.classify.needles import ANALYSIS_CACHE
from logscan.classify.rule_files import load_rule_files
from logscan.classify.signatures import Signatures


def test_signatures_are_the_same_from_the_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    files = load_rule_files()
    fresh = Signatures.from_files(files)  # computes, and writes the cache
    path = rule_cache.cache_file(ANALYSIS_CACHE)
    assert path is not None and path.exists()
    cached = Signatures.from_files(files)
    assert cached.ordered == fresh.ordered
    assert [s.parts for s in cached.ordered] == [s.parts for s in fresh.ordered]


@pytest.mark.parametrize("content", ["not json", "[1, 2]", "wrong shapes"])
def test_a_corrupt_cache_is_ignored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, content: str
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    files = load_rule_files()
    want = Signatures.from_files(files).ordered
    path = rule_cache.cache_file(ANALYSIS_CACHE)
    assert path is not None
    data = rule_cache.load(ANALYSIS_CACHE)
    # The whole file replaced by junk, or every cached analysis by one of the wrong shape.
    path.write_text(content if content != "wrong shapes" else _junk(data))
    assert Signatures.from_files(files).ordered == want


def test_no_cache_directory_is_fine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))  # a file: no directory can be made
    assert Signatures.from_files(load_rule_files()).ordered


def _junk(data: dict[str, object]) -> str:
    return json.dumps({k: [["x", "no list", True]] for k in data})
