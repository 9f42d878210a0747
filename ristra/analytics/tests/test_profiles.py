from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from ristra.analytics.importspec import KINDS, get_kind
from ristra.analytics.profiles import (
    Profile,
    ProfileError,
    build_value_table,
    dump_profile,
    load_profile,
    lookup_value,
    normalise,
    suggest_mapping,
)

PROFILE_DIR = Path(__file__).resolve().parents[3] / "profiles"
FACULTY = get_kind("faculty")

GOOD = """
name: HR faculty export (Workday)
kind: faculty
date_format: "%m/%d/%Y"
columns:
  EMPLID: employee_id
  Last Name: family_name
  Notes: ignore
values:
  race:
    "Black or African American": black
    "Two or More Races": [black, white]
  sex: {F: female, M: male, "Prefer not to say": declined}
  hispanic: {"Sí": yes, "No": no}
defaults:
  department: Medicine
delimiter: ";"
encoding: cp1252
sheet: Sheet1
"""


def errors_of(text: str) -> list[str]:
    with pytest.raises(ProfileError) as info:
        load_profile(text)
    assert info.value.messages
    assert str(info.value) == " ".join(info.value.messages)
    return info.value.messages


# ---------------------------------------------------------------------------- loading
def test_it_loads_a_complete_profile() -> None:
    profile = load_profile(GOOD)
    assert profile.name == "HR faculty export (Workday)"
    assert profile.kind == "faculty"
    assert profile.date_formats == ("%m/%d/%Y",)
    assert profile.columns == {
        "EMPLID": "employee_id",
        "Last Name": "family_name",
        "Notes": "ignore",
    }
    assert profile.values["race"]["Two or More Races"] == ("black", "white")
    assert profile.values["sex"]["F"] == ("female",)
    assert profile.values["hispanic"] == {"Sí": ("yes",), "No": ("no",)}
    assert profile.defaults == {"department": "Medicine"}
    assert (profile.delimiter, profile.encoding, profile.sheet) == (";", "cp1252", "Sheet1")


def test_it_keeps_yaml_scalars_as_text() -> None:
    profile = load_profile(
        "name: x\nkind: faculty\nvalues:\n  veteran: {Y: yes, N: no, 1: yes}\n"
        "defaults:\n  county_fips: 01001\n"
    )
    assert profile.values["veteran"] == {"Y": ("yes",), "N": ("no",), "1": ("yes",)}
    assert profile.defaults["county_fips"] == "01001"


def test_it_accepts_iso_and_several_date_formats() -> None:
    profile = load_profile("name: x\nkind: staff\ndate_format: [iso, '%d.%m.%Y']\n")
    assert profile.date_formats == ("%Y-%m-%d", "%d.%m.%Y")


def test_it_accepts_tab_as_a_delimiter_word() -> None:
    assert load_profile("name: x\nkind: staff\ndelimiter: tab\n").delimiter == "\t"


def test_it_round_trips_through_dump() -> None:
    profile = load_profile(GOOD)
    assert load_profile(dump_profile(profile)) == profile


@pytest.mark.parametrize("path", sorted(PROFILE_DIR.glob("*.yaml")), ids=lambda p: p.name)
def test_the_shipped_example_profiles_load(path: Path) -> None:
    profile = load_profile(path.read_text(encoding="utf-8"))
    assert profile.kind in KINDS
    assert load_profile(dump_profile(profile)) == profile


def test_it_ships_the_three_example_profiles() -> None:
    names = {p.name for p in PROFILE_DIR.glob("*.yaml")}
    assert {"hr_faculty_workday.yaml", "admissions_amcas.yaml", "hr_staff.yaml"} <= names


# ----------------------------------------------------------------------------- errors
def test_it_rejects_an_unknown_kind_with_a_suggestion() -> None:
    assert errors_of("name: x\nkind: facultty\n") == [
        "'facultty' is not an import kind. Did you mean 'faculty'? Valid kinds are: admissions,"
        " faculty, gme, staff, students."
    ]


def test_it_rejects_an_unknown_field_suggesting_the_closest() -> None:
    messages = errors_of("name: x\nkind: faculty\ncolumns:\n  Surname: familyname\n")
    assert messages == [
        "Column 'Surname': 'familyname' is not a field of the faculty import. Did you mean"
        " 'family_name'?"
    ]


def test_it_rejects_an_unknown_code_listing_the_allowed_ones() -> None:
    messages = errors_of("name: x\nkind: faculty\nvalues:\n  sex:\n    W: woman\n")
    assert messages == [
        "values: sex: 'W' maps to 'woman', which is not a code for sex; use one of female, male,"
        " intersex, declined."
    ]


def test_it_rejects_two_columns_mapped_to_one_field() -> None:
    messages = errors_of(
        "name: x\nkind: faculty\ncolumns:\n  Last Name: family_name\n  Surname: family_name\n"
    )
    assert messages == [
        "Columns 'Last Name' and 'Surname' are both mapped to family_name; map only one of them"
        " (set the other to 'ignore')."
    ]


def test_it_reports_invalid_yaml_with_a_line_number_and_no_traceback() -> None:
    messages = errors_of("name: x\nkind: faculty\ncolumns:\n  A: b: c\n")
    assert len(messages) == 1
    assert messages[0].startswith("The profile is not valid YAML near line 4")
    assert "Traceback" not in messages[0] and "yaml" not in messages[0]


@pytest.mark.parametrize(
    ("fmt", "reason"),
    [
        ("%m/%Y", "it has no a day (%d)"),
        ("%Q-%m-%d", "unsupported directives %Q"),
        ("dd/mm/yyyy", "it has no a year (%Y) or a month (%m) or a day (%d)"),
        ("%Y-%m-%d %", "lone '%'"),
    ],
)
def test_it_rejects_a_bad_date_format(fmt: str, reason: str) -> None:
    messages = errors_of(f"name: x\nkind: faculty\ndate_format: '{fmt}'\n")
    assert len(messages) == 1
    assert messages[0].startswith(f"The date_format '{fmt}' cannot be used")
    assert reason in messages[0]


def test_it_collects_every_problem_at_once() -> None:
    messages = errors_of(
        "kind: faculty\ncolour: red\ncolumns:\n  X: nope\nvalues:\n  rank: {Boss: king}\n"
        "defaults:\n  track: sideways\ndelimiter: ':'\nencoding: klingon\n"
    )
    assert len(messages) == 7
    joined = " ".join(messages)
    for fragment in (
        "no 'name'",
        "'colour' is not a profile setting",
        "'nope' is not a field",
        "'king', which is not a code for rank",
        "defaults: 'sideways' is not a known value for track",
        "delimiter ':' is not supported",
        "encoding 'klingon' is not known",
    ):
        assert fragment in joined


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "The profile is empty"),
        ("- a\n- b\n", "must be a set of 'key: value' lines"),
        ("name: [a]\nkind: faculty\n", "'name' must be a single value"),
        ("name: x\nkind: faculty\nvalues:\n  rank: {A: [professor, other]}\n", "single answer"),
        ("name: x\nkind: faculty\nvalues:\n  department: {A: b}\n", "cannot be translated"),
        ("name: x\nkind: faculty\ncolumns: [a, b]\n", "'columns' must list"),
    ],
)
def test_it_explains_structural_mistakes(text: str, fragment: str) -> None:
    assert fragment in " ".join(errors_of(text))


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_random_text_raises_nothing_but_profile_error(text: str) -> None:
    try:
        load_profile(text)
    except ProfileError as error:
        assert error.messages


YAML_SCALARS = st.one_of(
    st.text(max_size=15),
    st.sampled_from(["faculty", "race", "black", "employee_id", "ignore", "iso", "%m/%d/%Y"]),
    st.integers(),
    st.booleans(),
    st.none(),
)
YAML_VALUES = st.recursive(
    YAML_SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=20,
)
KEYS = st.sampled_from(
    ["name", "kind", "columns", "values", "defaults", "date_format", "delimiter", "encoding",
     "sheet", "other"]
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(KEYS, YAML_VALUES, max_size=8))
def test_random_yaml_documents_raise_nothing_but_profile_error(data: dict[str, object]) -> None:
    text = yaml.safe_dump(data, allow_unicode=True)
    try:
        profile = load_profile(text)
    except ProfileError as error:
        assert error.messages
        return
    assert isinstance(profile, Profile)
    assert load_profile(dump_profile(profile)) == profile


# ------------------------------------------------------------------------- suggestions
def test_it_suggests_fields_for_common_export_headers() -> None:
    headers = ["EMPLID", "Last Name", "First_Name", "DOB", "Dept", "Academic Rank", "Hire Date",
               "Term Date", "Legal Sex", "Hispanic/Latino", "Race", "E-mail", "Notes"]  # fmt: skip
    assert suggest_mapping(headers, FACULTY) == {
        "EMPLID": "employee_id",
        "Last Name": "family_name",
        "First_Name": "given_name",
        "DOB": "birth_date",
        "Dept": "department",
        "Academic Rank": "rank",
        "Hire Date": "start_date",
        "Term Date": "end_date",
        "Legal Sex": "sex",
        "Hispanic/Latino": "hispanic",
        "Race": "race",
        "E-mail": "email",
        "Notes": None,
    }


def test_it_matches_misspelt_headers_fuzzily_but_conservatively() -> None:
    result = suggest_mapping(["Last Nme", "Hire Dt", "Banana", "Rnk"], FACULTY)
    assert result == {"Last Nme": "family_name", "Hire Dt": "start_date", "Banana": None,
                      "Rnk": None}  # fmt: skip


def test_it_never_suggests_one_field_twice() -> None:
    result = suggest_mapping(["Surname", "Last Name", "Family Name"], FACULTY)
    assert list(result.values()).count("family_name") == 1
    assert result["Surname"] == "family_name"


def test_it_matches_admissions_headers() -> None:
    result = suggest_mapping(["AMCAS ID", "MCAT Total", "Total GPA", "Application Year"],
                             get_kind("admissions"))  # fmt: skip
    assert result == {"AMCAS ID": "aamc_id", "MCAT Total": "mcat", "Total GPA": "gpa",
                      "Application Year": "cycle"}  # fmt: skip


# ---------------------------------------------------------------------- value crosswalk
@pytest.mark.parametrize(
    ("field", "raw", "codes"),
    [
        ("sex", "F", ("female",)),
        ("sex", " Male ", ("male",)),
        ("sex", "Woman", None),
        ("gender_identity", "Woman", ("woman",)),
        ("gender_identity", "Female", None),
        ("gender_identity", "Non-Binary", ("nonbinary",)),
        ("hispanic", "Hispanic/Latino", ("yes",)),
        ("hispanic", "Hispanic or Latino", ("yes",)),
        ("hispanic", "Not Hispanic or Latino", ("no",)),
        ("hispanic", "Y", ("yes",)),
        ("veteran", "TRUE", ("yes",)),
        ("veteran", "0", ("no",)),
        ("race", "Black or African American", ("black",)),
        ("race", "American Indian or Alaska Native", ("aian",)),
        ("race", "Native Hawaiian or Other Pacific Islander", ("nhpi",)),
        ("race", "Middle Eastern or North African", None),
        ("race_ethnicity_2024", "Middle Eastern or North African", ("mena",)),
        ("race", "Decline to state", ("declined",)),
        ("sexual_orientation", "Prefer not to answer", ("declined",)),
        ("citizenship", "Not disclosed", ("declined",)),
        ("rank", "Assistant Professor", ("assistant_professor",)),
        ("rank", "Asst Prof", ("assistant_professor",)),
        ("rank", "associate_professor", ("associate_professor",)),
        ("rank", "Declined", None),
        ("state", "ca", ("CA",)),
        ("state", "District of Columbia", ("DC",)),
        ("state", "Puerto Rico", ("PR",)),
        ("ses_group", "EO-3", ("eo3",)),
        ("parental_education", "Bachelor's degree", ("bachelor",)),
    ],
)
def test_the_builtin_crosswalk_maps_common_spellings(
    field: str, raw: str, codes: tuple[str, ...] | None
) -> None:
    assert lookup_value(build_value_table(FACULTY.field(field)), raw) == codes


def test_profile_values_override_the_builtin_crosswalk() -> None:
    profile = load_profile(
        "name: x\nkind: faculty\nvalues:\n  sex: {F: declined}\n"
        "  race: {'Two or More Races': [black, white]}\n"
    )
    assert lookup_value(build_value_table(FACULTY.field("sex"), profile), "f") == ("declined",)
    race = build_value_table(FACULTY.field("race"), profile)
    assert lookup_value(race, "two or more races") == ("black", "white")


def test_normalise_ignores_case_accents_punctuation_and_spacing() -> None:
    assert normalise("  Hispanic/Latino(a) ") == "hispanic latino a"
    assert normalise("Émployée_ID") == "employee id"


def test_an_encoding_name_with_a_nul_character_is_a_profile_error() -> None:
    with pytest.raises(ProfileError, match="encoding"):
        load_profile(yaml.safe_dump({"kind": "faculty", "encoding": "\x00", "columns": {}}))
