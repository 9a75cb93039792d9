"""Message notes and events reach the sinks in the log's order on the block path too."""

from __future__ import annotations

from collections.abc import Sequence

from logscan.classify.classifier import Classifier
from logscan.core.event import ClassifiedEvent, Event, MessageNote
from logscan.parsing.api import BlockResult, Outcome, Parser
from logscan.parsing.registry import Registry
from logscan.pipeline import Pipeline
from logscan.sinks.messages import Finished, MessageTracker

QID = "4QbXc3XyzLz1wS"
H = "Nov 29 00:00:0{} mx postfix/{}: "
# One queue id used twice within one block: delivered and removed, then a new message.
LINES = [
    H.format(1, "smtpd[7]") + f"{QID}: client=a.example[192.0.2.1]",
    H.format(1, "qmgr[9]") + f"{QID}: from=<a@a.example>, size=900, nrcpt=1 (queue active)",
    H.format(2, "smtp[8]") + f"{QID}: to=<b@b.example>, relay=mx.b.example[192.0.2.2]:25,"
    " delay=1, delays=0.1/0/0.9/0, dsn=2.0.0, status=sent (250 2.0.0 Ok)",
    H.format(2, "qmgr[9]") + f"{QID}: removed",
    H.format(3, "pickup[6]") + f"{QID}: uid=0 from=<root>",
    H.format(3, "qmgr[9]") + f"{QID}: from=<root@mx>, size=300, nrcpt=1 (queue active)",
    H.format(4, "smtp[8]") + f"{QID}: to=<c@c.example>, relay=mx.c.example[192.0.2.3]:25,"
    " delay=2, delays=0.1/0/1.9/0, dsn=4.4.1, status=deferred (connect timed out)",
    H.format(5, "smtp[8]") + f"{QID}: to=<c@c.example>, relay=mx.c.example[192.0.2.3]:25,"
    " delay=3, delays=0.1/0/2.9/0, dsn=2.0.0, status=sent (250 2.0.0 Ok)",
    H.format(5, "qmgr[9]") + f"{QID}: removed",
]


def run(block: bool) -> tuple[list[str], list[Finished]]:
    order: list[str] = []
    done: list[Finished] = []
    tracker = MessageTracker(done.append)

    def note(n: MessageNote) -> None:
        order.append(n.kind)
        tracker.note(n)

    def event(c: ClassifiedEvent) -> None:
        order.append(f"{c.event.status}@{c.event.line}")
        tracker(c)

    parser = Registry.load().get("postfix")(path="mail.log", year=2024)
    pipe = Pipeline("mail.log", parser, Classifier.load(), [event], notes=note)
    if block:
        pipe.feed_lines(LINES, 1)
    else:
        for n, text in enumerate(LINES, 1):
            pipe.feed(text, n)
    return order, done


def test_block_path_keeps_the_logs_order_of_notes_and_events() -> None:
    order, done = run(block=True)
    assert order == [
        "received", "sent@3", "removed", "received", "deferred@7", "sent@8", "removed",
    ]  # fmt: skip
    assert [(f.outcome, f.sender, f.size) for f in done] == [
        ("delivered", "a@a.example", 900),
        ("delivered_after_deferral", "root@mx", 300),
    ]
    assert run(block=False) == (order, done)


class Noting(Parser):
    """Events for "reply" lines; a message note, and no event, for "note" lines."""

    name = "noting"

    @classmethod
    def detect(cls, head: Sequence[str], path: str | None) -> float:
        return 1.0

    def feed(self, text: str, lineno: int) -> list[Event] | None:
        if text.startswith("note"):
            if self.notes is not None:
                self.notes(MessageNote("received", self.name, f"Q{lineno}", line=lineno))
            return []
        return [Event(self.path, lineno, self.name, "outbound", code=text.split()[1])]


class Indexing(Noting):
    """A feed_block that reads its lines by index, not in one walk."""

    def feed_block(self, lines: Sequence[str], start: int) -> BlockResult:
        rest: list[Outcome] = []
        ignored = 0
        for i in range(len(lines)):
            events = self.feed(lines[i], start + i)
            if events:
                rest.append((start + i, lines[i], events))
            else:
                ignored += 1
        return BlockResult(ignored, 0, rest)


class Unnumbered(Noting):
    """A plug-in whose notes do not say their line."""

    def feed(self, text: str, lineno: int) -> list[Event] | None:
        if text.startswith("note") and self.notes is not None:
            self.notes(MessageNote("received", self.name, f"Q{lineno}"))
            return []
        return super().feed(text, lineno)


def order_of(parser: Parser, lines: Sequence[str]) -> list[str]:
    order: list[str] = []
    pipe = Pipeline(
        "t",
        parser,
        Classifier.load(),
        [lambda c: order.append(f"event@{c.event.line}")],
        notes=lambda n: order.append(f"note {n.queue_id}"),
    )
    pipe.feed_lines(lines, 1)
    return order


def test_notes_are_placed_by_their_line_however_the_parser_reads_its_block() -> None:
    lines = ["reply 250", "note", "reply 550", "note", "note", "reply 421", "note"]
    in_order = ["event@1", "note Q2", "event@3", "note Q4", "note Q5", "event@6", "note Q7"]
    assert order_of(Noting("t"), lines) == in_order
    assert order_of(Indexing("t"), lines) == in_order
    # Notes that do not say their line cannot be placed: they go before the block's events.
    assert order_of(Unnumbered("t"), lines) == [
        "note Q2", "note Q4", "note Q5", "note Q7", "event@1", "event@3", "event@6",
    ]  # fmt: skip


def test_a_postfix_envelope_reaches_the_tracker_with_the_removal_or_at_the_end() -> None:
    """qmgr's from=/size= reaches the tracker in the removal's note; a message still queued
    when the log ends gets it from the parser's flush."""
    done: list[Finished] = []
    tracker = MessageTracker(done.append)
    parser = Registry.load().get("postfix")(path="mail.log", year=2024)
    pipe = Pipeline("mail.log", parser, Classifier.load(), [tracker], notes=tracker.note)
    queued = "QUEUED1234"
    pipe.feed_lines(
        [
            *LINES[:4],  # delivered and removed
            H.format(6, "smtpd[7]") + f"{queued}: client=c.example[192.0.2.4]",
            H.format(6, "qmgr[9]")
            + f"{queued}: from=<q@c.example>, size=700, nrcpt=1 (queue active)",
        ],
        1,
    )
    pipe.flush()
    tracker.finish_all()
    assert [(f.queue_id, f.outcome, f.sender, f.size) for f in done] == [
        (QID, "delivered", "a@a.example", 900),
        (queued, "in_flight", "q@c.example", 700),
    ]


def test_a_tracker_settled_after_each_block_ends_its_messages_as_one_fed_directly() -> None:
    """scan's wiring: the tracker queues a block's events and notes and settles them after it."""
    done: list[Finished] = []
    tracker = MessageTracker(done.append)
    parser = Registry.load().get("postfix")(path="mail.log", year=2024)
    pipe = Pipeline(
        "mail.log", parser, Classifier.load(), [tracker.pending.append],
        notes=tracker.pending.append, after_block=tracker.settle,
    )  # fmt: skip
    pipe.feed_lines(LINES[:5], 1)
    assert len(done) == 1 and not tracker.pending  # settled: the first message has ended
    pipe.feed_lines(LINES[5:], 6)
    assert done == run(block=True)[1]
