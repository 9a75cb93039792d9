"""The Sendmail parser on real syslog lines (tests/data/sendmail/, see tests/data/SOURCES.md)."""

from __future__ import annotations

import doctest
from typing import Any

import pytest

import parsers.sendmail
from logscan.parsing.registry import Registry
from parsers.exim import EximParser
from parsers.sendmail import SendmailParser
from tests.helpers.mta_corpus import (
    DATA,
    ParsedLine,
    assert_golden,
    assert_valid_event,
    code_recall,
    find_line,
    parse_corpus,
)

F2B_REJECT = "fail2ban-sendmail-reject.log"
F2B_AUTH = "fail2ban-sendmail-auth.log"
FORUM = "forum-howtoforge-2011-sendmail.log"
PASTES = "github-issues-sendmail-pastes.log"
MISC = "misc-sendmail-snippets.log"
WAZUH = "wazuh-ruleset-log-entries-mail-alerts.log"
WAZUH_DEC = "wazuh-ruleset-sendmail-decoder-comments.log"
UBUNTU = "ubuntuforums-sendmail-pastes.log"


@pytest.fixture(scope="module")
def corpus() -> list[ParsedLine]:
    return parse_corpus(SendmailParser, "sendmail")


GOLDEN: list[tuple[str, str, list[dict[str, Any]]]] = [
    (
        F2B_REJECT,
        "<asservnew@freemailhost.ru>",
        [
            dict(
                direction="inbound",
                stage="rcpt",
                status="rejected",
                code="550",
                code_inferred=False,
                enhanced="5.7.1",
                text="550 5.7.1 <asservnew@freemailhost.ru>... Relaying denied. "
                "Proper authentication required.",
                ts="2024-02-25T03:01:10",
                remote_host="128-68-136-133.broadband.corbina.ru",
                remote_ip="128.68.136.133",
                sender=None,
                recipient="asservnew@freemailhost.ru",
                queue_id="s1P819mk027713",
            )
        ],
    ),
    (
        F2B_REJECT,
        "arg1=leased-line-54-82.telecom.by",
        [
            dict(
                stage="connect",
                status="rejected",
                code="421",
                enhanced="4.3.2",
                queue_id=None,
                remote_ip="217.21.54.82",
                recipient=None,
            )
        ],
    ),
    (
        F2B_REJECT,
        "test.whatever@service.example.com",
        [dict(stage="rcpt", code="451", enhanced="4.1.8", remote_ip="192.0.2.100")],
    ),
    (
        F2B_REJECT,
        "reject=450 4.4.0",
        [dict(code="450", enhanced="4.4.0", ts="2024-06-18T08:05:17", remote_ip="45.125.66.67")],
    ),
    (
        MISC,
        "ruleset=check_mail, arg1=<noreply@ekbar.biz>",
        [dict(stage="mail", sender="noreply@ekbar.biz", recipient=None, code="451")],
    ),
    (
        F2B_REJECT,
        "<baduser@yourhost.com>... User unknown",
        [
            dict(
                direction="inbound",
                stage="rcpt",
                status="rejected",
                code="550",
                code_inferred=True,
                recipient="baduser@yourhost.com",
                ts="2024-06-17T14:37:39",
            )
        ],
    ),
    (
        F2B_REJECT,
        "<arhipov@domain.com>... No such user here",
        [dict(stage="rcpt", status="rejected", code=None, text="No such user here")],
    ),
    (
        F2B_AUTH,
        "06I02CNi016764",
        [
            dict(
                direction="inbound",
                stage="auth",
                status=None,
                code="535",
                code_inferred=True,
                remote_host="example.com",
                remote_ip="192.0.2.3",
            )
        ],
    ),
    (
        F2B_REJECT,
        "[76.72.174.70]: EXPN root [rejected]",
        [dict(code="502", code_inferred=True, status="rejected", remote_ip="76.72.174.70")],
    ),
    (
        F2B_REJECT,
        "example.com [1.2.3.4] due to pre-greeting traffic",
        [dict(stage="connect", code="554", code_inferred=True, remote_host="example.com")],
    ),
    (
        FORUM,
        "p1RC74q5015493",
        [
            dict(
                direction="outbound",
                stage="unknown",
                status="deferred",
                code=None,
                enhanced="4.0.0",
                text="local mailer (/usr/sbin/sensible-mda) exited with EX_TEMPFAIL",
                recipient="www-data@cloud9.exampleNetwork.com",
                queue_id="p1RC74q5015493",
            )
        ],
    ),
    (
        FORUM,
        "p1S0e2XV008179: to=www-data",
        [
            dict(
                status="sent",
                code=None,
                enhanced="2.0.0",
                text="p1S0e2Wo008180 Message accepted for delivery",
                remote_ip="127.0.0.1",
                sender="www-data",  # from the from= line before it
                size=602,
                recipient="www-data",
            )
        ],
    ),
    (
        PASTES,
        "stat=Service unavailable",
        [
            dict(
                status="bounced",
                code=None,
                enhanced="5.0.0",
                remote_host="mail.eclipso.de",
                remote_ip="217.69.254.104",
                sender="crafter2345@eclipso.de",
                size=592,
                ts="2024-10-03T15:40:44",
            )
        ],
    ),
    (
        PASTES,
        "x8RGS52D043946",
        [
            dict(
                status="deferred",
                text="Connection timed out with alt3.aspmx.l.google.com.",
                remote_host="alt3.aspmx.l.google.com",
                remote_ip=None,
            )
        ],
    ),
    (
        MISC,
        "00001100000000003",
        [
            dict(
                status="bounced",
                enhanced="5.1.2",
                queue_id="00001100000000003",
                remote_host="EXAMPLE.EXAMPLE.local",
                recipient="EXAMPLE@EXAMPLE.co.uk",
            )
        ],
    ),
    (
        WAZUH,
        "sm-mta[22707]:",  # no syslog time stamp: ts is null
        [dict(stage="connect", code="550", enhanced="5.7.1", ts=None, remote_ip="201.29.120.119")],
    ),
    (
        WAZUH,
        "<andre.nichele@gerdau.com.br>",
        [dict(stage="rcpt", code="550", queue_id="k4PJeY7S014582", ts=None)],
    ),
    (
        WAZUH_DEC,
        "[ID 801593 mail.notice]",
        [dict(stage="rcpt", code="553", enhanced="5.3.0", queue_id="k856Hah0007735")],
    ),
    (
        WAZUH_DEC,
        "sm-msp-queue[13484]",
        [dict(status="deferred", remote_ip="127.0.0.1", recipient="root", enhanced="4.0.0")],
    ),
    (
        WAZUH,
        "sm-mta[20900]:",
        [dict(stage="mail", code="553", enhanced="5.1.8", sender="brbomaquinas@brbom.com")],
    ),
]


@pytest.mark.parametrize(("file_name", "needle", "expected"), GOLDEN)
def test_golden_lines(
    corpus: list[ParsedLine], file_name: str, needle: str, expected: list[dict[str, Any]]
) -> None:
    assert_golden(find_line(corpus, file_name, needle), expected)


def test_golden_covers_enough_lines() -> None:
    assert len(GOLDEN) >= 20


@pytest.mark.parametrize(
    ("file_name", "needle"),
    [
        (PASTES, "093DecOR009469: 093DeiOR009471: DSN: Service unavailable"),
        (PASTES, "STARTTLS=client"),
        (F2B_REJECT, "lost input channel"),
        (F2B_REJECT, "v26LtRA0020949"),  # did not issue MAIL/EXPN/VRFY/ETRN
        (F2B_AUTH, "s1GNXHYB005133"),  # possible SMTP attack
        (FORUM, "p1R8o2Kp027080: SYSERR(root): putbody"),
        (WAZUH_DEC, "ruleset=check_mail, arg1=<rtreter@qffff.com>,"),  # truncated in the source
        ("wazuh-ruleset-sendmail-tests.log", "starting daemon"),
        (UBUNTU, "gethostbyaddr(127.0.0.2) failed: 1"),
        (UBUNTU, "My unqualified host name (ralph-laptop) unknown"),
        (
            "hoddmimes-iptblk-sendmail-2019.log",
            "did not issue MAIL/EXPN/VRFY/ETRN during connection to MSA",
        ),
    ],
)
def test_lines_without_a_reply_are_ignored(
    corpus: list[ParsedLine], file_name: str, needle: str
) -> None:
    assert find_line(corpus, file_name, needle).events == []


def test_recall_of_reply_codes(corpus: list[ParsedLine]) -> None:
    hits, with_code, misses = code_recall(corpus)
    recall = hits / with_code
    print(f"\nsendmail recall: {hits}/{with_code} lines with a reply code = {recall:.1%}")
    # A client-side ruleset's reject= is our own decision on a delivery whose to= line follows
    # with the outcome (test_client_ruleset_reject_leaves_the_outcome_to_the_to_line).
    client_rulesets = ("ruleset=tls_rcpt,", "ruleset=tls_server,", "ruleset=clt_features,")
    assert [m.text for m in misses if not any(r in m.text for r in client_rulesets)] == []
    assert with_code >= 30
    assert recall >= 0.95


def test_every_event_is_valid(corpus: list[ParsedLine]) -> None:
    events = [(line, ev) for line in corpus for ev in line.events or []]
    assert len(events) >= 60
    for line, ev in events:
        assert_valid_event(ev, "sendmail", line.lineno)


def test_no_sendmail_line_is_unrecognized(corpus: list[ParsedLine]) -> None:
    assert [line.text for line in corpus if line.events is None] == []


def test_docstring_examples() -> None:
    result = doctest.testmod(parsers.sendmail)
    assert result.attempted > 0 and result.failed == 0


# -- forms the corpus lacks, written the way Sendmail logs them ------------------------------


def _feed_all(lines: list[str]) -> list[list[Any] | None]:
    p = SendmailParser(year=2024)
    return [p.feed(text, n) for n, text in enumerate(lines, 1)]


def test_remote_reply_transcript_follows_the_outcome() -> None:
    out = _feed_all(
        [
            "Nov 29 00:00:57 mx1 sm-mta[1]: 4AT00v20062144: from=<p@example.org>, size=13728, "
            "class=0, nrcpts=1, proto=ESMTPSA, daemon=MSA, relay=[192.0.2.7]",
            "Nov 29 00:00:58 mx1 sm-mta[2]: 4AT00v20062144: to=<m@example.ch>, delay=00:00:00, "
            "mailer=esmtp, pri=75393, relay=smtp.example.ch. [192.0.2.85], dsn=5.1.10, "
            "stat=User unknown",
            "Nov 29 00:00:58 mx1 sm-mta[2]: 4AT00v20062144: m@example.ch... 550 5.1.10 "
            "RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup",
            "Nov 29 00:00:58 mx1 sm-mta[2]: 4AT00v20062144: 4AT00w25017498: DSN: User unknown",
        ]
    )
    assert out[0] == [] and out[3] == []
    [outcome] = out[1] or []
    assert (outcome.status, outcome.code, outcome.enhanced) == ("bounced", None, "5.1.10")
    assert (outcome.sender, outcome.size, outcome.remote_ip) == (
        "p@example.org",
        13728,
        "192.0.2.85",
    )
    [reply] = out[2] or []
    assert (reply.direction, reply.status, reply.code, reply.enhanced) == (
        "outbound",
        None,
        "550",
        "5.1.10",
    )
    assert (reply.recipient, reply.sender, reply.code_inferred) == (
        "m@example.ch",
        "p@example.org",
        False,
    )


def test_deferred_with_remote_reply_and_several_recipients() -> None:
    [out] = _feed_all(
        [
            "Nov 29 00:00:10 mx1 sm-mta[3]: 4AT0070K463007: to=<a@example.com>,<b@example.com>, "
            "delay=00:00:02, mailer=esmtp, pri=170603, relay=mx.example.com. [192.0.2.5], "
            "dsn=4.7.28, stat=Deferred: 421 4.7.28 Our system has detected an unusual rate"
        ]
    )
    assert [ev.recipient for ev in out or []] == ["a@example.com", "b@example.com"]
    for ev in out or []:
        assert (ev.status, ev.code, ev.enhanced) == ("deferred", "421", "4.7.28")
        assert ev.text == "421 4.7.28 Our system has detected an unusual rate"


def test_sent_with_a_code_inside_the_text() -> None:
    [out] = _feed_all(
        [
            "Nov 29 00:00:04 mx1 sm-mta[4]: 4AT00207095884: to=<f@example.net>, mailer=esmtp, "
            "relay=mx.example.net. [192.0.2.6], dsn=2.0.0, stat=Sent (<id@example.net> "
            "[InternalId=1] 65760 bytes Queued mail for delivery -> 250 2.1.5)"
        ]
    )
    [ev] = out or []
    assert (ev.status, ev.code, ev.enhanced) == ("sent", "250", "2.1.5")


def test_queue_lifetime_dsn_is_expired_and_queued_is_ignored() -> None:
    out = _feed_all(
        [
            "Nov 29 00:00:10 mx1 sm-mta[5]: 4AT0070K463007: 4AT0090N953079: DSN: Cannot send "
            "message for 5 days",
            "Nov 29 00:00:11 mx1 sendmail[6]: 4AT0070K463008: to=root, ctladdr=root (0/0), "
            "delay=00:00:00, mailer=relay, pri=30000, stat=queued",
        ]
    )
    [ev] = out[0] or []
    assert (ev.status, ev.code, ev.queue_id) == ("expired", None, "4AT0070K463007")
    assert out[1] == []


def test_milter_reject() -> None:
    [out] = _feed_all(
        [
            "Nov 29 00:00:10 mx1 sm-mta[7]: 4AT0070K463009: Milter: data, reject=554 5.7.1 "
            "Rejected as spam"
        ]
    )
    [ev] = out or []
    assert (ev.direction, ev.stage, ev.status, ev.code, ev.enhanced) == (
        "inbound",
        "end-of-data",
        "rejected",
        "554",
        "5.7.1",
    )


def test_milter_reject_at_rcpt_names_the_recipient() -> None:
    [out] = _feed_all(
        [
            "Nov 29 00:00:10 mx1 sm-mta[7]: 4AT0070K463011: Milter (spamass): to=<a@example.com>, "
            "reject=550 5.7.1 Blocked"
        ]
    )
    [ev] = out or []
    assert (ev.stage, ev.recipient, ev.code) == ("rcpt", "a@example.com", "550")


def test_nfs_sm_notify_is_not_sendmail() -> None:
    line = "Nov 29 00:00:10 host sm-notify[812]: Version 2.6.2 starting"
    assert SendmailParser().feed(line, 1) is None
    assert SendmailParser.detect([line], None) == 0.0


def test_detect_on_empty_or_odd_heads() -> None:
    assert SendmailParser.detect([], None) == 0.0
    assert SendmailParser.detect(["", "\x00\udcff"], None) == 0.0
    assert EximParser.detect([], None) == 0.0
    assert EximParser.detect(["\x00\udcff"], None) == 0.0


def test_rfc3339_timestamps() -> None:
    [out] = _feed_all(
        [
            "2024-11-29T04:43:08.123456+00:00 mx1 sm-mta[8]: 4AT0070K463010: to=<a@example.com>, "
            "mailer=local, pri=1, dsn=2.0.0, stat=Sent"
        ]
    )
    [ev] = out or []
    assert ev.ts == "2024-11-29T04:43:08.123456+00:00"
    assert ev.status == "sent"


def test_postfix_sendmail_command_is_not_ours() -> None:
    p = SendmailParser()
    assert p.feed("Feb 11 16:49:24 host postfix/sendmail[8204]: fatal: usage", 1) is None


# -- detect() --------------------------------------------------------------------------------


@pytest.mark.parametrize("path", sorted((DATA / "sendmail").glob("*.log")), ids=lambda p: p.name)
def test_detect_is_high_on_sendmail_logs(path: Any) -> None:
    head = path.read_text(encoding="utf-8").splitlines()[:50]
    assert SendmailParser.detect(head, str(path)) >= 0.9
    assert EximParser.detect(head, str(path)) <= 0.05


def test_registered_as_entry_point() -> None:
    assert Registry.load().get("sendmail") is SendmailParser


# -- robustness ------------------------------------------------------------------------------
# Random and mutated input for every parser: tests/unit/parsing/test_parser_robustness.py.


def test_huge_and_undecodable_lines() -> None:
    p = SendmailParser()
    big = (
        "Nov 29 00:00:10 mx1 sm-mta[3]: 4AT0070K463007: to=<a@b>, mailer=esmtp, dsn=5.0.0, stat="
        + "x" * 10_000_000
    )
    [ev] = p.feed(big, 1) or []
    assert ev.status == "bounced"
    assert p.feed("Nov 29 00:00:10 mx1 sm-mta[3]: 4AT0070K463007: <\udcff>... User unknown", 2)
