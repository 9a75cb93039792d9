"""Real Exchange protocol log lines collected for issue 12 (tests/data/SOURCES.md, "Collected for
issue 12: MDaemon and Exchange"), as people paste them: wrapped in quotes, a blank line after
each line, the session cut to the lines that show the problem.
"""

from __future__ import annotations

from logscan.classify.classifier import Classifier
from parsers.exchange import ExchangeParser
from tests.helpers.log_replay import DATA, replay

RELAY = DATA / "exchange" / "msqa-179653-exchange2013-smtpreceive-relay.log"


def test_a_pasted_receive_session_gives_its_refusal() -> None:
    events = replay(ExchangeParser, RELAY).events
    assert [(ev.line, ev.direction, ev.code, ev.status) for ev in events] == [
        (9, "inbound", "250", None),
        (11, "inbound", "550", "rejected"),
    ]
    assert events[1].remote_ip == "40.107.19.96"
    verdict = Classifier.load().classify_event(events[1]).verdict
    assert verdict.category == "relay-denied"
