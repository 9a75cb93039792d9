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


def test_a_pattern_the_cache_knows_is_compiled_on_first_use(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Start-up compiles no pattern the cache has analysed (it compiled on this Python before);
    the first use compiles it, to the same regex."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    files = load_rule_files()
    fresh = Signatures.from_files(files)  # no cache yet: every pattern compiled now
    with_pattern = [s for s in fresh.ordered if s.pattern_source is not None]
    assert with_pattern and all(s._whole for s in with_pattern)
    warm = Signatures.from_files(files)
    assert not any(s._whole for s in warm.ordered)
    for a, b in zip(warm.ordered, fresh.ordered, strict=True):
        assert (a.pattern and a.pattern.pattern) == (b.pattern and b.pattern.pattern)
        assert a.captures_list() == (b.pattern is not None and "blocklist" in b.pattern.groupindex)


def test_a_bad_pattern_is_an_error_at_load_even_with_a_warm_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from logscan.classify.rule_files import RuleError

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    Signatures.from_files(load_rule_files())  # the cache is warm
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "mine.toml").write_text(
        "[[signature]]\nid = 'bad'\npattern = '(unclosed'\ncategory = 'unknown'\n"
    )
    with pytest.raises(RuleError, match="signature 'bad': bad pattern"):
        Signatures.from_files(load_rule_files([rules]))


def test_rule_files_from_the_cache_are_the_files_as_parsed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The parsed rule files are kept by the hash of their bytes: a warm start gives the same
    documents, a file edited since is parsed again, and a TOML date (which JSON cannot hold)
    keeps its file set out of the cache."""
    import tomllib

    from logscan.classify.rule_files import PARSED_CACHE

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    rules = tmp_path / "rules"
    rules.mkdir()
    mine = rules / "mine.toml"
    mine.write_text("[[signature]]\nid = 'a'\npattern = 'x'\ncategory = 'unknown'\n")
    cold = load_rule_files([rules])
    assert len(rule_cache.load(PARSED_CACHE)) == len(cold)
    warm = load_rule_files([rules])
    assert [f.data for f in warm] == [f.data for f in cold]
    assert [f.data for f in warm] == [tomllib.loads(f.path.read_text()) for f in warm]

    mine.write_text("[[signature]]\nid = 'b'\npattern = 'y'\ncategory = 'unknown'\n")
    assert load_rule_files([rules])[-1].data["signature"][0]["id"] == "b"

    mine.write_text("when = 2024-01-01\n")
    assert load_rule_files([rules])[-1].data["when"].year == 2024
    assert load_rule_files([rules])[-1].data["when"].year == 2024  # not a string from JSON
