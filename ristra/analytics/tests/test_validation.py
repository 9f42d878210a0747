from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ristra.analytics.importspec import get_kind
from ristra.analytics.profiles import Profile, load_profile
from ristra.analytics.tabular import read_table
from ristra.analytics.validation import (
    PROBLEM_SCHEMA,
    ValidationResult,
    Validator,
    apply_profile,
    diagnose_date,
    human_format,
    validate,
)

FACULTY = get_kind("faculty")
STAFF = get_kind("staff")
ADMISSIONS = get_kind("admissions")
GME = get_kind("gme")
STUDENTS = get_kind("students")

BASE = {
    "EMPLID": "00417",
    "Last Name": "Smith",
    "First Name": "Ann",
    "Dept": "Medicine",
    "Rank": "Professor",
    "Hire Date": "2020-07-01",
}


def frame_of(*records: Mapping[str, str | None]) -> pl.DataFrame:
    columns: list[str] = []
    for record in records:
        columns.extend(c for c in record if c not in columns)
    data = {c: [r.get(c) for r in records] for c in columns}
    frame = pl.DataFrame(data, schema={c: pl.String for c in columns})
    return frame.with_row_index("__row__", offset=2).with_columns(pl.col("__row__").cast(pl.Int64))


def faculty(**changes: str | None) -> dict[str, str | None]:
    record: dict[str, str | None] = dict(BASE)
    for key, value in changes.items():
        record[key.replace("_", " ")] = value
    return record


def profile(text: str, kind: str = "faculty") -> Profile:
    return load_profile(f"name: test\nkind: {kind}\n{text}")


def only_problem(result: ValidationResult) -> dict[str, Any]:
    assert result.problems.height == 1, result.problems["message"].to_list()
    return result.problems.row(0, named=True)


def check_partition(result: ValidationResult, rows: list[int]) -> None:
    clean = set(result.clean.get_column("__row__").to_list())
    assert clean.isdisjoint(result.rejected_rows)
    assert clean | result.rejected_rows == set(rows)
    assert result.total_rows == len(rows)
    assert set(result.problems.get_column("row").to_list()) <= result.rejected_rows


# ------------------------------------------------------------------------------ basics
def test_it_types_a_clean_row() -> None:
    result = validate(
        frame_of(
            faculty(
                Email="Ann.Smith@Example.EDU",
                FTE="80%",
                Race="Black or African American; White",
                Hispanic="Not Hispanic or Latino",
                County_FIPS="1001",
                NPI="1234567893",
                Veteran="Y",
                State="Texas",
            )
        ),
        FACULTY,
    )
    assert result.ok
    assert result.problems.height == 0
    row = result.clean.row(0, named=True)
    assert row == {
        "__row__": 2,
        "given_name": "Ann",
        "family_name": "Smith",
        "email": "ann.smith@example.edu",
        "employee_id": "00417",
        "npi": "1234567893",
        "hispanic": "no",
        "race": ["black", "white"],
        "veteran": "yes",
        "county_fips": "01001",
        "state": "TX",
        "department": "Medicine",
        "rank": "professor",
        "fte": 0.8,
        "start_date": dt.date(2020, 7, 1),
    }
    schema = result.clean.schema
    assert schema["start_date"] == pl.Date
    assert schema["fte"] == pl.Float64
    assert schema["race"] == pl.List(pl.String)
    assert result.mapping["EMPLID"] == "employee_id"


def test_it_includes_only_fields_present_in_the_file() -> None:
    result = validate(frame_of(faculty()), FACULTY)
    assert set(result.clean.columns) == {"__row__", "employee_id", "family_name", "given_name",
                                         "department", "rank", "start_date"}  # fmt: skip


def test_it_types_ints_decimals_and_booleans() -> None:
    record = {
        "AAMC ID": "12345678",
        "Last Name": "Lee",
        "First Name": "Bo",
        "Cycle": "2025",
        "MCAT": "510",
        "GPA": "3.85",
        "Interviewed": "TRUE",
    }
    result = validate(frame_of(record), ADMISSIONS)
    assert result.ok, result.problems["message"].to_list()
    row = result.clean.row(0, named=True)
    assert (row["cycle"], row["mcat"], row["gpa"], row["interviewed"]) == (2025, 510, 3.85, True)
    assert row["program"] == "MD"  # the field's own default
    assert result.clean.schema["mcat"] == pl.Int64
    assert result.clean.schema["interviewed"] == pl.Boolean


def test_it_accepts_excel_style_integers_and_pgy_prefixes() -> None:
    record = {"Emp ID": "5", "Last Name": "A", "First Name": "B", "Program": "Surgery",
              "Start Date": "2024-07-01", "PGY": "PGY-3", "AAMC ID": "1234567.0"}  # fmt: skip
    result = validate(frame_of(record), GME)
    assert result.ok, result.problems["message"].to_list()
    assert result.clean.row(0, named=True)["pgy"] == 3
    assert result.clean.row(0, named=True)["aamc_id"] == "1234567"


# ----------------------------------------------------------------------- file errors
def test_it_reports_missing_required_columns_as_file_errors() -> None:
    record = dict(BASE)
    del record["Rank"]
    rows = frame_of(record, record)
    result = validate(rows, FACULTY)
    assert result.file_errors == [
        "The file has no column for 'Academic rank' (rank), which the faculty import requires."
        " Map a column to it or add a default."
    ]
    assert result.clean.height == 0
    assert result.rejected_rows == {2, 3}
    assert result.problems.schema == pl.Schema(PROBLEM_SCHEMA)
    assert not result.ok


def test_it_reports_a_missing_key_identifier_column() -> None:
    record = dict(BASE)
    del record["EMPLID"]
    result = validate(frame_of(record), FACULTY)
    assert result.file_errors == [
        "The file has no column for 'Employee ID' (employee_id), which the faculty import uses"
        " to recognise people. Map a column to it."
    ]


def test_a_profile_default_satisfies_a_required_column() -> None:
    record = dict(BASE)
    del record["Rank"]
    result = validate(frame_of(record), FACULTY, profile("defaults:\n  rank: Professor\n"))
    assert result.ok
    assert result.clean.get_column("rank").to_list() == ["professor"]


def test_it_reports_unknown_and_automatically_matched_columns() -> None:
    result = validate(frame_of(faculty(Notes="hello")), FACULTY)
    assert "Column 'Notes' is not used by the faculty import and was ignored." in result.messages
    assert result.messages[0].startswith(
        "Columns recognised automatically: 'EMPLID' as employee_id"
    )
    assert result.ok


# ------------------------------------------------------------------------- row rules
def test_it_reports_a_required_value_that_is_empty() -> None:
    problem = only_problem(validate(frame_of(faculty(Last_Name=None)), FACULTY))
    assert problem == {
        "row": 2,
        "column": "Last Name",
        "field": "family_name",
        "value": None,
        "rule": "required",
        "message": "Row 2, column 'Last Name': family name is empty, but the faculty import"
        " requires it.",
    }


def test_it_reports_a_value_outside_the_vocabulary() -> None:
    problem = only_problem(validate(frame_of(faculty(Rank="Emeritus")), FACULTY))
    assert problem["rule"] == "vocabulary"
    assert problem["message"] == (
        "Row 2, column 'Rank': 'Emeritus' is not a known value for rank; use one of instructor,"
        " assistant_professor, associate_professor, professor, other, or add it to the"
        " profile's values."
    )


def test_profile_values_make_an_unknown_value_acceptable() -> None:
    result = validate(
        frame_of(faculty(Rank="Emeritus")), FACULTY, profile("values:\n  rank: {Emeritus: other}\n")
    )
    assert result.ok
    assert result.clean.get_column("rank").to_list() == ["other"]


def test_it_names_the_unknown_part_of_a_multi_valued_cell() -> None:
    problem = only_problem(validate(frame_of(faculty(Race="Asian; Martian")), FACULTY))
    assert problem["message"].startswith(
        "Row 2, column 'Race': 'Asian; Martian' contains 'Martian', which is not a known value"
    )


def test_it_rejects_declined_combined_with_answers() -> None:
    problem = only_problem(validate(frame_of(faculty(Race="Declined|Asian")), FACULTY))
    assert problem["rule"] == "declined_mixed"


def test_it_maps_a_profile_value_to_several_codes() -> None:
    result = validate(
        frame_of(faculty(Race="Two or More Races")),
        FACULTY,
        profile("values:\n  race: {'Two or More Races': [white, asian]}\n"),
    )
    assert result.clean.get_column("race").to_list() == [["asian", "white"]]


def test_it_rejects_a_non_boolean_value() -> None:
    record = {"EMPLID": "1", "Last Name": "A", "First Name": "B", "Dept": "X",
              "Start Date": "2020-01-01", "Senior Admin": "Sometimes"}  # fmt: skip
    problem = only_problem(validate(frame_of(record), STAFF))
    assert problem["rule"] == "boolean"
    assert problem["message"] == (
        "Row 2, column 'Senior Admin': 'Sometimes' is not a yes/no value for"
        " senior_administrative; use yes or no."
    )


@pytest.mark.parametrize(
    ("value", "rule", "message"),
    [
        (
            "0",
            "range",
            "'0' is outside the allowed range for FTE (more than 0 and at most 1)."
            " Write a fraction (0.8) or a percentage (80%).",
        ),
        (
            "80",
            "range",
            "'80' is outside the allowed range for FTE (more than 0 and at most 1)."
            " Write a fraction (0.8) or a percentage (80%).",
        ),
        ("full", "number", "'full' is not a number; write FTE as 0.8 or 80%."),
    ],
)
def test_it_checks_fte(value: str, rule: str, message: str) -> None:
    problem = only_problem(validate(frame_of(faculty(FTE=value)), FACULTY))
    assert (problem["rule"], problem["message"]) == (rule, f"Row 2, column 'FTE': {message}")


@pytest.mark.parametrize(
    ("column", "value", "rule"),
    [
        ("MCAT", "530", "range"),
        ("MCAT", "five hundred", "number"),
        ("GPA", "4.3", "range"),
        ("GPA", "3.5%", "number"),
        ("Cycle", "1999", "range"),
        ("AAMC ID", "12345", "identifier_format"),
    ],
)
def test_it_checks_admissions_numbers(column: str, value: str, rule: str) -> None:
    record = {"AAMC ID": "12345678", "Last Name": "Lee", "First Name": "Bo", "Cycle": "2025"}
    record[column] = value
    problem = only_problem(validate(frame_of(record), ADMISSIONS))
    assert (problem["column"], problem["rule"]) == (column, rule)


def test_it_explains_an_out_of_range_mcat() -> None:
    record = {"AAMC ID": "12345678", "Last Name": "L", "First Name": "B", "Cycle": "2025",
              "MCAT": "530"}  # fmt: skip
    assert only_problem(validate(frame_of(record), ADMISSIONS))["message"] == (
        "Row 2, column 'MCAT': '530' is outside the allowed range for MCAT total score"
        " (472 to 528)."
    )


def test_it_lowercases_and_checks_emails() -> None:
    result = validate(frame_of(faculty(Email="not-an-email")), FACULTY)
    assert only_problem(result)["message"] == (
        "Row 2, column 'Email': 'not-an-email' is not a valid e-mail address."
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [("1001", "01001"), ("01001", "01001"), ("6037", "06037"), ("36061", "36061"),
     ("1001.0", "01001"), ("Declined", "declined")],
)  # fmt: skip
def test_it_restores_leading_zeros_excel_dropped_from_fips(value: str, expected: str) -> None:
    result = validate(frame_of(faculty(County_FIPS=value)), FACULTY)
    assert result.ok
    assert result.clean.get_column("county_fips").to_list() == [expected]


@pytest.mark.parametrize("value", ["123", "999999", "99001", "Cook"])
def test_it_rejects_impossible_fips(value: str) -> None:
    problem = only_problem(validate(frame_of(faculty(County_FIPS=value)), FACULTY))
    assert problem["rule"] == "fips"
    assert f"'{value}' is not a county FIPS code" in str(problem["message"])


@pytest.mark.parametrize(
    ("value", "rule"),
    [("1234567893", None), ("1245319599", None), ("1234567890", "npi_checksum"),
     ("123456789", "identifier_format"), ("12345678AB", "identifier_format")],
)  # fmt: skip
def test_it_checks_the_npi_luhn_digit(value: str, rule: str | None) -> None:
    result = validate(frame_of(faculty(NPI=value)), FACULTY)
    if rule is None:
        assert result.ok
    else:
        assert only_problem(result)["rule"] == rule


def test_it_reports_every_problem_of_a_row() -> None:
    result = validate(
        frame_of(faculty(Rank="Boss", Hire_Date="2023-02-30", Email="x", Last_Name=None)), FACULTY
    )
    assert sorted(result.problems.get_column("rule").to_list()) == [
        "email", "impossible_date", "required", "vocabulary"]  # fmt: skip
    assert result.rejected_rows == {2}
    assert result.clean.height == 0


# ------------------------------------------------------------------------ identifiers
def test_it_accepts_one_person_on_several_rows_of_different_scope() -> None:
    admissions = get_kind("admissions")
    frame = (
        pl.DataFrame(
            {
                "AAMC ID": ["12345678", "12345678", "12345678"],
                "Last Name": ["Chee", "Chee", "Chee"],
                "First Name": ["Dana", "Dana", "Dana"],
                "Application Cycle": ["2025", "2026", "2026"],
            }
        )
        .with_row_index("__row__", offset=2)
        .with_columns(pl.col("__row__").cast(pl.Int64))
    )
    result = validate(frame, admissions)
    assert result.clean.get_column("__row__").to_list() == [2, 3]
    assert result.rejected_rows == {4}
    assert "once per entering cycle" in result.problems.get_column("message")[0] or (
        "also appears on row 3" in result.problems.get_column("message")[0]
    )


def test_it_rejects_later_duplicates_of_an_identifier() -> None:
    result = validate(frame_of(faculty(), faculty(EMPLID="00418"), faculty(), faculty()), FACULTY)
    assert result.clean.get_column("__row__").to_list() == [2, 3]
    assert result.rejected_rows == {4, 5}
    assert result.problems.get_column("message").to_list() == [
        "Row 4, column 'EMPLID': Employee ID '00417' also appears on row 2; each person may"
        " appear only once per department and start date.",
        "Row 5, column 'EMPLID': Employee ID '00417' also appears on row 2; each person may"
        " appear only once per department and start date.",
    ]


def test_it_finds_duplicates_across_chunks() -> None:
    validator = Validator(FACULTY)
    first = validator.validate(frame_of(faculty(), faculty(EMPLID="2")))
    second_frame = frame_of(faculty(EMPLID="3"), faculty()).with_columns(pl.col("__row__") + 2)
    second = validator.validate(second_frame)
    assert first.ok
    assert second.rejected_rows == {5}
    assert "also appears on row 2" in only_problem(second)["message"]


def test_it_requires_at_least_one_key_identifier_per_row() -> None:
    record = {"Emp ID": None, "NRMP ID": None, "Last Name": "A", "First Name": "B",
              "Program": "IM", "Start Date": "2024-07-01"}  # fmt: skip
    other = dict(record, **{"NRMP ID": "N123"})
    result = validate(frame_of(record, other), GME)
    assert only_problem(result)["message"] == (
        "Row 2: there is no Employee ID or NRMP ID; the gme import needs one to recognise the"
        " person."
    )
    assert result.clean.get_column("nrmp_id").to_list() == ["N123"]


# ------------------------------------------------------------------------------ dates
@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2023-07-01", dt.date(2023, 7, 1)),
        ("2023-7-1", dt.date(2023, 7, 1)),
        ("2023-07-01 00:00:00", dt.date(2023, 7, 1)),
        ("2023-07-01T00:00:00", dt.date(2023, 7, 1)),
        ("2023/07/01", dt.date(2023, 7, 1)),
        ("1 Jul 2023", dt.date(2023, 7, 1)),
        ("July 1, 2023", dt.date(2023, 7, 1)),
        ("01-Jul-2023", dt.date(2023, 7, 1)),
        ("13/04/2023", dt.date(2023, 4, 13)),
        ("04/13/2023", dt.date(2023, 4, 13)),
        ("05/05/2023", dt.date(2023, 5, 5)),
    ],
)
def test_it_accepts_unambiguous_dates_without_a_declared_format(
    value: str, expected: dt.date
) -> None:
    result = validate(frame_of(faculty(Hire_Date=value)), FACULTY)
    assert result.ok, result.problems["message"].to_list()
    assert result.clean.get_column("start_date").to_list() == [expected]


def test_it_rejects_an_ambiguous_date_asking_for_a_declared_format() -> None:
    problem = only_problem(validate(frame_of(faculty(Hire_Date="03/04/2023")), FACULTY))
    assert problem["rule"] == "ambiguous_date"
    assert problem["message"] == (
        "Row 2, column 'Hire Date': '03/04/2023' could mean March 4 or April 3. Declare the date"
        " format in the mapping profile: date_format: '%m/%d/%Y' for month/day/year or"
        " '%d/%m/%Y' for day/month/year."
    )


def test_a_declared_us_format_resolves_ambiguous_dates() -> None:
    us = profile("date_format: '%m/%d/%Y'\n")
    day_first = profile("date_format: '%d/%m/%Y'\n")
    frame = frame_of(faculty(Hire_Date="03/04/2023"), faculty(EMPLID="2", Hire_Date="2023-05-06"))
    assert validate(frame, FACULTY, us).clean.get_column("start_date").to_list() == [
        dt.date(2023, 3, 4), dt.date(2023, 5, 6)]  # fmt: skip
    assert validate(frame, FACULTY, day_first).clean.get_column("start_date").to_list() == [
        dt.date(2023, 4, 3), dt.date(2023, 5, 6)]  # fmt: skip


def test_a_declared_us_format_rejects_day_first_values() -> None:
    problem = only_problem(
        validate(
            frame_of(faculty(Hire_Date="13/04/2023")), FACULTY, profile("date_format: '%m/%d/%Y'\n")
        )
    )
    assert problem["rule"] == "impossible_date"
    assert problem["message"] == (
        "Row 2, column 'Hire Date': '13/04/2023' is not a real date (there is no month 13)."
    )


@pytest.mark.parametrize(
    ("value", "rule", "detail"),
    [
        (
            "2023-02-30",
            "impossible_date",
            "'2023-02-30' is not a real date (February has 28 days in 2023).",
        ),
        (
            "2024-02-30",
            "impossible_date",
            "'2024-02-30' is not a real date (February has 29 days in 2024).",
        ),
        (
            "2023-04-31",
            "impossible_date",
            "'2023-04-31' is not a real date (April has 30 days in 2023).",
        ),
        (
            "31/09/2023",
            "impossible_date",
            "'31/09/2023' is not a real date (September has 30 days in 2023).",
        ),
        (
            "yesterday",
            "date_format",
            "'yesterday' is not a date in the expected form YYYY-MM-DD (for example 2024-07-01).",
        ),
        (
            "44927",
            "date_format",
            "'44927' looks like an Excel date serial number, not a date; format the column as a date in Excel before exporting.",
        ),
        (
            "1/5/23",
            "date_format",
            "'1/5/23' has a two-digit year. Write the year in full, or declare the date format in the mapping profile (for example date_format: '%m/%d/%y').",
        ),
        (
            "1850-01-01",
            "range",
            "'1850-01-01' is outside the range of dates this import accepts (1900 to 2100).",
        ),
    ],
)
def test_it_explains_bad_dates(value: str, rule: str, detail: str) -> None:
    problem = only_problem(validate(frame_of(faculty(Hire_Date=value)), FACULTY))
    assert (problem["rule"], problem["message"]) == (rule, f"Row 2, column 'Hire Date': {detail}")


def test_diagnose_date_uses_the_declared_format() -> None:
    assert diagnose_date("02/30/2023", ("%m/%d/%Y",)) == (
        "impossible_date", "'02/30/2023' is not a real date (February has 28 days in 2023).")  # fmt: skip
    rule, message = diagnose_date("2023.01.05", ("%m/%d/%Y",))
    assert rule == "date_format"
    assert message.endswith("expected form MM/DD/YYYY or YYYY-MM-DD.")
    assert human_format("%d.%m.%Y") == "DD.MM.YYYY"


def test_it_rejects_an_end_date_before_the_start_date() -> None:
    problem = only_problem(
        validate(frame_of(faculty(Hire_Date="2020-07-01", Term_Date="2019-06-30")), FACULTY)
    )
    assert problem["rule"] == "end_before_start"
    assert problem["message"] == (
        "Row 2, column 'Term Date': end date 2019-06-30 is before start date 2020-07-01"
        " (column 'Hire Date')."
    )


# ---------------------------------------------------------------------- apply_profile
def test_apply_profile_renames_drops_and_fills_defaults() -> None:
    raw = frame_of({"EMPLID": "1", "Surname": "Lee", "Given": "Bo", "Notes": "x", "Junk": "y"})
    prof = profile(
        "columns:\n  EMPLID: employee_id\n  surname: family_name\n  Notes: ignore\n"
        "  Missing Column: rank\ndefaults:\n  department: Medicine\n"
    )
    mapped, messages = apply_profile(raw, prof, FACULTY)
    assert mapped.columns == ["__row__", "given_name", "family_name", "employee_id", "department"]
    assert mapped.row(0) == (2, "Bo", "Lee", "1", "Medicine")
    assert "Column 'Junk' is not used by the faculty import and was ignored." in messages
    assert (
        "The profile maps a column 'Missing Column' to rank, but the file has no column with"
        " that heading." in messages
    )
    assert not any("Notes" in m for m in messages)


def test_it_reads_validates_and_reports_source_headers_end_to_end() -> None:
    data = (
        "Employee ID;Legal Last Name;Legal First Name;Supervisory Organization;Academic Rank;"
        "Hire Date;Race;Worker Type\n"
        "00417;Dupré;Zoë;Medicine;Professor;07/01/2020;Two or More Races;Regular\n"
        "00418;Lee;Bo;Surgery;Emeritus;13/01/2020;White;Regular\n"
    ).encode("cp1252")
    info, frame = read_table(data, filename="workday.csv")
    from pathlib import Path

    text = (
        Path(__file__).resolve().parents[3] / "profiles" / "hr_faculty_workday.yaml"
    ).read_text()
    result = validate(frame, FACULTY, load_profile(text))
    assert info.encoding == "cp1252"
    assert result.clean.row(0, named=True)["family_name"] == "Dupré"
    assert result.clean.row(0, named=True)["race"] == ["black", "white"]
    assert result.problems.get_column("message").to_list() == [
        "Row 3, column 'Hire Date': '13/01/2020' is not a real date (there is no month 13)."
    ]
    assert result.rejected_rows == {3}
    summary = result.summary()
    assert summary.row(0, named=True)["count"] == 1


# ------------------------------------------------------------------------- properties
FACULTY_HEADERS = ["EMPLID", "Last Name", "First Name", "Dept", "Rank", "Hire Date", "Term Date",
                   "FTE", "Race", "County FIPS", "NPI", "Email", "Gender", "Notes"]  # fmt: skip
CELLS = st.one_of(
    st.none(),
    st.text(max_size=12),
    st.sampled_from(["00417", "Professor", "2023-02-30", "03/04/2023", "80%", "1001", "White; Asian",
                     "1234567893", "a@b.co", "F", "declined", "2020-01-01", "0", "1e400", "-"]),
)  # fmt: skip


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.sampled_from(FACULTY_HEADERS), min_size=1, max_size=10, unique=True).flatmap(
        lambda headers: st.tuples(
            st.just(headers),
            st.lists(st.lists(CELLS, min_size=len(headers), max_size=len(headers)), max_size=12),
        )
    ),
    st.sampled_from([None, "date_format: '%m/%d/%Y'\n", "defaults:\n  rank: other\n"]),
)
def test_validation_partitions_every_row_and_never_raises(
    table: tuple[list[str], list[list[str | None]]], extra: str | None
) -> None:
    headers, body = table
    frame = (
        pl.DataFrame(
            {h: [r[i] for r in body] for i, h in enumerate(headers)},
            schema={h: pl.String for h in headers},
        )
        .with_row_index("__row__", offset=2)
        .with_columns(pl.col("__row__").cast(pl.Int64))
    )
    result = validate(frame, FACULTY, profile(extra) if extra else None)
    check_partition(result, frame.get_column("__row__").to_list())
    assert result.problems.schema == pl.Schema(PROBLEM_SCHEMA)
    for message in result.problems.get_column("message").to_list():
        assert message.startswith("Row ")
    if result.clean.height:
        assert result.clean.schema["__row__"] == pl.Int64


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(["faculty", "staff", "admissions", "students", "gme"]),
    st.lists(st.tuples(st.text(max_size=8), st.text(max_size=8)), min_size=1, max_size=8),
)
def test_validation_never_raises_on_random_headers_and_cells(
    kind_name: str, cells: list[tuple[str, str]]
) -> None:
    headers = list(dict.fromkeys(h for h, _ in cells if h and h != "__row__"))
    if not headers:
        return
    frame = pl.DataFrame(
        {h: [v for _, v in cells] for h in headers}, schema={h: pl.String for h in headers}
    )
    result = validate(frame, get_kind(kind_name))
    check_partition(result, list(range(2, frame.height + 2)))
