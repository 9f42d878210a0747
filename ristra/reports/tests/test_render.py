"""The report renderers: CSV, XLSX, PDF and JSON show the same cells as the screen."""

from __future__ import annotations

import csv
import io
import itertools
import json
import re
import shutil
import subprocess
import time
import zipfile
import zlib
from html.parser import HTMLParser
from typing import Any

import pytest
from django.utils import translation
from python_calamine import CalamineWorkbook

from ristra.analytics import suppression as sup
from ristra.core.exports import safe_cell
from ristra.reports import published as pub
from ristra.reports import render as rr
from ristra.reports.published import HIDDEN, NOT_APPLICABLE, Cell, Column, format_cell

INJECTED = '=HYPERLINK("http://evil.example","click")'


def bar_chart(description: str, values: dict[str, int]) -> pub.Chart:
    return pub.Chart(
        spec={
            "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
            "data": {"values": [{"group": k, "n": v} for k, v in values.items()]},
            "mark": "bar",
            "encoding": {
                "x": {"field": "n", "type": "quantitative", "title": "People"},
                "y": {"field": "group", "type": "nominal", "title": "Group"},
            },
        },
        description=description,
    )


def build_report(n_cross_tables: int = 1) -> pub.Report:
    sections: list[pub.PublishedTable] = []
    for n in range(n_cross_tables):
        table = sup.suppress_table([[1200, 3, 45], [80, 60, 2], [2000, 150, 90]])
        sections.append(
            pub.cross_table(
                table,
                key=f"stage-sex-{n}",
                title=f"Applicants by stage and sex [{n}]: all/any?",
                row_header="Stage",
                row_labels=["Applicants", INJECTED, "Matriculants"],
                column_labels=["Women", "Men", "Unknown"],
                summary="Women are most applicants at every stage.",
                chart=bar_chart("Bar chart of applicants: women 3,280.", {"Women": 3280}),
                notes=["Sex as recorded at application."],
            )
        )
    counts = sup.suppress_counts({"a": 1500, "b": 4, "c": 30, "d": 0}, total=1534)
    sections.append(
        pub.breakdown(
            counts,
            key="race",
            title="Faculty by race",
            header="Race",
            labels={"a": "White", "b": "Black", "c": "Asian", "d": "+Other"},
            summary="Most faculty are White.",
            chart=bar_chart("Faculty by race: White 1,500, Asian 30.", {"White": 1500}),
        )
    )
    policy = sup.DEFAULT_POLICY
    sections.append(
        pub.measured_table(
            key="retention",
            title="Retention ratios",
            columns=[
                Column("label", "Group", "label"),
                Column("n", "People", "count"),
                Column("ratio", "Ratio", "ratio"),
                Column("mean", "Mean years", "number"),
                Column("note", "Comment", "text"),
            ],
            rows=[
                ["URiM", pub.base_count(250, policy), 1.25, 4.5, "-steady"],
                ["Not URiM", pub.base_count(4, policy), HIDDEN, HIDDEN, "@small"],
                ["None yet", 0, NOT_APPLICABLE, NOT_APPLICABLE, ""],
                ["Change", pub.base_count(12345, policy), -0.5, 10.0, "x"],
            ],
            summary="Retention is similar across groups.",
            policy=policy,
            notes=["Ratios compare five-year retention."],
        )
    )
    return pub.Report(
        key="annual",
        title="Annual diversity report",
        subtitle="Fictional School of Medicine",
        sections=tuple(sections),
        parameters=(("Year", "2026"), ("Population", "Students")),
        definitions=(("URiM", "Underrepresented in medicine (AAMC)."),),
        quality=(("Race unknown", "4.0%"), ("Snapshot", "2026-11-01")),
        notes=("Counts are as of the census date.",),
        narrative=("Message from the dean", "Highlights of the year"),
    )


@pytest.fixture(scope="module")
def report() -> pub.Report:
    return build_report()


# ------------------------------------------------------------------------------ helpers
def normalise(text: str) -> str:
    """Compare texts across formats: no thousands separators, no formula apostrophe."""
    return text.removeprefix("'").replace(",", "")


def assert_no_small_counts(section: pub.PublishedTable, rows: list[list[Any]]) -> None:
    for row in rows:
        for column, value in zip(section.columns, row, strict=True):
            if column.kind != "count":
                continue
            text = str(value).replace(",", "")
            if re.fullmatch(r"\d+(\.0)?", text):
                assert not 1 <= int(float(text)) <= 10, f"{section.key}: count {text} published"


def csv_blocks(content: bytes, report: pub.Report) -> dict[str, list[list[str]]]:
    """Rows of each section's table in the CSV, by section key."""
    assert content.startswith("\ufeff".encode())
    lines = list(csv.reader(io.StringIO(content.decode("utf-8").removeprefix("\ufeff"))))
    blocks = {}
    position = 0
    for section in report.sections:
        title = safe_cell(section.title)
        while lines[position] != [title]:
            position += 1
        header = lines[position + 1]
        assert header == [str(safe_cell(c.label)) for c in section.columns]
        blocks[section.key] = lines[position + 2 : position + 2 + len(section.rows)]
        assert lines[position + 2 + len(section.rows)] == []
        position += 2 + len(section.rows)
    return blocks


def xlsx_text(value: Any, kind: str) -> str:
    """A calamine value written as format_cell would write it."""
    if isinstance(value, str):
        return value
    if kind == "count":
        assert float(value).is_integer()
        return f"{int(value):,}"
    if kind == "percent":
        return f"{value * 100:.1f}%"
    return f"{value:.2f}"


class _TableCells(HTMLParser):
    """Text of every table cell (th/td) in tbody, per table, from the PDF's HTML."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[list[list[str]]] = []
        self._in_body = False
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "tbody":
            self._in_body = True
            self.tables.append([])
        elif tag == "tr" and self._in_body:
            self.tables[-1].append([])
        elif tag in ("th", "td") and self._in_body:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "tbody":
            self._in_body = False
        elif tag in ("th", "td") and self._cell is not None:
            self.tables[-1][-1].append("".join(self._cell).strip())
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def pdf_streams(pdf: bytes) -> bytes:
    """The PDF with every Flate stream decompressed next to it (for byte scans)."""
    parts = [pdf]
    for match in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S):
        try:
            parts.append(zlib.decompress(match.group(1)))
        except zlib.error:
            continue
    return b"\n".join(parts)


def pdf_text_runs(pdf: bytes) -> list[str] | None:
    """Text runs of a WeasyPrint PDF, or None when no tool can read them.

    pypdf is not installed here and neither is poppler's ``pdftotext``; WeasyPrint writes
    each line of text as one ``[<glyph>...] TJ`` with a ``bfchar`` ToUnicode map per font,
    which this helper decodes (None if the maps disagree, i.e. it cannot be sure).
    """
    if shutil.which("pdftotext"):
        result = subprocess.run(  # noqa: S603 - fixed tool, input on stdin
            ["pdftotext", "-layout", "-", "-"],  # noqa: S607
            input=pdf,
            capture_output=True,
            check=True,
        )
        return [line.strip() for line in result.stdout.decode().splitlines() if line.strip()]
    data = pdf_streams(pdf)
    glyphs: dict[str, str] = {}
    for block in re.findall(rb"beginbfchar(.*?)endbfchar", data, re.S):
        for gid, uni in re.findall(rb"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>", block):
            char = bytes.fromhex(uni.decode()).decode("utf-16-be")
            if glyphs.setdefault(gid.decode().lower(), char) != char:
                return None
    runs = []
    for array in re.findall(rb"\[([^\]]*)\]\s*TJ", data):
        hexes = re.findall(rb"<([0-9a-fA-F]+)>", array)
        text = ""
        for chunk in hexes:
            chunk_text = chunk.decode().lower()
            for k in range(0, len(chunk_text), 4):
                text += glyphs.get(chunk_text[k : k + 4], "\ufffd")
        runs.append(text.strip())
    return runs or None


# -------------------------------------------------------------------------------- CSV
def test_csv_cells_match_format_cell(report: pub.Report) -> None:
    blocks = csv_blocks(rr.report_csv(report), report)
    for section in report.sections:
        rows = blocks[section.key]
        assert len(rows) == len(section.rows)
        for row, source in zip(rows, section.rows, strict=True):
            for text, column, cell in zip(row, section.columns, source, strict=True):
                assert normalise(text) == normalise(format_cell(cell, column.kind))
                if column.kind == "count" and isinstance(cell, int):
                    assert text == str(cell)  # no separators: a number to a spreadsheet
                if cell is HIDDEN:
                    assert text == "*"
        assert_no_small_counts(section, rows)


def test_csv_has_notes(report: pub.Report) -> None:
    text = rr.report_csv(report).decode("utf-8")
    notes = text[text.index("\r\nNotes\r\n") :]
    for expected in [
        "Year,2026",
        "URiM,Underrepresented in medicine (AAMC).",
        "Race unknown,4.0%",
        "Counts are as of the census date.",
        "Sex as recorded at application.",
        f"{report.suppression_notes()[2]}",
    ]:
        assert expected in notes


def test_csv_neutralises_formulas(report: pub.Report) -> None:
    rows = csv_blocks(rr.report_csv(report), report)
    assert rows["stage-sex-0"][1][0] == "'" + INJECTED
    assert rows["race"][3][0] == "'+Other"
    assert rows["retention"][0][4] == "'-steady"
    assert rows["retention"][1][4] == "'@small"
    assert rows["retention"][3][2] == "-0.50"  # our own numbers stay numbers


# ------------------------------------------------------------------------------- XLSX
def test_xlsx_cells_match_format_cell(report: pub.Report) -> None:
    book = CalamineWorkbook.from_filelike(io.BytesIO(rr.report_xlsx(report)))
    assert book.sheet_names[0] == "Notes"
    names = rr.sheet_names([s.title for s in report.sections], taken=["Notes"])
    assert book.sheet_names[1:] == names
    for name, section in zip(names, report.sections, strict=True):
        rows = book.get_sheet_by_name(name).to_python(skip_empty_area=False)
        assert rows[0][0] == section.title
        assert rows[1][0] == section.summary
        assert rows[3][: len(section.columns)] == [c.label for c in section.columns]
        body = [row[: len(section.columns)] for row in rows[4 : 4 + len(section.rows)]]
        for row, source in zip(body, section.rows, strict=True):
            for value, column, cell in zip(row, section.columns, source, strict=True):
                expected = format_cell(cell, column.kind)
                assert normalise(xlsx_text(value, column.kind)) == normalise(expected)
                if column.kind in pub.NUMERIC_KINDS and isinstance(cell, int | float):
                    assert isinstance(value, int | float) and value == pytest.approx(cell)
        assert_no_small_counts(section, body)


def test_xlsx_formats_and_notes(report: pub.Report) -> None:
    content = rr.report_xlsx(report)
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        styles = archive.read("xl/styles.xml").decode()
        sheets = [archive.read(n) for n in archive.namelist() if n.startswith("xl/worksheets/")]
    assert 'formatCode="#,##0"' in styles
    assert 'formatCode="0.0%"' in styles
    assert 'formatCode="0.00"' in styles
    assert all(b"<f>" not in sheet for sheet in sheets)  # no formula anywhere
    notes = CalamineWorkbook.from_filelike(io.BytesIO(content)).get_sheet_by_name("Notes")
    text = "\n".join(str(v) for row in notes.to_python() for v in row if v != "")
    for expected in [*report.suppression_notes(), "2026", "Underrepresented", "4.0%"]:
        assert expected in text


def test_xlsx_neutralises_formulas(report: pub.Report) -> None:
    book = CalamineWorkbook.from_filelike(io.BytesIO(rr.report_xlsx(report)))
    name = rr.sheet_names([report.sections[0].title], taken=["Notes"])[0]
    rows = book.get_sheet_by_name(name).to_python()
    assert rows[5][0] == "'" + INJECTED


def test_sheet_names_are_legal_short_and_unique() -> None:
    titles = ["A/B: [c]*?\\", "x" * 40, "x" * 40, "Notes", "history", "'quoted'", ""]
    names = rr.sheet_names(titles, taken=["Notes"])
    assert len({n.casefold() for n in names} | {"notes"}) == len(titles) + 1
    for name in names:
        assert 0 < len(name) <= 31
        assert not re.search(r"[\[\]:*?/\\]", name)
        assert not name.startswith("'") and not name.endswith("'")
        assert name.casefold() != "history"


# ------------------------------------------------------------------------------- JSON
def test_json_cells_match_format_cell(report: pub.Report) -> None:
    document = json.loads(rr.report_json(report))
    assert document["format"] == "ristra.report" and document["version"] == 1
    assert document["suppression"] == report.suppression_notes()
    assert [s["key"] for s in document["sections"]] == [s.key for s in report.sections]
    for data, section in zip(document["sections"], report.sections, strict=True):
        assert [c["kind"] for c in data["columns"]] == [c.kind for c in section.columns]
        for i, (row, source) in enumerate(zip(data["rows"], section.rows, strict=True)):
            assert row["total"] == (i in section.total_rows)
            for value, status, column, cell in zip(
                row["cells"], row["status"], section.columns, source, strict=True
            ):
                rebuilt: Cell = {
                    "hidden": HIDDEN,
                    "not_applicable": NOT_APPLICABLE,
                    "shown": value,
                }[status]
                if status != "shown":
                    assert value is None
                assert format_cell(rebuilt, column.kind) == format_cell(cell, column.kind)
                if column.kind == "count" and status == "shown":
                    assert isinstance(value, int) and not 1 <= value <= 10
        assert data["chart"] is None or data["chart"]["description"] == section.chart.description  # type: ignore[union-attr]


def test_json_is_stable(report: pub.Report) -> None:
    first = rr.report_json(report)
    assert first == rr.report_json(build_report())
    assert list(json.loads(first))[:4] == ["format", "version", "key", "title"]


# -------------------------------------------------------------------------------- PDF
@pytest.fixture(scope="module")
def pdf(report: pub.Report) -> bytes:
    return rr.report_pdf(report)


def test_pdf_html_cells_match_format_cell(report: pub.Report) -> None:
    parser = _TableCells()
    parser.feed(rr.report_html(report))
    assert len(parser.tables) == len(report.sections)
    for rows, section in zip(parser.tables, report.sections, strict=True):
        assert rows == [
            [
                format_cell(cell, column.kind)
                for column, cell in zip(section.columns, row, strict=True)
            ]
            for row in section.rows
        ]
        assert_no_small_counts(section, rows)  # type: ignore[arg-type]


def test_pdf_text_matches_format_cell(report: pub.Report, pdf: bytes) -> None:
    runs = pdf_text_runs(pdf)
    if runs is None:
        pytest.skip("no PDF text extractor: pypdf and pdftotext are not installed")
    text = "\n".join(runs)
    # A long cell wraps onto several lines: compare each whole row, in order, without
    # whitespace (the rows' count cells were checked for small counts in the HTML).
    squeezed = re.sub(r"\s+", "", "".join(runs))
    for section in report.sections:
        for row in section.rows:
            cells = [
                format_cell(cell, column.kind)
                for column, cell in zip(section.columns, row, strict=True)
            ]
            expected = re.sub(r"\s+", "", "".join(cells))
            assert expected in squeezed, f"{section.key}: row {cells} not in the PDF text"
    assert re.search(r"Page1of\d+", squeezed)
    assert "To be written by the office." in text
    assert "Message from the dean" in text


def test_pdf_is_tagged_pdf_ua(report: pub.Report, pdf: bytes) -> None:
    assert pdf.startswith(b"%PDF-1.7")
    data = pdf_streams(pdf)
    assert re.search(rb'pdfuaid:part="1"|<pdfuaid:part>1<', data)
    assert b"/StructTreeRoot" in data
    assert re.search(rb"/MarkInfo\s*<<\s*/Marked true\s*>>", data)
    assert re.search(rb"/Lang \(en\)", data)
    # WeasyPrint tags page by page: a table split over two pages is two Table elements.
    assert data.count(b"/S /Table") >= len(report.sections)
    assert data.count(b"/S /Caption") == len(report.sections)
    # Each chart is a Figure whose alternate text is the chart's description.
    charts = [s.chart for s in report.sections if s.chart is not None]
    assert data.count(b"/S /Figure") == len(charts)
    for chart in charts:
        assert f"/Alt ({chart.description})".encode() in data


def test_pdf_html_is_accessible_markup(report: pub.Report) -> None:
    with translation.override("es"):
        html = rr.report_html(report)
    assert '<html lang="es">' in html
    assert f"<title>{report.title}</title>" in html
    assert html.count("<caption>") == len(report.sections)
    assert 'scope="col"' in html and 'scope="row"' in html
    headings = re.findall(r"<h([1-6])>", html)
    assert headings[0] == "1" and headings.count("1") == 1
    assert all(int(b) - int(a) <= 1 for a, b in itertools.pairwise(headings))
    for heading in report.narrative:
        assert f"<h2>{heading}</h2>" in html
    assert 'alt="Bar chart of applicants: women 3,280."' in html
    assert "size: Letter" in html and "counter(page)" in html


def test_pdf_never_fetches_the_network() -> None:
    fetcher = rr._offline_fetcher()
    for url in ["http://192.0.2.1/logo.png", "https://example.com/a.css", "file:///etc/passwd"]:
        with pytest.raises(ValueError, match="disallowed protocol"):
            fetcher(url)
    assert fetcher("data:text/plain;base64,aGk=").read() == b"hi"
    remote = pub.Chart(
        spec={"data": {"url": "http://192.0.2.1/x.csv"}, "mark": "bar"}, description="x"
    )
    with pytest.raises(ValueError, match="not allowed"):
        rr.chart_svg(remote)


def test_pdf_of_five_tables_is_quick(pdf: bytes) -> None:
    report = build_report(n_cross_tables=4)
    assert len(report.sections) == 6
    started = time.perf_counter()
    rr.report_pdf(report)
    elapsed = time.perf_counter() - started
    assert elapsed < 3.0, f"PDF took {elapsed:.2f} s"


# --------------------------------------------------------------------------- dispatch
@pytest.mark.parametrize(
    ("fmt", "content_type", "magic"),
    [
        ("csv", "text/csv; charset=utf-8", "\ufeff".encode()),
        ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", b"PK"),
        ("json", "application/json", b"{"),
    ],
)
def test_render_dispatches(report: pub.Report, fmt: str, content_type: str, magic: bytes) -> None:
    content, kind, extension = rr.render(report, fmt)
    assert (kind, extension) == (content_type, fmt)
    assert content.startswith(magic)


def test_render_pdf_dispatches(report: pub.Report) -> None:
    content, kind, extension = rr.render(report, "pdf")
    assert (kind, extension, content[:5]) == ("application/pdf", "pdf", b"%PDF-")


def test_render_rejects_unknown_formats(report: pub.Report) -> None:
    with pytest.raises(ValueError, match="Unknown report format 'docx'"):
        rr.render(report, "docx")
