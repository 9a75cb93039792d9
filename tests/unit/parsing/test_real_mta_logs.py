"""Logs that a real Postfix and a real Exim wrote while relaying to our scripted sink.

The sink's replies are known (tests/e2e/sink.py), so every event's category is known too.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from logscan.classify.classifier import Classifier
from logscan.core.event import ClassifiedEvent
from logscan.parsing.registry import Registry
from logscan.pipeline import Pipeline
from tests.helpers.paths import DATA

# recipient -> (status, code, enhanced, stage, category, blocklist), as the sink answered.
SINK = {
    "ok@dest.test": ("sent", "250", "2.0.0", "end-of-data", "delivered", None),
    "unknown@dest.test": ("bounced", "550", "5.1.1", "rcpt", "mailbox-unknown", None),
    "full@dest.test": ("deferred", "452", "4.2.2", "rcpt", "mailbox-full", None),
    "busy@dest.test": ("deferred", "421", "4.7.0", "rcpt", "service-unavailable", None),
    "listed@dest.test": ("bounced", "554", "5.7.1", "rcpt", "blocklisted", "zen.spamhaus.org"),
}


def run(path: Path) -> tuple[str, list[ClassifiedEvent], Pipeline]:
    lines = path.read_text().splitlines()
    cls = Registry.load().detect(lines[:50], str(path))
    assert cls is not None
    out: list[ClassifiedEvent] = []
    pipe = Pipeline(str(path), cls(path=str(path)), Classifier.load(), [out.append])
    for lineno, line in enumerate(lines, 1):
        pipe.feed(line, lineno)
    pipe.flush()
    return cls.name, out, pipe


@pytest.mark.parametrize(
    ("name", "mta"),
    [
        ("postfix/real-postfix-3.7.11-relay.log", "postfix"),
        ("exim/real-exim-4.96-relay.log", "exim"),
    ],
)
def test_every_sink_reply_is_one_event_with_the_right_category(name: str, mta: str) -> None:
    detected, events, pipe = run(DATA / name)
    assert detected == mta
    assert pipe.counts.unrecognized == 0
    first = {}
    for ev, verdict in events:
        first.setdefault(ev.recipient, (ev, verdict))
    for rcpt, (status, code, enhanced, stage, category, blocklist) in SINK.items():
        ev, verdict = first[rcpt]
        assert (ev.status, ev.code, ev.enhanced, ev.stage) == (status, code, enhanced, stage)
        assert (verdict.category, verdict.blocklist) == (category, blocklist), rcpt
        assert ev.direction == "outbound"
    dropped, verdict = first["drop@dest.test"]
    assert (dropped.status, dropped.code, dropped.stage) == ("deferred", None, "rcpt")
    assert verdict.category == "network"
