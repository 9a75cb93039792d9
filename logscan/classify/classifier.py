"""The classifier: a reply (code, enhanced code, text, remote host) becomes a :class:`Verdict`.

Precedence (docs/design.md): a text signature, then the enhanced code, then the basic code, then
what the delivery outcome says by itself (``[status."sent"]``: an Exim local delivery logs no
reply but was delivered), then the class. A basic code the MTA did not log but is known to send
(``code_inferred``) decides by its entry's ``inferred_category`` where it has one (rule
``inferred:<code>``): Exim's 550 for any ACL deny says a rule refused, not that a mailbox is
unknown. For success and intermediate replies the basic code and the SMTP stage decide first (a
250 to RCPT is progress, a 250 after DATA is a delivery)::

    >>> clf = Classifier.load()
    >>> text = "550 5.7.1 Client host [192.0.2.1] blocked using zen.spamhaus.org"
    >>> v = clf.classify("550", "5.7.1", text)
    >>> v.category, v.blocklist
    ('blocklisted', 'zen.spamhaus.org')
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import NamedTuple

from logscan.classify.catalogue import Catalogue, Entry
from logscan.classify.rule_files import load_rule_files
from logscan.classify.signatures import Signatures
from logscan.core.categories import class_of
from logscan.core.event import ClassifiedEvent, Event, Verdict

# Entries per memo. The exact-text memo pays for repeated texts only (most replies carry a queue
# id or a time and are unique); 4096 keeps them and costs 7 MiB less peak RSS than 16384 on 1M
# Postfix lines, at the same speed (bench/RESULTS.md, "peak RSS").
_CACHE_SIZE = 4096


class _Codes(NamedTuple):
    """What decides a verdict besides the text and the host (a memo key as it is)."""

    code: str | None
    enhanced: str | None
    stage: str | None
    status: str | None
    inferred: bool


@dataclass(frozen=True)
class Classifier:
    catalogue: Catalogue
    signatures: Signatures
    # Replies repeat a lot in real logs; a bounded memo keeps the hot path at dict-lookup cost.
    # Keyed on the exact text: masking addresses or IPs is not exact (the "orange-markers"
    # signature names a provider from "orange.fr", in an address too).
    _memo: dict[tuple[str | bool | None, ...], Verdict] = field(default_factory=dict, compare=False)
    # What the codes alone decide, by (code, enhanced, stage): a small set in any real log.
    _code_memo: dict[tuple[str | bool | None, ...], tuple[str, str, str, str]] = field(
        default_factory=dict, compare=False
    )
    # Verdicts of texts no signature can match, by (code, enhanced, stage, status, inferred,
    # host's provider):
    # such a text decides nothing, so unique texts ("250 2.0.0 Ok: queued as 4QbXc3XyzLz1wS")
    # share one entry. See Signatures.may_match for why this is exact.
    _textless_memo: dict[tuple[str | bool | None, ...], Verdict] = field(
        default_factory=dict, compare=False
    )

    @classmethod
    def load(cls, extra_dirs: Sequence[Path] = ()) -> Classifier:
        """The built-in rules plus operators' directories (later files override earlier ones)."""
        files = load_rule_files(extra_dirs)
        return cls(Catalogue.from_files(files), Signatures.from_files(files))

    def classify_event(self, event: Event) -> ClassifiedEvent:
        verdict = self.classify(
            event.code,
            event.enhanced,
            event.text,
            event.remote_host,
            event.stage,
            event.status,
            event.code_inferred,
            # An inbound event's reply is our MTA's own: signatures may say what it means there.
            event.mta if event.direction == "inbound" else None,
        )
        return ClassifiedEvent(event, verdict)

    def classify(
        self,
        code: str | None,
        enhanced: str | None = None,
        text: str | None = None,
        remote_host: str | None = None,
        stage: str | None = None,
        status: str | None = None,
        inferred: bool = False,
        writer: str | None = None,
    ) -> Verdict:
        """``writer``: the MTA that wrote the reply when it is ours (see ``written_by`` in the
        header of rules/signatures.toml); None when a remote server wrote it or it is unknown."""
        memo = self._memo
        key = (code, enhanced, text, remote_host, stage, status, inferred, writer)
        verdict = memo.get(key)
        if verdict is not None:
            return verdict
        codes = _Codes(code, enhanced, stage, status, inferred)
        if not text:
            return self._textless(codes, remote_host)
        class_ = class_of(code) or class_of(enhanced)
        present = self.signatures.needles_in(class_, text)
        if not self.signatures.may_match(class_, present):
            return self._textless(codes, remote_host)
        verdict = self._decide_scanned(codes, text, remote_host, present, writer)
        if len(memo) >= _CACHE_SIZE:
            # Forget the oldest quarter (dicts keep insertion order), not everything at once.
            for old in list(islice(memo, _CACHE_SIZE // 4)):
                del memo[old]
        memo[key] = verdict
        return verdict

    def _textless(self, codes: _Codes, host: str | None) -> Verdict:
        """The verdict of a reply whose text no signature matches (or that has none).

        Not stored in the exact memo: such texts are mostly unique, and would evict the
        entries of the texts that are expensive to decide.
        """
        provider = self.signatures.provider_of_host(host)
        key = (*codes, provider)
        verdict = self._textless_memo.get(key)
        if verdict is None:
            if len(self._textless_memo) >= _CACHE_SIZE:
                self._textless_memo.clear()
            verdict = self._textless_memo[key] = self._decide_scanned(codes, None, host, None)
        return verdict

    def _decide(
        self,
        code: str | None,
        enhanced: str | None,
        text: str | None,
        host: str | None,
        stage: str | None,
        status: str | None = None,
        inferred: bool = False,
        writer: str | None = None,
    ) -> Verdict:
        """The verdict, from no memo."""
        present = self.signatures.needles_in(class_of(code) or class_of(enhanced), text or "")
        codes = _Codes(code, enhanced, stage, status, inferred)
        return self._decide_scanned(codes, text, host, present, writer)

    def _decide_scanned(
        self,
        codes: _Codes,
        text: str | None,
        host: str | None,
        present: frozenset[str] | None,
        writer: str | None = None,
    ) -> Verdict:
        """:meth:`_decide`, given the needles ``present`` in ``text`` (Signatures.needles_in)."""
        code, enhanced = codes.code, codes.enhanced
        class_ = class_of(code) or class_of(enhanced)
        if text:
            hit, provider = self.signatures.match_scanned(
                code, enhanced, text, host, present, writer
            )
        else:
            hit, provider = None, self.signatures.provider_of_host(host)
        decided = self._code_memo.get(codes)
        if decided is None:
            if len(self._code_memo) >= _CACHE_SIZE:
                self._code_memo.clear()
            decided = self._code_memo[codes] = self._by_codes(codes, class_)
        category, rule, meaning, action = decided
        blocklist = None
        if hit is not None:
            if hit.category is not None:
                category, rule = hit.category.category or category, f"signature:{hit.category.id}"
                general = self.catalogue.category_entry(category)
                meaning = hit.category.meaning or (general.meaning if general else meaning)
                action = hit.category.action or (general.action if general else action)
            blocklist = hit.blocklist_name
        return Verdict(class_, category, provider, blocklist, meaning, action, rule)

    def _by_codes(self, codes: _Codes, class_: str | None) -> tuple[str, str, str, str]:
        """(category, rule, meaning, action) from the codes alone: enhanced, basic, the
        outcome's status, class."""
        code, enhanced, stage, status, inferred = codes
        enh = self.catalogue.enhanced_entry(enhanced) if enhanced else None
        basic = self.catalogue.basic_entry(code) if code else None
        found: list[tuple[str, Entry]] = []
        if enh is not None:
            found.append((f"enhanced:{enhanced}", enh))
        if basic is not None:
            pos = len(found) if class_ in ("transient", "permanent") else 0
            name = f"inferred:{code}" if inferred and basic.inferred_category else f"basic:{code}"
            found.insert(pos, (name, basic))
        if status is not None and (by_status := self.catalogue.status_entry(status)):
            found.append((f"status:{status}", by_status))
        digit = (code or enhanced or "")[:1]
        if class_ is not None and (entry := self.catalogue.class_entry(digit)):
            found.append((f"class:{class_}", entry))
        category, rule, meaning, action = "unknown", "none", "", ""
        for name, entry in found:
            cat = entry.category_for(class_, stage, inferred)
            if cat != "unknown":
                category, rule = cat, name
                break
        for _, entry in found:
            if entry.meaning:
                meaning, action = entry.meaning, entry.action
                break
        return category, rule, meaning, action
