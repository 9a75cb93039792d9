"""The Exchange parser on tracking, protocol and SMTPSVC logs: golden, recall, robustness."""

from __future__ import annotations

import csv
import doctest
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

import logscan.parsing.smtp_dialogue
import parsers.exchange
import parsers.exchange_protocol
import parsers.exchange_smtpsvc
import parsers.exchange_tracking
from logscan.classify.classifier import Classifier
from logscan.core.event import Event
from logscan.parsing.registry import Registry
from parsers.exchange import ExchangeParser
from parsers.mdaemon import MDaemonParser
from tests.helpers.log_replay import DATA, Row, event_rows, replay, reply_recall

EXCHANGE = DATA / "exchange"
# The logs; exchange-status-texts.tsv is a table of replies (test_exchange_status_texts.py).
FILES = sorted(p for p in EXCHANGE.iterdir() if p.suffix.lower() == ".log")


def rows(name: str) -> list[Row]:
    return event_rows(ExchangeParser, EXCHANGE / name)


# -- golden ------------------------------------------------------------------------------------


def test_send_protocol_log_golden() -> None:
    assert rows("SEND20240312-1.LOG") == [
        (11, "outbound", "connect", None, "220", None, None),
        (20, "outbound", "helo", None, "250", None, None),  # 7 lines of 250-, one event
        (22, "outbound", "connect", None, "220", None, None),  # session B, interleaved
        (24, "outbound", "starttls", None, "220", "2.0.0", None),
        (26, "outbound", "helo", None, "250", None, None),
        (32, "outbound", "helo", None, "250", None, None),
        # MAIL and RCPT pipelined: each reply answers its own command
        (38, "outbound", "mail", None, "250", "2.1.0", None),
        (39, "outbound", "rcpt", "bounced", "550", "5.1.1", "nobody@fabrikam.example"),
        (41, "outbound", "mail", None, "250", "2.1.0", None),
        (43, "outbound", "rcpt", None, "250", "2.1.5", "orders@fabrikam.example"),
        (45, "outbound", "rcpt", "bounced", "550", "5.7.1", "chris@outlook.com"),
        (47, "outbound", "end-of-data", "sent", "250", "2.0.0", "orders@fabrikam.example"),
        (49, "outbound", "quit", None, "221", "2.0.0", None),
        (51, "outbound", "quit", None, "221", "2.0.0", None),
        (55, "outbound", "connect", None, "421", "4.7.0", None),
        (59, "outbound", "connect", None, "220", None, None),
        (61, "outbound", "helo", None, "250", None, None),
        (63, "outbound", "mail", None, "250", "2.1.0", None),
        (65, "outbound", "rcpt", None, "250", "2.1.5", "kim.park@gmail.com"),
        (67, "outbound", "data", None, "354", None, "kim.park@gmail.com"),
        (70, "outbound", "end-of-data", "bounced", "550", "5.7.26", "kim.park@gmail.com"),
        (72, "outbound", "quit", None, "221", "2.0.0", None),
    ]


def test_send_protocol_multiline_reply_is_one_event_with_joined_text() -> None:
    events = replay(ExchangeParser, EXCHANGE / "SEND20240312-1.LOG").events
    gmail = next(e for e in events if e.line == 70)
    assert gmail == Event(
        path="SEND20240312-1.LOG",
        line=70,
        mta="exchange",
        direction="outbound",
        stage="end-of-data",
        status="bounced",
        code="550",
        enhanced="5.7.26",
        text="550-5.7.26 This mail has been blocked because the sender is unauthenticated. "
        "550-5.7.26 Gmail requires all senders to authenticate with either SPF or DKIM. "
        "550 5.7.26 Learn more at https://support.google.com/mail/answer/81126#authentication "
        "5b1f17b1804b1-41316e4fa5bsi1234567f9.12 - gsmtp",
        ts="2024-03-12T09:06:10.612Z",
        remote_host="mx.google.com",
        remote_ip="142.250.27.26",
        sender="news@contoso.example",
        recipient="kim.park@gmail.com",
    )


def test_send_protocol_queue_id_is_the_record_id() -> None:
    events = replay(ExchangeParser, EXCHANGE / "SEND20240312-1.LOG").events
    rejected = next(e for e in events if e.line == 39)
    assert (rejected.queue_id, rejected.sender, rejected.remote_ip) == (
        "5497558138881",
        "bob@contoso.example",
        "203.0.113.25",
    )


def test_receive_protocol_log_golden() -> None:
    assert rows("RECV20240312-1.LOG") == [
        (8, "inbound", "connect", None, "220", None, None),
        (11, "inbound", "connect", None, "220", None, None),
        (22, "inbound", "helo", None, "250", None, None),
        (33, "inbound", "helo", None, "250", None, None),
        (35, "inbound", "auth", None, "334", None, None),
        (38, "inbound", "mail", None, "250", "2.1.0", None),
        (39, "inbound", "auth", None, "334", None, None),
        (41, "inbound", "rcpt", "rejected", "550", "5.7.54", "someone@elsewhere.example"),
        (45, "inbound", "auth", None, "535", "5.7.3", None),
        (47, "inbound", "quit", None, "221", "2.0.0", None),
        (52, "inbound", "connect", None, "220", None, None),
        (63, "inbound", "helo", None, "250", None, None),
        (65, "inbound", "starttls", None, "220", "2.0.0", None),
        (70, "inbound", "helo", None, "250", None, None),
        (73, "inbound", "mail", None, "250", "2.1.0", None),
        (75, "inbound", "rcpt", None, "250", "2.1.5", "alice@contoso.example"),
        (77, "inbound", "rcpt", "rejected", "550", "5.1.10", "ghost@contoso.example"),
        (79, "inbound", "end-of-data", None, "250", "2.6.0", "alice@contoso.example"),
        (81, "inbound", "quit", None, "221", "2.0.0", None),
        (84, "inbound", "connect", None, "220", None, None),
        (88, "inbound", "helo", None, "250", None, None),
        (90, "inbound", "mail", "rejected", "530", "5.7.57", None),
    ]


def test_receive_auth_failure_exact_event() -> None:
    events = replay(ExchangeParser, EXCHANGE / "RECV20240312-1.LOG").events
    assert next(e for e in events if e.code == "535") == Event(
        path="RECV20240312-1.LOG",
        line=45,
        mta="exchange",
        direction="inbound",
        stage="auth",
        code="535",
        enhanced="5.7.3",
        text="535 5.7.3 Authentication unsuccessful",
        ts="2024-03-12T10:00:08.002Z",
        remote_ip="185.234.217.220",
    )


def test_tracking_2016_golden() -> None:
    assert rows("MSGTRK20240312-1.LOG") == [
        # DELIVER to two mailboxes: outcomes without a code
        (8, "outbound", "end-of-data", "sent", None, None, "alice@contoso.example"),
        (8, "outbound", "end-of-data", "sent", None, None, "bob@contoso.example"),
        # SEND to two recipients; the reply in source-context is not another event
        (9, "outbound", "end-of-data", "sent", "250", "2.1.5", "pat.jones@gmail.com"),
        (9, "outbound", "end-of-data", "sent", "250", "2.1.5", "sam.lee@gmail.com"),
        (10, "outbound", "unknown", "bounced", "550", "5.1.10", "nobody@contoso.example"),
        (12, "outbound", "unknown", "deferred", "451", "4.4.0", "orders@fabrikam.example"),
        (13, "outbound", "unknown", "bounced", "550", "5.7.26", "kim.park@gmail.com"),
        (13, "outbound", "unknown", "bounced", "550", "5.1.1", "old.account@gmail.com"),
        (14, "outbound", "unknown", "bounced", "550", "5.7.1", "chris@outlook.com"),
        (17, "inbound", "end-of-data", None, "250", "2.1.5", "bob@contoso.example"),
    ]


def test_tracking_2010_golden() -> None:
    assert rows("MSGTRK20160405-1.LOG") == [
        (7, "outbound", "end-of-data", "sent", "250", "2.1.5", "dave@fabrikam.example"),
        (8, "outbound", "unknown", "deferred", "451", "4.4.0", "ops@nonexistent-domain.example"),
        (9, "outbound", "unknown", "bounced", "550", "5.1.1", "jan@remote.example"),
        (9, "outbound", "unknown", "bounced", "552", "5.2.2", "piet@remote.example"),
        (9, "outbound", "unknown", "bounced", "550", "5.1.1", "kees@remote.example"),
        (12, "outbound", "end-of-data", "sent", None, None, "dave@fabrikam.example"),
    ]


def test_tracking_event_ids_that_end_or_delay_a_recipient() -> None:
    """BADMAIL, DROP (with a reply), SUBMITFAIL/SUBMITDEFER, MODERATORREJECT, MODERATIONEXPIRE
    are outcomes; a DROP without a reply (a completed approval request), POISONMESSAGE,
    HAREDIRECTFAIL and RESUBMITFAIL are not (the table in parsers/exchange_tracking.py). The
    AGENT DROP is our own agent's refusal: inbound."""
    assert rows("MSGTRK20240313-1.LOG") == [
        (7, "inbound", "unknown", "bounced", "550", "4.3.2", "dana@contoso.example"),
        (8, "outbound", "unknown", "bounced", "550", "5.2.0", "lee@contoso.example"),
        (10, "outbound", "unknown", "bounced", "550", "5.3.4", "all@contoso.example"),
        (11, "outbound", "unknown", "bounced", "550", "5.6.0", "kim@fabrikam.example"),
        (12, "outbound", "unknown", "deferred", "432", "4.3.2", "kim@fabrikam.example"),
        (13, "outbound", "unknown", "bounced", "550", "5.7.1", "allstaff@contoso.example"),
        (14, "outbound", "unknown", "bounced", None, None, "allstaff@contoso.example"),
    ]


@pytest.mark.parametrize(
    ("line", "category"),
    [
        (7, "policy-rejected"),  # QUEUE.TransportAgent: deleted by an agent, not "4.3.2 busy"
        (8, "server-error"),  # RESOLVER.FWD.Invalid: our directory, not "550 user unknown"
        (10, "message-too-large"),  # PICKUP.MessageSize
        (11, "server-error"),  # STOREDRV.Submit poison, not "5.6.0 content"
        (12, "server-error"),  # STOREDRV: mailbox database offline
        (13, "policy-rejected"),  # APPROVAL.NotAuthorized: the moderator said no
    ],
)
def test_tracking_outcome_texts_exchange_writes_decide_the_category(
    line: int, category: str
) -> None:
    clf = Classifier.load()
    events = replay(ExchangeParser, EXCHANGE / "MSGTRK20240313-1.LOG").events
    [ev] = [e for e in events if e.line == line]
    assert clf.classify_event(ev).verdict.category == category


def test_tracking_led_wrapping_exact_event() -> None:
    events = replay(ExchangeParser, EXCHANGE / "MSGTRK20240312-1.LOG").events
    defer = next(e for e in events if e.line == 12)
    assert defer == Event(
        path="MSGTRK20240312-1.LOG",
        line=12,
        mta="exchange",
        direction="outbound",
        stage="unknown",
        status="deferred",
        code="451",
        enhanced="4.4.0",
        text='451 4.4.0 Primary target IP address responded with: "421 4.4.2 Connection dropped '
        'due to SocketError." Attempted failover to alternate host, but that did not succeed. '
        "Either there are no alternate hosts, or delivery failed to all alternate hosts. "
        "The last endpoint attempted was 203.0.113.25:25",
        ts="2024-03-12T08:20:01.777Z",
        remote_host="mx.fabrikam.example",
        remote_ip="203.0.113.25",
        sender="bob@contoso.example",
        recipient="orders@fabrikam.example",
        queue_id="4140",
        size=5120,
    )


def test_tracking_status_with_semicolon_stays_whole() -> None:
    events = replay(ExchangeParser, EXCHANGE / "MSGTRK20240312-1.LOG").events
    resolver = next(e for e in events if e.line == 10)
    assert resolver.text == (
        "550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup"
    )
    assert resolver.remote_host is None  # a resolver failure has no remote end


@pytest.mark.parametrize(
    ("field", "expected"),
    [
        ("", []),
        ("250 2.1.5 OK", ["250 2.1.5 OK"]),
        ("To;Cc", ["To;Cc"]),  # no reply in it: one group, and no code will come out of it
        (
            "{LED=450 4.7.0 wait};{FQDN=a.example};{LED=550 5.1.1 gone};{FQDN=b.example}",
            ["{LED=450 4.7.0 wait};{FQDN=a.example}", "{LED=550 5.1.1 gone};{FQDN=b.example}"],
        ),
        (
            "[{LRT=};{LED=451 4.4.0 x; y};{FQDN=}];550 5.1.1 no",
            ["[{LRT=};{LED=451 4.4.0 x; y};{FQDN=}]", "550 5.1.1 no"],
        ),
    ],
)
def test_split_statuses(field: str, expected: list[str]) -> None:
    assert parsers.exchange_tracking.split_statuses(field) == expected


def test_tracking_lines_without_reply_are_ignored_not_unrecognized() -> None:
    run = replay(ExchangeParser, EXCHANGE / "MSGTRK20240312-1.LOG")
    # RECEIVE without reply, AGENTINFO, DSN, NOTIFYMAPI, SUBMIT
    for lineno in (6, 7, 11, 15, 16):
        assert run.outcomes[lineno] == "ignored", lineno
    for name in ("elastic-beats-bom8-msgtrk.log", "dfir-kb-microsoft_exchange-msgtrkms.log"):
        run = replay(ExchangeParser, EXCHANGE / name)
        assert run.events == []
        assert set(run.outcomes.values()) == {"ignored"}


def test_real_send_log_golden() -> None:
    assert rows("msqa-1054876-exchange2016-smtpsend.log") == [
        (9, "outbound", "connect", None, "220", None, None),
        (11, "outbound", "helo", None, "250", None, None),
        (14, "outbound", "mail", None, "250", "2.1.0", None),
        (16, "outbound", "rcpt", None, "250", "2.1.5", "****@hispanicliving.shop**"),
        (18, "outbound", "data", None, "354", None, "****@hispanicliving.shop**"),
        (19, "outbound", "end-of-data", "sent", "250", None, "****@hispanicliving.shop**"),
    ]


def test_real_receive_logs_golden() -> None:
    assert rows("blogpost-exchange2010-smtpreceive-graylog-nxlog.log") == [
        (3, "inbound", "connect", None, "220", None, None),
        (14, "inbound", "helo", None, "250", None, None),
        (17, "inbound", "auth", None, "504", "5.7.4", None),
    ]
    # One line, no header, no command before it: the reply side is read from the line.
    assert rows("crowdsec-hub-exchange-smtp-receive.log") == [
        (1, "inbound", "unknown", None, "535", "5.7.3", None),
    ]


def test_legacy_smtpsvc_golden() -> None:
    assert rows("wazuh-ruleset-ms-exchange-iis-smtpsvc.log") == [
        (2, "inbound", "rcpt", "rejected", "550", None, None),
        (3, "inbound", "unknown", None, "500", None, None),
    ]


# -- line endings, headers, state ----------------------------------------------------------------


@pytest.mark.parametrize("name", ["SEND20240312-1.LOG", "MSGTRK20240312-1.LOG"])
def test_crlf_and_bom_give_the_same_events(name: str) -> None:
    path = EXCHANGE / name
    plain = replay(ExchangeParser, path).events
    parser = ExchangeParser(path=path.name)
    crlf: list[Event] = []
    for lineno, text in enumerate(path.read_text().splitlines(), 1):
        if lineno == 1:
            text = "\ufeff" + text
        crlf.extend(parser.feed(text + "\r", lineno) or [])
    assert [(e.line, e.code, e.text) for e in crlf] == [(e.line, e.code, e.text) for e in plain]


def test_repeated_header_keeps_open_sessions() -> None:
    lines = (EXCHANGE / "SEND20240312-1.LOG").read_text().splitlines()
    header, body = lines[:5], lines[5:]
    # A second file's header in the middle (log concatenated across a rollover).
    merged = [*header, *body[:30], *header, *body[30:]]
    parser = ExchangeParser(path="merged.log")
    events = [e for n, t in enumerate(merged, 1) for e in parser.feed(t, n) or []]
    assert [e.code for e in events] == [r[4] for r in rows("SEND20240312-1.LOG")]


def test_unfinished_multiline_reply_is_flushed_on_its_last_line() -> None:
    parser = ExchangeParser(path="RECV.LOG")
    pre = "2024-01-01T00:00:00.000Z,EX1\\Default,08DA00AA,"
    assert parser.feed("#Log-type: SMTP Receive Protocol Log", 1) == []
    parser.feed(pre + "1,10.0.0.5:25,192.0.2.9:5000,<,EHLO x,", 2)
    assert parser.feed(pre + "2,10.0.0.5:25,192.0.2.9:5000,>,250-mx Hello,", 3) == []
    assert parser.feed(pre + "3,10.0.0.5:25,192.0.2.9:5000,>,250-SIZE,", 4) == []
    [ev] = parser.flush()
    assert (ev.line, ev.stage, ev.code, ev.text) == (4, "helo", "250", "250-mx Hello 250-SIZE")


def test_reply_with_another_code_cuts_a_multiline_reply_short() -> None:
    parser = ExchangeParser(path="SEND.LOG")
    parser.feed("#Log-type: SMTP Send Protocol Log", 1)
    pre = "2024-01-01T00:00:0{}.000Z,Out,08DA00AB,{},10.0.0.5:1,192.0.2.9:25,"
    parser.feed(pre.format(1, 1) + ">,EHLO x,", 2)
    assert parser.feed(pre.format(2, 2) + "<,250-mx Hello,", 3) == []
    cut, shutdown = parser.feed(pre.format(3, 3) + "<,421 4.3.2 Service shutting down,", 4) or []
    assert (cut.line, cut.code, cut.stage, cut.ts) == (3, "250", "helo", "2024-01-01T00:00:02.000Z")
    assert (shutdown.line, shutdown.code, shutdown.enhanced) == (4, "421", "4.3.2")


def test_session_state_is_bounded() -> None:
    parser = ExchangeParser(path="RECV.LOG")
    parser.feed("#Log-type: SMTP Receive Protocol Log", 1)
    limit = logscan.parsing.smtp_dialogue.MAX_SESSIONS
    for i in range(limit + 500):
        line = f"2024-01-01T00:00:00.000Z,EX1\\Default,{i:016X},0,10.0.0.5:25,192.0.2.9:5,+,,"
        assert parser.feed(line, i + 2) == []
    assert parser._protocol is not None
    assert len(parser._protocol._sessions) == limit


# -- recall on every file -----------------------------------------------------------------------

_FINAL_REPLY = re.compile(r"[2-5]\d\d(?: |$)")
_STATUS_CODE = re.compile(r"(?:^|;|\{LED=|\[\{LED=)\s*([2-5]\d\d)[ -]")


def reply_lines(path: Path) -> Iterator[tuple[int, str]]:
    """(line, code) of every line holding a reply, found without the parser's code."""
    fields: list[str] = []
    for lineno, text in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if text.startswith("#Fields:"):
            fields = [f.strip() for f in text[8:].split(",")]
        if text.startswith("#") or not text.strip():
            continue
        if re.match(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d ", text):  # W3C: sc-status
            cols = text.split()
            if len(cols) > 11 and _FINAL_REPLY.fullmatch(cols[11] + " "):
                yield lineno, cols[11]
            continue
        row = next(csv.reader([text]))
        if len(row) == 9 and row[6] in "<>" and row[6] and _FINAL_REPLY.match(row[7]):
            yield lineno, row[7][:3]
        elif "recipient-status" in fields and len(row) == len(fields):
            m = _STATUS_CODE.search(row[fields.index("recipient-status")])
            if m is not None:
                yield lineno, m.group(1)


# The hand-written files (tests/data/SOURCES.md); the others are real lines from the corpus.
HAND_WRITTEN = {
    "MSGTRK20240312-1.LOG",
    "MSGTRK20160405-1.LOG",
    "SEND20240312-1.LOG",
    "RECV20240312-1.LOG",
}


@pytest.mark.parametrize("real", [True, False], ids=["corpus", "hand-written"])
def test_recall(real: bool) -> None:
    paths = [p for p in FILES if (p.name not in HAND_WRITTEN) == real]
    found, total = reply_recall(ExchangeParser, paths, reply_lines)
    recall = found / total
    print(
        f"exchange recall ({'corpus' if real else 'hand-written'}): {found}/{total} = {recall:.3f}"
    )
    assert total >= 10  # the counter itself found the reply lines
    assert recall >= 0.95


# -- robustness ---------------------------------------------------------------------------------
# Random and mutated input for every parser: tests/unit/parsing/test_parser_robustness.py.


def test_huge_and_binary_lines_do_not_raise() -> None:
    parser = ExchangeParser(path="RECV20240101-1.LOG")
    parser.feed("#Log-type: SMTP Receive Protocol Log", 1)
    big = "2024-01-01T00:00:00.000Z,EX1,08DA,1,a:25,b:1,>,550 " + "x" * 10_000_000 + ","
    [ev] = parser.feed(big, 2) or []
    assert ev.code == "550"
    assert parser.feed("\x00\xff\ufffd,,,,,,,,", 3) is None


# -- detect -------------------------------------------------------------------------------------


def head(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()[:20]


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_detect_own_logs_high(path: Path) -> None:
    assert ExchangeParser.detect(head(path), str(path)) >= 0.8
    assert ExchangeParser.detect(head(path), None) >= 0.5
    assert MDaemonParser.detect(head(path), str(path)) < 0.3


@pytest.mark.parametrize(
    "name", ["MSGTRK20240312-1.LOG", "RECV20240312-1.LOG", "SEND20240312-1.LOG"]
)
def test_detect_from_file_name(name: str) -> None:
    assert ExchangeParser.detect([], f"/mnt/exchange/logs/{name}") >= 0.8
    assert ExchangeParser.detect([], "/var/log/mail.log") == 0.0


def test_registered_and_picked_by_the_registry() -> None:
    reg = Registry.load()
    assert reg.get("exchange") is ExchangeParser
    assert reg.detect(head(EXCHANGE / "MSGTRK20240312-1.LOG"), None) is ExchangeParser
    assert reg.detect(head(EXCHANGE / "SEND20240312-1.LOG"), "SEND20240312-1.LOG") is ExchangeParser


@pytest.mark.parametrize(
    "module",
    [
        parsers.exchange,
        parsers.exchange_protocol,
        parsers.exchange_smtpsvc,
        parsers.exchange_tracking,
        logscan.parsing.smtp_dialogue,
    ],
)
def test_module_docstring_examples(module: object) -> None:
    result = doctest.testmod(module)  # type: ignore[arg-type]
    assert result.attempted > 0
    assert result.failed == 0


# -- Exchange Online message trace export (issue 12) -------------------------------------------

# The columns of Exchange Online's "message trace details" (historical search) CSV export, as
# Microsoft's CSS-Exchange Measure-EmailDelayInMTL.ps1 checks them: the on-premises tracking
# fields with "_" for "-" and date_time_utc for date-time. The rows are built from that
# layout (no real export is public); every value is quoted as the export writes it.
EXO_COLUMNS = [
    "date_time_utc",
    "client_ip",
    "client_hostname",
    "server_ip",
    "server_hostname",
    "source_context",
    "connector_id",
    "source",
    "event_id",
    "internal_message_id",
    "message_id",
    "network_message_id",
    "recipient_address",
    "recipient_status",
    "total_bytes",
    "recipient_count",
    "related_recipient_address",
    "reference",
    "message_subject",
    "sender_address",
    "return_path",
    "message_info",
    "directionality",
    "tenant_id",
    "original_client_ip",
    "original_server_ip",
    "custom_data",
    "transport_traffic_type",
    "log_id",
    "schema_version",
]


def _exo_row(**values: str) -> str:
    return ",".join(f'"{values.get(k, "")}"' for k in EXO_COLUMNS)


def test_exchange_online_message_trace_csv() -> None:
    from logscan.classify.classifier import Classifier

    lines = [
        ",".join(f'"{k}"' for k in EXO_COLUMNS),
        _exo_row(
            date_time_utc="2023-03-01T10:00:01.1234567Z",
            server_ip="192.0.2.10",
            server_hostname="mx.example.net",
            source="SMTP",
            event_id="SENDEXTERNAL",
            recipient_address="a@example.net",
            recipient_status="250 2.6.0 <m@x> Queued mail for delivery",
            sender_address="me@contoso.com",
        ),
        _exo_row(
            date_time_utc="2023-03-01T10:00:02.1Z",
            source="SMTP",
            event_id="FAIL",
            recipient_address="b@example.net",
            recipient_status="550 5.1.1 RESOLVER.ADR.RecipNotFound; not found",
        ),
        _exo_row(
            date_time_utc="2023-03-01T10:00:03.1Z",
            source="STOREDRIVER",
            event_id="DELIVER",
            recipient_address="c@contoso.com",
        ),
        _exo_row(date_time_utc="2023-03-01T10:00:04.1Z", source="AGENT", event_id="AGENTINFO"),
    ]
    assert ExchangeParser.detect(lines, "MessageTrace_Details.csv") == 1.0
    p = ExchangeParser("MessageTrace_Details.csv")
    events = [ev for i, line in enumerate(lines, 1) for ev in p.feed(line, i) or []]
    clf = Classifier.load()
    got = [
        (
            e.line,
            e.status,
            e.code,
            e.recipient,
            e.remote_host,
            clf.classify_event(e).verdict.category,
        )
        for e in events
    ]
    assert got == [
        (2, "sent", "250", "a@example.net", "mx.example.net", "delivered"),
        (3, "bounced", "550", "b@example.net", None, "mailbox-unknown"),
        (4, "sent", None, "c@contoso.com", None, "delivered"),
    ]
    assert events[0].ts == "2023-03-01T10:00:01.1234567Z"
