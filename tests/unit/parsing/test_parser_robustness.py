"""Every built-in parser survives any input: random text, random bytes, and real lines cut,
corrupted and replayed in random order through one parser instance (its per-file state too).

One test for all parsers, so a new parser gets the same treatment by adding its data directory.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from logscan.core.event import Event
from logscan.parsing.api import Parser
from logscan.parsing.registry import Registry
from tests.helpers.mta_corpus import assert_valid_event
from tests.helpers.paths import DATA

# parser name -> the file names a parser may be constructed with (some parsers decide their
# format from it, e.g. Exchange's MSGTRK/SEND/RECV logs).
PATHS = {
    "postfix": ("mail.log",),
    "exim": ("mainlog",),
    "sendmail": ("maillog",),
    "exchange": ("x.log", "MSGTRK20240101-1.LOG", "SEND20240101-1.LOG", "RECV20240101-1.LOG"),
    "mdaemon": ("MDaemon-SMTP-in.log", "MDaemon-SMTP-out.log", "MDaemon-all.log"),
}
REGISTRY = Registry.load()


def real_lines(name: str) -> list[str]:
    files = sorted(p for p in (DATA / name).iterdir() if p.suffix.lower() == ".log")
    return [line for f in files for line in f.read_text(encoding="utf-8").splitlines()]


REAL = {name: real_lines(name) for name in PATHS}
SLOW = [HealthCheck.too_slow, HealthCheck.data_too_large]


def replay(cls: type[Parser], path: str, lines: list[str]) -> None:
    """Feed ``lines`` to one parser and flush it; every event must keep the contract."""
    parser = cls(path=path)
    emitted: list[Event] = []
    for n, text in enumerate(lines, 1):
        got = parser.feed(text, n)
        assert got is None or isinstance(got, list)
        for ev in got or []:
            assert 1 <= ev.line <= n  # a held multi-line reply may end on an earlier line
            emitted.append(ev)
    emitted.extend(parser.flush())
    for ev in emitted:
        assert_valid_event(ev, cls.name, ev.line)
        assert ev.path == path


@pytest.mark.parametrize("name", sorted(PATHS))
def test_every_parser_has_real_lines_to_mutate(name: str) -> None:
    assert REGISTRY.get(name).name == name
    assert len(REAL[name]) >= 20


@pytest.mark.parametrize("name", sorted(PATHS))
@settings(max_examples=150, deadline=None, suppress_health_check=SLOW)
@given(data=st.data())
def test_random_text_never_raises(name: str, data: st.DataObject) -> None:
    path = data.draw(st.sampled_from(PATHS[name]))
    lines = data.draw(st.lists(st.text(max_size=300), max_size=15))
    replay(REGISTRY.get(name), path, lines)


@pytest.mark.parametrize("name", sorted(PATHS))
@settings(max_examples=100, deadline=None, suppress_health_check=SLOW)
@given(data=st.data())
def test_random_bytes_never_raise(name: str, data: st.DataObject) -> None:
    blobs = data.draw(st.lists(st.binary(max_size=300), max_size=10))
    lines = [b.decode("utf-8", errors="replace") for b in blobs]
    replay(REGISTRY.get(name), PATHS[name][0], lines)


_EDIT = st.tuples(
    st.integers(0, 2000),
    st.integers(0, 40),
    st.text(alphabet=st.sampled_from(',;"<>-+*#{}[]=:() 0123456789\r\x00\ufffdé'), max_size=6),
)


@pytest.mark.parametrize("name", sorted(PATHS))
@settings(max_examples=200, deadline=None, suppress_health_check=SLOW)
@given(data=st.data())
def test_mutated_real_lines_never_raise(name: str, data: st.DataObject) -> None:
    """Cut, delete and insert at random places of real lines (truncation, corruption)."""
    cases = data.draw(
        st.lists(
            st.tuples(st.sampled_from(REAL[name]), st.lists(_EDIT, max_size=4)),
            min_size=1,
            max_size=25,
        )
    )
    lines = []
    for line, edits in cases:
        for pos, cut, insert in edits:
            at = pos % (len(line) + 1)
            line = line[:at] + insert + line[at + cut :]
        lines.append(line)
    replay(REGISTRY.get(name), data.draw(st.sampled_from(PATHS[name])), lines)
