"""Needles: literal strings, one of which occurs in any text a signature pattern matches.

A pattern is cut at its top-level ``|`` into parts; each part gets its needles (e.g.
``spamhaus`` or ``{sbl, xbl}``) and is marked *literal* when the part is nothing but its one
needle. The prefilter (``prefilter.py``) looks for all needles at once and only the parts whose
needles are present are run. Working this out parses every pattern with Python's regex parser,
the slow part of start-up, so the result is plain JSON data that ``rule_cache`` keeps::

    >>> analysis = analyse(r"mailbox (is )?full|over quota", re.compile("x"))
    >>> [(part, needles, literal) for part, needles, literal in analysis]
    [('mailbox (is )?full', ['mailbox '], False), ('over quota', ['over quota'], True)]
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

# The regex parser is private (re._parser); without it signatures simply run without needles.
_sre_parse: Any = importlib.import_module("re._parser") if hasattr(re, "_parser") else None

_MIN_NEEDLE = 3
# rule_cache name of the pattern analyses: pattern -> [[part, needles, literal], ...]
ANALYSIS_CACHE = "signature-parts"


@dataclass(frozen=True, slots=True)
class Part:
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


def is_analysed(cached: Mapping[str, Any], source: str) -> bool:
    """Whether ``cached`` holds a well-formed analysis of pattern ``source``."""
    return _is_analysis(cached.get(source) or [])


def parts_of(
    source: str,
    whole: re.Pattern[str] | None,
    cached: Mapping[str, Any],
    analyses: dict[str, Any],
) -> tuple[Part, ...]:
    """The parts of pattern ``source`` (compiled: ``whole``, if it was), from ``cached``
    analyses when they hold it; ``analyses`` gets this one's, for the cache to keep."""
    analysis: list[Any] = cached.get(source) or []
    if not _is_analysis(analysis):
        analysis = analyse(source, whole or re.compile(source, re.IGNORECASE))
    analyses[source] = analysis
    return tuple(Part(tuple(needles), part, literal) for part, needles, literal in analysis)


def union(alternatives: list[tuple[str, ...]]) -> tuple[str, ...]:
    """Needles of a signature from those of its parts: none if any part has none."""
    if any(not a for a in alternatives):
        return ()
    return tuple(sorted({n for a in alternatives for n in a}))


def analyse(source: str, whole: re.Pattern[str]) -> list[Any]:
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
    needles = needles_of(source)
    literal = False
    if len(needles) == 1 and not regex.groups and _sre_parse is not None:
        ops = list(_sre_parse.parse(source, re.IGNORECASE))
        literal = len(ops) == len(needles[0]) and all(str(op) == "LITERAL" for op, _ in ops)
    return source, list(needles), literal


def _is_analysis(value: Any) -> bool:
    """Whether a cached value has the shape analyse gives (a cache file may be anything)."""
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


def needles_of(pattern: str) -> tuple[str, ...]:
    """Literal strings (lower-case ASCII, 3+ chars) one of which every match must contain.

    >>> needles_of(r"blocked using (sbl|xbl)\\.spamhaus\\.org")
    ('blocked using ',)
    >>> sorted(needles_of(r"mailbox (is )?full|over quota"))
    ['mailbox ', 'over quota']
    >>> needles_of(r"\\d+ms")
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
