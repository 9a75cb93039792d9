"""The one SMTP vocabulary (logscan/core/smtp.py) and every module that reads or checks codes.

Issue 13: the reply-code grammar was defined about 14 times with ranges that disagreed (1xx read
as a reply by some, refused by others; ``\\d`` taking other scripts' digits). Each property below
feeds the same generated values to every place that decides "is this a code?" and requires the
same answer from all of them. Stages: test_command_stages.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from logscan.classify.catalogue import Catalogue
from logscan.classify.classifier import Classifier
from logscan.classify.rule_files import RuleError, RuleFile, load_rule_files
from logscan.classify.signatures import Signatures
from logscan.cli.explain import BadInput, explain
from logscan.core.smtp import (
    CLASSES,
    CODE_NOTATION_RE,
    REPLY_CODES,
    class_of,
    is_enhanced_code,
    is_reply_code,
    is_standard_reply_code,
)
from logscan.parsing.reply import enhanced_in_text, leading_code, parse_reply
from logscan.parsing.smtp_dialogue import Dialogue, reply_start
from logscan.sinks.alerting.filter_language import ExpressionError, Filter
from logscan.sinks.labels import canonical_enhanced
from logscan.sinks.report.normalised_text import normalise
from parsers.exchange_smtpsvc import SmtpSvcLog
from parsers.postfix import PostfixParser
from parsers.postfix.replies import reply_enhanced
from parsers.sendmail import SendmailParser

ASCII_DIGITS = "0123456789"
# Three characters shaped like a code: ASCII digits mostly, now and then another script's digit.
code_chars = st.text(alphabet=ASCII_DIGITS + "٥۵०", min_size=3, max_size=3)
three_digits = st.text(alphabet=ASCII_DIGITS, min_size=3, max_size=3)


def _expected_reply_code(code: str) -> bool:
    return code.isascii() and code.isdigit() and code[0] in "2345"


def _expected_enhanced(cls: str, subject: str, detail: str) -> bool:
    return cls in "245" and 1 <= len(subject) <= 3 and 1 <= len(detail) <= 3


@pytest.fixture(scope="module")
def classifier() -> Classifier:
    return Classifier.load()


# --- the grammar itself -----------------------------------------------------------------------


def test_reply_codes_are_the_first_digits_two_to_five() -> None:
    assert len(REPLY_CODES) == 400
    assert all(_expected_reply_code(c) for c in REPLY_CODES)


@pytest.mark.parametrize(
    ("code", "reply", "standard", "notation"),
    [
        ("250", True, True, True),
        ("559", True, True, True),
        # Exim sends an ACL's "599 Main code" as written (tests/data/exim): a reply as logged,
        # outside RFC 5321's grammar.
        ("599", True, False, True),
        ("260", True, False, True),
        ("471", True, False, True),  # the catalogue's dotless 4.7.1
        ("101", False, False, True),  # a client's own "cannot connect": explained, never read
        ("199", False, False, True),
        ("600", False, False, False),
        ("055", False, False, False),
        ("5٥0", False, False, False),  # another script's digit
        ("55", False, False, False),
        ("5500", False, False, False),
    ],
)
def test_reply_code_cases(code: str, reply: bool, standard: bool, notation: bool) -> None:
    assert is_reply_code(code) is reply
    assert is_standard_reply_code(code) is standard
    assert (CODE_NOTATION_RE.fullmatch(code) is not None) is notation


@given(code=three_digits)
def test_standard_codes_are_reply_codes_are_notation(code: str) -> None:
    if is_standard_reply_code(code):
        assert is_reply_code(code)
    if is_reply_code(code):
        assert CODE_NOTATION_RE.fullmatch(code)
    assert is_standard_reply_code(code) == (code[0] in "2345" and code[1] in "012345")


@pytest.mark.parametrize(
    ("code", "valid"),
    [
        ("5.7.1", True),
        ("4.7.650", True),
        ("2.0.0", True),
        ("5.01.001", True),  # leading zeros: RFC 3463 counts digits, not values
        ("5.7.1000", False),  # a detail of four digits
        ("5.1000.1", False),
        ("3.0.0", False),  # no class 3 in RFC 3463
        ("1.0.1", False),
        ("5.7", False),
        ("5.7.", False),
        ("5.٧.1", False),
        (" 5.7.1", False),
    ],
)
def test_enhanced_code_cases(code: str, valid: bool) -> None:
    assert is_enhanced_code(code) is valid


def test_classes() -> None:
    assert [class_of(c) for c in ("250", "354", "451", "550", "5.7.1", "101", None, "")] == [
        "success",
        "intermediate",
        "transient",
        "permanent",
        "permanent",
        None,
        None,
        None,
    ]
    assert set(CLASSES) == {"2", "3", "4", "5"}


# --- every reader of a code agrees with the grammar ------------------------------------------


@settings(max_examples=300, deadline=None)
@given(code=code_chars, sep=st.sampled_from([" ", "-", ""]))
def test_every_reader_of_a_leading_code_agrees(code: str, sep: str) -> None:
    text = f"{code}{sep}" + ("Requested action not taken" if sep else "")
    want = code if _expected_reply_code(code) else None
    assert leading_code(text) == want
    assert parse_reply(text).code == want
    assert parse_reply(f"  {text}").code == want
    start = reply_start(text)
    assert (start[0] if start else None) == want
    # scan's reject detail keeps a reply code and masks any other number
    assert normalise(text).startswith(code) == (want is not None)


@settings(max_examples=200, deadline=None)
@given(code=code_chars)
def test_parsers_read_the_codes_the_grammar_reads(code: str) -> None:
    want = code if _expected_reply_code(code) else None
    postfix = PostfixParser("mail.log", year=2024).feed(
        "Nov 29 00:00:02 mx1 postfix/smtp[8]: 1BB92DC6C1: to=<c@d.example>, "
        "relay=mx.d.example[192.0.2.7]:25, delay=1, delays=0.5/0/0.4/0.1, dsn=5.0.0, "
        f"status=bounced (host mx.d.example[192.0.2.7] said: {code} No "
        "(in reply to RCPT TO command))",
        1,
    )
    assert postfix is not None
    assert [e.code for e in postfix] == [want]
    svc = SmtpSvcLog("ex061009.log").feed(
        "2006-10-09 14:04:46 192.0.2.7 - SMTPSVC1 MX1 192.0.2.1 0 RCPT "
        f"+TO:<a@example.com> - {code} 0 32 23 0 SMTP - - - -",
        1,
    )
    assert [e.code for e in svc or []] == ([want] if want else [])
    sendmail = SendmailParser("maillog", year=2024).feed(
        "Mar  1 10:00:00 mx sm-mta[99]: x21A00aa000001: to=<a@example.org>, delay=00:00:01, "
        f"mailer=esmtp, pri=1, relay=mx.example.org. [192.0.2.5], dsn=5.0.0, stat=Service "
        f"unavailable: {code} 5.7.1 Go away",
        1,
    )
    assert [e.code for e in sendmail or []] == [want]


def _dialogue_code(code: str) -> str | None:
    d = Dialogue(stage="connect")
    d.command("MAIL FROM:<a@example.com>")
    reply = d.reply_line(f"{code} ok", 1)
    return reply.code if reply else None


@settings(max_examples=200, deadline=None)
@given(code=code_chars)
def test_protocol_log_dialogues_read_the_codes_the_grammar_reads(code: str) -> None:
    assert _dialogue_code(code) == (code if _expected_reply_code(code) else None)


@settings(max_examples=200, deadline=None)
@given(code=code_chars)
def test_alert_filters_accept_the_codes_events_can_hold(code: str) -> None:
    try:
        Filter.parse(f'code == "{code}"')
    except ExpressionError:
        accepted = False
    else:
        accepted = True
    assert accepted == _expected_reply_code(code)


@settings(max_examples=100, deadline=None)
@given(code=three_digits)
def test_explain_takes_what_people_write_and_the_catalogue_knows(
    classifier: Classifier, code: str
) -> None:
    known = classifier.catalogue.basic_entry(code) is not None
    try:
        answer = explain(classifier, [code])
    except BadInput:
        assert not known
    else:
        assert known and answer.code == code


def test_explain_reads_a_pasted_line_that_starts_with_a_number_people_meet(
    classifier: Classifier,
) -> None:
    # No server sends 101 (parse_reply reads no code), but a desktop client shows it.
    assert parse_reply("101 Cannot open connection").code is None
    answer = explain(classifier, ["101 Cannot open connection"])
    assert (answer.code, answer.verdict.category) == ("101", "network")


# --- enhanced codes -------------------------------------------------------------------------

enhanced_parts = st.tuples(
    st.sampled_from("0123456789"),
    st.text(alphabet=ASCII_DIGITS, min_size=1, max_size=4),
    st.text(alphabet=ASCII_DIGITS, min_size=1, max_size=4),
)


@settings(max_examples=300, deadline=None)
@given(parts=enhanced_parts)
def test_every_reader_of_an_enhanced_code_agrees(
    classifier: Classifier, parts: tuple[str, str, str]
) -> None:
    code = ".".join(parts)
    valid = _expected_enhanced(*parts)
    assert is_enhanced_code(code) is valid
    want = code if valid else None
    reply = f"550 {code} Delivery not authorized"
    assert enhanced_in_text(reply) == want
    assert parse_reply(reply).enhanced == want
    assert reply_enhanced(reply) == want
    assert (canonical_enhanced(code) is not None) is valid
    if not valid:
        assert classifier.catalogue.enhanced_entry(code) is None
    try:
        Filter.parse(f'enhanced == "{code}"')
    except ExpressionError:
        assert not valid
    else:
        assert valid


@settings(max_examples=100, deadline=None)
@given(parts=enhanced_parts)
def test_parsers_keep_only_well_formed_dsn_fields(parts: tuple[str, str, str]) -> None:
    code = ".".join(parts)
    want = code if _expected_enhanced(*parts) else None
    [sendmail] = (
        SendmailParser("maillog", year=2024).feed(
            "Mar  1 10:00:00 mx sm-mta[99]: x21A00aa000001: to=<a@example.org>, delay=00:00:01, "
            f"mailer=esmtp, pri=1, relay=mx.example.org. [192.0.2.5], dsn={code}, "
            "stat=Deferred: Connection refused by mx.example.org.",
            1,
        )
        or []
    )
    assert sendmail.enhanced == want
    [postfix] = (
        PostfixParser("mail.log", year=2024).feed(
            "Nov 29 00:00:02 mx1 postfix/smtp[8]: 1BB92DC6C1: to=<c@d.example>, "
            "relay=none, delay=1, delays=0.5/0/0.4/0.1, "
            f"dsn={code}, status=deferred (connect to mx.d.example[192.0.2.7]:25: "
            "Connection refused)",
            1,
        )
        or []
    )
    assert postfix.enhanced == want


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("550 5.7.1000 Too long a detail", None),  # not 5.7.100
        ("550 15.7.1 part of a longer number", None),
        ("550 5.1.1.2 a version, not a code", None),
        ("550 sorry (#5.1.1 - chkusr)", "5.1.1"),  # qmail
        ("550 5.1.1. Sentence ends", "5.1.1"),
    ],
)
def test_enhanced_codes_in_text(text: str, found: str | None) -> None:
    assert enhanced_in_text(text) == found


def test_signature_conditions_take_well_formed_enhanced_codes_only() -> None:
    def load(enhanced: str) -> None:
        sig = {"id": "t", "codes": ["550"], "category": "policy-rejected", "enhanced": [enhanced]}
        Signatures.from_files([RuleFile(Path("extra.toml"), {"signature": [sig]}, False)])

    load("5.7.1")
    load("x.7.606-x.7.649")
    for bad in ("5.7.1000", "3.7.1", "5.7.1-4.7.2"):
        with pytest.raises(RuleError):
            load(bad)


# --- the catalogue ------------------------------------------------------------------------------


def test_catalogue_marks_every_code_outside_the_grammar_non_standard() -> None:
    catalogue = Catalogue.from_files(load_rule_files())
    outside = [k for k in catalogue.basic if not is_standard_reply_code(k)]
    assert {"101", "465", "471"} <= set(outside)
    assert all(not catalogue.basic[k].standard for k in outside), outside
    assert set(catalogue.classes) <= set(CLASSES)
