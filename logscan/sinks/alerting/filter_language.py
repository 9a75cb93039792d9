"""The filter expression language of alert rules, parsed once at load time into a predicate.

An expression compares classified-event fields with literals and combines the comparisons with
``and``, ``or``, ``not`` and parentheses::

    category == "blocklisted" and direction == "outbound"
    code in ["421", "451"] and provider != null
    not (enhanced =~ "^4\\.7\\.") or status == "deferred"

Operators: ``==``, ``!=`` (a string, a bare number such as ``421``, or ``null``), ``in`` /
``not in`` (a list of strings), ``=~`` / ``!~`` (a regular expression searched in the value; a
null value never matches). Fields: see :data:`FIELDS`. Values of the fields with a bounded
vocabulary (``category``, ``class``, ``direction``, ``stage``, ``status``) are checked at load,
so a typo is an error with its column, not a rule that silently never fires::

    >>> from logscan.core.event import ClassifiedEvent, Event, Verdict
    >>> f = Filter.parse('category == "blocklisted" and direction == "outbound"')
    >>> ev = Event(path="m.log", line=1, mta="postfix", direction="outbound", code="554")
    >>> f.matches(ClassifiedEvent(ev, Verdict("permanent", "blocklisted")))
    True
    >>> f.categories
    frozenset({'blocklisted'})
    >>> try:
    ...     Filter.parse('category == "blocklisted" and categroy == "x"')
    ... except ExpressionError as e:
    ...     print(e)  # doctest: +ELLIPSIS
    column 31: unknown field 'categroy' (fields: blocklist, category, ...)
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pyparsing as pp
import re2

from logscan.core.categories import CATEGORIES, CLASSES
from logscan.core.event import STAGES, STATUSES, ClassifiedEvent
from logscan.core.smtp import ENHANCED_CODE, REPLY_CODE

Predicate = Callable[[ClassifiedEvent], bool]

# Field name -> attribute path on a ClassifiedEvent (attrgetter runs in C: the line path is hot).
FIELDS: dict[str, str] = {
    "code": "event.code",
    "enhanced": "event.enhanced",
    "code_inferred": "event.code_inferred",
    "direction": "event.direction",
    "mta": "event.mta",
    "stage": "event.stage",
    "status": "event.status",
    "class": "verdict.class_",
    "category": "verdict.category",
    "provider": "verdict.provider",
    "blocklist": "verdict.blocklist",
}

# Fields whose values come from a closed set: literals are checked against it at load time.
VOCABULARIES: dict[str, frozenset[str]] = {
    "category": frozenset(CATEGORIES),
    "class": frozenset(CLASSES.values()),
    "direction": frozenset({"outbound", "inbound"}),
    "stage": frozenset(STAGES),
    "status": frozenset(STATUSES),
    "code_inferred": frozenset({"true", "false"}),
}

# Fields whose literals must have a shape (a typo such as code == "55" would never match).
SHAPES: dict[str, tuple[re.Pattern[str], str]] = {
    "code": (re.compile(rf"^{REPLY_CODE}$"), "a three-digit reply code (first digit 2-5)"),
    "enhanced": (re.compile(rf"^{ENHANCED_CODE}$"), "an enhanced code such as 5.7.1"),
}


class ExpressionError(ValueError):
    """A filter that cannot be used; ``column`` is 1-based within the expression text."""

    def __init__(self, column: int, message: str) -> None:
        super().__init__(f"column {column}: {message}")
        self.column = column
        self.message = message


# --- syntax tree -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Literal:
    value: str | tuple[str, ...] | None
    column: int


@dataclass(frozen=True)
class _Compare:
    field: str
    op: str
    literal: _Literal
    column: int


@dataclass(frozen=True)
class _Not:
    operand: _Node


@dataclass(frozen=True)
class _BoolOp:
    op: str  # "and" | "or"
    operands: tuple[_Node, ...]


_Node = _Compare | _Not | _BoolOp


def _grammar() -> pp.ParserElement:
    # Built without infix_notation and with error stops ("-"): once a keyword or a field name
    # has matched, what must follow is reported at its own column, whatever pyparsing's
    # backtracking heuristics of the day (they changed in 3.3).
    kw_and, kw_or, kw_not, kw_in = (pp.Keyword(k) for k in ("and", "or", "not", "in"))
    kw_null = pp.Keyword("null")
    kw_bool = pp.Keyword("true") | pp.Keyword("false")
    keyword = kw_and | kw_or | kw_not | kw_in | kw_null | kw_bool
    ident = ~keyword + pp.Word(pp.alphas + "_", pp.alphanums + "_")
    ident.set_name("a field name")

    def col(s: str, loc: int) -> int:
        # Parse actions get the location before the token's leading whitespace.
        while loc < len(s) and s[loc].isspace():
            loc += 1
        return int(pp.col(loc, s))

    string = pp.QuotedString('"', esc_char="\\") | pp.QuotedString("'", esc_char="\\")
    number = pp.Regex(r"\d+(?:\.\d+)*")
    scalar = string | number | kw_bool
    scalar.set_name("a quoted string or number")
    scalar_lit = scalar.copy().set_parse_action(lambda s, loc, t: _Literal(str(t[0]), col(s, loc)))
    null_lit = kw_null.copy().set_parse_action(lambda s, loc, t: _Literal(None, col(s, loc)))
    eq_value = (scalar_lit | null_lit).set_name("a value (a quoted string, a number or null)")
    list_lit = (
        pp.Suppress("[") - pp.Opt(pp.DelimitedList(scalar)) - pp.Suppress("]")
    ).set_parse_action(lambda s, loc, t: _Literal(tuple(str(x) for x in t), col(s, loc)))
    list_lit.set_name("a list of strings")

    # Every way an operator can start carries the same name: which alternative pyparsing
    # blames differs between releases, the message must not.
    operator_name = "an operator (==, !=, =~, !~, in, not in)"
    eq_op = pp.one_of("== != =~ !~").set_name(operator_name)
    not_in = pp.Combine(kw_not + pp.White() + kw_in, adjacent=False).set_parse_action(
        lambda: "not in"
    )
    in_op = (not_in | kw_in.copy()).set_name(operator_name)
    operator = ((eq_op - eq_value) | (in_op - list_lit)).set_name(operator_name)

    def make_compare(s: str, loc: int, t: pp.ParseResults) -> _Compare:
        return _Compare(str(t[0]), str(t[1]), t[2], col(s, loc))

    comparison = (ident - operator).set_parse_action(make_compare)

    def make_not(t: pp.ParseResults) -> _Not:
        return _Not(t[1])

    def make_bool(t: pp.ParseResults) -> _Node:
        if len(t) == 1:
            node: _Node = t[0]
            return node
        return _BoolOp(str(t[1]), tuple(t[0::2]))

    expr = pp.Forward()
    operand = pp.Forward()
    group = pp.Suppress("(") - expr - pp.Suppress(")")
    operand <<= ((kw_not - operand).set_parse_action(make_not) | group | comparison).set_name(
        "a comparison (field == value)"
    )
    conjunction = (operand + pp.ZeroOrMore(kw_and - operand)).set_parse_action(make_bool)
    expr <<= (conjunction + pp.ZeroOrMore(kw_or - conjunction)).set_parse_action(make_bool)
    # Columns must count characters as written: no tab expansion.
    return expr.parse_with_tabs()


_GRAMMAR: pp.ParserElement | None = None


def _parse_tree(text: str) -> _Node:
    # Built lazily once: building the grammar costs more than parsing a rule file.
    global _GRAMMAR
    if _GRAMMAR is None:
        _GRAMMAR = _grammar()
    try:
        result = _GRAMMAR.parse_string(text, parse_all=True)
    except pp.ParseBaseException as exc:  # ParseSyntaxException comes from the error stops
        raise ExpressionError(int(exc.column), _syntax_message(exc)) from None
    node: _Node = result[0]
    return node


def _syntax_message(exc: pp.ParseBaseException) -> str:
    found = exc.line[exc.column - 1 : exc.column + 9] if exc.column <= len(exc.line) else ""
    where = f"at {found!r}" if found.strip() else "at end of expression"
    return f"syntax error {where}: expected {exc.msg.removeprefix('Expected ')}"


# --- compilation -------------------------------------------------------------------------------


def _check_compare(node: _Compare) -> None:
    if node.field not in FIELDS:
        known = ", ".join(sorted(FIELDS))
        raise ExpressionError(node.column, f"unknown field {node.field!r} (fields: {known})")
    value = node.literal.value
    if node.op in ("=~", "!~"):
        if not isinstance(value, str):
            raise ExpressionError(node.literal.column, f"{node.op} needs a regular expression")
        try:
            _linear_regex(value)
        except re2.error as exc:
            raise ExpressionError(
                node.literal.column, f"bad regular expression: {_re2_message(exc)}"
            ) from None
        return
    vocab = VOCABULARIES.get(node.field)
    shape = SHAPES.get(node.field)
    values = value if isinstance(value, tuple) else (value,)
    for v in values:
        if v is None:
            continue
        if vocab is not None and v not in vocab:
            raise ExpressionError(
                node.literal.column,
                f"{node.field} has no value {v!r} (values: {', '.join(sorted(vocab))})",
            )
        if shape is not None and not shape[0].match(v):
            raise ExpressionError(node.literal.column, f"{node.field} {v!r} is not {shape[1]}")


def _linear_regex(pattern: str) -> Any:
    """``pattern`` compiled by RE2: a filter's regex runs on every event, so it must never
    backtrack (Python's ``re`` takes seconds on ``(a+)+$`` against 30 characters)."""
    options = re2.Options()
    options.log_errors = False  # RE2 would write to stderr, where the daemon's JSON logs go
    return re2.compile(pattern, options=options)


def _re2_message(exc: Exception) -> str:
    reason = exc.args[0] if exc.args else exc
    text = reason.decode("utf-8", "replace") if isinstance(reason, bytes) else str(reason)
    if "invalid perl operator" in text or "invalid escape sequence: \\" in text:
        text += " (backreferences and lookaround are not supported: matching must be linear-time)"
    return text


def _compile(tree: _Node) -> Predicate:
    """One Python function for the whole expression.

    The tree was checked, so the generated source holds only attribute paths from
    :data:`FIELDS`, ``repr`` of literals and names of constants bound below: no text of the
    rule is executed. One function call per event instead of one per node keeps the line path
    fast.
    """
    consts: dict[str, object] = {}
    source = f"lambda ce: {_source(tree, consts)}"
    scope = {"__builtins__": {}, **consts}  # the lambda's globals: its constants, nothing else
    fn: Predicate = eval(compile(source, "<alert filter>", "eval"), scope)
    return fn


def _source(node: _Node, consts: dict[str, object]) -> str:
    if isinstance(node, _Compare):
        return _compare_source(node, consts)
    if isinstance(node, _Not):
        return f"(not {_source(node.operand, consts)})"
    joined = f" {node.op} ".join(_source(n, consts) for n in node.operands)
    return f"({joined})"


def _compare_source(node: _Compare, consts: dict[str, object]) -> str:
    _check_compare(node)
    get = f"ce.{FIELDS[node.field]}"
    if node.field == "code_inferred":
        get = f"('true' if {get} else 'false')"
    value = node.literal.value
    if node.op in ("==", "!="):
        return f"({get} {node.op} {value!r})"
    name = f"_k{len(consts)}"
    if node.op in ("in", "not in"):
        consts[name] = frozenset(value or ())
        return f"({get} {node.op} {name})"
    consts[name] = _linear_regex(str(value)).search
    if node.op == "=~":
        return f"((_v := {get}) is not None and {name}(_v) is not None)"
    return f"((_v := {get}) is None or {name}(_v) is None)"


# The fields whose required values the engine indexes rules by (see ``Filter.requires``).
INDEXED: tuple[str, ...] = ("category", "direction", "code")


def _required(node: _Node, field: str) -> frozenset[str | None] | None:
    """The values ``field`` must have for ``node`` to match (None: a null value), or None when
    any value may match."""
    if isinstance(node, _Compare):
        if node.field != field:
            return None
        value = node.literal.value
        if node.op == "==" and (value is None or isinstance(value, str)):
            return frozenset({value})
        if node.op == "in" and isinstance(value, tuple):
            return frozenset(value)
        return None
    if isinstance(node, _Not):
        return None
    found = [_required(n, field) for n in node.operands]
    if node.op == "and":
        known = [f for f in found if f is not None]
        return frozenset.intersection(*known) if known else None
    if any(f is None for f in found):
        return None
    return frozenset().union(*(f for f in found if f is not None))


@dataclass(frozen=True)
class Comparison:
    """One checked ``field op literal`` of a filter, for translations (the PromQL export).

    ``value`` is a string, a tuple of strings (``in``) or None (``null``).
    """

    field: str
    op: str
    value: str | tuple[str, ...] | None


def conjunction(text: str) -> tuple[Comparison, ...] | None:
    """The comparisons of a filter that is a plain ``and`` of comparisons; None for one that uses
    ``or`` or ``not`` (raise :class:`ExpressionError` for a bad filter).

    >>> [c.field for c in conjunction('code == "421" and direction == "outbound"')]
    ['code', 'direction']
    >>> conjunction('code == "421" or code == "451"') is None
    True
    """
    tree = _parse_tree(text)
    nodes = tree.operands if isinstance(tree, _BoolOp) and tree.op == "and" else (tree,)
    if not all(isinstance(n, _Compare) for n in nodes):
        return None
    out = []
    for node in nodes:
        assert isinstance(node, _Compare)
        _check_compare(node)
        out.append(Comparison(node.field, node.op, node.literal.value))
    return tuple(out)


@dataclass(frozen=True)
class Filter:
    """A parsed, checked and compiled filter expression.

    ``requires`` maps each field of :data:`INDEXED` to the values it must have for the filter to
    match (a field absent: any value); the engine uses it to skip rules without calling the
    predicate.
    """

    text: str
    matches: Predicate
    requires: dict[str, frozenset[str | None]]

    @property
    def categories(self) -> frozenset[str | None] | None:
        """The categories the filter can match (None: any)."""
        return self.requires.get("category")

    @classmethod
    def parse(cls, text: str) -> Filter:
        """Parse and compile ``text``; raise :class:`ExpressionError` with the column of a fault."""
        if not text.strip():
            raise ExpressionError(1, "empty expression")
        tree = _parse_tree(text)
        requires = {f: v for f in INDEXED if (v := _required(tree, f)) is not None}
        return cls(text, _compile(tree), requires)

    @classmethod
    def always(cls) -> Filter:
        """The filter that matches every event (a rule without ``filter``)."""
        return cls("", lambda ce: True, {})
