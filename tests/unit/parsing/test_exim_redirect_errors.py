"""Exim's own failures of routers and transports, as the real Exim logs them.

The lines are from the Exim test suite's expected main logs (tests/data/exim, see SOURCES.md);
their texts come from src/src/rda.c, routers/redirect.c, transports/autoreply.c and
appendfile.c, and the table that places them is rules/outcomes.toml.
"""

from __future__ import annotations

import pytest

from logscan.classify.classifier import Classifier
from logscan.core.event import ClassifiedEvent
from logscan.pipeline import Pipeline
from parsers.exim import EximParser
from tests.helpers.log_replay import DATA

LOG = (DATA / "exim" / "exim-testsuite-mainlog-failures.log").read_text().splitlines()


def classified(line: int) -> list[ClassifiedEvent]:
    out: list[ClassifiedEvent] = []
    pipe = Pipeline("mainlog", EximParser("mainlog"), Classifier.load(), [out.append])
    pipe.feed(LOG[line - 1], line)
    return out


@pytest.mark.parametrize(
    ("line", "status", "rule"),
    [
        (643, "deferred", "signature:exim-redirect-file-error"),  # filter file too big
        (592, "bounced", "signature:exim-redirect-file-error"),  # syntax error in redirection
        (1355, "deferred", "signature:exim-autoreply-failed"),
        # a maildir outside the home directory: the transport's configuration, not a policy
        (1418, "deferred", "signature:exim-mailbox-file-error"),
    ],
)
def test_exim_own_failures_are_server_errors(line: int, status: str, rule: str) -> None:
    [(ev, verdict)] = classified(line)
    assert (ev.status, ev.code) == (status, None)
    assert (verdict.category, verdict.rule) == ("server-error", rule)


def test_callout_without_smtputf8_is_a_protocol_refusal_not_the_inferred_550() -> None:
    """A RCPT refused because a callout found the next hop lacks SMTPUTF8: Exim logs no code
    (550 is inferred, which alone would say "policy"); the text says what happened."""
    [(ev, verdict)] = classified(1374)
    assert (ev.status, ev.code, ev.code_inferred, ev.stage) == ("rejected", "550", True, "rcpt")
    assert (verdict.category, verdict.rule) == ("protocol", "signature:exim-malformed-reply")
