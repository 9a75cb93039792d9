"""Text signatures: reply wordings that name a provider, a blocklist or a category.

Data lives in ``rules/signatures.toml`` (``[[signature]]``, see ``signature.py`` for one table)
and ``rules/providers.toml`` (``[[provider]]``, see ``provider_hosts.py``)::

    [[signature]]
    id = "spamhaus-zen"
    pattern = 'zen\\.spamhaus\\.org'
    category = "blocklisted"
    blocklist = "zen.spamhaus.org"
    examples = ["554 5.7.1 Client host [192.0.2.1] blocked using zen.spamhaus.org"]

Order is predictable: higher ``priority`` first; at equal priority, operators' files before the
built-in ones, then file order. A later file's signature with the same ``id`` replaces the earlier.
``blocklist = ""`` decides the blocklist field as "none" (e.g. Spamhaus' "open resolver" answer,
which names a list but is not a listing).

Matching is fast without changing any answer: each top-level alternative of a pattern gets
literal "needles" (``needles.py``); one scan of the lower-cased reply finds every needle present,
and only the signatures (and alternatives) whose needles are present are tried (``prefilter.py``).
Non-ASCII replies skip this and run every regex.

    >>> from logscan.classify.rule_files import load_rule_files
    >>> sigs = Signatures.from_files(load_rule_files())
    >>> text = "554 5.7.1 Client host [192.0.2.1] blocked using zen.spamhaus.org"
    >>> hit, provider = sigs.match("554", "5.7.1", text, "mx.example.mail.protection.outlook.com")
    >>> hit.category.id, hit.blocklist_name, provider
    ('spamhaus-zen', 'zen.spamhaus.org', 'microsoft')
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from logscan.classify import rule_cache
from logscan.classify.needles import ANALYSIS_CACHE, Part
from logscan.classify.prefilter import Index, Scanner, needles_of_signatures
from logscan.classify.provider_hosts import ProviderHosts, hosts_from_table
from logscan.classify.rule_files import RuleFile
from logscan.classify.signature import REPLY_CLASSES, Signature, signature_from_table
from logscan.core.categories import class_of


@dataclass(frozen=True, slots=True)
class Hit:
    """The signatures that decided each field (None where no signature did)."""

    category: Signature | None
    provider: Signature | None
    blocklist: Signature | None
    blocklist_name: str | None


@dataclass(frozen=True)
class Signatures:
    ordered: tuple[Signature, ...]
    hosts: ProviderHosts
    # Precomputed views of ``ordered``: who names the provider, who decides category/blocklist.
    identifiers: tuple[Signature, ...] = ()
    deciders: tuple[Signature, ...] = ()
    # The prefilter over the views above, built on construction.
    _ident_index: Index = field(init=False, repr=False, compare=False)
    # One decider index per reply class: a 250 never even looks at the failure signatures.
    _decide_by_class: Mapping[str, Index] = field(init=False, repr=False, compare=False)
    # One needle scanner per reply class too, over the needles that class can use: the fewer
    # needles, the fewer matches to step through in a success reply's text.
    _scanner_by_class: Mapping[str, Scanner] = field(init=False, repr=False, compare=False)
    # (code, enhanced, needles present) -> the candidates to try (see _plan).
    _plans: dict[tuple[str | None, str | None, frozenset[str] | None], _Plan] = field(
        init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        object.__setattr__(self, "_plans", {})
        object.__setattr__(self, "_ident_index", Index.of(self.identifiers))
        by_class = {
            c: tuple(s for s in self.deciders if s.admits_class(c)) for c in sorted(REPLY_CLASSES)
        }
        object.__setattr__(
            self, "_decide_by_class", {c: Index.of(sigs) for c, sigs in by_class.items()}
        )
        scanners = {
            c: Scanner.of(needles_of_signatures(self.identifiers + sigs))
            for c, sigs in by_class.items()
        }
        object.__setattr__(self, "_scanner_by_class", scanners)

    @classmethod
    def from_files(cls, files: Sequence[RuleFile]) -> Signatures:
        by_id: dict[str, tuple[int, int, Signature]] = {}
        seq = 0
        hosts: dict[str, str] = {}
        cached = rule_cache.load(ANALYSIS_CACHE)
        analyses: dict[str, Any] = {}
        for rf in files:
            for raw in rf.tables("signature"):
                sig = signature_from_table(rf, raw, cached, analyses)
                seq += 1
                by_id[sig.id] = (0 if rf.builtin else 1, seq, sig)
            for raw in rf.tables("provider"):
                hosts.update(hosts_from_table(rf, raw))
        if analyses.keys() != cached.keys():
            rule_cache.save(ANALYSIS_CACHE, analyses)  # only the patterns in use: stays small
        ranked = sorted(by_id.values(), key=lambda t: (-t[2].priority, -t[0], t[1]))
        ordered = tuple(s for _, _, s in ranked)
        identifiers = tuple(s for s in ordered if s.provider and s.when_provider is None)
        deciders = tuple(
            s for s in ordered if s.category or s.blocklist is not None or s.captures_list()
        )
        return cls(ordered, ProviderHosts.of(hosts), identifiers, deciders)

    def provider_of_host(self, host: str | None) -> str | None:
        return self.hosts.provider_of(host)

    def providers(self) -> frozenset[str]:
        """Every provider name the rules can produce (the bounded label set)."""
        names = set(self.hosts.names())
        names.update(s.provider for s in self.ordered if s.provider)
        return frozenset(names)

    def blocklists(self) -> frozenset[str]:
        """Every fixed blocklist name (captured names come from texts and are not bounded)."""
        return frozenset(s.blocklist for s in self.ordered if s.blocklist)

    def needles_in(self, class_: str | None, text: str) -> frozenset[str] | None:
        """The needles of ``class_``'s signatures that occur in ``text``; None outside ASCII,
        where the needles are not trusted (str.lower() and re's case folding may disagree)."""
        if not text.isascii():
            return None
        return self._scanner_by_class[class_ or "none"].present(text.lower())

    def may_match(self, class_: str | None, present: frozenset[str] | None) -> bool:
        """False only when no signature can match a text of ``class_`` with ``present`` needles.

        Exact, not a heuristic: every signature either has needles, one of which occurs in any
        text it matches, or is "always" a candidate. With no always-candidate for the class and
        no needle in the text, :meth:`match` finds no hit and names the provider by host alone.
        """
        if present is None or present:
            return True
        return bool(self._ident_index.always or self._decide_by_class[class_ or "none"].always)

    def match(
        self,
        code: str | None,
        enhanced: str | None,
        text: str,
        host: str | None,
        writer: str | None = None,
    ) -> tuple[Hit, str | None]:
        """The deciding signatures for ``text``, and the provider (text first, then host);
        ``writer``: the MTA that wrote the reply, when it is ours (an inbound event)."""
        class_ = class_of(code) or class_of(enhanced)
        present = self.needles_in(class_, text)
        return self.match_scanned(code, enhanced, text, host, present, writer)

    def match_scanned(
        self,
        code: str | None,
        enhanced: str | None,
        text: str,
        host: str | None,
        present: frozenset[str] | None,
        writer: str | None = None,
    ) -> tuple[Hit, str | None]:
        """:meth:`match`, given what :meth:`needles_in` says of ``text``."""
        class_ = class_of(code) or class_of(enhanced)
        plan = self._plan(code, enhanced, class_, present)
        provider_sig: Signature | None = None
        for sig, parts in plan.identify:
            if _first_match(text, parts):
                provider_sig = sig
                break
        provider = provider_sig.provider if provider_sig else self.hosts.provider_of(host)
        category_sig: Signature | None = None
        blocklist_sig: Signature | None = None
        blocklist_name: str | None = None
        for sig, parts in plan.decide:
            if sig.when_provider is not None and sig.when_provider != provider:
                continue
            if sig.written_by is not None and sig.written_by != writer:
                continue
            wants_category = category_sig is None and sig.category is not None
            if not wants_category and blocklist_sig is not None:
                continue
            m = _first_match(text, parts)
            if not m:
                continue
            if wants_category:
                category_sig = sig
            if blocklist_sig is None:
                decided, name = _blocklist_of(sig, m)
                if decided:
                    blocklist_sig, blocklist_name = sig, name
            if category_sig is not None and blocklist_sig is not None:
                break
        return Hit(category_sig, provider_sig, blocklist_sig, blocklist_name), provider

    def _plan(
        self,
        code: str | None,
        enhanced: str | None,
        class_: str | None,
        present: frozenset[str] | None,
    ) -> _Plan:
        """The candidates worth trying for these codes and needles, conditions checked once.

        Few distinct (code, enhanced, needles) occur in a log, so the walk over the indexes,
        the code conditions and the needle checks of each part are done once per combination.
        """
        key = (code, enhanced, present)
        plan = self._plans.get(key)
        if plan is None:
            if len(self._plans) >= _PLAN_CACHE:
                self._plans.clear()
            plan = self._plans[key] = _Plan(
                _tries(self._ident_index.candidates(present), code, enhanced, class_, present),
                _tries(
                    self._decide_by_class[class_ or "none"].candidates(present),
                    code,
                    enhanced,
                    class_,
                    present,
                ),
            )
        return plan


_PLAN_CACHE = 4096
# A part of a signature that may match: True when it is a literal whose needle is present.
_Try = tuple[Signature, tuple["Part | bool", ...]]


@dataclass(frozen=True, slots=True)
class _Plan:
    identify: tuple[_Try, ...]
    decide: tuple[_Try, ...]


def _tries(
    sigs: Iterator[Signature],
    code: str | None,
    enhanced: str | None,
    class_: str | None,
    present: frozenset[str] | None,
) -> tuple[_Try, ...]:
    """Each signature whose conditions hold, with the parts to run, as ``Signature.found``."""
    out: list[_Try] = []
    for sig in sigs:
        if not sig.conditions_hold(code, enhanced, class_):
            continue
        if sig.pattern_source is None:
            out.append((sig, (True,)))
            continue
        if present is None:
            out.append((sig, (Part((), sig.pattern_source, False),)))
            continue
        parts: list[Part | bool] = []
        for part in sig.parts:
            if part.needles and present.isdisjoint(part.needles):
                continue
            if part.literal:
                parts.append(True)
                break  # found() stops at a present literal part: it is a match
            parts.append(part)
        if parts:
            out.append((sig, tuple(parts)))
    return tuple(out)


def _first_match(text: str, parts: tuple[Part | bool, ...]) -> re.Match[str] | bool | None:
    """What ``Signature.found`` returns, for the parts a plan kept."""
    for part in parts:
        if part is True:
            return True
        assert isinstance(part, Part)
        m = part.regex.search(text)
        if m:
            return m
    return None


def _blocklist_of(sig: Signature, m: re.Match[str] | bool) -> tuple[bool, str | None]:
    """Whether ``sig`` decides the blocklist field for this match, and the list it names."""
    if sig.blocklist is not None:
        return True, sig.blocklist or None  # "" decides: no list
    if isinstance(m, re.Match) and "blocklist" in m.re.groupindex:
        found = m.group("blocklist")
        name = found.lower().strip(".") if found else None
        return name is not None, name
    return False, None
