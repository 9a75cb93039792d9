"""The reply-code catalogue: what each basic and enhanced code means and what to do about it.

Data lives in ``rules/catalogue.toml`` (tables ``[basic."550"]``, ``[enhanced."x.1.1"]``,
``[class."5"]`` and ``[status."sent"]``, what a delivery outcome logged without a reply code
means); this module only loads and looks up::

    >>> from logscan.classify.rule_files import load_rule_files
    >>> cat = Catalogue.from_files(load_rule_files())
    >>> cat.enhanced_entry("5.1.1").category
    'mailbox-unknown'
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from logscan.classify.rule_files import RuleError, RuleFile
from logscan.core.categories import CATEGORY_SET
from logscan.core.event import STATUSES
from logscan.core.smtp import CLASSES, CODE_NOTATION, ENHANCED_NUMBER, ENHANCED_PARTS_RE

# Keys are codes as people write them, non-standard ones included (smtp.CODE_NOTATION).
_BASIC_KEY = re.compile(rf"^{CODE_NOTATION}$")
_ENHANCED_KEY = re.compile(rf"^x\.{ENHANCED_NUMBER}\.(?:{ENHANCED_NUMBER}|x)$")
_ENHANCED = re.compile(rf"^{ENHANCED_PARTS_RE.pattern}$")
_CLASS_KEY = re.compile("^(?:" + "|".join(CLASSES) + ")$")
_STATUS_KEY = re.compile("^(?:" + "|".join(STATUSES) + ")$")


@dataclass(frozen=True, slots=True)
class Entry:
    """One catalogue entry (a basic code, an enhanced code pattern ``x.S.D``, or a class)."""

    key: str
    category: str
    meaning: str
    action: str
    name: str = ""
    standard: bool = True
    source: str = ""
    likely_enhanced: str | None = None  # a non-standard basic code that stands for an enhanced one
    note: str = ""
    transient_category: str | None = None  # when the 4.x.x form means something else
    by_stage: Mapping[str, str] = field(default_factory=dict)
    # When the code was not in the log but is the MTA's documented default for a refusal
    # (Event.code_inferred: Exim's 550 for any ACL deny), it says only that a rule refused.
    inferred_category: str | None = None

    def category_for(self, class_: str | None, stage: str | None, inferred: bool = False) -> str:
        if inferred and self.inferred_category:
            return self.inferred_category
        if stage is not None and stage in self.by_stage:
            return self.by_stage[stage]
        if class_ == "transient" and self.transient_category:
            return self.transient_category
        return self.category


_ENTRY_KEYS = {
    "category",
    "meaning",
    "action",
    "name",
    "standard",
    "source",
    "likely_enhanced",
    "note",
    "transient_category",
    "by_stage",
    "inferred_category",
}


@dataclass(frozen=True)
class Catalogue:
    basic: Mapping[str, Entry]
    enhanced: Mapping[str, Entry]
    classes: Mapping[str, Entry]
    # What each category means in general: the fallback text when a signature decided the
    # category but says nothing itself (a blocklist hit explained as "policy" would mislead).
    categories: Mapping[str, Entry] = field(default_factory=dict)
    # What a delivery outcome says by itself ("sent": delivered), when no code decides.
    statuses: Mapping[str, Entry] = field(default_factory=dict)

    @classmethod
    def from_files(cls, files: Sequence[RuleFile]) -> Catalogue:
        basic: dict[str, Entry] = {}
        enhanced: dict[str, Entry] = {}
        classes: dict[str, Entry] = {}
        categories: dict[str, Entry] = {}
        statuses: dict[str, Entry] = {}
        for rf in files:
            for table, target, key_re in (
                ("basic", basic, _BASIC_KEY),
                ("enhanced", enhanced, _ENHANCED_KEY),
                ("class", classes, _CLASS_KEY),
                ("category", categories, re.compile(r"^[a-z-]+$")),
                ("status", statuses, _STATUS_KEY),
            ):
                section = rf.data.get(table, {})
                if not isinstance(section, dict):
                    raise RuleError(f"{rf.path}: [{table}] must be a table")
                for key, raw in section.items():
                    if table == "category" and isinstance(raw, dict):
                        raw = {"category": key, **raw}
                    if not key_re.match(key):
                        raise RuleError(f"{rf.path}: [{table}.{key}]: malformed code {key!r}")
                    target[key] = _entry(rf, f"{table}.{key}", key, raw)
        for name in categories:
            if name not in CATEGORY_SET:
                raise RuleError(f"[category.{name}]: not a category of the contract")
        return cls(basic, enhanced, classes, categories, statuses)

    def basic_entry(self, code: str) -> Entry | None:
        return self.basic.get(code)

    def enhanced_entry(self, enhanced: str) -> Entry | None:
        """The detail entry ``x.S.D`` for ``enhanced``, else its subject entry ``x.S.x``."""
        m = _ENHANCED.match(enhanced)
        if m is None:
            return None
        _, subject, detail = m.groups()
        subject, detail = str(int(subject)), str(int(detail))
        return self.enhanced.get(f"x.{subject}.{detail}") or self.enhanced.get(f"x.{subject}.x")

    def is_registered_enhanced(self, enhanced: str) -> bool:
        """True when ``enhanced`` has its own detail entry (not just a subject fallback)."""
        m = _ENHANCED.match(enhanced)
        return bool(m) and f"x.{int(m.group(2))}.{int(m.group(3))}" in self.enhanced  # type: ignore[union-attr]

    def class_entry(self, digit: str) -> Entry | None:
        return self.classes.get(digit)

    def status_entry(self, status: str) -> Entry | None:
        return self.statuses.get(status)

    def category_entry(self, category: str) -> Entry | None:
        return self.categories.get(category)


def _entry(rf: RuleFile, where: str, key: str, raw: Any) -> Entry:
    if not isinstance(raw, dict):
        raise RuleError(f"{rf.path}: [{where}] must be a table")
    unknown = set(raw) - _ENTRY_KEYS
    if unknown:
        raise RuleError(f"{rf.path}: [{where}]: unknown key(s) {', '.join(sorted(unknown))}")
    for required in ("category", "meaning", "action"):
        if not isinstance(raw.get(required), str) or not raw[required].strip():
            raise RuleError(f"{rf.path}: [{where}]: '{required}' must be a non-empty string")
    cats = [
        raw["category"],
        raw.get("transient_category"),
        raw.get("inferred_category"),
        *dict(raw.get("by_stage", {})).values(),
    ]
    for cat in cats:
        if cat is not None and cat not in CATEGORY_SET:
            raise RuleError(f"{rf.path}: [{where}]: unknown category {cat!r}")
    return Entry(
        key=key,
        category=raw["category"],
        meaning=raw["meaning"].strip(),
        action=raw["action"].strip(),
        name=raw.get("name", ""),
        standard=bool(raw.get("standard", True)),
        source=raw.get("source", ""),
        likely_enhanced=raw.get("likely_enhanced"),
        note=raw.get("note", "").strip(),
        transient_category=raw.get("transient_category"),
        by_stage=dict(raw.get("by_stage", {})),
        inferred_category=raw.get("inferred_category"),
    )
