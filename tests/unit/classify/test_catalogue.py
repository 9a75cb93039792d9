"""The reply-code catalogue (rules/catalogue.toml): coverage, consistency and categories.

The lists of codes to cover come from the reference tables copied into tests/data/reference/
(provenance in tests/data/SOURCES.md); the seed's codes are listed below.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest

from logscan.classify.catalogue import Catalogue, Entry
from logscan.classify.classifier import Classifier
from logscan.classify.rule_files import builtin_rules_dir, load_rule_files
from logscan.core.categories import CATEGORY_SET
from logscan.core.event import STAGES
from tests.helpers.paths import DATA as TEST_DATA

DATA = TEST_DATA / "reference"

# Every reply code the seed document (seeds/000_7a6c0a3b773a9c56.txt) lists, in its order.
SEED_CODES = [
    "101",
    "211",
    "214",
    "220",
    "221",
    "250",
    "251",
    "252",
    "354",
    "421",
    "422",
    "431",
    "432",
    "441",
    "442",
    "446",
    "447",
    "449",
    "450",
    "451",
    "452",
    "465",
    "471",
    "500",
    "501",
    "502",
    "503",
    "504",
    "510",
    "511",
    "512",
    "513",
    "523",
    "550",
    "551",
    "552",
    "553",
    "554",
]
# The seed's codes that are really enhanced codes written without dots (reference README,
# caveat 1), plus Exchange's 449 and 432 in its Exchange reading.
SHORTHANDS = [
    "422",
    "431",
    "432",
    "441",
    "442",
    "446",
    "447",
    "449",
    "465",
    "471",
    "510",
    "511",
    "512",
    "513",
    "523",
]
# The AUTH (RFC 4954) and STARTTLS (RFC 3207) replies.
AUTH_TLS_CODES = ["220", "235", "334", "432", "454", "500", "501", "530", "534", "535", "538"]
SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z])")


def _rows(name: str) -> list[dict[str, str]]:
    with open(DATA / name, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


BASIC_ROWS = _rows("basic-codes.csv")
ENHANCED_ROWS = _rows("enhanced-codes.csv")
DETAIL_ROWS = [r for r in ENHANCED_ROWS if re.fullmatch(r"x\.\d+\.\d+", r["code"])]
SUBJECT_ROWS = [r for r in ENHANCED_ROWS if re.fullmatch(r"x\.\d+\.x", r["code"])]


@pytest.fixture(scope="module")
def cat() -> Catalogue:
    return Catalogue.from_files(load_rule_files())


def _all_entries(cat: Catalogue) -> list[tuple[str, Entry]]:
    return [
        (f"{table}.{key}", entry)
        for table, section in (
            ("basic", cat.basic),
            ("enhanced", cat.enhanced),
            ("class", cat.classes),
        )
        for key, entry in section.items()
    ]


def _shingles(text: str, n: int = 6) -> set[tuple[str, ...]]:
    words = re.findall(r"[a-z0-9]+", text.lower())
    return {tuple(words[i : i + n]) for i in range(len(words) - n + 1)}


# -- loading and shape -----------------------------------------------------------------------


def test_reference_tables_are_complete() -> None:
    # Guards the fixtures themselves: a truncated copy would make the coverage tests vacuous.
    assert len(BASIC_ROWS) == 49
    assert len(DETAIL_ROWS) == 82 and len(SUBJECT_ROWS) == 8


def test_catalogue_file_loads_with_classes(cat: Catalogue) -> None:
    assert (builtin_rules_dir() / "catalogue.toml").is_file()
    assert set(cat.classes) >= {"2", "3", "4", "5"}
    assert cat.class_entry("2").category == "delivered"  # type: ignore[union-attr]


def test_every_entry_is_complete_and_concise(cat: Catalogue) -> None:
    for where, entry in _all_entries(cat):
        assert entry.category in CATEGORY_SET, where
        for text in (entry.meaning, entry.action):
            sentences = [s for s in SENTENCE_END.split(text) if s]
            assert 1 <= len(sentences) <= 2, (where, text)
            assert len(text) <= 260, (where, text)


def test_by_stage_uses_only_contract_stages(cat: Catalogue) -> None:
    for where, entry in _all_entries(cat):
        assert set(entry.by_stage) <= set(STAGES), where


def test_wording_is_not_copied_from_the_reference_table(cat: Catalogue) -> None:
    reference = set().union(*(_shingles(r["meaning"]) for r in BASIC_ROWS + ENHANCED_ROWS))
    for where, entry in _all_entries(cat):
        shared = _shingles(f"{entry.meaning} {entry.action}") & reference
        assert not shared, (where, [" ".join(s) for s in shared])


# -- basic codes -----------------------------------------------------------------------------


@pytest.mark.parametrize("row", BASIC_ROWS, ids=lambda r: r["code"])
def test_every_reference_basic_code_has_an_entry(cat: Catalogue, row: dict[str, str]) -> None:
    entry = cat.basic_entry(row["code"])
    assert entry is not None
    assert entry.meaning and entry.action and entry.source
    assert entry.standard == (row["rfc_status"] == "standard")


@pytest.mark.parametrize("code", sorted(set(SEED_CODES) | set(AUTH_TLS_CODES) | {"521", "556"}))
def test_seed_rfc7504_auth_and_tls_codes_have_entries(cat: Catalogue, code: str) -> None:
    entry = cat.basic_entry(code)
    assert entry is not None and entry.meaning and entry.action


@pytest.mark.parametrize("code", SHORTHANDS)
def test_seed_shorthands_point_to_their_enhanced_code(cat: Catalogue, code: str) -> None:
    entry = cat.basic_entry(code)
    assert entry is not None and entry.likely_enhanced is not None
    # "422" stands for "4.2.2": the same digits with dots, in the same class.
    assert entry.likely_enhanced.replace(".", "") == code
    assert cat.enhanced_entry(entry.likely_enhanced) is not None


def test_non_standard_codes_are_marked(cat: Catalogue) -> None:
    non_standard = {code for code, e in cat.basic.items() if not e.standard}
    assert set(SHORTHANDS) - {"432"} <= non_standard
    assert "101" in non_standard and "432" not in non_standard  # 432 is RFC 4954's
    assert cat.basic["101"].likely_enhanced is None  # no enhanced code has class 1


def test_standard_entries_cite_an_rfc(cat: Catalogue) -> None:
    for code, entry in cat.basic.items():
        if entry.standard:
            assert "RFC" in entry.source, code


@pytest.mark.parametrize(
    ("code", "phrase"),
    [
        ("432", "Exchange"),  # RFC 4954 password transition vs the seed's queue stop
        ("552", "too many recipients"),  # RFC 5321 4.5.3.1.10: transient in that case
        ("422", "x.7.12"),
        ("523", "x.7.10"),
        ("421", "4.2.1"),  # the seed's dotted alias is wrong
    ],
)
def test_caveats_are_noted(cat: Catalogue, code: str, phrase: str) -> None:
    assert phrase in cat.basic[code].note


# -- enhanced codes --------------------------------------------------------------------------


@pytest.mark.parametrize("row", DETAIL_ROWS, ids=lambda r: r["code"])
def test_every_registry_detail_resolves_to_its_own_entry(
    cat: Catalogue, row: dict[str, str]
) -> None:
    key = row["code"]
    for digit in "245":
        code = digit + key[1:]
        entry = cat.enhanced_entry(code)
        assert entry is not None and entry.key == key, code
        assert cat.is_registered_enhanced(code)
    entry = cat.enhanced[key]
    assert entry.meaning and entry.action and entry.source
    if key == "x.4.8":
        assert entry.name.startswith("Retry on IPv4") and "Not in the IANA registry" in entry.note
    else:
        assert entry.name == row["detail_name"]


@pytest.mark.parametrize("row", SUBJECT_ROWS, ids=lambda r: r["code"])
def test_unknown_details_fall_back_to_their_subject(cat: Catalogue, row: dict[str, str]) -> None:
    subject = row["code"].split(".")[1]
    code = f"5.{subject}.999"
    entry = cat.enhanced_entry(code)
    assert entry is not None and entry.key == row["code"]
    assert not cat.is_registered_enhanced(code)
    assert entry.name == row["subject"]


def test_entries_that_decide_nothing_are_unknown(cat: Catalogue) -> None:
    assert cat.enhanced["x.0.0"].category == "unknown"
    assert cat.enhanced["x.0.x"].category == "unknown"
    for key in ("x.1.5", "x.3.6", "x.6.4"):  # success or warning reports, never a failure reason
        assert cat.enhanced[key].category == "unknown", key


@pytest.mark.parametrize(
    ("key", "category", "transient"),
    [
        ("x.1.1", "mailbox-unknown", "mailbox-unknown"),
        ("x.1.2", "bad-domain", "dns-failure"),
        ("x.1.3", "bad-address", "bad-address"),
        ("x.2.1", "mailbox-disabled", "rate-limited"),
        ("x.2.2", "mailbox-full", "mailbox-full"),
        ("x.2.3", "message-too-large", "message-too-large"),
        ("x.3.2", "service-unavailable", "service-unavailable"),
        ("x.3.4", "message-too-large", "message-too-large"),
        ("x.4.3", "dns-failure", "dns-failure"),
        ("x.4.6", "routing", "routing"),
        ("x.5.3", "rate-limited", "rate-limited"),
        ("x.7.1", "policy-rejected", "policy-rejected"),
        ("x.7.8", "auth-failed", "auth-failed"),
        ("x.7.10", "tls-required", "tls-required"),
        ("x.7.26", "sender-auth-failed", "sender-auth-failed"),
        ("x.7.28", "spam-rejected", "rate-limited"),
        ("x.7.x", "policy-rejected", "rate-limited"),
    ],
)
def test_enhanced_categories(cat: Catalogue, key: str, category: str, transient: str) -> None:
    entry = cat.enhanced[key]
    assert entry.category_for("permanent", None) == category
    assert entry.category_for("transient", None) == transient


def test_sender_authentication_codes_share_one_category(cat: Catalogue) -> None:
    for detail in range(20, 28):
        assert cat.enhanced[f"x.7.{detail}"].category == "sender-auth-failed", detail


@pytest.mark.parametrize(
    ("key", "phrase"),
    [
        ("x.4.1", "Directory-Based Edge Blocking"),
        ("x.7.27", "Gmail"),
        ("x.7.29", "Gmail"),
        ("x.7.30", "Gmail"),
        ("x.7.x", "5.7.350"),
        ("x.2.2", "5.2.2"),
        ("x.1.10", "null"),
    ],
)
def test_provider_collisions_are_noted(cat: Catalogue, key: str, phrase: str) -> None:
    assert phrase in cat.enhanced[key].note


# -- through the real classifier -------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "enhanced", "stage", "category", "rule"),
    [
        ("550", "5.1.1", None, "mailbox-unknown", "enhanced:5.1.1"),
        ("250", None, "rcpt", "info", "basic:250"),
        ("250", "2.1.5", "rcpt", "info", "basic:250"),
        ("250", "2.0.0", "end-of-data", "delivered", "basic:250"),
        (None, "2.0.0", None, "delivered", "class:success"),
        ("354", None, "data", "info", "basic:354"),
        ("421", None, "connect", "service-unavailable", "basic:421"),
        ("421", "4.3.2", None, "service-unavailable", "enhanced:4.3.2"),
        ("530", "5.7.0", "mail", "auth-required", "basic:530"),
        ("535", "5.7.8", "auth", "auth-failed", "enhanced:5.7.8"),
        ("535", "5.7.3", "auth", "auth-failed", "basic:535"),  # Microsoft's wording
        ("432", None, "auth", "auth-failed", "basic:432"),
        ("504", "5.7.4", "auth", "auth-failed", "enhanced:5.7.4"),  # Exchange
        ("530", "5.7.4", "mail", "tls-required", "enhanced:5.7.4"),
        ("454", "4.7.0", "starttls", "tls-required", "basic:454"),
        ("452", "4.5.3", "rcpt", "rate-limited", "enhanced:4.5.3"),
        ("451", "4.4.3", None, "dns-failure", "enhanced:4.4.3"),
        ("450", "4.1.2", "rcpt", "dns-failure", "enhanced:4.1.2"),
        ("550", "5.1.2", "rcpt", "bad-domain", "enhanced:5.1.2"),
        ("450", "4.2.2", "rcpt", "mailbox-full", "enhanced:4.2.2"),
        ("552", "5.2.2", "rcpt", "mailbox-full", "enhanced:5.2.2"),
        ("552", "5.3.4", "end-of-data", "message-too-large", "enhanced:5.3.4"),
        ("552", None, "rcpt", "mailbox-full", "basic:552"),
        ("552", None, "end-of-data", "message-too-large", "basic:552"),
        ("550", "5.7.26", None, "sender-auth-failed", "enhanced:5.7.26"),
        ("550", "5.0.0", "rcpt", "mailbox-unknown", "basic:550"),  # x.0.0 defers to the code
        ("451", "4.0.0", None, "server-error", "basic:451"),
        ("550", "5.7.350", None, "policy-rejected", "enhanced:5.7.350"),  # subject fallback
        ("451", "4.7.650", None, "rate-limited", "enhanced:4.7.650"),
        ("501", None, "rcpt", "bad-address", "basic:501"),
        ("501", None, "helo", "protocol", "basic:501"),
        ("554", None, "connect", "service-unavailable", "basic:554"),
        ("554", None, "end-of-data", "policy-rejected", "basic:554"),
        ("511", None, None, "mailbox-unknown", "basic:511"),
        ("422", None, None, "mailbox-full", "basic:422"),
        (None, "4.4.7", None, "network", "enhanced:4.4.7"),
    ],
)
def test_classifier_uses_the_catalogue(
    clf: Classifier,
    code: str | None,
    enhanced: str | None,
    stage: str | None,
    category: str,
    rule: str,
) -> None:
    verdict = clf.classify(code, enhanced, None, stage=stage)
    assert (verdict.category, verdict.rule) == (category, rule)
    assert verdict.meaning and verdict.action


def test_101_is_a_local_connection_failure_without_class(clf: Classifier) -> None:
    verdict = clf.classify("101", None, None)
    assert (verdict.class_, verdict.category) == (None, "network")


def test_every_catalogued_basic_code_classifies_to_a_category(
    cat: Catalogue, clf: Classifier
) -> None:
    # Without text or enhanced code, each failure code must still decide something, except a
    # bare 450: busy mailbox, soft policy block or greylisting cannot be told apart from the code.
    undecidable = {"450"}
    for code in cat.basic:
        verdict = clf.classify(code, None, None)
        assert (verdict.category == "unknown") == (code in undecidable), code
        assert verdict.meaning == cat.basic[code].meaning


def test_status_and_inferred_entries(tmp_path: Path) -> None:
    """``[status."sent"]`` and ``inferred_category`` are data, checked like the rest."""
    from logscan.classify.rule_files import RuleError, RuleFile

    cat = Catalogue.from_files(load_rule_files())
    sent = cat.status_entry("sent")
    assert sent is not None and sent.category == "delivered"
    assert cat.status_entry("deferred") is None
    basic = cat.basic_entry("550")
    assert basic is not None and basic.category_for("permanent", "rcpt") == "mailbox-unknown"
    assert basic.category_for("permanent", "rcpt", inferred=True) == "policy-rejected"
    bad_status = {"status": {"queued": {"category": "info", "meaning": "m", "action": "a"}}}
    with pytest.raises(RuleError, match="queued"):
        Catalogue.from_files([RuleFile(tmp_path / "x.toml", bad_status, False)])
    bad_inferred = {
        "basic": {
            "550": {"category": "unknown", "meaning": "m", "action": "a", "inferred_category": "x"}
        }
    }
    with pytest.raises(RuleError, match="unknown category"):
        Catalogue.from_files([RuleFile(tmp_path / "x.toml", bad_inferred, False)])
