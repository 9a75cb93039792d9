"""The batch source read in-process: line splitting across chunk boundaries, decoding, order."""

from __future__ import annotations

import gzip
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from logscan.sources.batch import MAX_LINE_BYTES, SourceError, order_files, read_lines


def reference_lines(data: bytes) -> list[str]:
    """What the reader must give: split on LF, one CR before it dropped, UTF-8 with U+FFFD;
    split on CR instead when the first line ends in a CR followed by more text (CR-only)."""
    first_end = re.search(rb"\r\n|\r(?=.)|\n", data, re.DOTALL)
    if first_end is not None and first_end.group() == b"\r":
        parts = data.split(b"\r")
        if parts[-1] == b"":
            parts.pop()
        return [p.decode("utf-8", "replace") for p in parts]
    parts = data.split(b"\n")
    if parts[-1] == b"":
        parts.pop()
    return [(p[:-1] if p.endswith(b"\r") else p).decode("utf-8", "replace") for p in parts]


LINE_BYTES = st.lists(
    st.sampled_from(
        [b"a", b"\n", b"\r", b"\r\n", b"\xc3\xa9", b"\xe2\x82", b"\xff", b"\x00", b" "]
    ),
    max_size=200,
).map(b"".join)


@settings(max_examples=200, deadline=None)
@given(data=LINE_BYTES, chunk=st.integers(min_value=1, max_value=64), packed=st.booleans())
def test_lines_match_reference_for_any_chunking(
    tmp_path_factory: pytest.TempPathFactory, data: bytes, chunk: int, packed: bool
) -> None:
    path = tmp_path_factory.mktemp("b") / "log"
    path.write_bytes(gzip.compress(data) if packed else data)
    got = list(read_lines(str(path), chunk_bytes=chunk))
    assert [text for _, text in got] == reference_lines(data)
    assert [n for n, _ in got] == list(range(1, len(got) + 1))


@settings(max_examples=200, deadline=None)
@given(
    text=st.lists(st.sampled_from(["a", "é", "€", "😀", "\n", "\r\n", " "]), max_size=80).map(
        "".join
    ),
    encoding=st.sampled_from(["utf-16-le", "utf-16-be"]),
    chunk=st.integers(min_value=1, max_value=64),
    packed=st.booleans(),
)
def test_a_utf16_file_reads_as_its_text_for_any_chunking(
    tmp_path_factory: pytest.TempPathFactory, text: str, encoding: str, chunk: int, packed: bool
) -> None:
    """Windows PowerShell's redirected output and Exchange Online's exports are UTF-16 with a
    BOM: they read as the same text saved in UTF-8 (line numbers, endings, any character)."""
    bom = b"\xff\xfe" if encoding == "utf-16-le" else b"\xfe\xff"
    data = bom + text.encode(encoding)
    path = tmp_path_factory.mktemp("u") / "export.txt"
    path.write_bytes(gzip.compress(data) if packed else data)
    got = list(read_lines(str(path), chunk_bytes=chunk))
    assert [line for _, line in got] == reference_lines(text.encode("utf-8"))
    assert [n for n, _ in got] == list(range(1, len(got) + 1))


def test_a_utf16_file_cut_mid_character_ends_in_a_replacement(tmp_path: Path) -> None:
    path = tmp_path / "cut.txt"
    path.write_bytes(b"\xff\xfe" + "ok\nlast".encode("utf-16-le") + b"x")
    assert list(read_lines(str(path))) == [(1, "ok"), (2, "last\ufffd")]


def test_over_long_line_is_cut_and_following_lines_keep_their_numbers(tmp_path: Path) -> None:
    path = tmp_path / "log"
    path.write_bytes(b"first\n" + b"y" * (3 * MAX_LINE_BYTES) + b"\nthird\n")
    got = list(read_lines(str(path), chunk_bytes=4096))
    assert [n for n, _ in got] == [1, 2, 3]
    assert got[1][1] == "y" * MAX_LINE_BYTES
    assert got[2] == (3, "third")


def test_truncated_gzip_raises_after_yielding_what_was_read(tmp_path: Path) -> None:
    body = b"".join(b"line %d of a log that goes on\n" % i for i in range(50_000))
    packed = gzip.compress(body)
    path = tmp_path / "cut.gz"
    path.write_bytes(packed[: len(packed) // 2])
    got: list[tuple[int, str]] = []
    with pytest.raises(SourceError) as err:
        got.extend(read_lines(str(path)))
    assert got and got[-1][0] == err.value.line
    assert got[-1][1] == f"line {len(got) - 1} of a log that goes on"
    assert str(err.value).startswith(f"{path}:{len(got)}: gzip data ends early")


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (["mail.log", "mail.log.1", "mail.log.2.gz"], ["mail.log.2.gz", "mail.log.1", "mail.log"]),
        (["mail.log.10.gz", "mail.log.9.gz"], ["mail.log.10.gz", "mail.log.9.gz"]),
        (["b.log", "a.log"], ["b.log", "a.log"]),
        (
            ["/x/maillog", "/x/maillog-20241201", "/y/maillog.1"],
            ["/x/maillog-20241201", "/x/maillog", "/y/maillog.1"],
        ),
        (["-", "mail.log.1", "mail.log"], ["-", "mail.log.1", "mail.log"]),
    ],
)
def test_order_files(given: list[str], expected: list[str]) -> None:
    assert order_files(given) == expected
