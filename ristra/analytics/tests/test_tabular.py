from __future__ import annotations

import csv
import datetime as dt
import io
import unicodedata
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path

import polars as pl
import pytest
import xlsxwriter
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ristra.analytics.tabular import (
    ROW_COLUMN,
    TableInfo,
    UnusableInput,
    cell_text,
    detect_delimiter,
    iter_table_chunks,
    read_table,
    sniff,
)


def read(data: bytes, **kwargs: str) -> tuple[TableInfo, pl.DataFrame]:
    return read_table(data, filename=kwargs.pop("filename", "export.csv"), **kwargs)


def rows(frame: pl.DataFrame) -> list[tuple[object, ...]]:
    return list(frame.iter_rows())


def unusable(data: bytes, filename: str = "export.csv", **kwargs: str) -> UnusableInput:
    with pytest.raises(UnusableInput) as info:
        read_table(data, filename=filename, **kwargs)
    assert info.value.message == str(info.value)
    assert "Traceback" not in info.value.message
    return info.value


def xlsx_bytes(
    sheets: Mapping[str, Sequence[Sequence[object]]], hidden: tuple[str, ...] = ()
) -> bytes:
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    date_format = workbook.add_format({"num_format": "yyyy-mm-dd"})
    for name, table in sheets.items():
        sheet = workbook.add_worksheet(name)
        if name in hidden:
            sheet.hide()
        elif hidden and not any(s.name not in hidden for s in workbook.worksheets()[:-1]):
            sheet.activate()
        for r, values in enumerate(table):
            for c, value in enumerate(values):
                if isinstance(value, dt.datetime | dt.date):
                    sheet.write_datetime(r, c, value, date_format)
                elif value is not None:
                    sheet.write(r, c, value)
    workbook.close()
    return buffer.getvalue()


# ------------------------------------------------------------------------ basic reading
def test_it_reads_every_column_as_text_with_excel_row_numbers() -> None:
    info, frame = read(b"id,name,score\n00417, Ann ,12\n00418,Bob,\n")
    assert info.format == "csv"
    assert info.encoding == "utf-8"
    assert info.delimiter == ","
    assert info.headers == ["id", "name", "score"]
    assert frame.columns == [ROW_COLUMN, "id", "name", "score"]
    assert frame.schema[ROW_COLUMN] == pl.Int64
    assert all(frame.schema[c] == pl.String for c in info.headers)
    assert rows(frame) == [(2, "00417", "Ann", "12"), (3, "00418", "Bob", None)]
    assert info.data_rows == 2
    assert info.notes == ()


def test_it_never_infers_types_even_for_numbers_and_dates() -> None:
    _, frame = read(b"a,b,c\n0012,2023-01-05,1e3\n7,2023-01-06,TRUE\n")
    assert rows(frame) == [(2, "0012", "2023-01-05", "1e3"), (3, "7", "2023-01-06", "TRUE")]


def test_it_strips_the_bom_and_whitespace_from_headers() -> None:
    info, frame = read(
        "\ufeff Last Name ,First\n  Name\nSmith,Ann\n".encode().replace(
            b"First\n  Name", b'"First\n  Name"'
        )
    )
    assert info.encoding == "utf-8-sig"
    assert info.headers == ["Last Name", "First Name"]
    assert rows(frame) == [(2, "Smith", "Ann")]


def test_it_falls_back_to_windows_1252_for_non_utf8_bytes() -> None:
    data = "Nom,Ville\nJosé,Montréal\nZoë,Québec\n".encode("cp1252")
    info, frame = read(data)
    assert info.encoding == "cp1252"
    assert rows(frame) == [(2, "José", "Montréal"), (3, "Zoë", "Québec")]


def test_it_falls_back_to_1252_when_the_bad_bytes_come_after_the_sample() -> None:
    data = b"name,city\n" + b"Ann,Boston\n" * 8000 + "José,Montréal\n".encode("cp1252")
    info, frame = read(data)
    assert info.encoding == "cp1252"
    assert frame.row(-1) == (8002, "José", "Montréal")


def test_it_uses_a_declared_encoding() -> None:
    data = "a;b\nÄ;ß\n".encode("latin-1")
    info, frame = read(data, encoding="latin-1")
    assert info.encoding == "iso8859-1"
    assert rows(frame) == [(2, "Ä", "ß")]


def test_it_rejects_an_unknown_declared_encoding() -> None:
    assert unusable(b"a,b\n1,2\n", encoding="klingon").code == "encoding"


def test_it_reports_bytes_invalid_in_the_declared_encoding() -> None:
    error = unusable("a,b\nJosé,1\n".encode("cp1252"), encoding="utf-8")
    assert error.code == "encoding"
    assert "utf-8" in error.message
    assert "row 2" in error.message


def test_it_reads_utf16_with_a_bom() -> None:
    info, frame = read("a\tb\nx\ty\n".encode("utf-16"))
    assert info.encoding == "utf-16"
    assert info.delimiter == "\t"
    assert rows(frame) == [(2, "x", "y")]


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_it_detects_each_delimiter(delimiter: str) -> None:
    lines = [["id", "name", "note"], ["1", "Ann", "x"], ["2", "Bob", "y"]]
    data = "\n".join(delimiter.join(line) for line in lines).encode()
    info, frame = read(data)
    assert info.delimiter == delimiter
    assert rows(frame) == [(2, "1", "Ann", "x"), (3, "2", "Bob", "y")]


def test_it_detects_semicolons_despite_decimal_commas() -> None:
    info, frame = read(b"name;fte;gpa\nAnn;0,8;3,5\nBob;1;3,9\nCy;0,5;2\n")
    assert info.delimiter == ";"
    assert frame.get_column("fte").to_list() == ["0,8", "1", "0,5"]


def test_it_respects_quotes_when_detecting_the_delimiter() -> None:
    data = b'name,dept\n"Smith; Ann","Medicine; Cardiology"\n"Lee; Bo","Surgery; Ortho"\n'
    info, frame = read(data)
    assert info.delimiter == ","
    assert rows(frame)[0] == (2, "Smith; Ann", "Medicine; Cardiology")


def test_detect_delimiter_defaults_to_comma_for_one_column() -> None:
    assert detect_delimiter("name\nAnn\nBob\n") == ","


def test_it_reads_a_single_column_file() -> None:
    info, frame = read(b"email\na@x.edu\nb@x.edu\n")
    assert info.headers == ["email"]
    assert frame.height == 2


def test_it_uses_a_declared_delimiter_and_rejects_an_unsupported_one() -> None:
    info, frame = read(b"a;b\n1,5;2\n", delimiter=";")
    assert rows(frame) == [(2, "1,5", "2")]
    assert unusable(b"a:b\n1:2\n", delimiter=":").code == "bad_option"
    assert info.delimiter == ";"


def test_it_counts_rows_like_excel_with_newlines_in_quoted_values() -> None:
    data = b'id,comment\n1,"line one\nline two\nline three"\n2,plain\n'
    _, frame = read(data)
    assert rows(frame) == [(2, "1", "line one\nline two\nline three"), (3, "2", "plain")]


def test_it_skips_blank_rows_but_keeps_counting_them() -> None:
    data = b"\n\nid,name\n1,Ann\n\n,\n  ,  \n2,Bob\n"
    info, frame = read(data)
    assert info.header_row == 3
    assert rows(frame) == [(4, "1", "Ann"), (8, "2", "Bob")]
    assert any("3 blank rows were skipped" in n for n in info.notes)


def test_it_handles_crlf_and_old_mac_line_endings() -> None:
    _, crlf = read(b"a,b\r\n1,2\r\n3,4\r\n")
    _, cr = read(b"a,b\r1,2\r3,4\r")
    assert rows(crlf) == rows(cr) == [(2, "1", "2"), (3, "3", "4")]


# ---------------------------------------------------------------------------- ragged
def test_it_keeps_extra_values_of_long_rows_and_notes_them() -> None:
    info, frame = read(b"a,b\n1,2\n3,4,5,6\n7,8\n")
    assert info.headers == ["a", "b", "column_3", "column_4"]
    assert rows(frame) == [
        (2, "1", "2", None, None),
        (3, "3", "4", "5", "6"),
        (4, "7", "8", None, None),
    ]
    assert info.notes == (
        "Row 3 has more values than the heading row has columns (2); the extra values were"
        " kept under column_3 and column_4.",
    )


def test_it_summarises_many_long_rows() -> None:
    data = b"a,b\n" + b"1,2,3\n" * 7
    info, _ = read(data)
    assert len(info.notes) == 1
    assert info.notes[0].startswith("7 rows (first: 2, 3, 4, 5, 6) have more values")


def test_it_treats_missing_values_of_short_rows_as_empty() -> None:
    info, frame = read(b"a,b,c\n1\n1,2,3\n")
    assert rows(frame) == [(2, "1", None, None), (3, "1", "2", "3")]
    assert info.notes == (
        "1 row (first: 2) has fewer values than the heading row has columns; the missing"
        " values were treated as empty.",
    )


def test_it_ignores_trailing_empty_values_beyond_the_header() -> None:
    info, frame = read(b"a,b\n1,2,,,\n3,4\n")
    assert info.headers == ["a", "b"]
    assert info.notes == ()
    assert frame.width == 3


def test_it_names_unheaded_columns_with_data_and_drops_empty_ones() -> None:
    info, frame = read(b"a,,b,,\n1,x,2,,\n3,,4,,\n")
    assert info.headers == ["a", "column_2", "b"]
    assert rows(frame) == [(2, "1", "x", "2"), (3, "3", None, "4")]
    assert any("Column 2 has no heading" in n for n in info.notes)


# ------------------------------------------------------------------------- bad input
def test_it_rejects_an_empty_file() -> None:
    error = unusable(b"")
    assert error.code == "empty_file"
    assert "'export.csv' is empty" in error.message


def test_it_rejects_a_file_of_blank_lines() -> None:
    assert unusable(b"\n \n,,,\n").code == "empty_file"


def test_it_rejects_a_header_only_file() -> None:
    error = unusable(b"id,name\n\n")
    assert error.code == "header_only"
    assert error.message == "'export.csv' has column headings but no data rows."


def test_it_rejects_duplicate_headers_naming_them() -> None:
    error = unusable(b"id,Name,Name ,x\n1,2,3,4\n")
    assert error.code == "duplicate_headers"
    assert "'Name'" in error.message


def test_it_rejects_a_first_row_that_is_data() -> None:
    error = unusable(b"00417,2023-01-05,0.8\n00418,2023-01-06,1\n")
    assert error.code == "no_header"
    assert "'00417'" in error.message


def test_it_rejects_the_reserved_row_heading() -> None:
    assert unusable(b"__row__,a\n1,2\n").code == "duplicate_headers"


@pytest.mark.parametrize(
    ("data", "what"),
    [
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n", "a PDF document"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "a PNG image"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "a JPEG image"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100), "Excel 97-2003"),
        (b"<!DOCTYPE html><html><table><tr><td>1</td></tr></table>", "a web page"),
        (bytes(range(256)) * 4, "binary data"),
        (b"name,id\nAnn,\x00\x01\x02\n", "binary data"),
    ],
)
def test_it_rejects_files_that_are_not_tables(data: bytes, what: str) -> None:
    error = unusable(data, filename="upload.csv")
    assert error.code == "not_a_table"
    assert error.message.startswith("This file does not look like a spreadsheet")
    assert what in error.message
    assert error.message.endswith("Upload a CSV or XLSX export.")


def test_it_rejects_a_zip_that_is_not_a_workbook() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("word/document.xml", "<w/>")
    error = unusable(buffer.getvalue(), filename="roster.xlsx")
    assert error.code == "not_a_table"
    assert "Word document" in error.message


def test_it_rejects_a_damaged_workbook() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("xl/workbook.xml", "not xml at all")
    error = unusable(buffer.getvalue(), filename="roster.xlsx")
    assert error.code == "bad_xlsx"


def test_it_reads_csv_text_even_when_named_xlsx() -> None:
    info, frame = read(b"a,b\n1,2\n", filename="roster.xlsx")
    assert info.format == "csv"
    assert "contains text, not an Excel workbook" in info.notes[0]
    assert frame.height == 1


def test_it_reports_an_unterminated_quote() -> None:
    data = b'a,b\n1,"' + b"x" * 200_000 + b"\n2,3\n"
    error = unusable(data)
    assert error.code == "unterminated_quote"
    assert "Row 2" in error.message


def test_it_rejects_a_missing_path(tmp_path: Path) -> None:
    with pytest.raises(UnusableInput) as info:
        read_table(tmp_path / "nope.csv")
    assert info.value.code == "not_found"


# ------------------------------------------------------------------------------ sniff
def test_sniff_reports_format_encoding_delimiter_and_headers() -> None:
    info = sniff(b"\xef\xbb\xbfa;b;c\n1;2;3\n", filename="x.csv")
    assert (info.format, info.encoding, info.delimiter) == ("csv", "utf-8-sig", ";")
    assert info.headers == ["a", "b", "c"]
    workbook = xlsx_bytes({"S": [[], [" Emp ID", None, "Name"], [1, None, "Ann"]], "T": [["z"]]})
    info = sniff(workbook, filename="x.bin")
    assert (info.format, info.sheet, info.headers) == ("xlsx", "S", ["Emp ID", "Name"])
    assert sniff(workbook, filename="x.xlsx", sheet="T").headers == ["z"]


# ------------------------------------------------------------------------------- xlsx
def test_it_reads_a_workbook_converting_cells_to_text() -> None:
    data = xlsx_bytes(
        {
            "Roster": [
                ["Emp ID", "Name", "Hire Date", "FTE", "Active", "Count", None],
                [417, "Ann", dt.date(2023, 1, 5), 0.8, True, 12.0, None],
                [None, None, None, None, None, None, None],
                ["00418", " Bob ", dt.datetime(2021, 3, 1, 9, 30), 1, False, 3.25, None],
            ]
        }
    )
    info, frame = read(data, filename="roster.xlsx")
    assert info.format == "xlsx"
    assert info.sheet == "Roster"
    assert info.headers == ["Emp ID", "Name", "Hire Date", "FTE", "Active", "Count"]
    assert rows(frame) == [
        (2, "417", "Ann", "2023-01-05", "0.8", "TRUE", "12"),
        (4, "00418", "Bob", "2021-03-01 09:30:00", "1", "FALSE", "3.25"),
    ]
    assert all(frame.schema[c] == pl.String for c in info.headers)


def test_it_uses_excel_row_numbers_when_the_table_does_not_start_at_a1() -> None:
    data = xlsx_bytes({"S": [[], [], [None, "id", "name"], [None, "1", "Ann"]]})
    info, frame = read(data, filename="x.xlsx")
    assert info.header_row == 3
    assert rows(frame) == [(4, "1", "Ann")]


def test_it_reads_a_named_sheet_and_lists_sheets_when_missing() -> None:
    data = xlsx_bytes({"Summary": [["x"], ["1"]], "Detail": [["id"], ["7"]]})
    info, frame = read(data, filename="x.xlsx", sheet="Detail")
    assert info.sheet == "Detail"
    assert info.sheets == ("Summary", "Detail")
    assert rows(frame) == [(2, "7")]
    error = unusable(data, filename="x.xlsx", sheet="Data")
    assert error.code == "missing_sheet"
    assert error.message == (
        "The workbook has no sheet named 'Data'. Its sheets are 'Summary' and 'Detail'."
    )


def test_it_skips_a_hidden_first_sheet() -> None:
    data = xlsx_bytes({"Lookup": [["x"], ["1"]], "Data": [["id"], ["7"]]}, hidden=("Lookup",))
    info, _ = read(data, filename="x.xlsx")
    assert info.sheet == "Data"


def test_it_rejects_a_header_only_workbook() -> None:
    assert unusable(xlsx_bytes({"S": [["a", "b"]]}), filename="x.xlsx").code == "header_only"


def test_cell_text_converts_spreadsheet_values() -> None:
    assert cell_text(None) == ""
    assert cell_text(12.0) == "12"
    assert cell_text(-3.0) == "-3"
    assert cell_text(0.1) == "0.1"
    assert cell_text(0.1 + 0.2) == "0.3"
    assert cell_text(True) == "TRUE"
    assert cell_text(dt.date(2024, 2, 29)) == "2024-02-29"
    assert cell_text(dt.datetime(2024, 2, 29)) == "2024-02-29"
    assert cell_text(dt.time(8, 5)) == "08:05:00"
    assert cell_text(float("nan")) == ""


# ---------------------------------------------------------------------------- chunks
def test_it_streams_chunks_with_continuous_row_numbers(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    lines = ["id,name"] + [f"{i},n{i}" if i % 10 else "" for i in range(1, 1001)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    info, chunks = iter_table_chunks(path, chunk_rows=128)
    frames = list(chunks)
    assert info.data_rows == 900
    assert [f.height for f in frames][:-1] == [128] * 7
    assert sum(f.height for f in frames) == 900
    numbers = pl.concat(frames).get_column(ROW_COLUMN).to_list()
    assert numbers == [i + 1 for i in range(1, 1001) if i % 10]
    assert all(f.columns == [ROW_COLUMN, "id", "name"] for f in frames)


def test_chunks_have_the_same_columns_when_a_late_row_is_long(tmp_path: Path) -> None:
    path = tmp_path / "ragged.csv"
    path.write_bytes(b"a,b\n" + b"1,2\n" * 50 + b"1,2,3\n")
    info, chunks = iter_table_chunks(path, chunk_rows=10)
    frames = list(chunks)
    assert info.headers == ["a", "b", "column_3"]
    assert {tuple(f.columns) for f in frames} == {(ROW_COLUMN, "a", "b", "column_3")}
    assert info.notes[0].startswith("Row 52 has more values")


def test_read_table_accepts_a_path(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_bytes(b"a|b\n1|2\n")
    info, frame = read_table(str(path))
    assert info.delimiter == "|"
    assert rows(frame) == [(2, "1", "2")]


def test_it_streams_a_workbook_in_chunks(tmp_path: Path) -> None:
    path = tmp_path / "x.xlsx"
    path.write_bytes(xlsx_bytes({"S": [["id"]] + [[str(i)] for i in range(25)]}))
    _, chunks = iter_table_chunks(path, chunk_rows=10)
    assert [f.height for f in chunks] == [10, 10, 5]


# ------------------------------------------------------------------------ properties
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2000), st.sampled_from(["x.csv", "x.xlsx", "x.txt", ""]))
def test_it_returns_a_frame_or_unusable_input_for_any_bytes(data: bytes, filename: str) -> None:
    try:
        info, frame = read_table(data, filename=filename)
    except UnusableInput as error:
        assert error.code
        assert error.message
        return
    assert frame.columns[0] == ROW_COLUMN
    assert frame.columns[1:] == info.headers
    assert all(dtype == pl.String for dtype in frame.dtypes[1:])


def _printable(ch: str) -> bool:
    return unicodedata.category(ch) not in ("Cc", "Cs") and ch not in "\ufeff\ufffd"


CELL = st.text(
    alphabet=st.one_of(
        st.characters(codec="utf-8").filter(_printable),
        st.sampled_from([",", ";", "\t", "|", '"', "\n", "\r", " ", "é", "💉"]),
    ),
    max_size=12,
)
HEADER = st.from_regex(r"[A-Za-zÀ-ÿ][A-Za-z0-9 _#/().-]{0,10}[A-Za-z0-9)]", fullmatch=True)


@st.composite
def tables(draw: st.DrawFn) -> tuple[list[str], list[list[str]]]:
    headers = draw(
        st.lists(HEADER, min_size=1, max_size=6, unique_by=lambda h: " ".join(h.split()))
    )
    body = draw(st.lists(st.lists(CELL, min_size=len(headers), max_size=len(headers)), max_size=15))
    return headers, body


def _expected(body: list[list[str]]) -> list[tuple[str | None, ...]]:
    out = []
    for record in body:
        cells = tuple(c.strip() or None for c in record)
        if any(c is not None for c in cells):
            out.append(cells)
    return out


@settings(max_examples=300, deadline=None)
@given(tables(), st.sampled_from([",", ";", "\t", "|"]))
def test_csv_written_tables_round_trip(
    table: tuple[list[str], list[list[str]]], delimiter: str
) -> None:
    headers, body = table
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=delimiter)
    writer.writerow(headers)
    writer.writerows(body)
    data = buffer.getvalue().encode("utf-8")
    expected = _expected(body)
    if not expected:
        with pytest.raises(UnusableInput) as raised:
            read_table(data, filename="t.csv", delimiter=delimiter)
        assert raised.value.code == "header_only"
        return
    info, frame = read_table(data, filename="t.csv", delimiter=delimiter)
    assert info.headers == [" ".join(h.split()) for h in headers]
    assert [r[1:] for r in frame.iter_rows()] == expected


SIMPLE_CELL = st.from_regex(r"[A-Za-z0-9 .é@-]{0,8}", fullmatch=True)


@settings(max_examples=150, deadline=None)
@given(
    st.integers(min_value=2, max_value=6).flatmap(
        lambda n: st.tuples(
            st.lists(HEADER, min_size=n, max_size=n, unique_by=lambda h: " ".join(h.split())),
            st.lists(st.lists(SIMPLE_CELL, min_size=n, max_size=n), min_size=1, max_size=10),
        )
    ),
    st.sampled_from([",", ";", "\t", "|"]),
)
def test_the_delimiter_is_detected_for_regular_tables(
    table: tuple[list[str], list[list[str]]], delimiter: str
) -> None:
    headers, body = table
    lines = [delimiter.join(headers)] + [delimiter.join(r) for r in body]
    data = ("\n".join(lines) + "\n").encode()
    expected = _expected(body)
    if not expected:
        return
    info, frame = read_table(data, filename="t.csv")
    assert info.delimiter == delimiter
    assert [r[1:] for r in frame.iter_rows()] == expected


def test_it_rejects_tables_that_are_too_wide() -> None:
    header = ",".join(f"c{i}" for i in range(1001)).encode()
    assert unusable(header + b"\n" + b"1," * 1000 + b"1\n").code == "too_large"
    data = xlsx_bytes({"S": [["a"] + [None] * 1200 + ["far"], ["1"]]})
    error = unusable(data, filename="wide.xlsx")
    assert error.code == "too_large"
    assert "1,202 columns" in error.message


# ------------------------------------------------------------- the fast path for plain CSV
def _both_readers(
    data: bytes, monkeypatch: pytest.MonkeyPatch, chunk_rows: int = 3
) -> tuple[tuple[TableInfo, list[pl.DataFrame]], tuple[TableInfo, list[pl.DataFrame]]]:
    from ristra.analytics import tabular

    out = []
    for fast in (True, False):
        monkeypatch.setattr(tabular, "_FAST_CSV", fast)
        info, chunks = iter_table_chunks(data, filename="t.csv", chunk_rows=chunk_rows)
        out.append((info, list(chunks)))
    return out[0], out[1]


def _same(
    fast: tuple[TableInfo, list[pl.DataFrame]], slow: tuple[TableInfo, list[pl.DataFrame]]
) -> None:
    assert fast[0] == slow[0]
    assert len(fast[1]) == len(slow[1])
    for a, b in zip(fast[1], slow[1], strict=True):
        assert a.equals(b), (a, b)


def test_a_plain_file_takes_the_fast_path() -> None:
    from ristra.analytics import tabular

    inp = tabular._make_input(b"\xef\xbb\xbfid,name\r\n1, Ann \r\n2,Bob\r\n", "t.csv")
    layout = tabular._fast_layout(inp, "utf-8-sig", ",")
    assert layout is not None
    assert (layout.names, layout.data_rows) == (["id", "name"], 2)


@pytest.mark.parametrize(
    "data",
    [
        b'id,name\n1,"Ann"\n',  # quotes
        b"id,name\n1,Ann\n\n2,Bob\n",  # a blank line
        b"id,name\n1,Ann\n , \n",  # a row of blanks
        b"id,name\n1,Ann,extra\n2\n",  # long and short rows that balance out
        b"id,name\n1\n",  # a short row
        b"id,,name\n1,,Ann\n",  # an unnamed column
        b"id,name\r1,Ann\r",  # old Mac line ends
        b"id,name\n1,Ann\x1c\n",  # a separator Python counts as whitespace
        b"id,name\n1,\xe9\n",  # not UTF-8 after all
        b"id,name\n",  # no data rows
        b"\nid,name\n1,Ann\n",  # a blank line before the headings
    ],
)
def test_anything_irregular_takes_the_streaming_reader(data: bytes) -> None:
    from ristra.analytics import tabular

    inp = tabular._make_input(data, "t.csv")
    assert tabular._fast_layout(inp, "utf-8", ",") is None


def test_the_fast_path_splits_blocks_and_chunks_exactly(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from ristra.analytics import tabular

    monkeypatch.setattr(tabular, "_FAST_BLOCK_BYTES", 64)
    data = b"id,name\n" + b"".join(f"{i},n{i} \n".encode() for i in range(1, 200)) + b"200,last"
    fast, slow = _both_readers(data, monkeypatch, chunk_rows=7)
    assert fast[0].data_rows == 200
    assert [f.height for f in fast[1]] == [7] * 28 + [4]
    _same(fast, slow)
    assert fast[1][-1].row(-1) == (201, "200", "last")


FAST_CELL = st.from_regex(r'[A-Za-z0-9 .é@"\-\t]{0,6}', fullmatch=True)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.integers(min_value=1, max_value=4).flatmap(
        lambda n: st.tuples(
            st.lists(HEADER, min_size=n, max_size=n, unique_by=lambda h: " ".join(h.split())),
            st.lists(st.lists(FAST_CELL, min_size=0, max_size=n + 1), min_size=1, max_size=12),
        )
    ),
    st.sampled_from([",", ";", "|"]),
    st.sampled_from(["\n", "\r\n"]),
    st.booleans(),
)
def test_the_fast_path_reads_exactly_what_the_streaming_reader_reads(
    table: tuple[list[str], list[list[str]]],
    delimiter: str,
    newline: str,
    final_newline: bool,
) -> None:
    headers, body = table
    lines = [delimiter.join(headers)] + [delimiter.join(r) for r in body]
    data = (newline.join(lines) + (newline if final_newline else "")).encode()
    from ristra.analytics import tabular

    outcomes: list[object] = []
    with pytest.MonkeyPatch.context() as monkeypatch:
        for fast in (True, False):
            monkeypatch.setattr(tabular, "_FAST_CSV", fast)
            try:
                info, chunks = iter_table_chunks(data, filename="t.csv", chunk_rows=3)
                outcomes.append((info, [f.rows() for f in chunks]))
            except UnusableInput as error:
                outcomes.append(error.code)
    assert outcomes[0] == outcomes[1]
