"""The Exim parser on real main-log lines (tests/data/exim/, see tests/data/SOURCES.md)."""

from __future__ import annotations

import doctest
import re
from typing import Any

import pytest

import logscan.parsing.message_state
import parsers.exim
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

TESTSUITE = "exim-testsuite-mainlog-failures.log"

# Lines that hold something in reply position and give no event with that code, and why.
ACCEPTED_MISSES = (
    (re.compile(r"^[2-5]\d\d[ -]"), "bare LMTP-server reply the test harness left in the log"),
    (re.compile(r" event msg:| \. \"auth fail\" event_data"), "test-suite echo of event data"),
    (re.compile(r"configured error code starts with"), "config panic; the default was sent"),
    (re.compile(r"malware acl condition"), "a virus scanner's status, not an SMTP reply"),
    (re.compile(r"dkim|Authentication-Results", re.I), "a DKIM key size in bits, not a reply"),
)


@pytest.fixture(scope="module")
def corpus() -> list[ParsedLine]:
    return parse_corpus(EximParser, "exim")


# (file, a substring that picks the line, the expected fields of each event)
GOLDEN: list[tuple[str, str, list[dict[str, Any]]]] = [
    (
        "gpb-testtask-exim-mainlog-2012.log",
        "=> eqkhojhkgag@rambler.ru",
        [
            dict(
                direction="outbound",
                stage="end-of-data",
                status="sent",
                code="250",
                code_inferred=False,
                enhanced="2.0.0",
                text="250 2.0.0 Ok: queued as 8512E1767A67",
                ts="2012-02-13T14:39:57",
                remote_host="imx1.rambler.ru",
                remote_ip="81.19.66.235",
                recipient="eqkhojhkgag@rambler.ru",
                queue_id="1RwtJY-0009RI-E4",
                sender=None,
                size=None,
            )
        ],
    ),
    (
        "gpb-testtask-exim-mainlog-2012.log",
        "-> ldtyzggfqejxo@mail.ru",
        [dict(status="sent", code="250", enhanced=None, text="250 OK id=1RwtK9-0004SS-Fm")],
    ),
    (
        "gpb-testtask-exim-mainlog-2012.log",
        "== udbbwscdnbegrmloghuf@london.com",
        [
            dict(
                direction="outbound",
                stage="rcpt",
                status="deferred",
                code="450",
                code_inferred=False,
                enhanced="4.3.2",
                remote_host="mx0.gmx.com",
                remote_ip="74.208.5.90",
                recipient="udbbwscdnbegrmloghuf@london.com",
                queue_id="1RookS-000Pg8-VO",
            )
        ],
    ),
    (
        "gpb-testtask-exim-mainlog-2012.log",
        "retry timeout exceeded",
        [dict(status="expired", code=None, stage="unknown", text="retry timeout exceeded")],
    ),
    (
        "gpb-testtask-exim-mainlog-2012.log",
        "queue_smtp_domains",
        [
            dict(
                status="deferred",
                code=None,
                sender="ysxeuila@rushost.ru",  # from the "<=" line before it
                size=3211,
                text="domain matches queue_smtp_domains, or -odqs set",
            )
        ],
    ),
    (
        "gpb-testtask-exim-mainlog-2012.log",
        ":blackhole:",
        [dict(status="sent", code=None, recipient="tpxmuwr@somehost.ru", stage="unknown")],
    ),
    (
        "github-issues-exim-pastes.log",
        "defer (113)",
        [
            dict(
                status="deferred",
                code=None,
                text="No route to host",
                remote_host="mail.zeusteam.dev",
                remote_ip="50.20.205.93",
                ts="2023-03-24T10:02:24",
            )
        ],
    ),
    (
        "ispmanager-docs-exim-splogger.log",
        "=> user@gmail.com",
        [
            dict(
                status="sent",
                ts="2024-12-03T14:31:07",
                sender="mail@имядомена.ru",
                size=380,
                remote_ip="2a00:1450:4008:c01::1b",
            )
        ],
    ),
    (
        "crowdsec-hub-exim-tests.log",
        "2022-06-29 16:04:05 dovecot_plain authenticator failed",
        [
            dict(
                direction="inbound",
                stage="auth",
                status=None,
                code="535",
                code_inferred=False,
                text="535 Incorrect authentication data (set_id=dave)",
                remote_host=None,
                remote_ip="202.137.142.181",
            )
        ],
    ),
    (
        "crowdsec-hub-exim-tests.log",
        "06:10:13.345",
        [dict(ts="2023-05-30T06:10:13.345", code="535", remote_host="millis.example.org")],
    ),
    (
        "crowdsec-hub-exim-tests.log",
        "Jun 29 15:33:46 server exim[1234]: H=test.com",
        [
            dict(
                direction="inbound",
                stage="rcpt",
                status="rejected",
                code="550",
                code_inferred=True,
                ts="2024-06-29T15:33:46",
                remote_host="test.com",
                remote_ip="1.2.3.4",
                sender="info@test.com",
                recipient="toto@toto.com",
            )
        ],
    ),
    (
        "crowdsec-hub-exim-tests.log",
        "2022-06-29 14:33:43 H=test.sa.com",
        [
            dict(
                stage="connect",
                status="rejected",
                code="451",
                code_inferred=True,
                text='"Host is ratelimited (1.9/1h max:1.2)"',
            )
        ],
    ),
    (
        "fail2ban-exim.log",
        "rejected RCPT dir@ml3.ru",
        [
            dict(
                stage="rcpt",
                code="550",
                code_inferred=True,
                sender="menacedsj04@listserv.eurasia.org",
                recipient="dir@ml3.ru",
                text="relay not permitted",
                remote_ip="202.132.70.178",
            )
        ],
    ),
    (
        "fail2ban-exim.log",
        "input sent without waiting for greeting",
        [dict(stage="connect", status="rejected", code="554", code_inferred=True)],
    ),
    (
        "fail2ban-exim.log",
        '[8.8.8.8]" H=(roxzgj)',  # the client's command tries to inject a host
        [
            dict(
                stage="auth",
                status=None,
                code="503",
                code_inferred=True,
                remote_ip="192.0.2.6",
                text="AUTH command used when not advertised",
            )
        ],
    ),
    (
        "fail2ban-exim.log",
        "too many nonmail commands",
        # smtp_in.c: smtp_notquit_exit(..., "554", "Too many nonmail commands") since 4.68
        [dict(code="554", code_inferred=True, remote_host="pc012-6201.spo.scu.edu.tw")],
    ),
    (
        "fail2ban-exim.log",
        "mail.example.com exim[3751842]: 2021-07-17 23:20:49",
        [dict(ts="2021-07-17T23:20:49", code="535", stage="auth", remote_ip="192.0.2.27")],
    ),
    (
        "fail2ban-exim-spam.log",
        "rejected after DATA",
        [
            dict(
                stage="end-of-data",
                status="rejected",
                code="550",
                code_inferred=True,
                queue_id="1Unmew-0000ea-SE",
                remote_host="egeftech.static.otenet.gr",
            )
        ],
    ),
    (
        "fail2ban-exim-spam.log",
        "hits=7.5",
        [dict(stage="end-of-data", code="550", code_inferred=True, status="rejected")],
    ),
    (
        TESTSUITE,
        "599 5.2.3",
        [dict(code="599", enhanced="5.2.3", code_inferred=False, status="rejected")],
    ),
    (
        TESTSUITE,
        "499 4.12.343",
        [dict(code="499", enhanced="4.12.343", code_inferred=False, recipient="user8@test.ex")],
    ),
    (
        TESTSUITE,
        "499 4.1234.343",  # not an enhanced code: too many digits in the subject
        [dict(code="499", enhanced=None, code_inferred=False)],
    ),
    (
        TESTSUITE,
        "10HmaZ-000000005vi-0000 ** userx@myhost.test.ex R=smartuser T=lmtp : LMTP error after "
        "MAIL FROM:<CALLER@myhost.test.ex>: 550 Don't like that sender",
        [dict(status="bounced", stage="mail", code="550", text="550 Don't like that sender")],
    ),
    (
        TESTSUITE,
        "** ph25@myhost.test.ex",  # a multi-line reply, logged on one line with \n
        [dict(status="bounced", stage="data", code="550", remote_ip="127.0.0.1")],
    ),
    (
        TESTSUITE,
        "useri@domain.com",  # our refusal quotes the callout's reply: two replies
        [
            dict(direction="inbound", stage="rcpt", code="451", code_inferred=True),
            dict(direction="outbound", stage="rcpt", code="450", code_inferred=False),
        ],
    ),
    (
        TESTSUITE,
        "10HmbB-000000005vi-0000 H=localhost4.test.ex [127.0.0.1]: Remote host closed",
        [dict(direction="outbound", stage="helo", status=None, code="550")],
    ),
    (
        TESTSUITE,
        "09:44:33 refused connection from [127.0.0.1] (host_reject_connection)",
        [dict(stage="connect", code="554", code_inferred=True, status="rejected")],
    ),
    (
        TESTSUITE,
        "rejected HELO from CALLER: syntactically invalid argument(s): !@#",
        [dict(stage="helo", code="501", code_inferred=True)],
    ),
    (
        TESTSUITE,
        "10HmbC-000000005vi-0000 ** a@x.y R=r9 T=t1 H=127.0.0.1 [127.0.0.1] : SMTP error from "
        "remote mail server after pipelined MAIL FROM",
        [dict(status="bounced", stage="mail", code="450")],
    ),
    (
        TESTSUITE,
        "rejected from <someone@some.domain>",  # refused while reading data: code not logged
        [
            dict(
                stage="end-of-data",
                status="rejected",
                code=None,
                code_inferred=False,
                sender="someone@some.domain",
                remote_ip="127.0.0.1",
                ts="2017-07-30T18:51:05.712",
            )
        ],
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
        ("gpb-testtask-exim-mainlog-2012.log", "1RwtJa-000AFB-07 Completed"),
        ("gpb-testtask-exim-mainlog-2012.log", "1RwtJa-0009RI-2d <= tpxmuwr@somehost.ru"),
        ("gpb-testtask-exim-mainlog-2012.log", "SMTP connection from [109.70.26.4]"),
        ("fail2ban-exim.log", "[5908] no MAIL in SMTP connection from [122.165.71.116]:2056"),
        ("fail2ban-exim.log", "2016-03-21 04:33:14 SMTP connection from (some.domain)"),
        ("crowdsec-hub-exim-tests.log", "2022-06-29 15:36:46 H=tata.test.biz"),
    ],
)
def test_lines_without_a_reply_are_ignored(
    corpus: list[ParsedLine], file_name: str, needle: str
) -> None:
    assert find_line(corpus, file_name, needle).events == []


def test_foreign_lines_are_not_understood() -> None:
    p = EximParser()
    assert p.feed("Feb 21 09:21:54 xxx postfix/smtpd[14398]: NOQUEUE: reject: RCPT", 1) is None
    assert p.feed("hello world", 2) is None
    assert p.feed("", 3) is None


def test_arrival_state_is_forgotten_on_completed() -> None:
    p = EximParser()
    p.feed("2012-02-13 14:46:10 1RwtQA-000Mti-P5 <= a@example.org H=x [192.0.2.1] S=10", 1)
    p.feed("2012-02-13 14:46:14 1RwtQA-000Mti-P5 Completed", 2)
    [ev] = p.feed("2012-02-13 14:46:15 1RwtQA-000Mti-P5 == b@example.org defer (-1): x", 3) or []
    assert ev.sender is None and ev.size is None


def test_arrival_state_is_bounded() -> None:
    p = EximParser()
    limit = logscan.parsing.message_state.DEFAULT_LIMIT
    for i in range(limit + 10):
        p.feed(f"2012-02-13 14:46:10 1RwtQA-{i:06d}-P5 <= a@example.org S=1", i + 1)
    assert len(p._messages) == limit


def test_recall_of_reply_codes(corpus: list[ParsedLine]) -> None:
    hits, with_code, misses = code_recall(corpus)
    recall = hits / with_code
    print(f"\nexim recall: {hits}/{with_code} lines with a reply code = {recall:.1%}")
    for pattern, why in ACCEPTED_MISSES:
        n = sum(1 for m in misses if pattern.search(m.text))
        print(f"  accepted miss x{n}: {why}")
    unexplained = [m for m in misses if not any(p.search(m.text) for p, _ in ACCEPTED_MISSES)]
    assert unexplained == []
    assert recall >= 0.95


def test_every_event_is_valid(corpus: list[ParsedLine]) -> None:
    events = [(line, ev) for line in corpus for ev in line.events or []]
    assert len(events) > 1000
    for line, ev in events:
        assert_valid_event(ev, "exim", line.lineno)


def test_unrecognized_lines_are_few_and_not_exim_lines(corpus: list[ParsedLine]) -> None:
    unrecognized = [line.text for line in corpus if line.events is None]
    assert len(unrecognized) <= 15
    with_message_id = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \S+-\S+-\S+ ")
    assert not any(with_message_id.match(t) for t in unrecognized)


def test_docstring_examples() -> None:
    for module in (parsers.exim, logscan.parsing.message_state):
        result = doctest.testmod(module)
        assert result.attempted > 0 and result.failed == 0


# -- detect() --------------------------------------------------------------------------------


@pytest.mark.parametrize("path", sorted((DATA / "exim").glob("*.log")), ids=lambda p: p.name)
def test_detect_is_high_on_exim_logs(path: Any) -> None:
    head = path.read_text(encoding="utf-8").splitlines()[:50]
    assert EximParser.detect(head, str(path)) >= 0.5
    assert SendmailParser.detect(head, str(path)) == 0.0


def test_registered_as_entry_point() -> None:
    assert Registry.load().get("exim") is EximParser


# -- robustness ------------------------------------------------------------------------------
# Random and mutated input for every parser: tests/unit/parsing/test_parser_robustness.py.


def test_huge_and_undecodable_lines() -> None:
    p = EximParser()
    big = "2012-02-13 14:46:10 1RwtQA-000Mti-P5 ** a@b: " + "550 x" * 2_000_000
    [ev] = p.feed(big, 1) or []
    assert ev.code == "550"
    assert p.feed("2012-02-13 14:46:10 H=x [1.2.3.4] rejected RCPT <\udcff>: no", 2)
