"""Text signatures: reply wordings that name a provider, a blocklist or a category.

Data lives in ``rules/signatures.toml`` (``[[signature]]``) and ``rules/providers.toml``
(``[[provider]]``). A signature is a case-insensitive regular expression plus optional conditions
on the basic code, enhanced code, class and provider; it may set ``category``, ``provider`` and
``blocklist`` (or take the list from a ``(?P<blocklist>...)`` group)::

    [[signature]]
    id = "spamhaus-zen"
    pattern = 'zen\\.spamhaus\\.org'
    category = "blocklisted"
    blocklist = "zen.spamhaus.org"
    examples = ["554 5.7.1 Client host [192.0.2.1] blocked using zen.spamhaus.org"]

Order is predictable: higher ``priority`` first; at equal priority, operators' files before the
built-in ones, then file order. A later file's signature with the same ``id`` replaces the earlier.
``blocklist = ""`` decides the blocklist field as "none" (e.g. Spamhaus' "open resolver" answer,
which names a list but is not a listing). ``enhanced`` values may use ``x`` for the class
(``"x.7.25"`` matches 4.7.25 and 5.7.25).

Matching is fast without changing any answer: each top-level alternative of a pattern gets
literal "needles" (one of them occurs in any text it matches, e.g. ``spamhaus`` or ``{sbl, xbl}``);
one regex scan of the lower-cased reply finds every needle present, and only the signatures (and
alternatives) whose needles are present are tried. Non-ASCII replies skip this and run every regex.

    >>> from logscan.classify.rule_files import load_rule_files
    >>> sigs = Signatures.from_files(load_rule_files())
    >>> text = "554 5.7.1 Client host [192.0.2.1] blocked using zen.spamhaus.org"
    >>> hit, provider = sigs.match("554", "5.7.1", text, "mx.example.mail.protection.outlook.com")
    >>> hit.category.id, hit.blocklist_name, provider
    ('spamhaus-zen', 'zen.spamhaus.org', 'microsoft')
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import re2

from logscan.classify import rule_cache
from logscan.classify.rule_files import RuleError, RuleFile
from logscan.core.categories import CATEGORY_SET, class_of
from logscan.core.smtp import ENHANCED_CLASS, ENHANCED_NUMBER

# The regex parser is private (re._parser); without it signatures simply run without needles.
_sre_parse: Any = importlib.import_module("re._parser") if hasattr(re, "_parser") else None

_SIG_KEYS = {
    "id",
    "pattern",
    "category",
    "provider",
    "blocklist",
    "codes",
    "enhanced",
    "classes",
    "when_provider",
    "priority",
    "meaning",
    "action",
    "examples",
    "source",
}
_CLASSES = {"success", "intermediate", "transient", "permanent", "none"}
# A signature that sets a category judges a failure: by default it leaves 2xx/3xx replies alone.
_DEFAULT_CATEGORY_CLASSES = frozenset({"transient", "permanent", "none"})
_ENHANCED_RANGE = re.compile(
    rf"^({ENHANCED_CLASS}|x)\.({ENHANCED_NUMBER})\.({ENHANCED_NUMBER})"
    rf"(?:-\1\.\2\.({ENHANCED_NUMBER}))?$"
)
_MIN_NEEDLE = 3


@dataclass(frozen=True, slots=True)
class _Part:
    """One top-level alternative of a signature's pattern."""

    needles: tuple[str, ...]  # one must occur for the part to match; () = no filter
    source: str  # compiled (case-insensitive) on first use: most parts never run
    literal: bool  # the part is a plain ASCII string: its needle occurring is a match
    _compiled: list[re.Pattern[str]] = field(default_factory=list, compare=False, repr=False)

    @property
    def regex(self) -> re.Pattern[str]:
        if not self._compiled:
            self._compiled.append(re.compile(self.source, re.IGNORECASE))
        return self._compiled[0]


@dataclass(frozen=True, slots=True)
class Signature:
    id: str
    pattern: re.Pattern[str] | None
    needles: tuple[str, ...]  # lower-case ASCII; one must occur in a matching text; () = no filter
    category: str | None
    provider: str | None
    blocklist: str | None
    codes: frozenset[str] | None
    # (class.subject, low detail, high detail); class "x" stands for any class
    enhanced: tuple[tuple[str, int, int], ...] | None
    classes: frozenset[str] | None
    when_provider: str | None
    priority: int
    meaning: str
    action: str
    examples: tuple[str, ...]
    source: str
    origin: str  # file it came from
    # The pattern's top-level alternatives, each compiled alone with its own needles, so that
    # only the alternatives whose literals occur in a text are run (a big alternation is slow).
    parts: tuple[_Part, ...] = ()

    def conditions_hold(self, code: str | None, enhanced: str | None, class_: str | None) -> bool:
        if self.codes is not None and code not in self.codes:
            return False
        if self.enhanced is not None and not _enhanced_in(enhanced, self.enhanced):
            return False
        return self.admits_class(class_ or "none")

    def admits_class(self, class_: str) -> bool:
        """Whether a reply of ``class_`` ("none" for no code) may match this signature."""
        classes = self.classes
        if classes is None and self.category is not None:
            classes = _DEFAULT_CATEGORY_CLASSES
        return classes is None or class_ in classes

    def search(self, text: str, low: str) -> re.Match[str] | bool | None:
        """The regex match, True for a signature without a pattern, or None."""
        if self.pattern is None:
            return True
        if not text.isascii():
            return self.pattern.search(text)
        return self.found(text, frozenset(n for p in self.parts for n in p.needles if n in low))

    def found(self, text: str, present: frozenset[str] | None) -> re.Match[str] | bool | None:
        """Like :meth:`search`, given the needles ``present`` in the text (None: test all)."""
        if self.pattern is None:
            return True
        if present is None:
            return self.pattern.search(text)
        for part in self.parts:
            if part.needles and present.isdisjoint(part.needles):
                continue
            if part.literal:
                return True  # the whole part is its needle, and it is present
            m = part.regex.search(text)
            if m:
                return m
        return None


@dataclass(frozen=True, slots=True)
class Hit:
    """The signatures that decided each field (None where no signature did)."""

    category: Signature | None
    provider: Signature | None
    blocklist: Signature | None
    blocklist_name: str | None


@dataclass(frozen=True, slots=True)
class _Scanner:
    """Finds which needles occur in a lower-cased text, in one linear pass.

    An RE2 set of the needles (each an escaped literal) reports every needle that occurs,
    overlapping ones included, in one DFA scan: 5 to 20 times faster than stepping Python's
    ``re`` through a trie of them (measured in bench/RESULTS.md, "Classifier")."""

    needles: tuple[str, ...]
    matcher: Any  # re2.Set of ``needles``, same order; None when there are none

    @classmethod
    def of(cls, needles: set[str]) -> _Scanner:
        ordered = tuple(sorted(needles))
        if not ordered:
            return cls(ordered, None)
        matcher = re2.Set.SearchSet(re2.Options())
        for n in ordered:
            matcher.Add(re2.escape(n))
        matcher.Compile()
        return cls(ordered, matcher)

    def any_in(self, low: str) -> bool:
        """Whether some needle occurs in ``low``."""
        return self.matcher is not None and self.matcher.Match(low) is not None

    def present(self, low: str) -> frozenset[str]:
        if self.matcher is None:
            return frozenset()
        found = self.matcher.Match(low)
        if not found:
            return frozenset()
        needles = self.needles
        return frozenset([needles[i] for i in found])


@dataclass(frozen=True, slots=True)
class _Index:
    """Which signatures of a sequence can match a text, from the needles present in it.

    Bit ``i`` of a mask stands for ``sigs[i]``; lower bits have precedence."""

    sigs: tuple[Signature, ...]
    masks: Mapping[str, int]  # needle -> signatures that need it (one of their needles)
    always: int  # signatures without needles: always candidates
    every: int  # all signatures (for non-ASCII texts, where lower-casing may differ from re)

    @classmethod
    def of(cls, sigs: tuple[Signature, ...]) -> _Index:
        masks: dict[str, int] = {}
        always = 0
        for i, sig in enumerate(sigs):
            if not sig.needles:
                always |= 1 << i
            for n in sig.needles:
                masks[n] = masks.get(n, 0) | 1 << i
        return cls(sigs, masks, always, (1 << len(sigs)) - 1)

    def candidates(self, present: frozenset[str] | None) -> Iterator[Signature]:
        """The signatures that may match, in precedence order (all when ``present`` is None)."""
        if present is None:
            mask = self.every
        else:
            mask = self.always
            masks = self.masks
            for n in present:
                mask |= masks.get(n, 0)
        sigs = self.sigs
        while mask:
            bit = mask & -mask
            mask ^= bit
            yield sigs[bit.bit_length() - 1]


@dataclass(frozen=True)
class Signatures:
    ordered: tuple[Signature, ...]
    host_suffixes: tuple[tuple[str, str], ...]  # (".google.com", "google"), longest first
    # Precomputed views of ``ordered``: who names the provider, who decides category/blocklist.
    identifiers: tuple[Signature, ...] = ()
    deciders: tuple[Signature, ...] = ()
    # The prefilter over the views above, built on construction.
    _ident_index: _Index = field(init=False, repr=False, compare=False)
    # One decider index per reply class: a 250 never even looks at the failure signatures.
    _decide_by_class: Mapping[str, _Index] = field(init=False, repr=False, compare=False)
    # One needle scanner per reply class too, over the needles that class can use: the fewer
    # needles, the fewer matches to step through in a success reply's text.
    _scanner_by_class: Mapping[str, _Scanner] = field(init=False, repr=False, compare=False)
    _hosts: Mapping[str, str] = field(init=False, repr=False, compare=False)
    # (code, enhanced, needles present) -> the candidates to try (see _plan).
    _plans: dict[tuple[str | None, str | None, frozenset[str] | None], _Plan] = field(
        init=False, repr=False, compare=False
    )

    # host -> provider_of_host(host), bounded: a log names few hosts many times.
    _host_providers: dict[str, str | None] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_host_providers", {})
        object.__setattr__(self, "_hosts", dict(self.host_suffixes))
        object.__setattr__(self, "_plans", {})
        object.__setattr__(self, "_ident_index", _Index.of(self.identifiers))
        by_class = {
            c: tuple(s for s in self.deciders if s.admits_class(c)) for c in sorted(_CLASSES)
        }
        object.__setattr__(
            self, "_decide_by_class", {c: _Index.of(sigs) for c, sigs in by_class.items()}
        )
        scanners = {
            c: _Scanner.of(_needles_of(self.identifiers + sigs)) for c, sigs in by_class.items()
        }
        object.__setattr__(self, "_scanner_by_class", scanners)

    @classmethod
    def from_files(cls, files: Sequence[RuleFile]) -> Signatures:
        by_id: dict[str, tuple[int, int, Signature]] = {}
        seq = 0
        hosts: dict[str, str] = {}
        cached = rule_cache.load(_ANALYSIS_CACHE)
        analyses: dict[str, Any] = {}
        for rf in files:
            for raw in _array(rf, "signature"):
                sig = _signature(rf, raw, cached, analyses)
                seq += 1
                by_id[sig.id] = (0 if rf.builtin else 1, seq, sig)
            for raw in _array(rf, "provider"):
                name = raw.get("name")
                if not isinstance(name, str) or not name:
                    raise RuleError(f"{rf.path}: [[provider]] needs a 'name'")
                unknown = set(raw) - {"name", "hosts"}
                if unknown:
                    raise RuleError(
                        f"{rf.path}: provider {name!r}: unknown key(s) {', '.join(sorted(unknown))}"
                    )
                names = raw.get("hosts", [])
                if not isinstance(names, list) or not all(isinstance(h, str) for h in names):
                    raise RuleError(
                        f"{rf.path}: provider {name!r}: 'hosts' must be a list of strings"
                    )
                for host in names:
                    hosts["." + host.lower().strip(".")] = name
        if analyses.keys() != cached.keys():
            rule_cache.save(_ANALYSIS_CACHE, analyses)  # only the patterns in use: stays small
        ranked = sorted(by_id.values(), key=lambda t: (-t[2].priority, -t[0], t[1]))
        suffixes = tuple(sorted(hosts.items(), key=lambda kv: -len(kv[0])))
        ordered = tuple(s for _, _, s in ranked)
        identifiers = tuple(s for s in ordered if s.provider and s.when_provider is None)
        deciders = tuple(
            s for s in ordered if s.category or s.blocklist is not None or _captures_list(s)
        )
        return cls(ordered, suffixes, identifiers, deciders)

    def provider_of_host(self, host: str | None) -> str | None:
        if not host:
            return None
        try:
            return self._host_providers[host]
        except KeyError:
            if len(self._host_providers) >= _PLAN_CACHE:
                self._host_providers.clear()
            provider = self._host_providers[host] = self._provider_by_suffix(host)
            return provider

    def _provider_by_suffix(self, host: str) -> str | None:
        # Label by label from the full name down: the longest listed suffix wins, and the cost
        # is a few dict lookups whatever the number of providers.
        h = "." + host.lower().rstrip(".")
        hosts = self._hosts
        while h:
            name = hosts.get(h)
            if name is not None:
                return name
            dot = h.find(".", 1)
            if dot < 0:
                return None
            h = h[dot:]
        return None

    def providers(self) -> frozenset[str]:
        """Every provider name the rules can produce (the bounded label set)."""
        names = {name for _, name in self.host_suffixes}
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
    ) -> tuple[Hit, str | None]:
        """The deciding signatures for ``text``, and the provider (text first, then host)."""
        class_ = class_of(code) or class_of(enhanced)
        return self.match_scanned(code, enhanced, text, host, self.needles_in(class_, text))

    def match_scanned(
        self,
        code: str | None,
        enhanced: str | None,
        text: str,
        host: str | None,
        present: frozenset[str] | None,
    ) -> tuple[Hit, str | None]:
        """:meth:`match`, given what :meth:`needles_in` says of ``text``."""
        class_ = class_of(code) or class_of(enhanced)
        plan = self._plan(code, enhanced, class_, present)
        provider_sig: Signature | None = None
        for sig, parts in plan.identify:
            if _first_match(text, parts):
                provider_sig = sig
                break
        provider = provider_sig.provider if provider_sig else self.provider_of_host(host)
        category_sig: Signature | None = None
        blocklist_sig: Signature | None = None
        blocklist_name: str | None = None
        for sig, parts in plan.decide:
            if sig.when_provider is not None and sig.when_provider != provider:
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
_Try = tuple[Signature, tuple["_Part | bool", ...]]


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
        if sig.pattern is None:
            out.append((sig, (True,)))
            continue
        if present is None:
            out.append((sig, (_Part((), sig.pattern.pattern, False),)))
            continue
        parts: list[_Part | bool] = []
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


def _first_match(text: str, parts: tuple[_Part | bool, ...]) -> re.Match[str] | bool | None:
    """What ``Signature.found`` returns, for the parts a plan kept."""
    for part in parts:
        if part is True:
            return True
        assert isinstance(part, _Part)
        m = part.regex.search(text)
        if m:
            return m
    return None


def _needles_of(sigs: Sequence[Signature]) -> set[str]:
    return {n for s in sigs for part in s.parts for n in part.needles}


def _captures_list(sig: Signature) -> bool:
    return sig.pattern is not None and "blocklist" in sig.pattern.groupindex


def _blocklist_of(sig: Signature, m: re.Match[str] | bool) -> tuple[bool, str | None]:
    """Whether ``sig`` decides the blocklist field for this match, and the list it names."""
    if sig.blocklist is not None:
        return True, sig.blocklist or None  # "" decides: no list
    if isinstance(m, re.Match) and "blocklist" in m.re.groupindex:
        found = m.group("blocklist")
        name = found.lower().strip(".") if found else None
        return name is not None, name
    return False, None


def _enhanced_in(enhanced: str | None, ranges: tuple[tuple[str, int, int], ...]) -> bool:
    if not enhanced:
        return False
    head, _, detail = enhanced.rpartition(".")
    if not detail.isdigit():
        return False
    d = int(detail)
    anyclass = "x" + head[1:]
    return any((head == h or anyclass == h) and lo <= d <= hi for h, lo, hi in ranges)


def _array(rf: RuleFile, table: str) -> list[dict[str, Any]]:
    items = rf.data.get(table, [])
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise RuleError(f"{rf.path}: '{table}' must be an array of tables ([[{table}]])")
    return items


def _signature(
    rf: RuleFile, raw: dict[str, Any], cached: dict[str, Any], analyses: dict[str, Any]
) -> Signature:
    """One ``[[signature]]``; ``cached`` holds known analyses of patterns (see _analyse),
    ``analyses`` gets this one's."""
    sid = raw.get("id")
    if not isinstance(sid, str) or not sid:
        raise RuleError(f"{rf.path}: a [[signature]] has no 'id'")
    where = f"{rf.path}: signature {sid!r}"
    unknown = set(raw) - _SIG_KEYS
    if unknown:
        raise RuleError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
    pattern: re.Pattern[str] | None = None
    needles: tuple[str, ...] = ()
    parts: tuple[_Part, ...] = ()
    if "pattern" in raw:
        try:
            pattern = re.compile(raw["pattern"], re.IGNORECASE)
        except re.error as exc:
            raise RuleError(f"{where}: bad pattern at column {exc.pos}: {exc.msg}") from exc
        source = raw["pattern"]
        analysis: list[Any] = cached.get(source) or []
        if not _is_analysis(analysis):
            analysis = _analyse(source, pattern)
        analyses[source] = analysis
        parts = tuple(_Part(tuple(needles), part, literal) for part, needles, literal in analysis)
        needles = _union([p.needles for p in parts])
    if pattern is None and not ({"codes", "enhanced", "when_provider"} & set(raw)):
        raise RuleError(f"{where}: needs a 'pattern' or a condition on codes/enhanced/provider")
    category = raw.get("category")
    if category is not None and category not in CATEGORY_SET:
        raise RuleError(f"{where}: unknown category {category!r}")
    if not ({"category", "provider", "blocklist"} & set(raw)) and not (
        pattern is not None and "blocklist" in pattern.groupindex
    ):
        raise RuleError(f"{where}: sets nothing (category, provider or blocklist)")
    for key in ("provider", "blocklist", "when_provider", "meaning", "action", "source"):
        if key in raw and not isinstance(raw[key], str):
            raise RuleError(f"{where}: '{key}' must be a string")
    if "priority" in raw and not isinstance(raw["priority"], int):
        raise RuleError(f"{where}: 'priority' must be an integer")
    classes = raw.get("classes")
    if classes is not None and not set(classes) <= _CLASSES:
        raise RuleError(f"{where}: classes must be among {sorted(_CLASSES)}")
    examples = raw.get("examples", [])
    if isinstance(examples, str):
        examples = [examples]
    return Signature(
        id=sid,
        pattern=pattern,
        needles=needles,
        category=category,
        provider=raw.get("provider"),
        blocklist=raw.get("blocklist"),
        codes=frozenset(str(c) for c in raw["codes"]) if "codes" in raw else None,
        enhanced=_ranges(where, raw["enhanced"]) if "enhanced" in raw else None,
        classes=frozenset(classes) if classes is not None else None,
        when_provider=raw.get("when_provider"),
        priority=int(raw.get("priority", 0)),
        meaning=raw.get("meaning", ""),
        action=raw.get("action", ""),
        examples=tuple(examples),
        source=raw.get("source", ""),
        origin=str(rf.path),
        parts=parts,
    )


def _ranges(where: str, values: Sequence[str]) -> tuple[tuple[str, int, int], ...]:
    out = []
    for v in values:
        m = _ENHANCED_RANGE.match(v)
        if m is None:
            raise RuleError(f"{where}: bad enhanced code {v!r} (want 5.7.1 or 5.7.606-5.7.649)")
        lo = int(m.group(3))
        hi = int(m.group(4)) if m.group(4) else lo
        out.append((f"{m.group(1)}.{int(m.group(2))}", lo, hi))
    return tuple(out)


# rule_cache name of the pattern analyses: pattern -> [[part, needles, literal], ...]
_ANALYSIS_CACHE = "signature-parts"


def _analyse(source: str, whole: re.Pattern[str]) -> list[Any]:
    """The top-level alternatives of ``source``, each with its needles and whether it is a
    plain literal; JSON data, so that rule_cache can keep it (the slow part of start-up).

    Falls back to the whole pattern when it has no top-level ``|`` or a part does not compile
    alone (a back-reference to another alternative's group)."""
    pieces = _split_alternatives(source)
    if len(pieces) > 1:
        try:
            compiled = [(p, re.compile(p, re.IGNORECASE)) for p in pieces]
        except re.error:
            pass
        else:
            return [_analyse_part(p, regex) for p, regex in compiled]
    return [_analyse_part(source, whole)]


def _analyse_part(source: str, regex: re.Pattern[str]) -> tuple[str, list[str], bool]:
    needles = _needles(source)
    literal = False
    if len(needles) == 1 and not regex.groups and _sre_parse is not None:
        ops = list(_sre_parse.parse(source, re.IGNORECASE))
        literal = len(ops) == len(needles[0]) and all(str(op) == "LITERAL" for op, _ in ops)
    return source, list(needles), literal


def _is_analysis(value: Any) -> bool:
    """Whether a cached value has the shape _analyse gives (a cache file may be anything)."""
    return (
        isinstance(value, list)
        and bool(value)
        and all(
            isinstance(v, list)
            and len(v) == 3
            and isinstance(v[0], str)
            and isinstance(v[1], list)
            and all(isinstance(n, str) for n in v[1])
            and isinstance(v[2], bool)
            for v in value
        )
    )


def _split_alternatives(source: str) -> list[str]:
    """``source`` split at the ``|`` that are outside groups, classes and escapes.

    >>> _split_alternatives(r"a\\|b|(c|d)|[|]e")
    ['a\\\\|b', '(c|d)', '[|]e']
    """
    pieces, depth, start, i, in_class = [], 0, 0, 0, False
    while i < len(source):
        ch = source[i]
        if ch == "\\":
            i += 2
            continue
        if in_class:
            in_class = ch != "]"  # a leading "]" was skipped on entry
        elif ch == "[":
            in_class = True
            if source[i + 1 : i + 2] == "^":
                i += 1
            if source[i + 1 : i + 2] == "]":
                i += 1  # a leading "]" is a literal
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "|" and depth == 0:
            pieces.append(source[start:i])
            start = i + 1
        i += 1
    pieces.append(source[start:])
    return pieces


def _union(alternatives: list[tuple[str, ...]]) -> tuple[str, ...]:
    """Needles of a signature from those of its parts: none if any part has none."""
    if any(not a for a in alternatives):
        return ()
    return tuple(sorted({n for a in alternatives for n in a}))


def _needles(pattern: str) -> tuple[str, ...]:
    """Literal strings (lower-case ASCII, 3+ chars) one of which every match must contain.

    >>> _needles(r"blocked using (sbl|xbl)\\.spamhaus\\.org")
    ('blocked using ',)
    >>> sorted(_needles(r"mailbox (is )?full|over quota"))
    ['mailbox ', 'over quota']
    >>> _needles(r"\\d+ms")
    ()
    """
    if _sre_parse is None:
        return ()
    try:
        parsed = _sre_parse.parse(pattern, re.IGNORECASE)
    except Exception:
        return ()
    return _best(parsed) or ()


def _best(items: Any) -> tuple[str, ...] | None:
    """The most selective needle set of a parsed sequence: longest shortest member."""
    options: list[tuple[str, ...]] = []
    run: list[str] = []

    def close() -> None:
        word = "".join(run)
        if len(word) >= _MIN_NEEDLE and word.isascii():
            options.append((word.lower(),))
        run.clear()

    for op, av in items:
        name = str(op)
        if name == "LITERAL":
            run.append(chr(av))
            continue
        if name in ("AT", "ASSERT", "ASSERT_NOT"):
            continue  # zero-width: the literals on both sides are adjacent in the text
        close()
        if name == "SUBPATTERN":
            sub = _best(av[-1])
        elif name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT") and av[0] >= 1:
            sub = _best(av[2])
        elif name == "BRANCH":
            sub = _any_of([_best(branch) for branch in av[1]])
        else:
            sub = None
        if sub:
            options.append(sub)
    close()
    if not options:
        return None
    return max(options, key=lambda o: (min(len(n) for n in o), -len(o)))


def _any_of(alternatives: list[tuple[str, ...] | None]) -> tuple[str, ...] | None:
    """Needles of an alternation: the union, unless a branch has none."""
    union: set[str] = set()
    for alt in alternatives:
        if alt is None:
            return None
        union.update(alt)
    return tuple(sorted(union))
