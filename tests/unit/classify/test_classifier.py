"""The classifier's precedence and the rule loader's errors, on the real built-in rules."""

from __future__ import annotations

from pathlib import Path

import pytest

from logscan.classify.classifier import Classifier
from logscan.classify.rule_files import RuleError
from logscan.parsing.registry import Registry
from tests.helpers.paths import DATA


@pytest.fixture(scope="module")
def clf() -> Classifier:
    return Classifier.load()


def test_text_signature_beats_enhanced_and_basic(clf: Classifier) -> None:
    text = "550 5.1.1 Client host [192.0.2.1] blocked using zen.spamhaus.org"
    v = clf.classify("550", "5.1.1", text)
    assert v.category == "blocklisted"
    assert v.rule.startswith("signature:")


def test_enhanced_beats_basic(clf: Classifier) -> None:
    v = clf.classify("550", "5.7.1", "550 5.7.1 not today")
    assert v.rule == "enhanced:5.7.1"
    assert v.category == "policy-rejected"


def test_class_comes_from_enhanced_when_no_basic_code(clf: Classifier) -> None:
    assert clf.classify(None, "4.2.2", None).class_ == "transient"
    assert clf.classify(None, None, None).class_ is None


def test_stage_decides_what_a_250_means(clf: Classifier) -> None:
    assert clf.classify("250", None, "250 2.1.5 Ok", stage="rcpt").category == "info"
    assert clf.classify("250", None, "250 2.0.0 Ok: queued", stage="end-of-data").category == (
        "delivered"
    )


def test_provider_from_remote_host_suffix(clf: Classifier) -> None:
    v = clf.classify("250", None, "250 ok", remote_host="gmail-smtp-in.l.google.com")
    assert v.provider == "google"
    assert clf.classify("250", None, "250 ok", remote_host="notgoogle.com").provider is None


def test_memo_is_bounded(clf: Classifier) -> None:
    for i in range(20000):
        clf.classify("550", None, f"550 unique text {i}")
    assert len(clf._memo) <= 16384


def write(tmp_path: Path, name: str, text: str) -> Path:
    d = tmp_path / "rules.d"
    d.mkdir(exist_ok=True)
    (d / name).write_text(text)
    return d


def test_operator_rules_override_catalogue_and_add_signatures(tmp_path: Path) -> None:
    d = write(
        tmp_path,
        "local.toml",
        """
[basic."550"]
category = "policy-rejected"
meaning = "Our smarthost uses 550 for policy."
action = "Ask the smarthost team."

[[signature]]
id = "local-acme-block"
pattern = 'ACME-BLOCK-\\d+'
category = "blocklisted"
blocklist = "acme:internal"
examples = ["550 ACME-BLOCK-17 go away"]
""",
    )
    clf = Classifier.load([d])
    assert clf.classify("550", None, "550 nope").meaning == "Our smarthost uses 550 for policy."
    v = clf.classify("550", None, "550 ACME-BLOCK-17 go away")
    assert (v.category, v.blocklist) == ("blocklisted", "acme:internal")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[basic.550\ncategory = 1", "local.toml: "),
        ('[basic."550"]\ncategory = "nonsense"\nmeaning = "m"\naction = "a"', "unknown category"),
        ('[[signature]]\nid = "x"\npattern = "(unclosed"\ncategory = "unknown"', "column 0"),
        ('[[signature]]\nid = "x"\npattern = "y"', "sets nothing"),
        ('[basic."abc"]\ncategory = "unknown"\nmeaning = "m"\naction = "a"', "malformed code"),
    ],
    ids=["toml-syntax", "bad-category", "bad-regex", "no-effect", "bad-code"],
)
def test_broken_rules_name_the_file_and_the_fault(tmp_path: Path, text: str, expected: str) -> None:
    d = write(tmp_path, "local.toml", text)
    with pytest.raises(RuleError) as err:
        Classifier.load([d])
    assert "local.toml" in str(err.value)
    assert expected in str(err.value)


def test_toml_syntax_error_names_the_line(tmp_path: Path) -> None:
    d = write(tmp_path, "local.toml", '# ok\n\n[basic."550"\n')
    with pytest.raises(RuleError, match=r"local\.toml: .*line 3"):
        Classifier.load([d])


def test_invalid_utf8_rule_file_names_the_line(tmp_path: Path) -> None:
    d = tmp_path / "rules.d"
    d.mkdir()
    (d / "bad.toml").write_bytes(b"# fine\n# \xff\xfe\n")
    with pytest.raises(RuleError, match=r"bad\.toml:2: not valid UTF-8"):
        Classifier.load([d])


def test_missing_operator_dir_is_fine(tmp_path: Path) -> None:
    assert Classifier.load([tmp_path / "absent"]).catalogue.basic


def _fixture_replies() -> list[tuple[str | None, str | None, str]]:
    """Every reply text of the Sisimai corpus, with its code and enhanced code."""
    rows = []
    path = DATA / "sisimai" / "replies.tsv"
    for line in path.read_text().splitlines()[1:]:
        _, code, status, _, text = line.split("\t", 4)
        rows.append((code or None, status or None, text))
    return rows


def test_an_address_can_name_the_provider() -> None:
    """Why the memo keys on the exact text: masking addresses would merge these two."""
    clf = Classifier.load()
    text = "554 5.7.1 <dave81@{}>: Relay access denied"
    assert clf.classify("554", "5.7.1", text.format("orange.fr")).provider == "orange"
    assert clf.classify("554", "5.7.1", text.format("example.jp")).provider is None


def _fixture_events() -> list[tuple[str | None, str | None, str, str | None, str | None]]:
    """(code, enhanced, text, remote host, stage) of every event in the real fixture logs."""
    registry = Registry.load()
    out = []
    for path in sorted((DATA).rglob("*.log")):
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
        cls = registry.detect(lines[:50], str(path))
        if cls is None:
            continue
        parser = cls(str(path), year=2024)
        for lineno, text in enumerate(lines, 1):
            for ev in parser.feed(text, lineno) or []:
                if ev.text:
                    out.append((ev.code, ev.enhanced, ev.text, ev.remote_host, ev.stage))
    return out


def test_memos_never_change_a_verdict() -> None:
    """Every memo path (exact, address-masked, textless) gives what a fresh decision gives.

    Over every reply of the fixture logs and the Sisimai corpus, with hosts of named providers
    and none, classified twice (the second time from the memo) against ``_decide``, which no
    memo touches.
    """
    memo, fresh = Classifier.load(), Classifier.load()
    replies = {(c, e, t, h, s) for c, e, t, h, s in _fixture_events()}
    for code, enhanced, text in _fixture_replies():
        for host in (None, "gmail-smtp-in.l.google.com", "mx.example.mail.protection.outlook.com"):
            for stage in (None, "rcpt", "end-of-data"):
                replies.add((code, enhanced, text, host, stage))
    assert len(replies) > 1000
    for _ in range(2):
        for code, enhanced, text, host, stage in sorted(replies, key=str):
            got = memo.classify(code, enhanced, text, host, stage)
            assert got == fresh._decide(code, enhanced, text, host, stage), text
