"""Postfix lines collected for issue 12, tenth round (tests/data/SOURCES.md): each event as a
postmaster reads its line, and the families these sources showed (address verification's
probe reasons, Postfix's own bounce service failure)."""

from __future__ import annotations

from typing import Any

from logscan.classify.classifier import Classifier
from tests.helpers.mta_corpus import ParsedLine, assert_golden, find_line, only_event, outcomes

POSTFIX = "github-issues-postfix-pastes-10.log"


def test_every_collected_line_is_understood(postfix: list[ParsedLine]) -> None:
    mine = [p for p in postfix if p.path.name == POSTFIX]
    assert len(mine) == 76
    assert all(p.events is not None for p in mine)


def test_a_relay_masked_as_ip_and_port_gives_no_event(postfix: list[ParsedLine]) -> None:
    """EasyEngine/dockerfiles#106: the poster masked the relay as "smtp.example.com[IP]:PORT";
    the parser takes no event from a relay it cannot read (a real log has a number there)."""
    line = find_line(postfix, POSTFIX, "relay=smtp.example.com[IP]:PORT")
    assert line.events == []


def test_the_postfix_lines(clf: Classifier, postfix: list[ParsedLine]) -> None:
    """connect/disconnect, qmgr, cleanup, pickup, bounce, postscreen, warning and "connect to"
    lines give none; qmgr's message-level "status=deferred (bounce failed)" (59) is no
    recipient's outcome."""
    assert outcomes(clf, postfix, POSTFIX) == [
        (1, "inbound", "rejected", "bad-domain"),  # reject_unknown_sender_domain, 4.1.8
        (3, "inbound", "rejected", "bad-domain"),  # reject_unknown_recipient_domain, 4.1.2
        (6, "inbound", "rejected", "bad-domain"),
        (7, "inbound", "rejected", "bad-domain"),
        (10, "outbound", "deferred", "network"),
        (13, "outbound", "deferred", "network"),
        (16, "outbound", "deferred", "network"),  # behind docker compose's prefix
        (18, "outbound", "deferred", "network"),
        (22, "outbound", "deferred", "network"),
        (30, "outbound", "deferred", "network"),
        (31, "inbound", "rejected", "policy-rejected"),  # non-FQDN HELO, RFC 3339 stamps
        (32, "inbound", "rejected", "policy-rejected"),
        (33, "inbound", "rejected", "policy-rejected"),
        (34, "inbound", "rejected", "relay-denied"),  # 454 4.7.1, unbracketed addresses
        (35, "inbound", "rejected", "relay-denied"),
        (36, "inbound", "rejected", "relay-denied"),
        (39, "inbound", "rejected", "policy-rejected"),  # CONNECT: Client host rejected
        (42, "inbound", "rejected", "relay-denied"),
        (44, "inbound", "rejected", "policy-rejected"),  # reject_unknown_helo_hostname
        (45, "inbound", "rejected", "policy-rejected"),
        (46, "inbound", "rejected", "policy-rejected"),
        (47, "inbound", "rejected", "policy-rejected"),
        (48, "outbound", None, "blocklisted"),  # T-Online's (BL)
        (49, "outbound", "bounced", "routing"),  # loops back to myself
        (50, "outbound", "bounced", "routing"),
        (55, "outbound", "deferred", "server-error"),  # bounce or trace service failure
        (61, "outbound", "deferred", "auth-failed"),  # SASL: bad protocol / cancel
        (65, "inbound", "rejected", "policy-rejected"),
        (70, "inbound", "rejected", "server-error"),  # the verify probe's LMTP socket
        (75, "outbound", "deferred", "network"),  # a syslog line without a host name
        (76, "outbound", "deferred", "dns-failure"),  # Host not found, try again
    ]


def test_a_line_without_a_host_name(postfix: list[ParsedLine]) -> None:
    """panubo/docker-postfix#37: the container's syslog wrote no host field."""
    line = find_line(postfix, POSTFIX, "E89BD1644BA: to=<omama@gmail.com>")
    expected: dict[str, Any] = dict(
        direction="outbound",
        status="deferred",
        enhanced="4.4.1",
        remote_host="alt4.gmail-smtp-in.l.google.com",
        remote_ip="209.85.147.27",
        recipient="omama@gmail.com",
    )
    assert_golden(line, [expected])


def test_address_verification_is_read_by_the_probes_reason(
    clf: Classifier, postfix: list[ParsedLine]
) -> None:
    """reject_unverified_recipient's 450 carries the probe's own deferral reason: a missing
    local LMTP socket is the verifying server's fault, not an unknown mailbox (was
    mailbox-unknown)."""
    line = find_line(postfix, POSTFIX, "unverified address: connect to modoboa.server.com")
    verdict = clf.classify_event(only_event(line)).verdict
    assert (verdict.category, verdict.rule) == (
        "server-error",
        "signature:postfix-verify-own-failure",
    )


def test_postfix_bounce_service_failure(clf: Classifier, postfix: list[ParsedLine]) -> None:
    """modoboa/modoboa#837: the bounce daemon could not take the outcome (was unknown)."""
    line = find_line(postfix, POSTFIX, "(bounce or trace service failure)")
    verdict = clf.classify_event(only_event(line)).verdict
    assert (verdict.category, verdict.rule) == (
        "server-error",
        "signature:postfix-bounce-service-failure",
    )
