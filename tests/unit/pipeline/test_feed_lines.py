"""``Pipeline.feed_lines`` (the batch fast path) gives exactly what ``feed`` line by line gives."""

from __future__ import annotations

from collections.abc import Sequence

from logscan.classify.classifier import Classifier
from logscan.core.event import ClassifiedEvent, Event
from logscan.parsing.api import Parser
from logscan.pipeline import MAX_LINE_CHARS, Pipeline


class Fussy(Parser):
    """Events for "reply" lines, [] for "note" lines, None otherwise; raises on "boom"."""

    name = "fussy"

    @classmethod
    def detect(cls, head: Sequence[str], path: str | None) -> float:
        return 1.0

    def feed(self, text: str, lineno: int) -> list[Event] | None:
        if "boom" in text:
            raise ValueError("parser bug")
        if text.startswith("reply "):
            code = text.split()[1]
            return [Event(self.path, lineno, self.name, "outbound", code=code, text=text[:80])]
        return [] if text.startswith("note") else None


LONG = "x" * (MAX_LINE_CHARS + 9)
LINES = ["reply 550 5.1.1 unknown", "note", "junk", "boom", "reply 250 ok", LONG]


def run(batch: bool) -> tuple[dict[str, int], list[ClassifiedEvent], list[tuple[int, int]]]:
    seen: list[ClassifiedEvent] = []
    unrecognized: list[tuple[int, int]] = []
    pipe = Pipeline("t", Fussy("t"), Classifier.load(), [seen.append])
    pipe.on_unrecognized = lambda n, text: unrecognized.append((n, len(text)))
    if batch:
        pipe.feed_lines(LINES[:3], 10)
        pipe.feed_lines(LINES[3:], 13)
    else:
        for n, text in enumerate(LINES, 10):
            pipe.feed(text, n)
    return pipe.counts.as_dict(), seen, unrecognized, pipe.parser_errors


def test_feed_lines_equals_feed() -> None:
    assert run(batch=True) == run(batch=False)
    counts, seen, unrecognized, errors = run(batch=True)
    assert errors == 1  # the "boom" line
    assert counts == {"event": 2, "ignored": 1, "unrecognized": 3}
    assert [(c.event.line, c.event.code) for c in seen] == [(10, "550"), (14, "250")]
    assert unrecognized == [(12, 4), (13, 4), (15, MAX_LINE_CHARS)]
