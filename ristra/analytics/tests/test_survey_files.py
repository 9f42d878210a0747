"""Qualtrics and REDCap response exports: good files, label and numeric values, encodings,
delimiters, malformed headers, unknown columns, off-scale values and duplicates."""

from __future__ import annotations

import csv
import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ristra.analytics.survey_files import (
    ParsedFile,
    ResponseFileError,
    parse_qualtrics,
    parse_redcap,
)
from ristra.analytics.surveys import Instrument, example_instrument, instrument_load

INSTRUMENT = example_instrument()

MULTI = instrument_load(
    """
key: multi
title: With a multiple-answer item
scales:
  agree: {labels: [Disagree, Neutral, Agree], favourable: [3]}
factors:
  f: {label: F}
sections:
  - items:
      - {key: q1, kind: likert, scale: agree, factor: f, text: "The first statement"}
      - {key: q2, kind: likert, scale: agree, factor: f, text: "The second statement"}
      - {key: help, kind: multi, text: "Which helped?", options: [Mentors, Peers, Staff]}
      - {key: unit, kind: demographic, category: department, text: "Your unit"}
"""
)


def csv_bytes(rows: list[list[str]], *, delimiter: str = ",", encoding: str = "utf-8") -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue().encode(encoding)


QUALTRICS_HEAD = [
    "StartDate",
    "EndDate",
    "Status",
    "IPAddress",
    "Progress",
    "Duration (in seconds)",
    "Finished",
    "RecordedDate",
    "ResponseId",
    "RecipientLastName",
    "RecipientEmail",
    "LocationLatitude",
    "con1",
    "con4",
    "role",
    "strength",
]
QUALTRICS_TEXT = [
    "Start Date",
    "End Date",
    "Response Type",
    "IP Address",
    "Progress",
    "Duration (in seconds)",
    "Finished",
    "Recorded Date",
    "Response ID",
    "Recipient Last Name",
    "Recipient Email",
    "Location Latitude",
    "I have colleagues here I can turn to when something goes wrong.",
    "I often feel like an outsider in my unit.",
    "Which best describes your role?",
    "What is one thing the school does well to make people feel included?",
]
QUALTRICS_IDS = [
    '{"ImportId":"startDate","timeZone":"America/Denver"}',
    '{"ImportId":"endDate","timeZone":"America/Denver"}',
    '{"ImportId":"status"}',
    '{"ImportId":"ipAddress"}',
    '{"ImportId":"progress"}',
    '{"ImportId":"duration"}',
    '{"ImportId":"finished"}',
    '{"ImportId":"recordedDate","timeZone":"America/Denver"}',
    '{"ImportId":"_recordId"}',
    '{"ImportId":"recipientLastName"}',
    '{"ImportId":"recipientEmail"}',
    '{"ImportId":"locationLatitude"}',
    '{"ImportId":"QID1"}',
    '{"ImportId":"QID4"}',
    '{"ImportId":"QID30"}',
    '{"ImportId":"QID26_TEXT"}',
]


def meta(rid: str, status: str = "0") -> list[str]:
    return [
        "2026-03-02 09:14:03",
        "2026-03-02 09:20:41",
        status,
        "10.0.0.7",
        "100",
        "398",
        "1",
        "2026-03-02 09:20:42",
        rid,
        "Doe",
        "jdoe@example.edu",
        "35.08",
    ]


def qualtrics(*answers: list[str], status: str = "0") -> list[list[str]]:
    rows = [QUALTRICS_HEAD, QUALTRICS_TEXT, QUALTRICS_IDS]
    rows += [meta(f"R_{i:04d}", status) + a for i, a in enumerate(answers)]
    return rows


def test_it_reads_a_numeric_qualtrics_export() -> None:
    parsed = parse_qualtrics(
        csv_bytes(qualtrics(["5", "2", "3", "More mentoring, please"], ["4", "", "1", ""])),
        INSTRUMENT,
    )
    assert parsed.source == "qualtrics"
    assert [r.row_number for r in parsed.rows] == [4, 5]
    first, second = parsed.rows
    assert first.values == {
        "con1": 5,
        "con4": 2,
        "role": "Faculty",
        "strength": "More mentoring, please",
    }
    assert first.problems == ()
    assert second.values == {"con1": 4, "role": "Student"}
    assert first.raw["ResponseId"] == "R_0000"
    assert parsed.response_id_column == "ResponseId"


def test_it_never_carries_identifying_or_timing_columns() -> None:
    parsed = parse_qualtrics(csv_bytes(qualtrics(["5", "2", "3", "x"])), INSTRUMENT)
    assert set(parsed.dropped) == {
        "Duration (in seconds)",
        "StartDate",
        "EndDate",
        "RecordedDate",
        "IPAddress",
        "RecipientLastName",
        "RecipientEmail",
        "LocationLatitude",
    }
    for row in parsed.rows:
        assert not set(row.raw) & set(parsed.dropped)
        assert "10.0.0.7" not in row.raw.values()
        assert "jdoe@example.edu" not in row.raw.values()
    assert not set(parsed.columns) & set(parsed.dropped)


def test_it_reads_a_label_export_the_same_as_the_numeric_one() -> None:
    numeric = parse_qualtrics(csv_bytes(qualtrics(["5", "2", "4", ""])), INSTRUMENT)
    labels = parse_qualtrics(
        csv_bytes(qualtrics(["Strongly agree", "disagree", "Staff", ""])), INSTRUMENT
    )
    assert (
        labels.rows[0].values == numeric.rows[0].values == {"con1": 5, "con4": 2, "role": "Staff"}
    )
    assert labels.rows[0].problems == ()


def test_it_reads_bom_semicolons_and_utf16_tabs() -> None:
    rows = qualtrics(["5", "2", "3", "Más tutoría"])
    plain = parse_qualtrics(csv_bytes(rows), INSTRUMENT).rows[0].values
    bom = parse_qualtrics(b"\xef\xbb\xbf" + csv_bytes(rows), INSTRUMENT)
    assert bom.rows[0].values == plain
    assert bom.rows[0].raw["StartDate" if False else "ResponseId"] == "R_0000"
    semicolons = parse_qualtrics(csv_bytes(rows, delimiter=";"), INSTRUMENT)
    assert semicolons.rows[0].values == plain
    assert any("semicolons between columns" in p for p in semicolons.file_problems)
    utf16 = parse_qualtrics(csv_bytes(rows, delimiter="\t", encoding="utf-16"), INSTRUMENT)
    assert utf16.rows[0].values == plain
    assert plain["strength"] == "Más tutoría"


def test_it_notes_a_file_that_is_not_utf8() -> None:
    parsed = parse_qualtrics(
        csv_bytes(qualtrics(["5", "2", "3", "Más"]), encoding="cp1252"), INSTRUMENT
    )
    assert parsed.rows[0].values["strength"] == "Más"
    assert any("read as Windows-1252" in p for p in parsed.file_problems)


def test_values_outside_the_scale_and_unknown_labels_are_row_problems() -> None:
    parsed = parse_qualtrics(
        csv_bytes(qualtrics(["7", "Agreed", "9", ""], ["-99", "0", "2", ""])), INSTRUMENT
    )
    first, second = parsed.rows
    assert first.values == {}
    assert "con1: 7 is outside the scale (1, 2, 3, 4, 5); left unanswered." in first.problems
    assert any(
        p.startswith("con4: 'Agreed' is neither a value nor a label") for p in first.problems
    )
    assert any(p.startswith("role: '9' is not one of the options") for p in first.problems)
    # -99 is Qualtrics' "seen but unanswered": no answer, no problem
    assert second.values == {"role": "Resident or fellow"}
    assert second.problems == ("con4: 0 is outside the scale (1, 2, 3, 4, 5); left unanswered.",)


def test_duplicate_response_ids_and_previews_are_flagged_not_dropped() -> None:
    rows = qualtrics(["5", "2", "3", ""], ["4", "2", "3", ""])
    rows[4][8] = rows[3][8]
    rows.append(meta("R_9", status="1") + ["4", "4", "4", ""])
    parsed = parse_qualtrics(csv_bytes(rows), INSTRUMENT)
    assert len(parsed.rows) == 3
    assert parsed.rows[0].problems == ()
    assert parsed.rows[1].problems == (
        "Duplicate ResponseId 'R_0000' (first on row 4): the same response appears twice.",
    )
    assert parsed.rows[2].problems == (
        "Status says this is a survey preview, not a real response.",
    )
    assert len(parsed.ok_rows) == 1


def test_unknown_and_missing_columns_are_file_problems() -> None:
    rows = qualtrics(["5", "2", "3", "", "x"])
    rows[0] = [*rows[0], "Q99"]
    rows[1] = [*rows[1], "Something else"]
    rows[2] = [*rows[2], '{"ImportId":"QID99"}']
    parsed = parse_qualtrics(csv_bytes(rows), INSTRUMENT)
    unknown = [p for p in parsed.file_problems if "match no item" in p]
    assert unknown and "'Q99'" in unknown[0]
    missing = [p for p in parsed.file_problems if p.startswith("Not in the file")]
    assert missing and "con2" in missing[0] and "con1," not in missing[0]
    mapped = parse_qualtrics(csv_bytes(rows), INSTRUMENT, column_map={"Q99": "change"})
    assert mapped.rows[0].values["change"] == "x"
    assert not [p for p in mapped.file_problems if "match no item" in p]


def test_columns_map_by_question_text_when_the_export_tags_differ() -> None:
    rows = qualtrics(["5", "2", "3", ""])
    rows[0] = [*rows[0][:12], "Q1", "Q4", "Q30", "Q26"]
    parsed = parse_qualtrics(csv_bytes(rows), INSTRUMENT)
    assert parsed.rows[0].values == {"con1": 5, "con4": 2, "role": "Faculty"}
    assert ("Q1", "con1") in parsed.mapping


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        (
            [QUALTRICS_HEAD, QUALTRICS_TEXT, meta("R_1") + ["5", "2", "3", ""]],
            "third row should hold Qualtrics' ImportId",
        ),
        ([["con1", "con4"], ["5", "2"]], "no ResponseId column"),
        ([["record_id", "con1", "help___1"], ["1", "5", "1"]], "looks like a REDCap export"),
        (
            [
                QUALTRICS_HEAD[:12] + ["x1", "x2"],
                QUALTRICS_TEXT[:12] + ["a", "b"],
                QUALTRICS_IDS[:14],
            ],
            "No column matches an item",
        ),
    ],
)
def test_it_explains_wrong_header_rows(rows: list[list[str]], message: str) -> None:
    with pytest.raises(ResponseFileError, match=message):
        parse_qualtrics(csv_bytes(rows), INSTRUMENT)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "The file is empty"),
        (b"  \r\n", "The file is empty"),
        (b"PK\x03\x04rest-of-a-zip", "workbook"),
        (b"a,b\x00c\n", "NUL characters"),
    ],
)
def test_it_explains_files_that_are_not_csv(data: bytes, message: str) -> None:
    for parse in (parse_qualtrics, parse_redcap):
        with pytest.raises(ResponseFileError, match=message):
            parse(data, INSTRUMENT)


def test_a_column_map_to_a_missing_item_or_two_columns_on_one_item_are_refused() -> None:
    data = csv_bytes(qualtrics(["5", "2", "3", ""]))
    with pytest.raises(ResponseFileError, match="not an item of instrument"):
        parse_qualtrics(data, INSTRUMENT, column_map={"con1": "nope"})
    with pytest.raises(ResponseFileError, match="both map to item 'con1'"):
        parse_qualtrics(data, INSTRUMENT, column_map={"con4": "con1"})


def test_short_and_long_rows_are_row_problems() -> None:
    rows = qualtrics(["5", "2", "3", ""])
    rows.append(meta("R_short")[:10])
    rows.append([*meta("R_long"), "4", "4", "4", "", "extra"])
    parsed = parse_qualtrics(csv_bytes(rows), INSTRUMENT)
    assert parsed.rows[1].problems == (
        "Row 5 has 10 cells but the header has 16; the missing cells are empty.",
    )
    assert parsed.rows[2].problems == (
        "Row 6 has 17 cells but the header has 16; the extra cells were ignored.",
    )
    assert parsed.rows[2].values["con1"] == 4


def test_a_file_with_headers_only_says_so() -> None:
    parsed = parse_qualtrics(csv_bytes(qualtrics()), INSTRUMENT)
    assert parsed.rows == ()
    assert "no responses" in parsed.file_problems[-1]


# ----------------------------------------------------------------------------- REDCap


def test_it_reads_a_redcap_raw_export_with_checkboxes() -> None:
    rows = [
        [
            "record_id",
            "redcap_survey_identifier",
            "climate_timestamp",
            "q1",
            "q2",
            "help___1",
            "help___2",
            "help___3",
            "unit",
            "climate_complete",
        ],
        ["1", "jdoe@example.edu", "2026-03-02 09:20:41", "3", "1", "1", "0", "1", "Surgery", "2"],
        ["2", "", "2026-03-02 10:01:00", "2", "", "0", "0", "0", "", "2"],
        ["3", "", "[not completed]", "", "", "", "", "", "", "0"],
    ]
    parsed = parse_redcap(csv_bytes(rows), MULTI)
    assert parsed.source == "redcap"
    assert set(parsed.dropped) == {"redcap_survey_identifier", "climate_timestamp"}
    first, second, third = parsed.rows
    assert first.values == {"q1": 3, "q2": 1, "help": ("Mentors", "Staff"), "unit": "Surgery"}
    assert second.values == {"q1": 2, "help": ()}
    assert third.values == {}
    assert all(r.problems == () for r in parsed.rows)
    assert "jdoe@example.edu" not in first.raw.values()
    assert first.raw["record_id"] == "1"


def test_it_reads_a_redcap_label_export() -> None:
    rows = [
        [
            "Record ID",
            "Survey Timestamp",
            "The first statement",
            "The second statement",
            "Which helped? (choice=Mentors)",
            "Which helped? (choice=Peers)",
            "Which helped? (choice=Staff)",
            "Your unit",
            "Complete?",
        ],
        [
            "1",
            "2026-03-02 09:20:41",
            "Agree",
            "disagree",
            "Checked",
            "Unchecked",
            "Checked",
            "Surgery",
            "Complete",
        ],
    ]
    parsed = parse_redcap(csv_bytes(rows), MULTI)
    assert parsed.rows[0].values == {
        "q1": 3,
        "q2": 1,
        "help": ("Mentors", "Staff"),
        "unit": "Surgery",
    }
    assert parsed.rows[0].problems == ()
    assert parsed.dropped == ("Survey Timestamp",)


def test_redcap_problems_name_the_cell() -> None:
    rows = [
        ["record_id", "q1", "q2", "help___1", "help___9", "extra"],
        ["1", "4", "x", "yes", "1", "?"],
        ["1", "1", "1", "0", "0", ""],
    ]
    parsed = parse_redcap(csv_bytes(rows), MULTI)
    assert (
        "Checkbox column 'help___9': '9' is not an option of item 'help'" in parsed.file_problems[0]
    )
    assert any("'extra'" in p for p in parsed.file_problems)
    first, second = parsed.rows
    assert "q1: 4 is outside the scale (1, 2, 3); left unanswered." in first.problems
    assert any(p.startswith("q2: 'x' is neither a value nor a label") for p in first.problems)
    assert any("should be 1/0 or Checked/Unchecked" in p for p in first.problems)
    assert second.problems == (
        "Duplicate record '1' (first on row 2): the same response appears twice.",
    )


def test_repeated_redcap_events_are_not_duplicates() -> None:
    rows = [
        ["record_id", "redcap_event_name", "q1"],
        ["1", "year_1_arm_1", "3"],
        ["1", "year_2_arm_1", "2"],
    ]
    parsed = parse_redcap(csv_bytes(rows), MULTI)
    assert all(r.problems == () for r in parsed.rows)


def test_redcap_explains_wrong_files() -> None:
    with pytest.raises(ResponseFileError, match="looks like a Qualtrics export"):
        parse_redcap(csv_bytes(qualtrics(["5", "2", "3", ""])), INSTRUMENT)
    with pytest.raises(ResponseFileError, match="No column in the first row matches an item"):
        parse_redcap(csv_bytes([["a", "b"], ["1", "2"]]), INSTRUMENT)


# ----------------------------------------------------------------------------- properties


def _valid(parsed: ParsedFile, instrument: Instrument) -> None:
    keys = {item.key for item in instrument.items}
    for row in parsed.rows:
        assert set(row.values) <= keys
        for key, value in row.values.items():
            item = instrument.item(key)
            if item.kind == "likert":
                assert value in instrument.scale_of(item).values
            elif item.kind == "multi":
                assert isinstance(value, tuple) and set(value) <= set(item.options)
            elif item.options:
                assert value in item.options
        assert all(isinstance(p, str) and p for p in row.problems)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=2_000))
def test_random_bytes_never_crash_either_parser(data: bytes) -> None:
    for parse, instrument in ((parse_qualtrics, INSTRUMENT), (parse_redcap, MULTI)):
        try:
            parsed = parse(data, instrument)
        except ResponseFileError as error:
            assert str(error)
        else:
            _valid(parsed, instrument)


_cell = st.text(
    alphabet=st.characters(codec="utf-8", exclude_characters="\x00"), max_size=12
) | st.sampled_from(
    ["1", "5", "7", "-99", "Agree", "Checked", "0", "", '"', ";", "\n", "Mentors,Staff"]
)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.lists(_cell, min_size=0, max_size=8), max_size=6),
    st.sampled_from([",", ";", "\t"]),
)
def test_random_cells_under_real_headers_give_rows_with_problems(
    body: list[list[str]], delimiter: str
) -> None:
    q = parse_qualtrics(
        csv_bytes([QUALTRICS_HEAD, QUALTRICS_TEXT, QUALTRICS_IDS, *body], delimiter=delimiter),
        INSTRUMENT,
    )
    _valid(q, INSTRUMENT)
    head = ["record_id", "q1", "q2", "help___1", "help___2", "unit"]
    try:
        r = parse_redcap(csv_bytes([head, *body], delimiter=delimiter), MULTI)
    except ResponseFileError as error:  # a body cell with a delimiter can shift the header
        assert str(error)
    else:
        _valid(r, MULTI)


def test_a_scale_coded_differently_is_named_once_for_the_file() -> None:
    shifted = parse_qualtrics(
        csv_bytes(qualtrics(["0", "4", "1", ""], ["2", "1", "1", ""], ["4", "0", "1", ""])),
        INSTRUMENT,
    )
    notes = [p for p in shifted.file_problems if "outside scale" in p]
    assert len(notes) == 2
    assert notes[0].startswith("Column 'con1' (item con1) holds values outside scale agree5")
    assert "code the scale from 0 to 4, one below the instrument" in notes[0]
    longer = parse_qualtrics(
        csv_bytes(qualtrics(["7", "6", "1", ""], ["1", "2", "1", ""])), INSTRUMENT
    )
    assert any("longer scale (up to 7)" in p for p in longer.file_problems)
    fine = parse_qualtrics(csv_bytes(qualtrics(["5", "1", "1", ""])), INSTRUMENT)
    assert not [p for p in fine.file_problems if "outside scale" in p]


def test_qualtrics_multiple_answers_and_a_missing_question_text_row() -> None:
    head = ["ResponseId", "q1", "help", "unit"]
    ids = [
        '{"ImportId":"_recordId"}',
        '{"ImportId":"QID1"}',
        '{"ImportId":"QID2"}',
        '{"ImportId":"QID3"}',
    ]
    rows = [
        head,
        ids,
        ["R_1", "3", "1,3", "Surgery"],
        ["R_2", "Agree", "Peers,Staff", ""],
        ["R_3", "", "Peers,Nobody", ""],
    ]
    parsed = parse_qualtrics(csv_bytes(rows), MULTI)
    assert any("question-text header row is missing" in p for p in parsed.file_problems)
    first, second, third = parsed.rows
    assert first.values == {"q1": 3, "help": ("Mentors", "Staff"), "unit": "Surgery"}
    assert second.values == {"q1": 3, "help": ("Peers", "Staff")}
    assert third.problems == (
        "help: 'Nobody' not among the options (Mentors, Peers, Staff); left unanswered.",
    )
