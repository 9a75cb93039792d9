"""``logscan explain``: what a reply code or a whole reply line means, and what to do.

    $ logscan explain 550 5.1.1
    $ logscan explain 5.7.26
    $ logscan explain 511          # the seed's shorthand: most likely 5.1.1
    $ logscan explain "554 5.7.1 Client host [192.0.2.1] blocked using zen.spamhaus.org"
    $ logscan explain --json - < replies.txt

Arguments that are all codes (``550``, ``5.1.1``) are looked up as codes; anything else is read as
one reply line. Bad input (empty, not UTF-8, too long, nothing recognisable) exits with status 2.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from logscan.app.config import ConfigError
from logscan.classify.catalogue import Catalogue, Entry
from logscan.classify.classifier import Classifier
from logscan.classify.rule_files import RuleError
from logscan.cli.rules_options import add_rules_arguments, load_classifier
from logscan.core.event import Verdict
from logscan.core.smtp import CODE_NOTATION, ENHANCED_CODE
from logscan.parsing.reply import parse_reply

EXIT_BAD_INPUT = 2
MAX_INPUT_CHARS = 64 * 1024

# Codes as people write them, non-standard ones included: the catalogue says what it knows.
_BASIC = re.compile(rf"^{CODE_NOTATION}$")
_ENHANCED = re.compile(rf"^{ENHANCED_CODE}$")
# A pasted line may start with a number no server sends but people meet ("101 Cannot open
# connection" from a desktop client): the catalogue may know it, so it is read as the code.
_LEADING_NOTATION = re.compile(rf"({CODE_NOTATION})(?:[ -]|$)")
# Prefixes that wrap a reply in bounces and logs; they are not part of it.
_WRAPPER = re.compile(r"^\s*(?:smtp;\s*|diagnostic-code:\s*smtp;\s*|said:\s*)", re.IGNORECASE)


class BadInput(ValueError):
    """Input that cannot be explained; the message says why."""


@dataclass(frozen=True)
class Answer:
    """One explanation: the verdict plus what the catalogue says about each code."""

    input: str
    code: str | None
    enhanced: str | None
    verdict: Verdict
    basic_entry: Entry | None
    enhanced_entry: Entry | None
    shorthand_for: str | None  # a non-standard basic code that most likely stands for this

    def to_dict(self) -> dict[str, Any]:
        v = self.verdict
        out: dict[str, Any] = {
            "input": self.input,
            "code": self.code,
            "enhanced": self.enhanced,
            "class": v.class_,
            "category": v.category,
            "provider": v.provider,
            "blocklist": v.blocklist,
            "meaning": v.meaning,
            "action": v.action,
            "decided_by": v.rule,
            "standard": self.basic_entry.standard if self.basic_entry else None,
        }
        if self.shorthand_for:
            out["likely_enhanced"] = self.shorthand_for
        return out


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "what",
        nargs="+",
        metavar="CODE... | TEXT | -",
        help="reply codes (550, 5.1.1), one whole reply line, or - to read one per stdin line",
    )
    parser.add_argument("--json", action="store_true", help="one JSON object per answer")
    add_rules_arguments(parser)


def run(args: argparse.Namespace) -> int:
    try:
        classifier = load_classifier(args)
    except (RuleError, ConfigError) as exc:
        print(f"logscan explain: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    if args.what == ["-"]:
        if sys.stdin is None:
            print("logscan explain: standard input is closed (<&-)", file=sys.stderr)
            return EXIT_BAD_INPUT
        return _explain_stream(classifier, args.json)
    try:
        answer = explain(classifier, args.what)
    except BadInput as exc:
        print(f"logscan explain: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    print(json.dumps(answer.to_dict()) if args.json else render(answer))
    return 0


def explain(classifier: Classifier, words: Sequence[str]) -> Answer:
    """Explain codes (``["550", "5.1.1"]``) or a reply line (one or more words)."""
    for w in words:
        _check_text(w)
    if words and all(_BASIC.match(w) or _ENHANCED.match(w) for w in words):
        return _explain_codes(classifier, words)
    return _explain_text(classifier, " ".join(words))


def _explain_codes(classifier: Classifier, words: Sequence[str]) -> Answer:
    basics = [w for w in words if _BASIC.match(w)]
    enhanceds = [w for w in words if _ENHANCED.match(w)]
    if len(basics) > 1 or len(enhanceds) > 1:
        raise BadInput("give at most one basic code and one enhanced code (e.g. 550 5.1.1)")
    code = basics[0] if basics else None
    enhanced = enhanceds[0] if enhanceds else None
    cat = classifier.catalogue
    basic_entry = cat.basic_entry(code) if code else None
    shorthand = basic_entry.likely_enhanced if basic_entry and not basic_entry.standard else None
    if code and basic_entry is None:
        raise BadInput(
            f"{code} is not a reply code logscan knows (not in RFC 5321 or the catalogue)"
        )
    if shorthand and enhanced is None:
        # "511" in the seed's sense is 5.1.1 written without dots: explain it as that.
        enhanced = shorthand
    enh_entry = cat.enhanced_entry(enhanced) if enhanced else None
    if enhanced and enh_entry is None:
        raise BadInput(f"{enhanced} is not an enhanced status code logscan knows")
    verdict_code = None if shorthand else code
    verdict = classifier.classify(verdict_code, enhanced, None)
    return Answer(" ".join(words), code, enhanced, verdict, basic_entry, enh_entry, shorthand)


def _explain_text(classifier: Classifier, text: str) -> Answer:
    text = _WRAPPER.sub("", text.strip())
    if not text:
        raise BadInput("empty input: give a reply code (550), an enhanced code (5.1.1) or a reply")
    reply = parse_reply(text)
    if reply.code is None and (m := _LEADING_NOTATION.match(reply.text)):
        reply = reply._replace(code=m.group(1))
    verdict = classifier.classify(reply.code, reply.enhanced, reply.text)
    if reply.code is None and reply.enhanced is None and verdict.rule == "none":
        shown = text if len(text) <= 60 else text[:57] + "..."
        raise BadInput(f"no reply code and no known reply wording in {shown!r}")
    cat: Catalogue = classifier.catalogue
    basic_entry = cat.basic_entry(reply.code) if reply.code else None
    enh_entry = cat.enhanced_entry(reply.enhanced) if reply.enhanced else None
    return Answer(text, reply.code, reply.enhanced, verdict, basic_entry, enh_entry, None)


def _check_text(text: str) -> None:
    if len(text) > MAX_INPUT_CHARS:
        raise BadInput(f"input too long ({len(text)} characters; at most {MAX_INPUT_CHARS})")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise BadInput(f"input is not valid UTF-8 (at character {exc.start})") from exc
    if any(ord(c) < 32 and c not in "\t" for c in text):
        raise BadInput("input holds control characters; is it binary?")


def _explain_stream(classifier: Classifier, as_json: bool) -> int:
    status = 0
    for lineno, raw in _stdin_lines():
        try:
            line = _decode(raw)
            answer = explain(classifier, [line] if line.strip() else [])
        except BadInput as exc:
            status = EXIT_BAD_INPUT
            msg = f"stdin line {lineno}: {exc}" if str(exc) else f"stdin line {lineno}: empty line"
            print(json.dumps({"line": lineno, "error": msg}) if as_json else f"error: {msg}")
            print(f"logscan explain: {msg}", file=sys.stderr)
            continue
        print(json.dumps(answer.to_dict()) if as_json else _one_line(answer))
    return status


def _decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadInput(f"not valid UTF-8 (byte {exc.start + 1})") from exc


def _stdin_lines() -> Iterator[tuple[int, bytes]]:
    for lineno, raw in enumerate(sys.stdin.buffer, 1):
        yield lineno, raw.rstrip(b"\r\n")[: MAX_INPUT_CHARS * 4 + 1]


def _one_line(a: Answer) -> str:
    v = a.verdict
    codes = " ".join(c for c in (a.code, a.enhanced) if c) or "-"
    extra = "".join(
        f" [{k}: {val}]" for k, val in (("provider", v.provider), ("blocklist", v.blocklist)) if val
    )
    return f"{codes}\t{v.class_ or '-'}\t{v.category}{extra}\t{v.meaning} -> {v.action}"


def render(a: Answer) -> str:
    """The plain, human answer."""
    v = a.verdict
    codes = " ".join(c for c in (a.code, a.enhanced) if c)
    lines = [
        f"{codes or a.input}: {v.class_ or 'no class'} failure"
        if v.class_ in ("transient", "permanent")
        else f"{codes or a.input}: {v.class_ or 'no reply code'}"
    ]
    if a.shorthand_for:
        lines.append(
            f"  Note:       {a.code} is not a standard SMTP reply; it is most likely the enhanced "
            f"code {a.shorthand_for} written without dots."
        )
    lines.append(f"  Category:   {v.category}")
    if v.provider:
        lines.append(f"  Provider:   {v.provider}")
    if v.blocklist:
        lines.append(f"  Blocklist:  {v.blocklist}")
    lines.append(f"  Meaning:    {v.meaning or 'not in the catalogue'}")
    lines.append(f"  What to do: {v.action or 'read the reply text'}")
    for label, entry in ((a.code, a.basic_entry), (a.enhanced, a.enhanced_entry)):
        if entry is not None and label and entry.meaning != v.meaning and not a.shorthand_for:
            title = f"{label} ({entry.name})" if entry.name else label
            lines.append(f"  {title}: {entry.meaning}")
        if entry is not None and entry.note:
            lines.append(f"  Caveat ({label}): {entry.note}")
    lines.append(f"  Decided by: {v.rule.replace(':', ' ', 1)}")
    return "\n".join(lines)
