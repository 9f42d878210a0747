"""School-defined categories: a small, safe rule language.

A school declares its own diversity categories ("rural background", "economically
disadvantaged", ...) as short rules over the self-identification answers a person gave,
for example::

    county_fips not in ("35001", "35043") and state == "NM"
    any_of(pell == "yes", fee_assistance == "yes", ses_group in ("eo1", "eo2"))
    "black" in race_ethnicity_2024 or race contains_any ("aian", "nhpi")

The text is read by a hand-written tokenizer and recursive-descent parser into an AST of
frozen dataclasses; nothing the user writes is ever executed as Python.  A rule is
checked against the attributes it may use (:class:`AttributeSpec`) when it is parsed, so
a misspelt attribute or a code outside the attribute's vocabulary is refused with a
message a person can act on (:class:`RuleError`, with line, column and a caret excerpt).

Three-valued results
--------------------
A rule answers ``"yes"``, ``"no"`` or ``"unknown"``.  A condition on an attribute that the
person left empty (*missing*) or answered with ``"declined"`` is ``unknown``: someone
who declined cannot be counted in or out of a category.  ``and``/``all_of``, ``or``/
``any_of`` and ``not`` follow Kleene's strong three-valued logic:

* ``not``: yes -> no, no -> yes, unknown -> unknown;
* ``and``/``all_of``: no if any part is no, else unknown if any part is unknown, else yes;
* ``or``/``any_of``: yes if any part is yes, else unknown if any part is unknown, else no.

``is_declined(attr)`` and ``is_missing(attr)`` are never unknown.

Values a person may hold (per attribute): ``None`` or absent (missing), ``""`` (missing),
``"declined"`` (declined), a ``str`` (code/text), an ``int``/``float`` (number; NaN is
missing), a ``bool``, or a list/tuple/set of codes (codes).  In a list, ``""``/``None`` are
ignored and ``"declined"`` is ignored when other codes are present; an empty list is
missing and a list of only ``"declined"`` is declined.

:func:`evaluate_frame` compiles a rule to polars expressions and evaluates it for a whole
:class:`polars.DataFrame` at once with exactly the same semantics (the test-suite checks
this with random rules and random people).

This module is plain Python (and polars): it never imports Django.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from types import MappingProxyType
from typing import Final, Literal, TypeAlias

import polars as pl

from ristra.analytics import importspec

__all__ = [
    "DEFAULT_ATTRIBUTES",
    "NO",
    "POPULATIONS",
    "PROTECTED_ATTRIBUTES",
    "UNKNOWN",
    "YES",
    "AllOf",
    "And",
    "AnyOf",
    "AttributeSpec",
    "CategoryDefinition",
    "CategoryError",
    "CategorySet",
    "Compare",
    "Const",
    "Contains",
    "Expr",
    "Has",
    "InList",
    "IsDeclined",
    "IsMissing",
    "Not",
    "Or",
    "Rule",
    "RuleError",
    "attributes_from_fields",
    "evaluate",
    "evaluate_frame",
    "parse_rule",
    "to_text",
]

Truth: TypeAlias = Literal["yes", "no", "unknown"]
YES: Final = "yes"
NO: Final = "no"
UNKNOWN: Final = "unknown"

AttributeKind: TypeAlias = Literal["code", "codes", "text", "number", "bool"]
CompareOp: TypeAlias = Literal["==", "!=", "<", "<=", ">", ">="]
Scalar: TypeAlias = str | int | float | bool

DECLINED: Final = importspec.DECLINED
MAX_RULE_LENGTH: Final = 20_000
MAX_DEPTH: Final = 50

Population: TypeAlias = Literal[
    "students", "faculty", "senior_admin", "staff", "applicants", "residents", "*"
]
POPULATIONS: Final[tuple[str, ...]] = (
    "students",
    "faculty",
    "senior_admin",
    "staff",
    "applicants",
    "residents",
    "*",
)


# --------------------------------------------------------------------------- attributes
@dataclass(frozen=True)
class AttributeSpec:
    """One attribute a rule may use.

    ``kind``: ``code`` (one answer from ``vocabulary``), ``codes`` (several answers from
    ``vocabulary``), ``text`` (free text, optionally checked by ``pattern``), ``number``
    or ``bool``.  An empty ``vocabulary`` means any code is accepted.  ``protected``
    marks attributes (race/ethnicity, sex, gender identity, ...) that program eligibility
    rules must not reference.
    """

    name: str
    kind: AttributeKind
    vocabulary: tuple[str, ...] = ()
    protected: bool = False
    label: str = ""
    pattern: str = ""
    pattern_hint: str = ""


#: Self-identification attributes that are legally protected characteristics (or stand
#: for one); program eligibility and matching rules refuse them (DOMAIN.md section 1).
PROTECTED_ATTRIBUTES: Final[frozenset[str]] = frozenset(
    {
        "sex",
        "gender_identity",
        "sexual_orientation",
        "hispanic",
        "race",
        "race_ethnicity_2024",
        "detailed_groups",
        "disability",
        "veteran",
        "citizenship",
    }
)

_FIELD_KINDS: Final[dict[str, AttributeKind]] = {
    "code": "code",
    "codes": "codes",
    "text": "text",
    "int": "number",
    "decimal": "number",
    "bool": "bool",
}


def attributes_from_fields(
    fields: Iterable[importspec.FieldSpec],
    *,
    protected: frozenset[str] = PROTECTED_ATTRIBUTES,
) -> Mapping[str, AttributeSpec]:
    """Attribute specs for import fields (date fields are skipped: rules do not use them)."""
    specs: dict[str, AttributeSpec] = {}
    for spec in fields:
        kind = _FIELD_KINDS.get(spec.type)
        if kind is None:
            continue
        specs[spec.name] = AttributeSpec(
            name=spec.name,
            kind=kind,
            vocabulary=spec.vocabulary,
            protected=spec.name in protected,
            label=spec.label,
            pattern=spec.pattern,
            pattern_hint=spec.pattern_hint,
        )
    return MappingProxyType(specs)


#: The self-identification attributes of every import kind (importspec.SELFID_FIELDS).
DEFAULT_ATTRIBUTES: Final[Mapping[str, AttributeSpec]] = attributes_from_fields(
    importspec.SELFID_FIELDS
)


# --------------------------------------------------------------------------------- AST
@dataclass(frozen=True)
class Const:
    """``true`` or ``false``: everyone or no one."""

    value: bool


@dataclass(frozen=True)
class Compare:
    """``attribute op value`` (the attribute is always on the left after parsing)."""

    attribute: str
    op: CompareOp
    value: Scalar


@dataclass(frozen=True)
class InList:
    """``attribute in (v1, v2, ...)`` or, with ``negated``, ``attribute not in (...)``."""

    attribute: str
    values: tuple[Scalar, ...]
    negated: bool = False


@dataclass(frozen=True)
class Has:
    """``"code" in attribute`` for a several-answer attribute (``not in`` if negated)."""

    attribute: str
    value: str
    negated: bool = False


@dataclass(frozen=True)
class Contains:
    """``attribute contains_any (...)`` / ``attribute contains_all (...)``."""

    attribute: str
    mode: Literal["any", "all"]
    values: tuple[str, ...]


@dataclass(frozen=True)
class IsDeclined:
    attribute: str


@dataclass(frozen=True)
class IsMissing:
    attribute: str


@dataclass(frozen=True)
class Not:
    operand: Expr


@dataclass(frozen=True)
class And:
    """``a and b and ...`` (two or more operands)."""

    operands: tuple[Expr, ...]


@dataclass(frozen=True)
class Or:
    """``a or b or ...`` (two or more operands)."""

    operands: tuple[Expr, ...]


@dataclass(frozen=True)
class AnyOf:
    """``any_of(a, b, ...)`` (one or more operands); same meaning as ``or``."""

    operands: tuple[Expr, ...]


@dataclass(frozen=True)
class AllOf:
    """``all_of(a, b, ...)`` (one or more operands); same meaning as ``and``."""

    operands: tuple[Expr, ...]


Expr: TypeAlias = (
    Const
    | Compare
    | InList
    | Has
    | Contains
    | IsDeclined
    | IsMissing
    | Not
    | And
    | Or
    | AnyOf
    | AllOf
)


def _attributes_of(expr: Expr) -> frozenset[str]:
    match expr:
        case Const():
            return frozenset()
        case Compare(attribute=a) | InList(attribute=a) | Has(attribute=a):
            return frozenset({a})
        case Contains(attribute=a) | IsDeclined(attribute=a) | IsMissing(attribute=a):
            return frozenset({a})
        case Not(operand=inner):
            return _attributes_of(inner)
        case And(operands=ops) | Or(operands=ops) | AnyOf(operands=ops) | AllOf(operands=ops):
            return frozenset().union(*(_attributes_of(op) for op in ops))


@dataclass(frozen=True)
class Rule:
    """A parsed rule.  Two rules are equal when their ASTs are equal."""

    expr: Expr
    specs: tuple[AttributeSpec, ...] = field(default=(), compare=False, repr=False)

    def attributes(self) -> frozenset[str]:
        """Names of the attributes the rule reads."""
        return _attributes_of(self.expr)

    def protected_attributes(self) -> frozenset[str]:
        used = self.attributes()
        return frozenset(spec.name for spec in self.specs if spec.protected and spec.name in used)

    def references_protected(self) -> bool:
        """True if the rule reads a protected attribute (eligibility rules must refuse it)."""
        return bool(self.protected_attributes())

    def to_text(self) -> str:
        """The canonical text of the rule; parsing it gives back an equal rule."""
        return to_text(self.expr)

    def evaluate(self, person: Mapping[str, object]) -> Truth:
        return evaluate(self.expr, person)

    def evaluate_frame(self, frame: pl.DataFrame, *, name: str = "result") -> pl.Series:
        return evaluate_frame(self, frame, name=name)


# ------------------------------------------------------------------------------ errors
class RuleError(ValueError):
    """A rule that cannot be read, with the place of the problem.

    ``message`` is the human sentence (it names the position), ``line``/``column`` are
    1-based, ``excerpt`` is the offending line with a caret under the problem.
    """

    def __init__(self, message: str, *, line: int, column: int, excerpt: str) -> None:
        self.message = message
        self.line = line
        self.column = column
        self.excerpt = excerpt
        super().__init__(message)

    def __str__(self) -> str:
        return f"{self.message}\n{self.excerpt}" if self.excerpt else self.message


def _line_col(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    start = text.rfind("\n", 0, offset) + 1
    return line, offset - start + 1


def _where(text: str, offset: int) -> str:
    line, column = _line_col(text, offset)
    return f"at column {column}" if "\n" not in text else f"at line {line}, column {column}"


def _make_error(text: str, template: str, start: int, end: int) -> RuleError:
    start = max(0, min(start, len(text)))
    line, column = _line_col(text, start)
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", start)
    if line_end < 0:
        line_end = len(text)
    source = text[line_start:line_end].replace("\t", " ").replace("\r", " ")
    width = max(1, min(end, line_end) - start)
    excerpt = f"  {source}\n  {' ' * (column - 1)}{'^' * width}"
    message = template.replace("{at}", _where(text, start))
    return RuleError(message, line=line, column=column, excerpt=excerpt)


# ---------------------------------------------------------------------------- tokenizer
TokenKind: TypeAlias = Literal["name", "string", "number", "op", "(", ")", ",", "eof"]


@dataclass(frozen=True)
class _Token:
    kind: TokenKind
    text: str
    start: int
    end: int
    value: Scalar = ""


_NUMBER = re.compile(r"-?[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_OPENING_QUOTES: Final = {'"': '"', "\u201c": "\u201d"}
_CLOSING_QUOTES: Final = frozenset({'"', "\u201d"})
_ESCAPES: Final = {'"': '"', "\\": "\\", "n": "\n", "t": "\t", "r": "\r"}


def _tokenize(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    i = 0
    n = len(text)

    def fail(template: str, start: int, end: int) -> RuleError:
        return _make_error(text, template, start, end)

    while i < n:
        ch = text[i]
        if ch in " \t\r\n\f\v\u00a0":
            i += 1
            continue
        if ch == "#":  # a comment runs to the end of the line
            newline = text.find("\n", i)
            i = n if newline < 0 else newline
            continue
        if ch in _OPENING_QUOTES:
            start = i
            i += 1
            chars: list[str] = []
            while True:
                if i >= n or text[i] == "\n":
                    raise fail("This text in quotes has no closing quote {at}", start, i)
                c = text[i]
                if c in _CLOSING_QUOTES:
                    i += 1
                    break
                if c == "\\":
                    nxt = text[i + 1] if i + 1 < n else ""
                    if nxt not in _ESCAPES:
                        raise fail(
                            "Unknown escape '\\" + nxt + "' in quoted text {at}; write \\\\ "
                            'for a backslash and \\" for a double quote',
                            i,
                            i + 2,
                        )
                    chars.append(_ESCAPES[nxt])
                    i += 2
                    continue
                chars.append(c)
                i += 1
            value = "".join(chars)
            tokens.append(_Token("string", text[start:i], start, i, value))
            continue
        if ch in "'\u2018\u2019":
            raise fail('Put text in double quotes ("like this"), not single quotes, {at}', i, i + 1)
        number = _NUMBER.match(text, i)
        if number and (ch != "-" or number.end() > i + 1):
            end = number.end()
            if end < n and (text[end].isalnum() or text[end] in "_."):
                tail = _NAME.match(text, end)
                bad_end = tail.end() if tail else end + 1
                raise fail(f"'{text[i:bad_end]}' is not a number {{at}}", i, bad_end)
            raw = number.group()
            num: int | float = int(raw) if re.fullmatch(r"-?[0-9]+", raw) else float(raw)
            if isinstance(num, float) and not math.isfinite(num):
                raise fail(f"'{raw}' is too large a number {{at}}", i, end)
            tokens.append(_Token("number", raw, i, end, num))
            i = end
            continue
        name = _NAME.match(text, i)
        if name:
            tokens.append(_Token("name", name.group(), i, name.end()))
            i = name.end()
            continue
        two = text[i : i + 2]
        if two in ("==", "!=", "<=", ">="):
            tokens.append(_Token("op", two, i, i + 2))
            i += 2
            continue
        if ch in "<>":
            tokens.append(_Token("op", ch, i, i + 1))
            i += 1
            continue
        if ch in "(),":
            tokens.append(_Token(ch, ch, i, i + 1))  # type: ignore[arg-type]
            i += 1
            continue
        if ch == "=":
            raise fail("Use '==' to compare (a single '=' is not a comparison) {at}", i, i + 1)
        if ch == "!":
            raise fail("Write 'not' instead of '!' {at}", i, i + 1)
        if ch == "&":
            raise fail(
                "Write 'and' instead of '" + ("&&" if two == "&&" else "&") + "' {at}", i, i + 1
            )
        if ch == "|":
            raise fail(
                "Write 'or' instead of '" + ("||" if two == "||" else "|") + "' {at}", i, i + 1
            )
        if ch in "[]{}":
            raise fail(f"Write lists in round parentheses ( ), not '{ch}', {{at}}", i, i + 1)
        shown = ch if ch.isprintable() else repr(ch)
        raise fail(f"Unexpected character '{shown}' {{at}}", i, i + 1)
    tokens.append(_Token("eof", "", n, n))
    return tokens


# ------------------------------------------------------------------------------- parser
_KEYWORDS: Final = frozenset(
    {"and", "or", "not", "in", "true", "false", "contains_any", "contains_all"}
)
_FUNCTIONS: Final = ("any_of", "all_of", "is_declined", "is_missing")
_FLIP: Final[dict[CompareOp, CompareOp]] = {
    "==": "==",
    "!=": "!=",
    "<": ">",
    "<=": ">=",
    ">": "<",
    ">=": "<=",
}


def _describe_kind(spec: AttributeSpec) -> str:
    if spec.vocabulary:
        return "takes " + _describe_vocabulary(spec.vocabulary)
    return {
        "code": "takes a code in double quotes",
        "codes": "holds several codes",
        "text": "holds text",
        "number": "holds numbers",
        "bool": "is true or false",
    }[spec.kind]


def _describe_vocabulary(vocabulary: tuple[str, ...]) -> str:
    if len(vocabulary) <= 10:
        shown = list(vocabulary)
        return ", ".join(shown[:-1]) + " or " + shown[-1] if len(shown) > 1 else shown[0]
    return ", ".join(vocabulary[:8]) + f", ... ({len(vocabulary)} codes in all)"


def _example_value(spec: AttributeSpec) -> str:
    if spec.kind == "number":
        return "1"
    if spec.kind == "bool":
        return "true"
    if spec.vocabulary:
        first = next((v for v in spec.vocabulary if v != DECLINED), spec.vocabulary[0])
        return _quote(first)
    return '"..."'


def _suggest(word: str, choices: Iterable[str]) -> str | None:
    options = list(choices)
    lowered = {c.lower(): c for c in options}
    if word.lower() in lowered:
        return lowered[word.lower()]
    close = difflib.get_close_matches(word.lower(), list(lowered), n=1, cutoff=0.6)
    return lowered[close[0]] if close else None


class _Parser:
    def __init__(self, text: str, attributes: Mapping[str, AttributeSpec]) -> None:
        self.text = text
        self.attributes = attributes
        self.tokens = _tokenize(text)
        self.pos = 0
        self.depth = 0
        self.used: dict[str, AttributeSpec] = {}

    # -- helpers
    def error(self, template: str, token: _Token) -> RuleError:
        return _make_error(self.text, template, token.start, token.end)

    def peek(self, ahead: int = 0) -> _Token:
        return self.tokens[min(self.pos + ahead, len(self.tokens) - 1)]

    def advance(self) -> _Token:
        token = self.tokens[self.pos]
        if token.kind != "eof":
            self.pos += 1
        return token

    def is_word(self, word: str, ahead: int = 0) -> bool:
        token = self.peek(ahead)
        return token.kind == "name" and token.text.lower() == word

    def describe(self, token: _Token) -> str:
        return "the end of the rule" if token.kind == "eof" else f"'{token.text}'"

    def enter(self, token: _Token) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.error(
                f"The rule is nested too deeply {{at}} (at most {MAX_DEPTH} levels)", token
            )

    def attribute(self, token: _Token) -> AttributeSpec:
        spec = self.attributes.get(token.text)
        if spec is None:
            hint = _suggest(token.text, self.attributes)
            if hint is not None:
                raise self.error(
                    f"Unknown attribute '{token.text}' {{at}}; did you mean '{hint}'?", token
                )
            known = ", ".join(sorted(self.attributes))
            raise self.error(
                f"Unknown attribute '{token.text}' {{at}}. The attributes are: {known}", token
            )
        self.used[spec.name] = spec
        return spec

    # -- grammar
    def parse(self) -> Expr:
        if self.peek().kind == "eof":
            raise self.error(
                'The rule is empty {at}; write a condition such as pell == "yes"', self.peek()
            )
        expr = self.parse_or()
        token = self.peek()
        if token.kind == ")":
            raise self.error("There is a closing parenthesis {at} without an opening one", token)
        if token.kind != "eof":
            raise self.error(
                f"Expected 'and', 'or' or the end of the rule {{at}}, found {self.describe(token)}",
                token,
            )
        return expr

    def parse_or(self) -> Expr:
        items = [self.parse_and()]
        while self.is_word("or"):
            self.advance()
            items.append(self.parse_and())
        return items[0] if len(items) == 1 else Or(tuple(items))

    def parse_and(self) -> Expr:
        items = [self.parse_not()]
        while self.is_word("and"):
            self.advance()
            items.append(self.parse_not())
        return items[0] if len(items) == 1 else And(tuple(items))

    def parse_not(self) -> Expr:
        if self.is_word("not"):
            token = self.advance()
            self.enter(token)
            inner = self.parse_not()
            self.depth -= 1
            return Not(inner)
        return self.parse_primary()

    def parse_primary(self) -> Expr:
        token = self.peek()
        if token.kind == "(":
            self.advance()
            self.enter(token)
            inner = self.parse_or()
            self.depth -= 1
            self.expect_close(token)
            return inner
        if token.kind == "name":
            word = token.text.lower()
            if self.peek(1).kind == "(" and word not in _KEYWORDS:
                return self.parse_call()
            if word in ("true", "false"):
                self.advance()
                if self.peek().kind == "op":
                    return self.parse_comparison(token, None)
                return Const(word == "true")
            if word in _KEYWORDS:
                raise self.error(f"Expected a condition {{at}}, found '{token.text}'", token)
            self.advance()
            return self.parse_comparison(token, self.attribute(token))
        if token.kind in ("string", "number"):
            self.advance()
            return self.parse_comparison(token, None)
        if token.kind == "eof":
            raise self.error("The rule ends too early {at}; expected a condition", token)
        raise self.error(f"Expected a condition {{at}}, found {self.describe(token)}", token)

    def expect_close(self, opening: _Token) -> None:
        token = self.peek()
        if token.kind != ")":
            where = _where(self.text, opening.start).replace("at ", "", 1)
            raise self.error(
                f"Expected a closing parenthesis {{at}} (to match the one at {where}), "
                f"found {self.describe(token)}",
                token,
            )
        self.advance()

    def parse_call(self) -> Expr:
        name = self.advance()
        opening = self.advance()  # "("
        if name.text not in _FUNCTIONS:
            if name.text in self.attributes:
                raise self.error(f"'{name.text}' is an attribute, not a function {{at}}", name)
            hint = _suggest(name.text, _FUNCTIONS)
            tail = (
                f"; did you mean '{hint}'?"
                if hint
                else "; the functions are " + ", ".join(_FUNCTIONS)
            )
            raise self.error(f"Unknown function '{name.text}' {{at}}{tail}", name)
        self.enter(opening)
        if name.text in ("is_declined", "is_missing"):
            arg = self.peek()
            if arg.kind != "name" or arg.text.lower() in _KEYWORDS:
                raise self.error(
                    f"{name.text} takes an attribute name without quotes {{at}}, "
                    f"e.g. {name.text}(pell)",
                    arg,
                )
            self.advance()
            spec = self.attribute(arg)
            self.expect_close(opening)
            self.depth -= 1
            return IsDeclined(spec.name) if name.text == "is_declined" else IsMissing(spec.name)
        if self.peek().kind == ")":
            raise self.error(f"{name.text} needs at least one condition {{at}}", self.peek())
        items = [self.parse_or()]
        while self.peek().kind == ",":
            self.advance()
            if self.peek().kind == ")":
                break
            items.append(self.parse_or())
        if self.peek().kind != ")":
            token = self.peek()
            raise self.error(
                f"Expected a comma or a closing parenthesis {{at}} in {name.text}(...), "
                f"found {self.describe(token)}",
                token,
            )
        self.advance()
        self.depth -= 1
        return AnyOf(tuple(items)) if name.text == "any_of" else AllOf(tuple(items))

    def parse_comparison(self, left: _Token, spec: AttributeSpec | None) -> Expr:
        token = self.peek()
        negated = False
        if self.is_word("not"):
            if not self.is_word("in", 1):
                raise self.error(
                    f"Expected 'in' after 'not' {{at}}, found {self.describe(self.peek(1))}",
                    self.peek(1),
                )
            self.advance()
            negated = True
            token = self.peek()
        if self.is_word("in"):
            in_token = self.advance()
            if spec is not None:
                return self.parse_in_list(spec, in_token, negated)
            return self.parse_has(left, in_token, negated)
        if self.is_word("contains_any") or self.is_word("contains_all"):
            word = self.advance()
            mode: Literal["any", "all"] = "any" if word.text.lower() == "contains_any" else "all"
            if spec is None or spec.kind != "codes":
                subject = f"'{left.text}'" if spec is not None else "a value"
                raise self.error(
                    f"'{word.text.lower()}' works on attributes with several answers "
                    f"(such as race); {subject} is not one {{at}}",
                    word,
                )
            values = self.parse_list(spec, word)
            return Contains(spec.name, mode, tuple(str(v) for v in values))
        if token.kind == "op":
            op_token = self.advance()
            op: CompareOp = op_token.text  # type: ignore[assignment]
            right = self.peek()
            right_spec: AttributeSpec | None = None
            if right.kind == "name" and right.text.lower() in ("true", "false"):
                self.advance()
            elif right.kind == "name" and right.text.lower() not in _KEYWORDS:
                if spec is not None:
                    self.unquoted_value(spec, right)
                self.advance()
                right_spec = self.attribute(right)
            elif right.kind in ("string", "number"):
                self.advance()
            elif right.kind == "(":
                raise self.error(
                    f"Compare with one value {{at}}; to check a list write 'in' instead of '{op}'",
                    right,
                )
            else:
                raise self.error(
                    f"Expected a value after '{op}' {{at}}, found {self.describe(right)}", right
                )
            expr = self.build_compare(left, spec, op_token, right, right_spec)
            nxt = self.peek()
            if nxt.kind == "op" or self.is_word("in"):
                raise self.error(
                    "Compare one thing at a time {at}; join comparisons with 'and'", nxt
                )
            return expr
        if spec is not None:
            raise self.error(
                f"'{spec.name}' on its own is not a condition {{at}}; compare it with a value, "
                f"e.g. {spec.name} == {_example_value(spec)}",
                left,
            )
        if token.kind == "eof":
            raise self.error(
                "A value on its own is not a condition; the rule ends too early {at}", token
            )
        raise self.error(
            f"A value on its own is not a condition; expected a comparison {{at}}, "
            f"found {self.describe(token)}",
            token,
        )

    def unquoted_value(self, spec: AttributeSpec, token: _Token) -> None:
        if token.text in self.attributes:
            return
        in_vocabulary = token.text in spec.vocabulary or (
            spec.kind in ("code", "codes", "text") and not spec.vocabulary
        )
        if in_vocabulary:
            raise self.error(
                f"'{token.text}' needs double quotes {{at}}: write {_quote(token.text)}", token
            )

    def literal_value(self, token: _Token) -> Scalar:
        if token.kind == "name":
            return token.text.lower() == "true"
        return token.value

    def build_compare(
        self,
        left: _Token,
        left_spec: AttributeSpec | None,
        op_token: _Token,
        right: _Token,
        right_spec: AttributeSpec | None,
    ) -> Expr:
        op: CompareOp = op_token.text  # type: ignore[assignment]
        if left_spec is not None and right_spec is not None:
            raise self.error(
                f"Compare '{left_spec.name}' with a value {{at}}, not with another attribute "
                f"('{right_spec.name}')",
                right,
            )
        if left_spec is None and right_spec is None:
            raise self.error(
                "A comparison needs an attribute on one side {at}; both sides are values",
                left,
            )
        if left_spec is None:
            assert right_spec is not None
            left, right = right, left
            spec = right_spec
            op = _FLIP[op]
        else:
            spec = left_spec
        value = self.literal_value(right)
        if spec.kind == "codes":
            raise self.error(
                f"'{spec.name}' can hold several answers, so '{op}' does not apply {{at}}; "
                f'write "black" in {spec.name}, or {spec.name} contains_any ("black", ...)',
                op_token,
            )
        if op not in ("==", "!=") and spec.kind in ("code", "bool"):
            if spec.kind == "code":
                raise self.error(
                    f"'{spec.name}' takes codes, which have no order, so '{op}' does not "
                    f"apply {{at}}; list the codes you mean: "
                    f"{spec.name} in ({_example_value(spec)}, ...)",
                    op_token,
                )
            raise self.error(
                f"'{spec.name}' is true or false, so '{op}' does not apply {{at}}; use == or !=",
                op_token,
            )
        self.check_value(spec, right, value)
        return Compare(spec.name, op, value)

    def check_value(self, spec: AttributeSpec, token: _Token, value: Scalar) -> None:
        """Refuse a literal that ``spec`` can never hold."""
        shown = token.text
        if spec.kind == "number":
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise self.error(
                    f"'{spec.name}' holds numbers {{at}}; write the number without quotes, "
                    f"e.g. {spec.name} >= 3",
                    token,
                )
            return
        if spec.kind == "bool":
            if not isinstance(value, bool):
                raise self.error(
                    f"'{spec.name}' is true or false {{at}}; write {spec.name} == true", token
                )
            return
        if not isinstance(value, str) or token.kind != "string":
            raise self.error(
                f"{shown} is compared to '{spec.name}' {{at}}, which {_describe_kind(spec)}; "
                f"put the value in double quotes: {_quote(shown)}",
                token,
            )
        if value == DECLINED:
            raise self.error(
                f"To count people who declined to answer, write is_declined({spec.name}) "
                f'instead of comparing with "declined" {{at}}',
                token,
            )
        if spec.vocabulary and value not in spec.vocabulary:
            hint = _suggest(value, [v for v in spec.vocabulary if v != DECLINED])
            tail = f"; did you mean {_quote(hint)}?" if hint else ""
            raise self.error(
                f"'{value}' is compared to '{spec.name}' {{at}}, which "
                f"{_describe_kind(spec)}{tail}",
                token,
            )
        if spec.pattern and not re.search(spec.pattern, value):
            hint = f": {spec.pattern_hint}" if spec.pattern_hint else ""
            raise self.error(f"'{value}' cannot be a value of '{spec.name}' {{at}}{hint}", token)

    def parse_list(self, spec: AttributeSpec, keyword: _Token) -> list[Scalar]:
        opening = self.peek()
        word = keyword.text.lower()
        if opening.kind != "(":
            raise self.error(
                f"'{word}' needs a list in parentheses {{at}}, e.g. {spec.name} {word} "
                f"({_example_value(spec)}, ...)",
                opening,
            )
        self.advance()
        values: list[Scalar] = []
        while True:
            token = self.peek()
            if token.kind == ")":
                if not values:
                    raise self.error("The list in parentheses is empty {at}", token)
                break
            if token.kind in ("string", "number") or (
                token.kind == "name" and token.text.lower() in ("true", "false")
            ):
                self.advance()
                value = self.literal_value(token)
                self.check_value(spec, token, value)
                values.append(value)
            elif token.kind == "name":
                self.unquoted_value(spec, token)
                raise self.error(
                    f"Expected a value in the list {{at}}, found '{token.text}'; "
                    "the list holds values, not attributes",
                    token,
                )
            else:
                raise self.error(
                    f"Expected a value in the list {{at}}, found {self.describe(token)}", token
                )
            nxt = self.peek()
            if nxt.kind == ",":
                self.advance()
                continue
            if nxt.kind == ")":
                break
            raise self.error(
                f"Expected a comma or a closing parenthesis {{at}} in the list, "
                f"found {self.describe(nxt)}",
                nxt,
            )
        self.advance()
        return values

    def parse_in_list(self, spec: AttributeSpec, in_token: _Token, negated: bool) -> Expr:
        if spec.kind == "codes":
            raise self.error(
                f"'{spec.name}' can hold several answers {{at}}; write "
                f"{spec.name} contains_any (...) for 'any of these' or "
                f"{spec.name} contains_all (...) for 'all of these'",
                in_token,
            )
        if spec.kind == "bool":
            raise self.error(
                f"'{spec.name}' is true or false {{at}}; write {spec.name} == true", in_token
            )
        return InList(spec.name, tuple(self.parse_list(spec, in_token)), negated)

    def parse_has(self, left: _Token, in_token: _Token, negated: bool) -> Expr:
        target = self.peek()
        if target.kind == "(":
            raise self.error(
                "Put an attribute on the left of 'in' when the right is a list {at}, "
                f"e.g. state in ({left.text}, ...)",
                left,
            )
        if target.kind != "name" or target.text.lower() in _KEYWORDS:
            raise self.error(
                f"'in' needs a list in parentheses or an attribute with several answers {{at}}, "
                f"found {self.describe(target)}",
                target,
            )
        self.advance()
        spec = self.attribute(target)
        if spec.kind != "codes":
            raise self.error(
                f"'{spec.name}' holds one answer {{at}}, so 'in' cannot look inside it; "
                f"write {spec.name} == {left.text} or {spec.name} in ({left.text}, ...)",
                target,
            )
        value = self.literal_value(left)
        self.check_value(spec, left, value)
        assert isinstance(value, str)
        return Has(spec.name, value, negated)


def parse_rule(text: str, *, attributes: Mapping[str, AttributeSpec] = DEFAULT_ATTRIBUTES) -> Rule:
    """Parse ``text`` into a :class:`Rule`, checking it against ``attributes``.

    Raises :class:`RuleError` (and nothing else) for any text that is not a valid rule.
    """
    if not isinstance(text, str):
        raise RuleError("A rule must be text", line=1, column=1, excerpt="")
    if len(text) > MAX_RULE_LENGTH:
        raise _make_error(
            text[:200],
            f"The rule is too long (more than {MAX_RULE_LENGTH} characters) {{at}}",
            0,
            1,
        )
    parser = _Parser(text, attributes)
    expr = parser.parse()
    return Rule(expr, tuple(parser.used[name] for name in sorted(parser.used)))


# -------------------------------------------------------------------------- pretty-print
def _quote(value: str) -> str:
    escaped = (
        value.replace("\\", "\\\\")
        .replace('"', '\\"')
        .replace("\n", "\\n")
        .replace("\r", "\\r")
        .replace("\t", "\\t")
    )
    return f'"{escaped}"'


def _literal_text(value: Scalar) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return _quote(value)
    return repr(value)


def _list_text(values: Iterable[Scalar]) -> str:
    return "(" + ", ".join(_literal_text(v) for v in values) + ")"


def to_text(expr: Expr) -> str:
    """Canonical text for ``expr``: one line, attributes on the left, double quotes."""

    def group(child: Expr) -> str:
        text = to_text(child)
        return f"({text})" if isinstance(child, And | Or) else text

    match expr:
        case Const(value=v):
            return _literal_text(v)
        case Compare(attribute=a, op=op, value=v):
            return f"{a} {op} {_literal_text(v)}"
        case InList(attribute=a, values=values, negated=neg):
            return f"{a} {'not in' if neg else 'in'} {_list_text(values)}"
        case Has(attribute=a, value=v, negated=neg):
            return f"{_quote(v)} {'not in' if neg else 'in'} {a}"
        case Contains(attribute=a, mode=mode, values=values):
            return f"{a} contains_{mode} {_list_text(values)}"
        case IsDeclined(attribute=a):
            return f"is_declined({a})"
        case IsMissing(attribute=a):
            return f"is_missing({a})"
        case Not(operand=inner):
            return f"not {group(inner)}"
        case And(operands=ops):
            return " and ".join(group(op) for op in ops)
        case Or(operands=ops):
            return " or ".join(group(op) for op in ops)
        case AnyOf(operands=ops):
            return "any_of(" + ", ".join(to_text(op) for op in ops) + ")"
        case AllOf(operands=ops):
            return "all_of(" + ", ".join(to_text(op) for op in ops) + ")"


# ----------------------------------------------------------- per-person evaluation
_Answer: TypeAlias = tuple[Literal["missing", "declined", "answered"], object]


def _answer(person: Mapping[str, object], attribute: str) -> _Answer:
    value = person.get(attribute)
    if value is None:
        return ("missing", None)
    if isinstance(value, str):
        if value == "":
            return ("missing", None)
        if value == DECLINED:
            return ("declined", None)
        return ("answered", value)
    if isinstance(value, bool):
        return ("answered", value)
    if isinstance(value, int | float):
        if isinstance(value, float) and math.isnan(value):
            return ("missing", None)
        return ("answered", value)
    if isinstance(value, list | tuple | set | frozenset):
        codes: set[str] = set()
        declined = False
        for item in value:
            if item is None or item == "":
                continue
            if not isinstance(item, str):
                raise TypeError(f"'{attribute}' holds {item!r} in its list; codes must be text")
            if item == DECLINED:
                declined = True
            else:
                codes.add(item)
        if codes:
            return ("answered", frozenset(codes))
        return ("declined", None) if declined else ("missing", None)
    raise TypeError(f"'{attribute}' holds {value!r}, which a rule cannot read")


def _kind_of(value: object) -> str:
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "text"
    return "a list"


def _scalar(attribute: str, value: object, literal: Scalar) -> Scalar:
    if _kind_of(value) != _kind_of(literal):
        raise TypeError(
            f"'{attribute}' holds {value!r} ({_kind_of(value)}) but the rule compares it "
            f"with {_literal_text(literal)} ({_kind_of(literal)})"
        )
    assert isinstance(value, str | int | float)
    return value


def _compare(value: Scalar, op: CompareOp, literal: Scalar) -> bool:
    if op == "==":
        return value == literal
    if op == "!=":
        return value != literal
    if isinstance(value, bool) or isinstance(literal, bool):
        raise TypeError("true/false values have no order")
    if isinstance(value, str) and isinstance(literal, str):
        a_s, b_s = value, literal
        return {"<": a_s < b_s, "<=": a_s <= b_s, ">": a_s > b_s, ">=": a_s >= b_s}[op]
    if isinstance(value, int | float) and isinstance(literal, int | float):
        a_n, b_n = value, literal
        return {"<": a_n < b_n, "<=": a_n <= b_n, ">": a_n > b_n, ">=": a_n >= b_n}[op]
    raise TypeError(f"cannot compare {value!r} with {literal!r}")


def _truth(value: bool) -> Truth:
    return YES if value else NO


def _codes(attribute: str, value: object) -> frozenset[str]:
    if not isinstance(value, frozenset):
        raise TypeError(f"'{attribute}' holds {value!r}, but the rule expects a list of codes")
    return value


def _kleene_and(values: Iterable[Truth]) -> Truth:
    result: Truth = YES
    for value in values:
        if value == NO:
            return NO
        if value == UNKNOWN:
            result = UNKNOWN
    return result


def _kleene_or(values: Iterable[Truth]) -> Truth:
    result: Truth = NO
    for value in values:
        if value == YES:
            return YES
        if value == UNKNOWN:
            result = UNKNOWN
    return result


def _kleene_not(value: Truth) -> Truth:
    return NO if value == YES else YES if value == NO else UNKNOWN


def evaluate(expr: Expr, person: Mapping[str, object]) -> Truth:
    """Evaluate ``expr`` for one person: ``"yes"``, ``"no"`` or ``"unknown"``."""
    match expr:
        case Const(value=v):
            return _truth(v)
        case IsDeclined(attribute=a):
            return _truth(_answer(person, a)[0] == "declined")
        case IsMissing(attribute=a):
            return _truth(_answer(person, a)[0] == "missing")
        case Not(operand=inner):
            return _kleene_not(evaluate(inner, person))
        case And(operands=ops) | AllOf(operands=ops):
            return _kleene_and(evaluate(op, person) for op in ops)
        case Or(operands=ops) | AnyOf(operands=ops):
            return _kleene_or(evaluate(op, person) for op in ops)
        case _:
            pass
    state, value = _answer(person, expr.attribute)
    if state != "answered":
        return UNKNOWN
    match expr:
        case Compare(attribute=a, op=op, value=literal):
            return _truth(_compare(_scalar(a, value, literal), op, literal))
        case InList(attribute=a, values=values, negated=neg):
            found = any(_compare(_scalar(a, value, v), "==", v) for v in values)
            return _truth(found != neg)
        case Has(attribute=a, value=code, negated=neg):
            return _truth((code in _codes(a, value)) != neg)
        case Contains(attribute=a, mode=mode, values=codes):
            held = _codes(a, value)
            hits = (code in held for code in codes)
            return _truth(any(hits) if mode == "any" else all(hits))
    raise AssertionError(f"unhandled rule node {expr!r}")  # pragma: no cover


# ---------------------------------------------------------- vectorised evaluation
_NULL_BOOL: Final = pl.lit(None, dtype=pl.Boolean)


@dataclass(frozen=True)
class _Column:
    missing: pl.Expr
    declined: pl.Expr
    value: pl.Expr | None  # None: the frame has no such column
    dtype: pl.DataType | None


def _column(frame_schema: Mapping[str, pl.DataType], attribute: str) -> _Column:
    dtype = frame_schema.get(attribute)
    if dtype is None or dtype == pl.Null:
        return _Column(pl.lit(True), pl.lit(False), None, None)
    col = pl.col(attribute)
    if dtype == pl.String:
        missing = col.is_null() | (col == "")
        declined = (col == DECLINED).fill_null(False)
        return _Column(missing, declined, col, dtype)
    if isinstance(dtype, pl.List):
        if dtype.inner != pl.String and dtype.inner != pl.Null:
            raise TypeError(f"column '{attribute}' must be a list of text, not {dtype}")
        element = pl.element()
        cleaned = col.list.eval(
            element.filter(element.is_not_null() & (element != "") & (element != DECLINED))
        )
        empty = cleaned.list.len() == 0
        has_declined = col.list.contains(pl.lit(DECLINED)).fill_null(False)
        missing = col.is_null() | (empty & ~has_declined)
        declined = col.is_not_null() & empty & has_declined
        return _Column(missing.fill_null(True), declined.fill_null(False), cleaned, dtype)
    if dtype.is_numeric():
        missing = col.is_null()
        if dtype.is_float():
            missing = missing | col.is_nan().fill_null(False)
        return _Column(missing, pl.lit(False), col, dtype)
    if dtype == pl.Boolean:
        return _Column(col.is_null(), pl.lit(False), col, dtype)
    raise TypeError(f"column '{attribute}' has type {dtype}, which a rule cannot read")


def _check_dtype(attribute: str, column: _Column, literal: Scalar) -> None:
    dtype = column.dtype
    assert dtype is not None
    if isinstance(literal, bool):
        ok = dtype == pl.Boolean
    elif isinstance(literal, str):
        ok = dtype == pl.String
    else:
        ok = dtype.is_numeric()
    if not ok:
        raise TypeError(
            f"column '{attribute}' has type {dtype} but the rule compares it with "
            f"{_literal_text(literal)}"
        )


def _lit(value: Scalar) -> pl.Expr:
    return pl.lit(value, dtype=pl.Boolean) if isinstance(value, bool) else pl.lit(value)


def _scalar_compare(value: pl.Expr, op: CompareOp, literal: Scalar) -> pl.Expr:
    other = _lit(literal)
    if op == "==":
        return value == other
    if op == "!=":
        return value != other
    if op == "<":
        return value < other
    if op == "<=":
        return value <= other
    if op == ">":
        return value > other
    return value >= other


def _known(column: _Column, result: pl.Expr) -> pl.Expr:
    """``result`` where the attribute was answered, null (unknown) elsewhere."""
    return pl.when(~column.missing & ~column.declined).then(result).otherwise(_NULL_BOOL)


def _fold(items: list[pl.Expr], how: Literal["and", "or"]) -> pl.Expr:
    result = items[0]
    for item in items[1:]:
        result = result & item if how == "and" else result | item  # Kleene in polars
    return result


def _compile(expr: Expr, schema: Mapping[str, pl.DataType]) -> pl.Expr:
    """A nullable Boolean expression: true = yes, false = no, null = unknown."""
    match expr:
        case Const(value=v):
            return pl.lit(v, dtype=pl.Boolean)
        case IsDeclined(attribute=a):
            return _column(schema, a).declined
        case IsMissing(attribute=a):
            return _column(schema, a).missing
        case Not(operand=inner):
            return ~_compile(inner, schema)
        case And(operands=ops) | AllOf(operands=ops):
            return _fold([_compile(op, schema) for op in ops], "and")
        case Or(operands=ops) | AnyOf(operands=ops):
            return _fold([_compile(op, schema) for op in ops], "or")
        case _:
            pass
    column = _column(schema, expr.attribute)
    value = column.value
    if value is None:
        return _NULL_BOOL
    match expr:
        case Compare(attribute=a, op=op, value=literal):
            _check_dtype(a, column, literal)
            return _known(column, _scalar_compare(value, op, literal))
        case InList(attribute=a, values=values, negated=neg):
            for literal in values:
                _check_dtype(a, column, literal)
            found = _fold([value == _lit(v) for v in values], "or")
            return _known(column, ~found if neg else found)
        case Has(attribute=a, value=code, negated=neg):
            if not isinstance(column.dtype, pl.List):
                raise TypeError(f"column '{a}' must be a list of codes")
            hit = value.list.contains(pl.lit(code))
            return _known(column, ~hit if neg else hit)
        case Contains(attribute=a, mode=mode, values=codes):
            if not isinstance(column.dtype, pl.List):
                raise TypeError(f"column '{a}' must be a list of codes")
            hits = [value.list.contains(pl.lit(code)) for code in codes]
            return _known(column, _fold(hits, "or" if mode == "any" else "and"))
    raise AssertionError(f"unhandled rule node {expr!r}")  # pragma: no cover


def compile_rule(rule: Rule | Expr, schema: Mapping[str, pl.DataType]) -> pl.Expr:
    """A polars expression giving ``"yes"``/``"no"``/``"unknown"`` for each row."""
    expr = rule.expr if isinstance(rule, Rule) else rule
    boolean = _compile(expr, schema)
    return (
        pl.when(boolean)
        .then(pl.lit(YES))
        .when(~boolean)
        .then(pl.lit(NO))
        .otherwise(pl.lit(UNKNOWN))
    )


def evaluate_frame(rule: Rule | Expr, frame: pl.DataFrame, *, name: str = "result") -> pl.Series:
    """Evaluate ``rule`` for every row of ``frame`` (one person per row).

    Columns are attributes: text columns for code/text attributes, ``List(String)`` for
    several-answer attributes, numeric and Boolean columns; nulls are missing answers and
    ``"declined"`` is a declined answer.  A column the frame lacks is missing for everyone.
    """
    temporary = "__ristra_rule_result"
    while temporary in frame.columns:
        temporary += "_"
    expression = compile_rule(rule, dict(frame.schema))
    return frame.with_columns(expression.alias(temporary)).get_column(temporary).alias(name)


# --------------------------------------------------------------- versioned definitions
class CategoryError(ValueError):
    """A problem with a set of category definitions (overlaps, unknown keys, bad rules)."""

    def __init__(self, message: str, *, rule_error: RuleError | None = None) -> None:
        self.message = message
        self.rule_error = rule_error
        super().__init__(message)

    def __str__(self) -> str:
        if self.rule_error is not None and self.rule_error.excerpt:
            return f"{self.message}\n{self.rule_error.excerpt}"
        return self.message


@dataclass(frozen=True)
class CategoryDefinition:
    """One version of a school-defined category for one population.

    ``effective_to`` is the last day the version applies (inclusive); ``None`` means
    it is still in effect.  ``population == "*"`` applies to every population that has no
    version of its own in effect on the date asked about.
    """

    key: str
    label: str
    population: str
    rule_text: str
    effective_from: date
    effective_to: date | None
    version: int

    def describe(self) -> str:
        return f"'{self.key}' for {self.population} (version {self.version})"

    def in_effect(self, on: date) -> bool:
        return self.effective_from <= on and (self.effective_to is None or on <= self.effective_to)


def _overlap(a: CategoryDefinition, b: CategoryDefinition) -> bool:
    a_end = a.effective_to or date.max
    b_end = b.effective_to or date.max
    return a.effective_from <= b_end and b.effective_from <= a_end


class CategorySet:
    """A school's category definitions, every version, checked together."""

    def __init__(
        self,
        definitions: Iterable[CategoryDefinition],
        *,
        attributes: Mapping[str, AttributeSpec] = DEFAULT_ATTRIBUTES,
    ) -> None:
        self._definitions = tuple(definitions)
        self._rules: dict[CategoryDefinition, Rule] = {}
        groups: dict[tuple[str, str], list[CategoryDefinition]] = {}
        for definition in self._definitions:
            self._check(definition)
            try:
                rule = parse_rule(definition.rule_text, attributes=attributes)
            except RuleError as error:
                raise CategoryError(
                    f"Category {definition.describe()}: {error.message}", rule_error=error
                ) from None
            self._rules[definition] = rule
            groups.setdefault((definition.key, definition.population), []).append(definition)
        for (key, population), versions in groups.items():
            versions.sort(key=lambda d: (d.effective_from, d.version))
            seen: dict[int, CategoryDefinition] = {}
            for definition in versions:
                if definition.version in seen:
                    raise CategoryError(
                        f"Category '{key}' for {population} has two definitions numbered "
                        f"version {definition.version}"
                    )
                seen[definition.version] = definition
            for i, first in enumerate(versions):
                for second in versions[i + 1 :]:
                    if _overlap(first, second):
                        raise CategoryError(
                            f"Category '{key}' for {population}: version {first.version} "
                            f"({_span(first)}) and version {second.version} ({_span(second)}) "
                            "are both in effect on "
                            f"{max(first.effective_from, second.effective_from).isoformat()}; "
                            "end the earlier version the day before the later one starts"
                        )
        self._groups = groups

    @staticmethod
    def _check(definition: CategoryDefinition) -> None:
        if not definition.key.strip():
            raise CategoryError("A category needs a key")
        if definition.population not in POPULATIONS:
            valid = ", ".join(POPULATIONS)
            raise CategoryError(
                f"Category {definition.describe()}: unknown population "
                f"'{definition.population}'; use one of {valid}"
            )
        if (
            definition.effective_to is not None
            and definition.effective_to < definition.effective_from
        ):
            raise CategoryError(
                f"Category {definition.describe()} ends ({definition.effective_to.isoformat()}) "
                f"before it starts ({definition.effective_from.isoformat()})"
            )

    @property
    def definitions(self) -> tuple[CategoryDefinition, ...]:
        return self._definitions

    def keys(self) -> tuple[str, ...]:
        """Category keys in the order they were first defined."""
        return tuple(dict.fromkeys(d.key for d in self._definitions))

    def _find(self, key: str, population: str, on: date) -> CategoryDefinition | None:
        for group in (population, "*"):
            for definition in self._groups.get((key, group), ()):
                if definition.in_effect(on):
                    return definition
        return None

    def definition_for(self, key: str, population: str, on: date) -> CategoryDefinition:
        """The version of ``key`` in effect on ``on`` for ``population`` (else for ``*``)."""
        if key not in self.keys():
            hint = _suggest(key, self.keys())
            tail = f"; did you mean '{hint}'?" if hint else ""
            raise CategoryError(f"There is no category '{key}'{tail}")
        found = self._find(key, population, on)
        if found is None:
            raise CategoryError(
                f"No version of category '{key}' is in effect for {population} on {on.isoformat()}"
            )
        return found

    def rule_for(self, key: str, population: str, on: date) -> Rule:
        return self._rules[self.definition_for(key, population, on)]

    def _in_effect(self, population: str, on: date) -> dict[str, Rule]:
        rules: dict[str, Rule] = {}
        for key in self.keys():
            found = self._find(key, population, on)
            if found is not None:
                rules[key] = self._rules[found]
        return rules

    def evaluate(
        self, person_attrs: Mapping[str, object], on: date, population: str
    ) -> dict[str, Truth]:
        """Each category in effect on ``on`` for ``population`` -> yes / no / unknown."""
        return {
            key: rule.evaluate(person_attrs)
            for key, rule in self._in_effect(population, on).items()
        }

    def evaluate_frame(self, frame: pl.DataFrame, on: date, population: str) -> pl.DataFrame:
        """One yes/no/unknown column per category in effect, one row per row of ``frame``."""
        rules = self._in_effect(population, on)
        schema = dict(frame.schema)
        if not rules:
            return pl.DataFrame()
        temporary = {key: f"__ristra_category_{i}" for i, key in enumerate(rules)}
        computed = frame.with_columns(
            compile_rule(rule, schema).alias(temporary[key]) for key, rule in rules.items()
        )
        return computed.select(pl.col(temporary[key]).alias(key) for key in rules)


def _span(definition: CategoryDefinition) -> str:
    end = definition.effective_to.isoformat() if definition.effective_to else "open-ended"
    return f"{definition.effective_from.isoformat()} to {end}"
