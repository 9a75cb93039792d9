"""A file read by byte offsets: complete lines only, CRLF stripped, overlong lines cut."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from logscan.sources.file_reader import (
    STEP_BYTES,
    FileReader,
    NotRegularFile,
    last_line_end,
    open_regular,
)
from logscan.sources.follower import Follower


def test_partial_and_crlf_and_overlong(tmp_path: Path) -> None:
    p = tmp_path / "a.log"
    p.write_bytes(b"one\r\ntwo\n" + b"x" * 600_000 + b"\nthr")
    got: list[str] = []
    f = Follower(str(p), lambda lines, first: got.extend(lines), lambda *a: None, "beginning")
    while f.step():
        pass
    assert got[:2] == ["one", "two"]
    assert len(got) == 3 and got[2] == "x" * (64 * 1024 * 4)
    assert f.positions()[0].offset == 9 + 600_001
    with p.open("ab") as fh:
        fh.write(b"ee\n")
    while f.step():
        pass
    assert got[3] == "three"


@settings(max_examples=150, deadline=None)
@given(data=st.binary(max_size=3000), budget=st.integers(1, 700))
def test_any_bytes_in_any_steps_give_the_complete_lines_and_their_end(
    tmp_path_factory: pytest.TempPathFactory, data: bytes, budget: int
) -> None:
    p = tmp_path_factory.mktemp("reader") / "a.log"
    p.write_bytes(data)
    got: list[str] = []
    firsts: list[int] = []

    def handler(lines: list[str], first: int) -> None:
        firsts.append(first)
        got.extend(lines)

    r = FileReader(open_regular(str(p)), str(p))
    try:
        while not r.read(handler, budget):
            pass
    finally:
        r.close()
    complete = data[: data.rfind(b"\n") + 1]
    expected = [ln.decode("utf-8", "replace") for ln in complete.split(b"\n")[:-1]]
    assert got == [ln[:-1] if ln.endswith("\r") else ln for ln in expected]
    assert r.offset == len(complete) and r.lineno == len(got)
    assert r.partial == data[len(complete) :]
    assert firsts == sorted(set(firsts)) and (not firsts or firsts[0] == 1)


def test_cr_only_line_endings_are_flagged_not_split(tmp_path: Path) -> None:
    p = tmp_path / "mac.log"
    p.write_bytes(b"one\rtwo\rthree\r")
    got: list[str] = []
    r = FileReader(open_regular(str(p)), str(p))
    r.read(lambda lines, first: got.extend(lines), STEP_BYTES)
    r.finish(lambda lines, first: got.extend(lines))
    r.close()
    assert r.cr_only
    assert got == ["one\rtwo\rthree"]  # one line at the end: the CR before the end stripped


def test_start_at_the_end_keeps_to_a_line_boundary(tmp_path: Path) -> None:
    p = tmp_path / "a.log"
    p.write_bytes(b"a\nbb\nhalf")
    fd = open_regular(str(p))
    try:
        assert last_line_end(fd, 9) == 5 and last_line_end(fd, 0) == 0
    finally:
        os.close(fd)
    p.write_bytes(b"no newline at all")
    fd = open_regular(str(p))
    try:
        assert last_line_end(fd, 17) == 17
    finally:
        os.close(fd)


def test_only_regular_files_are_opened(tmp_path: Path) -> None:
    with pytest.raises(NotRegularFile):
        open_regular(str(tmp_path))
    with pytest.raises(FileNotFoundError):
        open_regular(str(tmp_path / "absent"))
