"""Sendmail and Postfix lines collected for issue 12, fifth round (tests/data/SOURCES.md): each
event as a postmaster reads its line."""

from __future__ import annotations

from typing import Any

import pytest

from logscan.classify.classifier import Classifier
from tests.helpers.mta_corpus import ParsedLine, assert_golden, find_line, only_event, outcomes

SENDMAIL = "ubuntuforums-sendmail-pastes-5.log"
POSTFIX = "code-index-postfix-pastes-5.log"
ALAVETELI = "alaveteli-spec-postfix-2012.log"
RSPAMD = "code-index-postfix-rspamd-2026.log"


def test_every_collected_line_is_understood(
    sendmail: list[ParsedLine], postfix: list[ParsedLine]
) -> None:
    for lines, name, count in (
        (sendmail, SENDMAIL, 22),
        (postfix, POSTFIX, 13),
        (postfix, RSPAMD, 9),
    ):
        mine = [p for p in lines if p.path.name == name]
        assert len(mine) == count
        assert all(p.events is not None for p in mine), name


def test_the_sendmail_lines(clf: Classifier, sendmail: list[ParsedLine]) -> None:
    """SYSERR, from= and DSN lines give none; two recipients on one to= line give two events."""
    assert outcomes(clf, sendmail, SENDMAIL) == [
        (2, "inbound", "rejected", "server-error"),  # check_relay with its access map missing
        (4, "outbound", "deferred", "network"),
        (5, "outbound", "deferred", "network"),
        (6, "outbound", "deferred", "network"),
        (7, "outbound", "deferred", "network"),
        (9, "outbound", "deferred", "network"),
        (9, "outbound", "deferred", "network"),
        (10, "outbound", "bounced", "protocol"),  # "Data format error", dsn=5.6.0
        (12, "outbound", "sent", "delivered"),
        (13, "outbound", "sent", "delivered"),
        (16, "outbound", "sent", "delivered"),
        (17, "outbound", "sent", "delivered"),
        (18, "outbound", "deferred", "dns-failure"),
        (19, "outbound", "deferred", "dns-failure"),
        (20, "outbound", "deferred", "sender-auth-failed"),  # no PTR for our IP
        (22, "outbound", "deferred", "network"),
    ]


def test_a_check_relay_refusal_for_a_missing_access_map(sendmail: list[ParsedLine]) -> None:
    line = find_line(sendmail, SENDMAIL, "reject=451 4.3.0 Temporary system failure")
    expected: dict[str, Any] = dict(
        direction="inbound",
        stage="connect",
        status="rejected",
        code="451",
        enhanced="4.3.0",
        remote_host="localhost.localdomain",
        remote_ip="127.0.0.1",
    )
    assert_golden(line, [expected])


def test_the_postfix_lines(clf: Classifier, postfix: list[ParsedLine]) -> None:
    assert outcomes(clf, postfix, POSTFIX) == [
        (4, "outbound", "deferred", "blocklisted"),  # Verizon's anti-spam IP block
        (5, "outbound", "bounced", "mailbox-unknown"),
        (10, "outbound", None, "blocklisted"),  # the MX's banner refusal, the next MX follows
        (11, "outbound", "deferred", "blocklisted"),
        (12, "outbound", "deferred", "dns-failure"),
        (13, "outbound", "deferred", "dns-failure"),
    ]
    assert outcomes(clf, postfix, RSPAMD) == [
        (2, "outbound", "sent", "delivered"),
        (3, "outbound", "deferred", "service-unavailable"),
        (5, "outbound", "sent", "delivered"),
        (7, "outbound", "sent", "delivered"),  # lmtp to the local Dovecot
        (8, "inbound", "rejected", "spam-rejected"),
        (9, "inbound", "rejected", "greylisted"),  # rspamd's greylist through its milter
    ]
    assert outcomes(clf, postfix, ALAVETELI) == [
        (2, "outbound", "sent", "delivered"),
        (3, "outbound", "deferred", "network"),
        (4, "outbound", "bounced", "mailbox-disabled"),  # Yahoo's "[#102]" disabled account
    ]


@pytest.mark.parametrize(
    ("needle", "rule"),
    [
        ("Verizon Online's anti-spam system", "signature:verizon-anti-spam-block"),
        ("mailstore1.secureserver.net", "signature:poor-reputation-sending-mta"),
    ],
)
def test_an_ip_block_is_named_for_what_it_is(
    clf: Classifier, postfix: list[ParsedLine], needle: str, rule: str
) -> None:
    """Verizon's 571 says "anti-spam", but what it blocks is the sending IP, lifted on request:
    blocklisted, not spam-rejected."""
    ev = only_event(find_line(postfix, POSTFIX, needle))
    assert (ev.stage, ev.status) == ("connect", "deferred")
    assert clf.classify_event(ev).verdict.rule == rule


def test_rspamds_greylisting_through_its_milter(clf: Classifier, postfix: list[ParsedLine]) -> None:
    """cleanup logs the milter's "451 4.7.1 Try again later" with the enhanced code only; the
    same author's rspamd log says "soft reject ... (set by greylist)" for it. It was read as a
    generic service-unavailable."""
    ev = only_event(find_line(postfix, RSPAMD, "4.7.1 Try again later"))
    assert (ev.stage, ev.code, ev.enhanced, ev.remote_ip) == (
        "end-of-data",
        None,
        "4.7.1",
        "69.30.249.19",
    )
    assert clf.classify_event(ev).verdict.rule == "signature:greylist-rspamd-milter"
