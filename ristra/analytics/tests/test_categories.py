from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import date
from typing import Any

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ristra.analytics.categories import (
    DEFAULT_ATTRIBUTES,
    AllOf,
    And,
    AnyOf,
    AttributeSpec,
    CategoryDefinition,
    CategoryError,
    CategorySet,
    Compare,
    Const,
    Contains,
    Expr,
    Has,
    InList,
    IsDeclined,
    IsMissing,
    Not,
    Or,
    Rule,
    RuleError,
    evaluate,
    evaluate_frame,
    parse_rule,
    to_text,
)

RURAL = 'county_fips not in ("35001", "35043") and state == "NM"'
ECON = 'any_of(pell == "yes", fee_assistance == "yes", ses_group in ("eo1", "eo2"))'
FIRST_GEN = 'first_generation == "yes"'
WOMEN = 'sex == "female" or gender_identity in ("woman", "transgender_woman")'
URIM = (
    'any_of("black" in race_ethnicity_2024, "hispanic" in race_ethnicity_2024, '
    '"aian" in race_ethnicity_2024, "nhpi" in race_ethnicity_2024) '
    'or hispanic == "yes" or race contains_any ("black", "aian", "nhpi")'
)

#: The defaults plus a number and a true/false attribute, so every kind is exercised.
ATTRS: dict[str, AttributeSpec] = {
    **DEFAULT_ATTRIBUTES,
    "age": AttributeSpec("age", "number"),
    "senior_administrative": AttributeSpec("senior_administrative", "bool"),
}


def run(text: str, person: Mapping[str, object]) -> str:
    return parse_rule(text, attributes=ATTRS).evaluate(person)


# ------------------------------------------------------------------- example rules
def test_it_parses_the_example_rules_to_the_expected_trees() -> None:
    assert parse_rule(RURAL).expr == And(
        (
            InList("county_fips", ("35001", "35043"), negated=True),
            Compare("state", "==", "NM"),
        )
    )
    assert parse_rule(ECON).expr == AnyOf(
        (
            Compare("pell", "==", "yes"),
            Compare("fee_assistance", "==", "yes"),
            InList("ses_group", ("eo1", "eo2")),
        )
    )
    assert parse_rule(FIRST_GEN).expr == Compare("first_generation", "==", "yes")
    assert parse_rule(WOMEN).expr == Or(
        (
            Compare("sex", "==", "female"),
            InList("gender_identity", ("woman", "transgender_woman")),
        )
    )
    assert parse_rule(URIM).expr == Or(
        (
            AnyOf(
                tuple(
                    Has("race_ethnicity_2024", code)
                    for code in ("black", "hispanic", "aian", "nhpi")
                )
            ),
            Compare("hispanic", "==", "yes"),
            Contains("race", "any", ("black", "aian", "nhpi")),
        )
    )


def test_it_evaluates_rural_background() -> None:
    assert run(RURAL, {"county_fips": "35031", "state": "NM"}) == "yes"
    assert run(RURAL, {"county_fips": "35001", "state": "NM"}) == "no"
    assert run(RURAL, {"county_fips": "04013", "state": "AZ"}) == "no"
    # county unknown but the state already rules the person out: Kleene "and"
    assert run(RURAL, {"state": "AZ"}) == "no"
    assert run(RURAL, {"state": "NM"}) == "unknown"
    assert run(RURAL, {"county_fips": "35031", "state": "declined"}) == "unknown"


def test_it_evaluates_economic_disadvantage() -> None:
    assert run(ECON, {"pell": "yes"}) == "yes"
    assert run(ECON, {"pell": "no", "fee_assistance": "no", "ses_group": "eo2"}) == "yes"
    assert run(ECON, {"pell": "no", "fee_assistance": "no", "ses_group": "eo4"}) == "no"
    assert run(ECON, {"pell": "declined", "fee_assistance": "no", "ses_group": "eo4"}) == "unknown"
    assert run(ECON, {"pell": "declined", "fee_assistance": "yes"}) == "yes"


def test_it_evaluates_first_generation_and_women() -> None:
    assert run(FIRST_GEN, {"first_generation": "yes"}) == "yes"
    assert run(FIRST_GEN, {"first_generation": "no"}) == "no"
    assert run(FIRST_GEN, {}) == "unknown"
    assert run(WOMEN, {"sex": "female"}) == "yes"
    assert run(WOMEN, {"sex": "male", "gender_identity": "transgender_woman"}) == "yes"
    assert run(WOMEN, {"sex": "male", "gender_identity": "man"}) == "no"
    assert run(WOMEN, {"sex": "declined", "gender_identity": "man"}) == "unknown"


def test_it_evaluates_urim_including_people_who_answered_only_one_question() -> None:
    assert run(URIM, {"race_ethnicity_2024": ["white", "hispanic"]}) == "yes"
    assert run(URIM, {"hispanic": "yes", "race": ["white"]}) == "yes"
    assert run(URIM, {"race": ["asian", "nhpi"], "hispanic": "no"}) == "yes"
    both_no = {"race_ethnicity_2024": ["white"], "hispanic": "no", "race": ["white"]}
    assert run(URIM, both_no) == "no"
    # Kleene: a question the person was never asked leaves the answer open ...
    assert run(URIM, {"hispanic": "no", "race": ["white"]}) == "unknown"
    # ... unless the rule says what to do about it.
    guarded = (
        'not is_missing(race_ethnicity_2024) and race_ethnicity_2024 contains_any ("black")'
        ' or hispanic == "yes"'
    )
    assert run(guarded, {"hispanic": "no", "race": ["white"]}) == "no"


def test_it_treats_declined_and_empty_answers_as_unknown() -> None:
    assert run('"black" in race', {"race": ["declined"]}) == "unknown"
    assert run('"black" in race', {"race": []}) == "unknown"
    assert run('"black" in race', {"race": ["white", "declined"]}) == "no"
    assert run('sex != "male"', {"sex": ""}) == "unknown"
    assert run("age >= 30", {"age": float("nan")}) == "unknown"
    assert run("is_declined(race)", {"race": ["declined"]}) == "yes"
    assert run("is_declined(race)", {"race": []}) == "no"
    assert run("is_missing(race)", {"race": []}) == "yes"
    assert run("is_missing(pell)", {"pell": "declined"}) == "no"
    assert run("is_declined(pell)", {}) == "no"


def test_it_reads_comments_several_lines_curly_quotes_and_upper_case_keywords() -> None:
    text = """# economically disadvantaged, 2025 definition
    pell == \u201cyes\u201d   # Pell grant
    OR ses_group IN ("eo1", "eo2",)
    """
    rule = parse_rule(text)
    assert rule.expr == Or((Compare("pell", "==", "yes"), InList("ses_group", ("eo1", "eo2"))))
    assert rule.to_text() == 'pell == "yes" or ses_group in ("eo1", "eo2")'


def test_it_puts_the_attribute_first_when_the_value_comes_first() -> None:
    rule = parse_rule('30 < age and "NM" == state', attributes=ATTRS)
    assert rule.expr == And((Compare("age", ">", 30), Compare("state", "==", "NM")))


def test_it_compares_numbers_and_true_false_values() -> None:
    assert run("age >= 30 and age < 40.5", {"age": 40}) == "yes"
    assert run("age in (1, 2, 3)", {"age": 2.0}) == "yes"
    assert run("senior_administrative == true", {"senior_administrative": False}) == "no"
    assert run("true", {}) == "yes"
    assert run("not false", {}) == "yes"


def test_it_refuses_values_of_the_wrong_type_when_evaluating() -> None:
    with pytest.raises(TypeError, match="'age' holds '30'"):
        run("age >= 30", {"age": "30"})
    with pytest.raises(TypeError, match="list of codes"):
        run('"black" in race', {"race": "black"})


# -------------------------------------------------------------------------- errors
ERRORS = [
    (
        'countyfips == "35001"',
        "Unknown attribute 'countyfips' at column 1; did you mean 'county_fips'?",
        1,
        1,
    ),
    (
        'any_of(pell == "yes", (sex == "female"',
        "Expected a closing parenthesis at column 39 (to match the one at column 23)",
        1,
        39,
    ),
    (
        '(pell == "yes"',
        "Expected a closing parenthesis at column 15 (to match the one at column 1)",
        1,
        15,
    ),
    (
        'pell == "female"',
        "'female' is compared to 'pell' at column 9, which takes yes, no or declined",
        1,
        9,
    ),
    ('state == "nm"', 'did you mean "NM"?', 1, 10),
    ('ses_group in "eo1"', "'in' needs a list in parentheses at column 14", 1, 14),
    ('race contains_any "black"', "'contains_any' needs a list in parentheses at column 19", 1, 19),
    ('pell = "yes"', "Use '==' to compare (a single '=' is not a comparison) at column 6", 1, 6),
    ('pell == "yes" && sex == "male"', "Write 'and' instead of '&&' at column 15", 1, 15),
    ('pell == "yes" || sex == "male"', "Write 'or' instead of '||' at column 15", 1, 15),
    ("!is_missing(pell)", "Write 'not' instead of '!' at column 1", 1, 1),
    ("pell == 'yes'", "Put text in double quotes", 1, 9),
    ('pell == "yes', "This text in quotes has no closing quote at column 9", 1, 9),
    ('pell == "y\\es"', "Unknown escape '\\e' in quoted text at column 11", 1, 11),
    ("pell == yes", "'yes' needs double quotes at column 9: write \"yes\"", 1, 9),
    (
        "county_fips == 35001",
        "35001 is compared to 'county_fips' at column 16, which holds text",
        1,
        16,
    ),
    (
        'county_fips == "3500"',
        "'3500' cannot be a value of 'county_fips' at column 16: a county FIPS",
        1,
        16,
    ),
    (
        'ses_group <= "eo2"',
        "'ses_group' takes codes, which have no order, so '<=' does not apply at column 11",
        1,
        11,
    ),
    (
        'race == "black"',
        "'race' can hold several answers, so '==' does not apply at column 6",
        1,
        6,
    ),
    ('race in ("black")', "'race' can hold several answers at column 6", 1, 6),
    ('"black" in sex', "'sex' holds one answer at column 12", 1, 12),
    (
        '"purple" in race',
        "'purple' is compared to 'race' at column 1, which takes aian, asian",
        1,
        1,
    ),
    ('pell == "declined"', "write is_declined(pell) instead", 1, 9),
    (
        "pell",
        "'pell' on its own is not a condition at column 1; compare it with a value, e.g. pell == \"yes\"",
        1,
        1,
    ),
    ('"yes"', "A value on its own is not a condition; the rule ends too early at column 6", 1, 6),
    ('anyof(pell == "yes")', "Unknown function 'anyof' at column 1; did you mean 'any_of'?", 1, 1),
    ('pell("yes")', "'pell' is an attribute, not a function at column 1", 1, 1),
    ("any_of()", "any_of needs at least one condition at column 8", 1, 8),
    (
        'is_declined("pell")',
        "is_declined takes an attribute name without quotes at column 13",
        1,
        13,
    ),
    ("", "The rule is empty at column 1", 1, 1),
    ('pell == "yes" and', "The rule ends too early at column 18", 1, 18),
    (
        'pell == "yes" sex == "male"',
        "Expected 'and', 'or' or the end of the rule at column 15, found 'sex'",
        1,
        15,
    ),
    ('pell == "yes")', "There is a closing parenthesis at column 14 without an opening one", 1, 14),
    (
        "pell == sex",
        "Compare 'pell' with a value at column 9, not with another attribute ('sex')",
        1,
        9,
    ),
    ('"a" == "b"', "A comparison needs an attribute on one side at column 1", 1, 1),
    ("age < 3 < 5", "Compare one thing at a time at column 9", 1, 9),
    ('age == "old"', "'age' holds numbers at column 8", 1, 8),
    (
        "senior_administrative > true",
        "'senior_administrative' is true or false, so '>' does not apply",
        1,
        23,
    ),
    ("state in ()", "The list in parentheses is empty at column 11", 1, 11),
    (
        'state in ("NM" "AZ")',
        "Expected a comma or a closing parenthesis at column 16 in the list",
        1,
        16,
    ),
    ('pell not == "yes"', "Expected 'in' after 'not' at column 10", 1, 10),
    ("age >= 3x", "'3x' is not a number at column 8", 1, 8),
    ('sex == "female" %', "Unexpected character '%' at column 17", 1, 17),
    ('state in ["NM"]', "Write lists in round parentheses ( ), not '[', at column 10", 1, 10),
    (
        'pell == "yes" and\n  pel == "no"',
        "Unknown attribute 'pel' at line 2, column 3; did you mean 'pell'?",
        2,
        3,
    ),
    ("(" * 60 + 'pell == "yes"' + ")" * 60, "The rule is nested too deeply at column 51", 1, 51),
]


@pytest.mark.parametrize(("text", "message", "line", "column"), ERRORS)
def test_it_explains_each_error_with_its_position(
    text: str, message: str, line: int, column: int
) -> None:
    with pytest.raises(RuleError) as caught:
        parse_rule(text, attributes=ATTRS)
    error = caught.value
    assert message in error.message
    assert (error.line, error.column) == (line, column)
    assert "^" in error.excerpt


def test_it_draws_a_caret_under_the_problem() -> None:
    with pytest.raises(RuleError) as caught:
        parse_rule('first_generation == "yes" or countyfips == "35001"')
    assert str(caught.value) == (
        "Unknown attribute 'countyfips' at column 30; did you mean 'county_fips'?\n"
        '  first_generation == "yes" or countyfips == "35001"\n'
        "                               ^^^^^^^^^^"
    )


def test_it_lists_the_attributes_when_no_name_is_close() -> None:
    with pytest.raises(RuleError, match=r"The attributes are: .*county_fips"):
        parse_rule('zzzz == "1"')


TOKENS = [
    "pell", "race", "sex", "age", "state", "county_fips", "senior_administrative", "and", "or",
    "not", "in", "contains_any", "contains_all", "any_of", "all_of", "is_declined", "is_missing",
    "true", "false", '"yes"', '"black"', '"NM"', '"35001"', '"', "3", "-2.5", "1e400", "(", ")",
    ",", "==", "!=", "<", "<=", ">", ">=", "=", "#", "\n", "'", "\\", "\u201c", "x",
]  # fmt: skip


@settings(max_examples=600, deadline=None)
@given(
    st.one_of(
        st.text(),
        st.lists(st.sampled_from(TOKENS), max_size=25).map(" ".join),
        st.lists(st.sampled_from(TOKENS), max_size=25).map("".join),
    )
)
def test_it_raises_only_rule_errors_for_any_text(text: str) -> None:
    try:
        rule = parse_rule(text, attributes=ATTRS)
    except RuleError as error:
        assert error.message
        assert error.line >= 1 and error.column >= 1
        return
    assert parse_rule(rule.to_text(), attributes=ATTRS) == rule


def test_it_refuses_very_long_rules() -> None:
    with pytest.raises(RuleError, match="too long"):
        parse_rule('pell == "yes" or ' * 2000 + 'pell == "no"')


# ------------------------------------------------------------------- random rules
VOCAB = {
    "sex": ("female", "male", "intersex"),
    "pell": ("yes", "no"),
    "ses_group": ("eo1", "eo2", "eo3", "eo4", "eo5"),
    "state": ("NM", "AZ", "CO"),
    "race": ("aian", "asian", "black", "nhpi", "white"),
    "race_ethnicity_2024": ("black", "hispanic", "mena", "white"),
}
CODE_ATTRS = ("sex", "pell", "ses_group", "state")
LIST_ATTRS = ("race", "race_ethnicity_2024")
FIPS = ("35001", "35043", "35031", "04013")
ALL_ATTRS = (
    *CODE_ATTRS,
    *LIST_ATTRS,
    "county_fips",
    "detailed_groups",
    "age",
    "senior_administrative",
)
OPS = ("==", "!=", "<", "<=", ">", ">=")

text_values = st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=6).filter(
    lambda s: s != "declined"
)
numbers = st.one_of(
    st.integers(-1000, 1000), st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)
)


def code_leaf(attr: str) -> st.SearchStrategy[Expr]:
    value = st.sampled_from(VOCAB[attr])
    return st.one_of(
        st.builds(Compare, st.just(attr), st.sampled_from(("==", "!=")), value),
        st.builds(
            InList, st.just(attr), st.lists(value, min_size=1, max_size=3).map(tuple), st.booleans()
        ),
    )


def list_leaf(attr: str) -> st.SearchStrategy[Expr]:
    value = st.sampled_from(VOCAB[attr])
    return st.one_of(
        st.builds(Has, st.just(attr), value, st.booleans()),
        st.builds(
            Contains,
            st.just(attr),
            st.sampled_from(("any", "all")),
            st.lists(value, min_size=1, max_size=3).map(tuple),
        ),
    )


leaves: st.SearchStrategy[Expr] = st.one_of(
    *(code_leaf(a) for a in CODE_ATTRS),
    *(list_leaf(a) for a in LIST_ATTRS),
    st.builds(Compare, st.just("county_fips"), st.sampled_from(OPS), st.sampled_from(FIPS)),
    st.builds(
        InList,
        st.just("county_fips"),
        st.lists(st.sampled_from(FIPS), min_size=1, max_size=3).map(tuple),
        st.booleans(),
    ),
    st.builds(Compare, st.just("detailed_groups"), st.sampled_from(OPS), text_values),
    st.builds(Compare, st.just("age"), st.sampled_from(OPS), numbers),
    st.builds(
        InList, st.just("age"), st.lists(numbers, min_size=1, max_size=3).map(tuple), st.booleans()
    ),
    st.builds(
        Compare, st.just("senior_administrative"), st.sampled_from(("==", "!=")), st.booleans()
    ),
    st.builds(IsDeclined, st.sampled_from(ALL_ATTRS)),
    st.builds(IsMissing, st.sampled_from(ALL_ATTRS)),
    st.builds(Const, st.booleans()),
)


def _extend(children: st.SearchStrategy[Expr]) -> st.SearchStrategy[Expr]:
    many = st.lists(children, min_size=2, max_size=4).map(tuple)
    some = st.lists(children, min_size=1, max_size=4).map(tuple)
    return st.one_of(
        st.builds(Not, children),
        st.builds(And, many),
        st.builds(Or, many),
        st.builds(AnyOf, some),
        st.builds(AllOf, some),
    )


exprs: st.SearchStrategy[Expr] = st.recursive(leaves, _extend, max_leaves=12)

missing = st.sampled_from([None, "", "declined"])
PERSON_VALUES: dict[str, st.SearchStrategy[Any]] = {
    **{a: st.one_of(missing, st.sampled_from(VOCAB[a])) for a in CODE_ATTRS},
    **{
        a: st.one_of(
            st.none(),
            st.lists(st.sampled_from((*VOCAB[a], "declined", "", None)), max_size=4),
        )
        for a in LIST_ATTRS
    },
    "county_fips": st.one_of(missing, st.sampled_from(FIPS)),
    "detailed_groups": st.one_of(missing, text_values),
    "age": st.one_of(st.none(), numbers, st.just(math.nan)),
    "senior_administrative": st.one_of(st.none(), st.booleans()),
}
DTYPES: dict[str, pl.DataType] = {
    **{a: pl.String() for a in (*CODE_ATTRS, "county_fips", "detailed_groups")},
    **{a: pl.List(pl.String) for a in LIST_ATTRS},
    "age": pl.Float64(),
    "senior_administrative": pl.Boolean(),
}


@st.composite
def people(draw: st.DrawFn) -> dict[str, object]:
    person: dict[str, object] = {}
    for attr in ALL_ATTRS:
        if draw(st.booleans()):
            person[attr] = draw(PERSON_VALUES[attr])
    return person


def frame_of(crowd: list[dict[str, object]], columns: tuple[str, ...] = ALL_ATTRS) -> pl.DataFrame:
    data = {a: pl.Series(a, [p.get(a) for p in crowd], dtype=DTYPES[a]) for a in columns}
    return pl.DataFrame({"person_id": range(len(crowd)), **data})


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(exprs)
def test_it_round_trips_the_canonical_text(expr: Expr) -> None:
    text = to_text(expr)
    reparsed = parse_rule(text, attributes=ATTRS)
    assert reparsed.expr == expr
    assert reparsed.to_text() == text


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(exprs, st.lists(people(), min_size=1, max_size=8))
def test_it_evaluates_frames_exactly_like_people(
    expr: Expr, crowd: list[dict[str, object]]
) -> None:
    rule = parse_rule(to_text(expr), attributes=ATTRS)
    one_by_one = [rule.evaluate(person) for person in crowd]
    assert evaluate_frame(rule, frame_of(crowd)).to_list() == one_by_one
    # a frame without the columns nobody answered gives the same result
    present = tuple(a for a in ALL_ATTRS if any(a in p for p in crowd))
    assert evaluate_frame(rule, frame_of(crowd, present)).to_list() == one_by_one


def test_it_evaluates_the_example_rules_on_a_frame() -> None:
    frame = pl.DataFrame(
        {
            "state": ["NM", "NM", "AZ", None],
            "county_fips": ["35031", "35001", None, "35031"],
            "pell": ["yes", "declined", "no", None],
            "race": [["black"], ["declined"], [], None],
        },
        schema={
            "state": pl.String,
            "county_fips": pl.String,
            "pell": pl.String,
            "race": pl.List(pl.String),
        },
    )
    rural = evaluate_frame(parse_rule(RURAL), frame, name="rural")
    assert rural.name == "rural"
    assert rural.to_list() == ["yes", "no", "no", "unknown"]
    assert evaluate_frame(parse_rule(ECON), frame).to_list() == [
        "yes",
        "unknown",
        "unknown",
        "unknown",
    ]
    assert evaluate_frame(parse_rule(URIM), frame).to_list() == [
        "yes",
        "unknown",
        "unknown",
        "unknown",
    ]


def test_it_evaluates_integer_columns_and_empty_frames() -> None:
    rule = parse_rule("age >= 30.5 or age in (1, 2)", attributes=ATTRS)
    frame = pl.DataFrame({"age": [31, 30, 2, None]}, schema={"age": pl.Int64})
    assert evaluate_frame(rule, frame).to_list() == ["yes", "no", "yes", "unknown"]
    assert evaluate_frame(parse_rule("true"), pl.DataFrame({"x": []})).to_list() == []


def test_it_refuses_columns_of_the_wrong_type() -> None:
    frame = pl.DataFrame({"race": ["black;white"]})
    with pytest.raises(TypeError, match="list of codes"):
        evaluate_frame(parse_rule('"black" in race'), frame)


# ----------------------------------------------------------------- Kleene tables
VALUES: dict[str, Expr] = {
    "yes": Const(True),
    "no": Const(False),
    "unknown": Compare("pell", "==", "yes"),
}
NOBODY: dict[str, object] = {}  # "pell" is missing, so the third atom is unknown

AND_TABLE = {
    ("yes", "yes"): "yes", ("yes", "no"): "no", ("yes", "unknown"): "unknown",
    ("no", "yes"): "no", ("no", "no"): "no", ("no", "unknown"): "no",
    ("unknown", "yes"): "unknown", ("unknown", "no"): "no", ("unknown", "unknown"): "unknown",
}  # fmt: skip
OR_TABLE = {
    ("yes", "yes"): "yes", ("yes", "no"): "yes", ("yes", "unknown"): "yes",
    ("no", "yes"): "yes", ("no", "no"): "no", ("no", "unknown"): "unknown",
    ("unknown", "yes"): "yes", ("unknown", "no"): "unknown", ("unknown", "unknown"): "unknown",
}  # fmt: skip


def both(expr: Expr) -> str:
    """Evaluate one-by-one and vectorised; they must agree."""
    alone = evaluate(expr, NOBODY)
    framed = evaluate_frame(expr, pl.DataFrame({"pell": [None]}, schema={"pell": pl.String}))
    assert framed.to_list() == [alone]
    return alone


@pytest.mark.parametrize(("pair", "expected"), AND_TABLE.items())
def test_it_follows_kleene_and(pair: tuple[str, str], expected: str) -> None:
    a, b = (VALUES[v] for v in pair)
    assert both(And((a, b))) == expected
    assert both(AllOf((a, b))) == expected


@pytest.mark.parametrize(("pair", "expected"), OR_TABLE.items())
def test_it_follows_kleene_or(pair: tuple[str, str], expected: str) -> None:
    a, b = (VALUES[v] for v in pair)
    assert both(Or((a, b))) == expected
    assert both(AnyOf((a, b))) == expected


def test_it_follows_kleene_not() -> None:
    assert [both(Not(VALUES[v])) for v in ("yes", "no", "unknown")] == ["no", "yes", "unknown"]


def test_it_treats_a_single_argument_any_of_as_that_argument() -> None:
    for name, atom in VALUES.items():
        assert both(AnyOf((atom,))) == name
        assert both(AllOf((atom,))) == name


# ------------------------------------------------------------ protected attributes
def test_it_detects_protected_attributes() -> None:
    assert parse_rule(WOMEN).references_protected()
    assert parse_rule(URIM).protected_attributes() == {"race", "race_ethnicity_2024", "hispanic"}
    assert parse_rule("is_missing(disability)").references_protected()
    assert not parse_rule(ECON).references_protected()
    assert not parse_rule(RURAL).references_protected()
    assert parse_rule(RURAL).attributes() == frozenset({"county_fips", "state"})


def test_it_marks_the_default_protected_attributes() -> None:
    protected = {name for name, spec in DEFAULT_ATTRIBUTES.items() if spec.protected}
    assert {"sex", "gender_identity", "sexual_orientation", "race", "hispanic"} <= protected
    assert {"disability", "race_ethnicity_2024"} <= protected
    assert not protected & {"pell", "first_generation", "county_fips", "state", "ses_group"}
    assert DEFAULT_ATTRIBUTES["race"].kind == "codes"
    assert DEFAULT_ATTRIBUTES["county_fips"].kind == "text"
    assert "self_id_date" not in DEFAULT_ATTRIBUTES  # dates are not rule attributes


def test_it_uses_the_attributes_it_is_given() -> None:
    custom = {"rank": AttributeSpec("rank", "code", ("professor", "instructor"))}
    rule = parse_rule('rank == "professor"', attributes=custom)
    assert not rule.references_protected()
    with pytest.raises(RuleError, match="Unknown attribute 'sex'"):
        parse_rule('sex == "female"', attributes=custom)


def test_it_compares_rules_by_their_trees() -> None:
    assert parse_rule('pell=="yes"') == parse_rule('  pell  ==  "yes"  # Pell')
    assert parse_rule('pell=="yes"') == Rule(Compare("pell", "==", "yes"))


# -------------------------------------------------------------------- versions
def definition(
    version: int,
    start: date,
    end: date | None,
    rule: str,
    population: str = "students",
    key: str = "rural",
) -> CategoryDefinition:
    return CategoryDefinition(key, "Rural background", population, rule, start, end, version)


V1 = definition(1, date(2020, 7, 1), date(2024, 6, 30), 'state == "NM"')
V2 = definition(2, date(2024, 7, 1), None, RURAL)
ANY = definition(1, date(2019, 1, 1), None, 'county_fips != "35001"', population="*")


def test_it_picks_the_version_in_effect_on_a_date() -> None:
    categories = CategorySet([V2, V1, ANY])
    assert categories.definition_for("rural", "students", date(2024, 6, 30)) == V1
    assert categories.definition_for("rural", "students", date(2024, 7, 1)) == V2
    assert categories.definition_for("rural", "faculty", date(2024, 7, 1)) == ANY
    # students before their first version fall back to the "*" version
    assert categories.definition_for("rural", "students", date(2019, 5, 1)) == ANY
    assert categories.rule_for("rural", "students", date(2021, 1, 1)) == parse_rule('state == "NM"')


def test_it_evaluates_a_person_against_the_categories_in_effect() -> None:
    econ = CategoryDefinition(
        "econ", "Economically disadvantaged", "*", ECON, date(2020, 1, 1), None, 1
    )
    categories = CategorySet([V1, V2, econ])
    person = {"state": "NM", "county_fips": "35001", "pell": "declined"}
    assert categories.evaluate(person, date(2022, 1, 1), "students") == {
        "rural": "yes",
        "econ": "unknown",
    }
    assert categories.evaluate(person, date(2025, 1, 1), "students") == {
        "rural": "no",
        "econ": "unknown",
    }
    assert categories.evaluate(person, date(2025, 1, 1), "faculty") == {"econ": "unknown"}
    frame = pl.DataFrame({"state": ["NM"], "county_fips": ["35001"], "pell": ["declined"]})
    result = categories.evaluate_frame(frame, date(2022, 1, 1), "students")
    assert result.to_dicts() == [{"rural": "yes", "econ": "unknown"}]


def test_it_refuses_overlapping_versions() -> None:
    late = definition(2, date(2024, 6, 1), None, RURAL)
    with pytest.raises(CategoryError) as caught:
        CategorySet([V1, late])
    assert str(caught.value) == (
        "Category 'rural' for students: version 1 (2020-07-01 to 2024-06-30) and version 2 "
        "(2024-06-01 to open-ended) are both in effect on 2024-06-01; end the earlier "
        "version the day before the later one starts"
    )
    # the same dates for different populations do not overlap
    CategorySet([V1, definition(2, date(2024, 6, 1), None, RURAL, population="faculty")])


def test_it_refuses_bad_definitions() -> None:
    with pytest.raises(CategoryError, match="two definitions numbered version 1"):
        CategorySet([V1, definition(1, date(2030, 1, 1), None, RURAL)])
    with pytest.raises(CategoryError, match="unknown population 'interns'"):
        CategorySet([definition(1, date(2020, 1, 1), None, RURAL, population="interns")])
    with pytest.raises(CategoryError, match=r"ends \(2019-01-01\) before it starts"):
        CategorySet([definition(1, date(2020, 1, 1), date(2019, 1, 1), RURAL)])
    with pytest.raises(CategoryError) as caught:
        CategorySet([definition(3, date(2020, 1, 1), None, 'countyfips == "35001"')])
    assert caught.value.message.startswith(
        "Category 'rural' for students (version 3): Unknown attribute 'countyfips' at column 1"
    )
    assert caught.value.rule_error is not None
    assert "^" in str(caught.value)


def test_it_explains_missing_categories_and_dates() -> None:
    categories = CategorySet([V1])
    with pytest.raises(
        CategoryError,
        match="No version of category 'rural' is in effect for students on 2030-01-01",
    ):
        categories.definition_for("rural", "students", date(2030, 1, 1))
    with pytest.raises(CategoryError, match="There is no category 'rurl'; did you mean 'rural'?"):
        categories.definition_for("rurl", "students", date(2021, 1, 1))
