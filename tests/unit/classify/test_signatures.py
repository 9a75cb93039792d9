"""The built-in text signatures: every example hits its own signature, precedence is predictable,
providers come from text then host, and look-alikes of a listing are not called blocklisted."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from logscan.classify.classifier import Classifier
from logscan.classify.examples import example_misses
from logscan.classify.needles import needles_of
from logscan.classify.rule_files import RuleError, builtin_rules_dir
from logscan.classify.signature import Signature
from logscan.classify.signatures import Signatures
from logscan.parsing.reply import parse_reply

RULES = builtin_rules_dir()


def builtin_signatures(clf: Classifier) -> list[Signature]:
    return [s for s in clf.signatures.ordered if Path(s.origin).parent == RULES]


def all_examples(clf: Classifier) -> list[tuple[Signature, str]]:
    return [(s, ex) for s in builtin_signatures(clf) for ex in s.examples]


# --- the rule files themselves ---------------------------------------------------------------


def test_ids_are_unique_across_builtin_files() -> None:
    ids: list[str] = []
    for path in sorted(RULES.glob("*.toml")):
        ids += [s["id"] for s in tomllib.loads(path.read_text("utf-8")).get("signature", [])]
    assert len(ids) > 100
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    assert not dupes, f"duplicate signature ids: {dupes}"


def test_ids_are_descriptive_slugs(clf: Classifier) -> None:
    for sig in builtin_signatures(clf):
        assert re.fullmatch(r"[a-z0-9]+(?:-[a-z0-9+]+)*", sig.id), sig.id


def test_every_signature_has_an_example_and_a_source(clf: Classifier) -> None:
    for sig in builtin_signatures(clf):
        assert sig.examples, f"{sig.id}: no example"
        assert sig.source, f"{sig.id}: no source"
        if sig.category:
            assert sig.meaning and sig.action, f"{sig.id}: sets a category without meaning/action"


def test_provider_and_blocklist_names_are_bounded_tokens(clf: Classifier) -> None:
    providers = clf.signatures.providers()
    assert {"google", "microsoft", "yahoo", "apple", "comcast", "cox"} <= providers
    for name in providers:
        assert re.fullmatch(r"[a-z][a-z0-9-]{1,15}", name), name
    lists = clf.signatures.blocklists()
    assert {"zen.spamhaus.org", "b.barracudacentral.org", "bl.spamcop.net"} <= lists
    assert "microsoft:S3150" in lists
    for name in lists:
        assert re.fullmatch(r"[a-z0-9][a-zA-Z0-9.:-]{2,40}", name), name


def test_when_provider_names_a_known_provider(clf: Classifier) -> None:
    providers = clf.signatures.providers()
    for sig in builtin_signatures(clf):
        assert sig.when_provider is None or sig.when_provider in providers, sig.id


# --- every example is decided by its own signature -------------------------------------------


def _example_ids(clf: Classifier) -> list[str]:
    return [f"{s.id}[{i}]" for s in builtin_signatures(clf) for i, _ in enumerate(s.examples)]


def test_every_example_hits_its_signature(clf: Classifier) -> None:
    misses = example_misses(clf, builtin_signatures(clf))
    assert not misses, "\n".join(map(str, misses))


def test_needles_never_hide_a_match(clf: Classifier) -> None:
    """The prefilter is an optimisation only: wherever a regex matches, one needle is present."""
    texts = [text for _, text in all_examples(clf)]
    for sig in builtin_signatures(clf):
        assert sig.pattern is not None
        for text in texts:
            if sig.pattern.search(text) and sig.needles:
                assert any(n in text.lower() for n in sig.needles), (sig.id, text)


def test_most_signatures_have_needles(clf: Classifier) -> None:
    sigs = builtin_signatures(clf)
    without = [s.id for s in sigs if not s.needles]
    assert len(without) <= len(sigs) // 20, without


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        (r"zen\.spamhaus\.org", ("zen.spamhaus.org",)),
        (r"over ?quota|mailbox full", ("mailbox full", "quota")),
        (r"\bgsmtp\b", ("gsmtp",)),
        (r"(?:dns)?rbl\b", ("rbl",)),
        (r"[a-z]+\d+", ()),
    ],
)
def test_needle_extraction(pattern: str, expected: tuple[str, ...]) -> None:
    assert needles_of(pattern) == expected


def test_non_ascii_text_still_matches(clf: Classifier) -> None:
    # str.lower() and re's case folding differ outside ASCII; such texts skip the prefilter.
    v = clf.classify("550", "5.1.1", "550 5.1.1 <ǅemal@example.com>... USER UNKNOWN — ünbekannt")
    assert v.category == "mailbox-unknown"
    assert v.rule == "signature:user-unknown"


# --- blocklists and their look-alikes ----------------------------------------------------------


def test_open_resolver_is_not_a_listing(clf: Classifier) -> None:
    text = (
        "554 5.7.1 Service unavailable; Client host [192.0.2.10] blocked using zen.spamhaus.org;"
        " Error: open resolver; https://www.spamhaus.org/returnc/pub/198.51.100.7"
    )
    v = clf.classify("554", "5.7.1", text)
    assert v.category != "blocklisted"
    assert v.category == "dns-failure"
    assert v.blocklist is None
    assert v.rule == "signature:spamhaus-open-resolver"


def test_success_mentioning_blocked_is_not_blocklisted(clf: Classifier) -> None:
    for text in (
        "250 2.0.0 Ok: queued as 4Zx1 (sender not blocked using zen.spamhaus.org)",
        "250 2.1.5 Recipient OK, not on any blocklist",
    ):
        code, enhanced, _ = parse_reply(text)
        v = clf.classify(code, enhanced, text, stage="end-of-data")
        assert v.category != "blocklisted", text
        assert v.blocklist is None, text
        assert v.class_ == "success"


@pytest.mark.parametrize(
    ("text", "blocklist"),
    [
        (
            "554 5.7.1 Service unavailable; Client host [192.0.2.1] blocked using zen.spamhaus.org",
            "zen.spamhaus.org",
        ),
        (
            "554 5.7.1 Service unavailable; Client host [192.0.2.1] blocked using "
            "abcdefghijklmnopqrstuvwxyz.zen.dq.spamhaus.net",
            "zen.spamhaus.org",
        ),
        (
            "550 5.7.1 Service unavailable; client [157.122.148.242] blocked using bl.spamcop.net",
            "bl.spamcop.net",
        ),
        (
            "554 5.7.1 Service unavailable; Client host [192.0.2.1] blocked using "
            "dnsbl-2.uceprotect.net",
            "dnsbl-2.uceprotect.net",
        ),
        (
            "550 5.7.1 Unfortunately, messages from [192.0.2.1] weren't sent. Please contact your "
            "Internet service provider since part of their network is on our block list (S3150).",
            "microsoft:S3150",
        ),
        (
            "454 4.7.1 Service unavailable; Client host [93.184.216.34] blocked using "
            "rbl.example.com; http://www.example.com/query?ip=93.184.216.34",
            "rbl.example.com",
        ),
        ("550 5.7.1 Rejected: 192.0.2.1 listed at Bl.Example.NET", "bl.example.net"),
    ],
)
def test_blocklist_names(clf: Classifier, text: str, blocklist: str) -> None:
    code, enhanced, _ = parse_reply(text)
    v = clf.classify(code, enhanced, text)
    assert (v.category, v.blocklist) == ("blocklisted", blocklist)


# --- precedence ----------------------------------------------------------------------------------


def test_specific_signature_beats_generic(clf: Classifier) -> None:
    text = "554 5.7.1 Service unavailable; Client host [10.0.0.1] blocked using zen.spamhaus.org"
    v = clf.classify("554", "5.7.1", text)
    assert v.rule == "signature:spamhaus-zen"  # not generic-blocked-using, nor the service wording
    # Sendmail's relay refusal mentions authentication; the refusal itself decides.
    text = "550 5.7.1 <a@example.com>... Relaying denied. Proper authentication required."
    assert clf.classify("550", "5.7.1", text).category == "relay-denied"
    # Text beats codes: a 550 5.1.1 that says the mailbox is full is mailbox-full.
    assert clf.classify("550", "5.1.1", "550 5.1.1 mailbox full").category == "mailbox-full"


def test_category_and_blocklist_are_decided_independently(clf: Classifier) -> None:
    # Apple's DBL answer judges the content (spam) but still names the list.
    text = "550 5.7.1 Your message was rejected due to a domain present in the Spamhaus DBL."
    v = clf.classify("550", "5.7.1", text)
    assert (v.category, v.blocklist) == ("spam-rejected", "dbl.spamhaus.org")


def _write_rules(directory: Path, body: str) -> Path:
    directory.mkdir(exist_ok=True)
    (directory / "local.toml").write_text(body, encoding="utf-8")
    return directory


ZEN = "554 5.7.1 Service unavailable; Client host [192.0.2.1] blocked using zen.spamhaus.org"


def test_operator_rule_overrides_builtin_id(tmp_path: Path) -> None:
    extra = _write_rules(
        tmp_path / "rules.d",
        """
[[signature]]
id = "spamhaus-zen"
pattern = 'zen\\.spamhaus\\.org'
category = "policy-rejected"
blocklist = "spamhaus-zen-local"
examples = ["554 5.7.1 blocked using zen.spamhaus.org"]
""",
    )
    clf = Classifier.load([extra])
    ids = [s.id for s in clf.signatures.ordered]
    assert ids.count("spamhaus-zen") == 1
    v = clf.classify("554", "5.7.1", ZEN)
    assert (v.category, v.blocklist) == ("policy-rejected", "spamhaus-zen-local")
    assert Classifier.load().classify("554", "5.7.1", ZEN).blocklist == "zen.spamhaus.org"


def test_operator_rule_wins_at_equal_priority(tmp_path: Path) -> None:
    extra = _write_rules(
        tmp_path / "rules.d",
        """
[[signature]]
id = "local-spamhaus-means-policy"
pattern = 'blocked using'
category = "policy-rejected"
blocklist = "local"
""",
    )
    v = Classifier.load([extra]).classify("554", "5.7.1", ZEN)
    assert (v.category, v.blocklist, v.rule) == (
        "policy-rejected",
        "local",
        "signature:local-spamhaus-means-policy",
    )


def test_priority_beats_operator_order(tmp_path: Path) -> None:
    # The open-resolver exception has a priority above 0, so a generic operator rule at the
    # default priority does not turn it back into a listing; a higher operator priority does.
    text = ZEN + "; Error: open resolver; https://www.spamhaus.org/returnc/pub/198.51.100.7"
    generic = """
[[signature]]
id = "local-blocked-using"
pattern = 'blocked using'
category = "blocklisted"
blocklist = "local"
"""
    v = Classifier.load([_write_rules(tmp_path / "a", generic)]).classify("554", "5.7.1", text)
    assert (v.category, v.blocklist) == ("dns-failure", None)
    v = Classifier.load([_write_rules(tmp_path / "b", generic + "priority = 1000\n")]).classify(
        "554", "5.7.1", text
    )
    assert (v.category, v.blocklist) == ("blocklisted", "local")


def test_enhanced_condition_with_any_class(tmp_path: Path) -> None:
    extra = _write_rules(
        tmp_path / "rules.d",
        """
[[signature]]
id = "local-x-7-25"
enhanced = ["x.7.25"]
category = "sender-auth-failed"
""",
    )
    clf = Classifier.load([extra])
    assert clf.classify("450", "4.7.25", "450 4.7.25 nope").category == "sender-auth-failed"
    assert clf.classify("550", "5.7.25", "550 5.7.25 nope").category == "sender-auth-failed"
    assert clf.classify("550", "5.7.26", "550 5.7.26 nope").rule != "signature:local-x-7-25"


# --- providers -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("host", "provider"),
    [
        ("gmail-smtp-in.l.google.com", "google"),
        ("alt1.aspmx.l.google.com.", "google"),
        ("example-com.mail.protection.outlook.com", "microsoft"),
        ("mx1.hotmail.com", "microsoft"),
        ("mta7.am0.yahoodns.net", "yahoo"),
        ("mx01.mail.icloud.com", "apple"),
        ("mx0a-001b2d01.pphosted.com", "proofpoint"),
        ("eu-smtp-inbound-1.mimecast.com", "mimecast"),
        ("mx-ha03.web.de", "gmx"),
        ("MX1.COMCAST.NET", "comcast"),
        ("notgoogle.com", None),
        ("example.org", None),
        (None, None),
    ],
)
def test_provider_from_host_suffix(clf: Classifier, host: str | None, provider: str | None) -> None:
    assert clf.signatures.provider_of_host(host) == provider
    v = clf.classify("550", "5.1.1", "550 5.1.1 User unknown", remote_host=host)
    assert v.provider == provider


def test_provider_text_beats_host(clf: Classifier) -> None:
    text = "550-5.1.1 The email account that you tried to reach does not exist. a1si123 - gsmtp"
    v = clf.classify("550", "5.1.1", text, remote_host="mx.example.mail.protection.outlook.com")
    assert v.provider == "google"


def test_address_in_text_does_not_name_provider(clf: Classifier) -> None:
    text = "553 5.1.8 <a@example.org>... Domain of sender address bob@gmail.com does not exist"
    assert clf.classify("553", "5.1.8", text).provider is None


def test_when_provider_needs_that_provider(clf: Classifier) -> None:
    text = "421 4.7.0 Try again later, closing connection."
    assert clf.classify("421", "4.7.0", text, remote_host="mx.example.org").rule != (
        "signature:google-try-again-later"
    )
    v = clf.classify("421", "4.7.0", text, remote_host="gmail-smtp-in.l.google.com")
    assert (v.provider, v.category) == ("google", "rate-limited")


# --- categories the brief names --------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "category"),
    [
        (
            "450 4.2.0 <u@example.org>: Recipient address rejected: Greylisted, see "
            "http://postgrey.schweikert.ch/help/example.org.html",
            "greylisted",
        ),
        ("451 4.7.1 Greylisting in action, please come back in 00:05:00", "greylisted"),
        ("450 4.7.1 Greylisted by greyfix 0.4.0, try again in 300 seconds.", "greylisted"),
        ("451 4.7.1 Try again later", "greylisted"),
        (
            "421 4.7.28 [192.0.2.1] Our system has detected an unusual rate of unsolicited mail "
            "originating from your IP address. - gsmtp",
            "rate-limited",
        ),
        (
            "451 4.7.650 The mail server [192.0.2.25] has been temporarily rate limited due to IP "
            "reputation.",
            "rate-limited",
        ),
        ("452 4.5.3 Error: too many recipients", "rate-limited"),
        ("530 5.7.0 Must issue a STARTTLS command first", "tls-required"),
        ("530 5.7.1 Client was not authenticated", "auth-required"),
        ("535 5.7.3 Authentication unsuccessful", "auth-failed"),
        ("550 5.7.1 Unable to relay", "relay-denied"),
        ("550 5.1.1 RESOLVER.ADR.RecipNotFound; not found", "mailbox-unknown"),
        (
            "504 5.5.2 <WIN-X>: Helo command rejected: need fully-qualified hostname",
            "policy-rejected",
        ),
        (
            "450 4.7.1 Client host rejected: cannot find your hostname, [192.0.2.9]",
            "sender-auth-failed",
        ),
        # "Domain not found" is an answer (the domain does not exist), whatever the code: Postfix
        # defers it with 450 by default (unknown_address_reject_code); resolver trouble is
        # dns-failure.
        ("450 4.1.8 <f@sample.net>: Sender address rejected: Domain not found", "bad-domain"),
        ("450 4.1.2 <to@example.com>: Recipient address rejected: Domain not found", "bad-domain"),
        ("451 4.1.8 Domain of sender address x@example.net does not resolve", "dns-failure"),
        (
            "Host or domain name not found. Name service error for name=example.com type=MX: "
            "Host not found, try again",
            "dns-failure",
        ),
        (
            "Host or domain name not found. Name service error for name=unknown.com type=A: "
            "Host not found",
            "bad-domain",
        ),
        (
            "Host or domain name not found. Name service error for name=example.org type=MX: "
            "Malformed or unexpected name server reply",
            "dns-failure",
        ),
        (
            "553 5.1.8 <x@example.com>... Domain of sender address x@nx.example does not exist",
            "bad-domain",
        ),
        ("550 relay not permitted", "relay-denied"),
        ("retry timeout exceeded", "network"),
        (
            "550 5.1.2 <a@example.org>... Host unknown (Name server: example.org: host not found)",
            "bad-domain",
        ),
        ("554 5.0.0 Service unavailable", "service-unavailable"),
        ("552 5.2.2 Mailbox full", "mailbox-full"),
        ("552 5.3.4 Message size exceeds fixed limit", "message-too-large"),
        ("550 5.7.1 Email rejected per DMARC policy for example.org", "sender-auth-failed"),
    ],
)
def test_brief_wordings(clf: Classifier, text: str, category: str) -> None:
    code, enhanced, _ = parse_reply(text)
    assert clf.classify(code, enhanced, text).category == category


# --- broken rules fail with the file and the signature named ---------------------------------


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            "[[signature]]\nid = 'bad'\npattern = '(unclosed'\ncategory = 'unknown'\n",
            "signature 'bad': bad pattern",
        ),
        ("[[signature]]\nid = 'bad'\npattern = 'x'\ncategory = 'nonsense'\n", "unknown category"),
        (
            "[[signature]]\nid = 'bad'\npattern = 'x'\ncolour = 'red'\ncategory = 'unknown'\n",
            "unknown key(s) colour",
        ),
        ("[[signature]]\nid = 'bad'\npattern = 'x'\n", "sets nothing"),
        (
            "[[signature]]\nid = 'bad'\npattern = 'x'\ncategory = 'unknown'\nenhanced = ['5.7']\n",
            "bad enhanced code",
        ),
        ("[[signature]]\nid = 'bad'\npattern = 'x'\nprovider = 3\n", "'provider' must be a string"),
        ("[[provider]]\nname = 'x'\nhosts = 'x.example'\n", "'hosts' must be a list of strings"),
        ("[[provider]]\nname = 'x'\nhost = ['x.example']\n", "unknown key(s) host"),
        ("[[provider]]\nhosts = ['x.example']\n", "[[provider]] needs a 'name'"),
    ],
)
def test_broken_rule_is_a_clear_error(tmp_path: Path, body: str, message: str) -> None:
    extra = _write_rules(tmp_path / "rules.d", body)
    with pytest.raises(RuleError) as err:
        Classifier.load([extra])
    assert str(extra / "local.toml") in str(err.value)
    assert message in str(err.value)


def test_signatures_built_directly_are_indexed(clf: Classifier) -> None:
    sigs = clf.signatures
    copy = Signatures(sigs.ordered, sigs.hosts, sigs.identifiers, sigs.deciders)
    hit, provider = copy.match("554", "5.7.1", ZEN, None)
    assert hit.blocklist_name == "zen.spamhaus.org" and provider is None


def test_signatures_without_files_are_empty() -> None:
    sigs = Signatures.from_files([])
    hit, provider = sigs.match("550", "5.1.1", "550 5.1.1 User unknown", "mx.google.com")
    assert hit.category is None and provider is None


# --- the prefilter never changes an answer -----------------------------------------------------


def _fragments() -> list[str]:
    clf = Classifier.load()
    words: set[str] = set()
    for _, text in all_examples(clf):
        words.update(text.split())
    return sorted(words)


_WORDS = _fragments()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.sampled_from(_WORDS), min_size=1, max_size=12),
    st.sampled_from([" ", "", "-", ". ", "; "]),
    st.booleans(),
)
def test_prefilter_agrees_with_plain_regex(words: list[str], sep: str, upper: bool) -> None:
    """Whatever the text, a signature matches through the prefilter iff its regex matches."""
    clf = _CLF
    text = sep.join(words)
    if upper:
        text = text.upper()
    low = text.lower()
    sigs = clf.signatures
    for class_, scanner in sigs._scanner_by_class.items():
        present = scanner.present(low) if text.isascii() else None
        usable = sigs.identifiers + sigs._decide_by_class[class_].sigs
        for sig in usable:
            assert sig.pattern is not None
            plain = sig.pattern.search(text) is not None
            assert bool(sig.found(text, present)) == plain, (class_, sig.id, text)
    for sig in sigs.ordered:
        assert sig.pattern is not None
        assert bool(sig.search(text, low)) == (sig.pattern.search(text) is not None), sig.id


_CLF = Classifier.load()


@pytest.mark.parametrize(
    ("reply", "category"),
    [
        # RFC 5321's storage wordings: whose storage the enhanced code says (MDaemon's over-quota
        # replies, MDaemon help "Quotas"); without a code the 452 wording stays the server's.
        ("452 4.2.2 Requested action not taken: insufficient system storage", "mailbox-full"),
        ("552 5.2.2 Requested mail action aborted: exceeded storage allocation", "mailbox-full"),
        ("452 4.3.1 Insufficient system storage", "server-error"),
        ("452 Requested action not taken: insufficient system storage", "server-error"),
    ],
)
def test_storage_wording_follows_the_enhanced_code(
    clf: Classifier, reply: str, category: str
) -> None:
    parsed = parse_reply(reply)
    verdict = clf.classify(parsed.code, parsed.enhanced, reply)
    assert verdict.category == category
