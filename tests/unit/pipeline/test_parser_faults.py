"""A parser that raises on a line costs that line only: counted, reported with where it is."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from logscan.classify.classifier import Classifier
from logscan.core.event import ClassifiedEvent, MessageNote
from logscan.pipeline import ParserFault, Pipeline
from tests.unit.pipeline.test_feed_lines import Fussy

LINES = ["reply 550 5.1.1 unknown", "note", "boom", "reply 250 ok", "junk"]


@pytest.mark.parametrize("notes", [None, lambda note: None], ids=["block", "line-by-line"])
def test_parser_raising_on_a_line_is_counted_reported_and_loses_no_other_line(
    notes: Callable[[MessageNote], None] | None,
) -> None:
    seen: list[ClassifiedEvent] = []
    faults: list[ParserFault] = []
    pipe = Pipeline(
        "mail.log",
        Fussy("mail.log"),
        Classifier.load(),
        [seen.append],
        notes=notes,
        on_parser_error=faults.append,
    )
    pipe.feed_lines(LINES, 10)
    assert pipe.parser_errors == 1
    assert pipe.counts.as_dict() == {"event": 2, "ignored": 1, "unrecognized": 2}
    assert [c.event.line for c in seen] == [10, 13]
    (fault,) = faults
    assert (fault.source, fault.parser, fault.count) == ("mail.log", "fussy", 1)
    assert fault.lines() == "line 12"  # the "boom" line


def test_feed_is_feed_lines_for_one_line() -> None:
    faults: list[ParserFault] = []
    pipe = Pipeline("t", Fussy("t"), Classifier.load(), [], on_parser_error=faults.append)
    assert [pipe.feed(t, n) for n, t in enumerate(LINES, 1)] == [
        "event",
        "ignored",
        "unrecognized",
        "event",
        "unrecognized",
    ]
    assert [f.lines() for f in faults] == ["line 3"]
