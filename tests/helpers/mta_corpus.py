"""Shared checks for the parser tests that run on the real log lines in ``tests/data/<mta>/``.

``parse_corpus`` feeds every file of an MTA's directory through a fresh parser, in order
(parsers keep per-file state), and keeps each line with its events; ``reply_codes`` finds the
SMTP reply codes a line holds in reply position; ``assert_valid_event`` checks an event
against the docs/design.md contract.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from logscan.classify.classifier import Classifier
from logscan.core.event import STAGES, STATUSES, Event
from logscan.core.smtp import is_enhanced_code, is_reply_code
from logscan.parsing.api import Parser
from tests.helpers.paths import DATA

# A reply code where logs put one: at the start of the line or of a quoted reply, after ": ",
# '"', "<", "] ", "reject=" or Sendmail's "... "; followed by a space, the end, a quote, or a
# multi-line dash before an enhanced code or a word ("550-5.7.1", "550-Multiline").
_REPLY_CODE = re.compile(
    r"(?:^|: |\"|<|\] |reject=|\.\.\. )([2-5]\d\d)(?= |$|\"|>|-(?:[245]\.|[A-Za-z]))"
)


@dataclass(frozen=True)
class ParsedLine:
    path: Path
    lineno: int
    text: str
    events: list[Event] | None


def parse_corpus(parser_cls: type[Parser], mta: str) -> list[ParsedLine]:
    out: list[ParsedLine] = []
    for path in sorted((DATA / mta).glob("*.log")):
        parser = parser_cls(str(path), year=2024)
        with path.open(encoding="utf-8", errors="surrogateescape") as f:
            for lineno, raw in enumerate(f, 1):
                text = raw.rstrip("\n")
                out.append(ParsedLine(path, lineno, text, parser.feed(text, lineno)))
    return out


def reply_codes(text: str) -> set[str]:
    return set(_REPLY_CODE.findall(text))


def find_line(lines: list[ParsedLine], file_name: str, needle: str) -> ParsedLine:
    """The one line of ``file_name`` that contains ``needle``."""
    found = [p for p in lines if p.path.name == file_name and needle in p.text]
    assert len(found) == 1, f"{needle!r} found {len(found)} times in {file_name}"
    return found[0]


def outcomes(clf: Classifier, lines: list[ParsedLine], name: str) -> list[tuple[Any, ...]]:
    """(line, direction, status, category) of every event of the file ``name`` among ``lines``."""
    return [
        (p.lineno, ev.direction, ev.status, clf.classify_event(ev).verdict.category)
        for p in lines
        if p.path.name == name
        for ev in p.events or []
    ]


def only_event(line: ParsedLine) -> Event:
    """The one event of ``line`` (failing, with the line, if it has none or several)."""
    assert line.events is not None and len(line.events) == 1, line.text
    return line.events[0]


def assert_valid_event(ev: Event, mta: str, lineno: int) -> None:
    assert ev.mta == mta
    assert ev.line == lineno
    assert ev.direction in ("inbound", "outbound")
    assert ev.stage in STAGES
    assert ev.status is None or ev.status in STATUSES
    assert ev.code is None or is_reply_code(ev.code), ev.code
    assert ev.enhanced is None or is_enhanced_code(ev.enhanced), ev.enhanced
    assert not (ev.code_inferred and ev.code is None)
    assert ev.size is None or ev.size >= 0
    for value in (ev.text, ev.remote_host, ev.remote_ip, ev.sender, ev.recipient, ev.queue_id):
        assert value is None or isinstance(value, str)


def fields(ev: Event) -> dict[str, Any]:
    """An event's fields but where it was read (path, line, MTA): what golden cases state."""
    return {k: v for k, v in asdict(ev).items() if k not in ("path", "line", "mta")}


def assert_golden(line: ParsedLine, expected: list[dict[str, Any]]) -> None:
    """``line`` gave one event per ``expected`` entry, each with at least those field values."""
    assert line.events is not None
    assert len(line.events) == len(expected)
    for ev, want in zip(line.events, expected, strict=True):
        got = fields(ev)
        assert {k: got[k] for k in want} == want


def code_recall(corpus: list[ParsedLine]) -> tuple[int, int, list[ParsedLine]]:
    """(hits, lines with a reply code, misses): lines whose code (found by :func:`reply_codes`,
    not by the parser) is the code of one of the line's events."""
    with_code = hits = 0
    misses: list[ParsedLine] = []
    for line in corpus:
        codes = reply_codes(line.text)
        if not codes:
            continue
        with_code += 1
        if codes & {ev.code for ev in line.events or []}:
            hits += 1
        else:
            misses.append(line)
    return hits, with_code, misses


def assert_outcome(
    clf: Classifier,
    corpus: list[ParsedLine],
    file_name: str,
    needle: str,
    direction: str,
    status: str,
    category: str,
) -> None:
    """The one event of the line of ``file_name`` holding ``needle`` has this direction, status
    and category (the check the collected-lines tests make of each real line)."""
    ev = only_event(find_line(corpus, file_name, needle))
    assert (ev.direction, ev.status) == (direction, status), ev
    assert clf.classify_event(ev).verdict.category == category, ev.text
