"""One text signature: a ``[[signature]]`` table of the rules, read, checked and compiled.

A signature is a case-insensitive regular expression plus optional conditions on the basic code,
enhanced code, class and provider; it may set ``category``, ``provider`` and ``blocklist`` (or
take the list from a ``(?P<blocklist>...)`` group). ``blocklist = ""`` decides the blocklist
field as "none". ``enhanced`` values may use ``x`` for the class (``"x.7.25"`` matches 4.7.25
and 5.7.25) and a range of details (``"5.7.606-5.7.649"``)::

    >>> from pathlib import Path
    >>> rf = RuleFile(Path("mine.toml"), {}, builtin=False)
    >>> sig = signature_from_table(rf, {"id": "full", "pattern": "mailbox (is )?full",
    ...     "category": "mailbox-full", "enhanced": ["x.2.2"]}, {}, {})
    >>> sig.conditions_hold("452", "4.2.2", "transient")
    True
    >>> sig.conditions_hold("250", "2.2.2", "success")  # a category judges failures only
    False
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from logscan.classify.needles import Part, is_analysed, parts_of, union
from logscan.classify.rule_files import RuleError, RuleFile
from logscan.core.categories import CATEGORY_SET
from logscan.core.smtp import CLASSES, ENHANCED_CLASS, ENHANCED_NUMBER

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
    "written_by",
    "priority",
    "meaning",
    "action",
    "examples",
    "source",
}
# The reply classes a signature may be limited to; "none" is a reply without a code.
# The reply classes of core.smtp, and "none" for an event without a code.
REPLY_CLASSES = frozenset({*CLASSES.values(), "none"})
# A signature that sets a category judges a failure: by default it leaves 2xx/3xx replies alone.
_DEFAULT_CATEGORY_CLASSES = frozenset({"transient", "permanent", "none"})
_ENHANCED_RANGE = re.compile(
    rf"^({ENHANCED_CLASS}|x)\.({ENHANCED_NUMBER})\.({ENHANCED_NUMBER})"
    rf"(?:-\1\.\2\.({ENHANCED_NUMBER}))?$"
)


@dataclass(frozen=True, slots=True)
class Signature:
    id: str
    pattern_source: str | None  # the regex as written; compiled on first use (see ``pattern``)
    needles: tuple[str, ...]  # lower-case ASCII; one must occur in a matching text; () = no filter
    category: str | None
    provider: str | None
    blocklist: str | None
    codes: frozenset[str] | None
    # (class.subject, low detail, high detail); class "x" stands for any class
    enhanced: tuple[tuple[str, int, int], ...] | None
    classes: frozenset[str] | None
    when_provider: str | None
    # The MTA that wrote the reply (an inbound event's own MTA), for texts that mean something
    # else coming from that MTA than from others: MDaemon's 452 storage text is an account over
    # quota. None: whoever wrote it.
    written_by: str | None
    priority: int
    meaning: str
    action: str
    examples: tuple[str, ...]
    source: str
    origin: str  # file it came from
    # The pattern's top-level alternatives, each compiled alone with its own needles, so that
    # only the alternatives whose literals occur in a text are run (a big alternation is slow).
    parts: tuple[Part, ...] = ()
    _whole: list[re.Pattern[str]] = field(default_factory=list, compare=False, repr=False)

    @property
    def pattern(self) -> re.Pattern[str] | None:
        """The whole pattern, compiled (case-insensitive) on first use: matching runs the parts,
        so most signatures never need it, and compiling them all took a third of start-up."""
        if self.pattern_source is None:
            return None
        if not self._whole:
            self._whole.append(re.compile(self.pattern_source, re.IGNORECASE))
        return self._whole[0]

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

    def captures_list(self) -> bool:
        """Whether the pattern names the blocklist in a ``(?P<blocklist>...)`` group."""
        return self.pattern_source is not None and _names_list(self.pattern_source)


def _enhanced_in(enhanced: str | None, ranges: tuple[tuple[str, int, int], ...]) -> bool:
    if not enhanced:
        return False
    head, _, detail = enhanced.rpartition(".")
    if not detail.isdigit():
        return False
    d = int(detail)
    anyclass = "x" + head[1:]
    return any((head == h or anyclass == h) and lo <= d <= hi for h, lo, hi in ranges)


def signature_from_table(
    rf: RuleFile, raw: dict[str, Any], cached: Mapping[str, Any], analyses: dict[str, Any]
) -> Signature:
    """One ``[[signature]]`` of ``rf``; ``cached`` holds known analyses of patterns
    (see needles.analyse), ``analyses`` gets this one's."""
    sid = raw.get("id")
    if not isinstance(sid, str) or not sid:
        raise RuleError(f"{rf.path}: a [[signature]] has no 'id'")
    where = f"{rf.path}: signature {sid!r}"
    unknown = set(raw) - _SIG_KEYS
    if unknown:
        raise RuleError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
    source = raw.get("pattern")
    whole: list[re.Pattern[str]] = []
    parts: tuple[Part, ...] = ()
    if source is not None:
        if not isinstance(source, str):
            raise RuleError(f"{where}: 'pattern' must be a string")
        # A pattern the cache has analysed compiled on this Python before (the cache file is
        # per Python version): it is compiled when first used. Any other is compiled now, so
        # that a bad one is an error at load, with its place.
        if not is_analysed(cached, source):
            try:
                whole.append(re.compile(source, re.IGNORECASE))
            except re.error as exc:
                raise RuleError(f"{where}: bad pattern at column {exc.pos}: {exc.msg}") from exc
        parts = parts_of(source, whole[0] if whole else None, cached, analyses)
    _check(where, raw, source)
    examples = raw.get("examples", [])
    if isinstance(examples, str):
        examples = [examples]
    classes = raw.get("classes")
    return Signature(
        id=sid,
        pattern_source=source,
        needles=union([p.needles for p in parts]),
        category=raw.get("category"),
        provider=raw.get("provider"),
        blocklist=raw.get("blocklist"),
        codes=frozenset(str(c) for c in raw["codes"]) if "codes" in raw else None,
        enhanced=_ranges(where, raw["enhanced"]) if "enhanced" in raw else None,
        classes=frozenset(classes) if classes is not None else None,
        when_provider=raw.get("when_provider"),
        written_by=raw.get("written_by"),
        priority=int(raw.get("priority", 0)),
        meaning=raw.get("meaning", ""),
        action=raw.get("action", ""),
        examples=tuple(examples),
        source=raw.get("source", ""),
        origin=str(rf.path),
        parts=parts,
        _whole=whole,
    )


def _names_list(source: str) -> bool:
    """Whether a pattern names the blocklist in a ``(?P<blocklist>...)`` group."""
    return "(?P<blocklist>" in source


def _check(where: str, raw: dict[str, Any], pattern: str | None) -> None:
    """Raise :class:`RuleError` for a table that cannot make a working signature."""
    if pattern is None and not ({"codes", "enhanced", "when_provider"} & set(raw)):
        raise RuleError(f"{where}: needs a 'pattern' or a condition on codes/enhanced/provider")
    category = raw.get("category")
    if category is not None and category not in CATEGORY_SET:
        raise RuleError(f"{where}: unknown category {category!r}")
    if not ({"category", "provider", "blocklist"} & set(raw)) and not (
        pattern is not None and _names_list(pattern)
    ):
        raise RuleError(f"{where}: sets nothing (category, provider or blocklist)")
    for key in (
        "provider",
        "blocklist",
        "when_provider",
        "written_by",
        "meaning",
        "action",
        "source",
    ):
        if key in raw and not isinstance(raw[key], str):
            raise RuleError(f"{where}: '{key}' must be a string")
    if "priority" in raw and not isinstance(raw["priority"], int):
        raise RuleError(f"{where}: 'priority' must be an integer")
    classes = raw.get("classes")
    if classes is not None and not set(classes) <= REPLY_CLASSES:
        raise RuleError(f"{where}: classes must be among {sorted(REPLY_CLASSES)}")


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
