"""Downloads of a :class:`~ristra.reports.published.Report`: CSV, XLSX, PDF and JSON.

Every renderer reads only the published tables, so each format shows the same numbers
as the screen: the text of a cell is :func:`~ristra.reports.published.format_cell`,
except where a format has real numbers (XLSX and JSON cells, CSV counts written without
thousands separators so spreadsheets read them as numbers).  A suppressed value is
always the one marker ``*``; "not applicable" is an en dash.

CSV and XLSX cells that a spreadsheet could run as a formula are neutralised with
:func:`ristra.core.exports.safe_cell`.  The PDF is tagged PDF/UA-1 (WeasyPrint), never
fetches anything but ``data:`` URLs, and embeds each chart as an SVG image whose ``alt``
is the chart's text alternative (WeasyPrint tags it as a ``Figure`` with ``/Alt``).

JSON document (``report_json``)
-------------------------------
Keys are written in a fixed order; the document is UTF-8, indented by two spaces::

    {
      "format": "ristra.report", "version": 1,
      "key": ..., "title": ..., "subtitle": ...,
      "parameters":  [{"label": ..., "value": ...}, ...],
      "definitions": [{"term": ..., "definition": ...}, ...],
      "quality":     [{"label": ..., "value": ...}, ...],
      "suppression": [sentence, ...],          # Report.suppression_notes()
      "notes":       [sentence, ...],
      "narrative":   [heading, ...],
      "sections": [{
        "key": ..., "title": ..., "summary": ..., "notes": [...],
        "columns": [{"key": ..., "label": ..., "kind": "label|count|percent|..."}],
        "rows": [{"total": false, "cells": [...], "status": [...]}],
        "chart": {"description": ..., "spec": {Vega-Lite}} | null
      }]
    }

Each row has two parallel lists as long as ``columns``:

* ``status[i]`` is ``"shown"``, ``"hidden"`` (suppressed: shown as ``*`` elsewhere) or
  ``"not_applicable"`` (shown as an en dash elsewhere, e.g. a rate over zero people);
* ``cells[i]`` is the value when ``status[i] == "shown"`` and ``null`` otherwise: text in
  ``label``/``text`` columns, an integer in ``count`` columns, a fraction in ``percent``
  columns (``0.25`` is 25%), a number in ``ratio``/``number`` columns.

So ``null`` never stands for zero, and a reader tells a hidden value from a missing one by
``status`` alone.
"""

from __future__ import annotations

import base64
import csv
import io
import json
import re
from collections.abc import Callable, Iterable
from typing import Any

import vl_convert
import xlsxwriter
from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from ristra.core.exports import safe_cell
from ristra.reports.published import (
    HIDDEN,
    NOT_APPLICABLE,
    NUMERIC_KINDS,
    Cell,
    CellKind,
    Chart,
    PublishedTable,
    Report,
    format_cell,
)

FORMATS: tuple[str, ...] = ("csv", "xlsx", "pdf", "json")

CONTENT_TYPES: dict[str, str] = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
    "json": "application/json",
}

EN_DASH = "–"
JSON_FORMAT = "ristra.report"
JSON_VERSION = 1


# ------------------------------------------------------------------------------ shared
def _cell_text(cell: Cell, kind: CellKind, *, plain_counts: bool = False) -> str:
    """``format_cell``; with ``plain_counts`` a count has no thousands separators."""
    if plain_counts and kind == "count" and isinstance(cell, int) and not isinstance(cell, bool):
        return str(cell)
    return format_cell(cell, kind)


def _status(cell: Cell) -> str:
    if cell is HIDDEN:
        return "hidden"
    if cell == NOT_APPLICABLE:
        return "not_applicable"
    return "shown"


def _table_notes(report: Report) -> list[tuple[str, str]]:
    return [(section.title, note) for section in report.sections for note in section.notes]


# --------------------------------------------------------------------------------- CSV
def _csv_cell(cell: Cell, kind: CellKind) -> str:
    text = _cell_text(cell, kind, plain_counts=True)
    if kind in NUMERIC_KINDS and (
        cell is HIDDEN or cell == NOT_APPLICABLE or isinstance(cell, int | float)
    ):
        # Our own number text or marker, never user text: kept as is so that a
        # negative ratio ("-0.50") stays a number in the spreadsheet.
        return text
    return str(safe_cell(text))


def report_csv(report: Report) -> bytes:
    """The report as one CSV file: each table under its title, then the notes."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def line(*values: Any) -> None:
        writer.writerow([safe_cell(v) for v in values])

    line(report.title)
    if report.subtitle:
        line(report.subtitle)
    line()
    for section in report.sections:
        line(section.title)
        line(*(column.label for column in section.columns))
        for row in section.rows:
            writer.writerow(
                [
                    _csv_cell(cell, column.kind)
                    for column, cell in zip(section.columns, row, strict=True)
                ]
            )
        line()

    line(_("Notes"))
    for heading, pairs in (
        (_("Parameters"), report.parameters),
        (_("Definitions"), report.definitions),
        (_("Data quality"), report.quality),
    ):
        if pairs:
            line(heading)
            for label, value in pairs:
                line(label, value)
    line(_("Suppression"))
    for note in report.suppression_notes():
        line(note)
    if report.notes:
        line(_("Report notes"))
        for note in report.notes:
            line(note)
    table_notes = _table_notes(report)
    if table_notes:
        line(_("Table notes"))
        for title, note in table_notes:
            line(title, note)
    # A BOM so Excel opens UTF-8 correctly (as ristra.core.exports.csv_bytes does).
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


# -------------------------------------------------------------------------------- XLSX
_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\\x00-\x1f]")
SHEET_NAME_MAX = 31


def sheet_names(titles: Iterable[str], *, taken: Iterable[str] = ()) -> list[str]:
    """Excel sheet names for ``titles``: legal, at most 31 characters, unique.

    Uniqueness is case-insensitive as in Excel; ``taken`` are names already in use.
    """
    used = {name.casefold() for name in taken}
    names = []
    for number, title in enumerate(titles, start=1):
        base = _SHEET_FORBIDDEN.sub(" ", title)
        base = " ".join(base.split()).strip("'") or _("Table %(n)d") % {"n": number}
        if base.casefold() == "history":  # reserved by Excel
            base = f"{base} ({number})"
        name = base[:SHEET_NAME_MAX].rstrip().rstrip("'")
        suffix = 2
        while name.casefold() in used:
            tail = f" ({suffix})"
            name = base[: SHEET_NAME_MAX - len(tail)].rstrip().rstrip("'") + tail
            suffix += 1
        used.add(name.casefold())
        names.append(name)
    return names


class _Styles:
    def __init__(self, workbook: xlsxwriter.Workbook) -> None:
        add = workbook.add_format
        self.title = add({"bold": True, "font_size": 14})
        self.heading = add({"bold": True, "font_size": 12})
        self.bold = add({"bold": True})
        self.wrap = add({"text_wrap": True, "valign": "top"})
        self.header = add({"bold": True, "bottom": 1, "text_wrap": True, "valign": "bottom"})
        self.header_number = add(
            {"bold": True, "bottom": 1, "text_wrap": True, "valign": "bottom", "align": "right"}
        )
        self.numbers: dict[tuple[str, bool], Any] = {}
        self.text: dict[bool, Any] = {False: None, True: self.bold}
        self.marker: dict[bool, Any] = {}
        for total in (False, True):
            for kind, pattern in (
                ("count", "#,##0"),
                ("percent", "0.0%"),
                ("ratio", "0.00"),
                ("number", "0.00"),
            ):
                self.numbers[(kind, total)] = add({"num_format": pattern, "bold": total})
            self.marker[total] = add({"align": "right", "bold": total})


def _write_cell(
    sheet: Any, row: int, col: int, cell: Cell, kind: CellKind, styles: _Styles, *, total: bool
) -> None:
    if kind in NUMERIC_KINDS:
        if isinstance(cell, int | float) and not isinstance(cell, bool):
            sheet.write_number(row, col, cell, styles.numbers[(kind, total)])
        else:
            sheet.write_string(row, col, format_cell(cell, kind), styles.marker[total])
        return
    text = safe_cell(format_cell(cell, kind))
    sheet.write_string(row, col, str(text), styles.text[total])


def _write_notes_sheet(sheet: Any, report: Report, styles: _Styles) -> None:
    sheet.set_column(0, 0, 40)
    sheet.set_column(1, 1, 90)
    r = 0

    def text(value: str, style: Any = None) -> None:
        nonlocal r
        sheet.write_string(r, 0, str(safe_cell(value)), style)
        r += 1

    def pair(label: str, value: str) -> None:
        nonlocal r
        sheet.write_string(r, 0, str(safe_cell(label)), styles.wrap)
        sheet.write_string(r, 1, str(safe_cell(value)), styles.wrap)
        r += 1

    text(report.title, styles.title)
    if report.subtitle:
        text(report.subtitle)
    r += 1
    text(_("Suppression"), styles.heading)
    for note in report.suppression_notes():
        text(note)
    for heading, pairs in (
        (_("Parameters"), report.parameters),
        (_("Definitions"), report.definitions),
        (_("Data quality"), report.quality),
    ):
        if pairs:
            r += 1
            text(heading, styles.heading)
            for label, value in pairs:
                pair(label, value)
    if report.notes:
        r += 1
        text(_("Notes"), styles.heading)
        for note in report.notes:
            text(note)
    table_notes = _table_notes(report)
    if table_notes:
        r += 1
        text(_("Table notes"), styles.heading)
        for title, note in table_notes:
            pair(title, note)


def _write_section_sheet(sheet: Any, section: PublishedTable, styles: _Styles) -> None:
    sheet.write_string(0, 0, str(safe_cell(section.title)), styles.title)
    sheet.write_string(1, 0, str(safe_cell(section.summary)))
    header_row = 3
    for col, column in enumerate(section.columns):
        style = styles.header_number if column.kind in NUMERIC_KINDS else styles.header
        sheet.write_string(header_row, col, str(safe_cell(column.label)), style)
    for i, row in enumerate(section.rows):
        total = i in section.total_rows
        for col, (column, cell) in enumerate(zip(section.columns, row, strict=True)):
            _write_cell(sheet, header_row + 1 + i, col, cell, column.kind, styles, total=total)
    r = header_row + 1 + len(section.rows) + 1
    if section.chart is not None:
        sheet.write_string(r, 0, _("Chart"), styles.bold)
        sheet.write_string(r + 1, 0, str(safe_cell(section.chart.description)))
        r += 3
    if section.notes:
        sheet.write_string(r, 0, _("Notes"), styles.bold)
        for offset, note in enumerate(section.notes, start=1):
            sheet.write_string(r + offset, 0, str(safe_cell(note)))
    for col, column in enumerate(section.columns):
        if column.kind in NUMERIC_KINDS:
            width = max(10, min(len(column.label), 18) + 2)
        else:
            longest = max(
                [len(column.label)]
                + [len(format_cell(row[col], column.kind)) for row in section.rows]
            )
            width = min(max(longest, 12), 50) + 2
        sheet.set_column(col, col, width)
    sheet.freeze_panes(
        header_row + 1, 1 if section.columns[:1] and section.columns[0].kind == "label" else 0
    )


def report_xlsx(report: Report) -> bytes:
    """The report as a workbook: a "Notes" sheet, then one sheet per table."""
    buffer = io.BytesIO()
    # strings_to_formulas=False: XlsxWriter never turns text into a formula (and
    # safe_cell still prefixes risky text for whoever copies it elsewhere).
    workbook = xlsxwriter.Workbook(
        buffer,
        {
            "in_memory": True,
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
        },
    )
    workbook.set_properties({"title": report.title, "subject": report.subtitle})
    styles = _Styles(workbook)
    notes_name = sheet_names([_("Notes")])[0]
    _write_notes_sheet(workbook.add_worksheet(notes_name), report, styles)
    names = sheet_names([s.title for s in report.sections], taken=[notes_name])
    for name, section in zip(names, report.sections, strict=True):
        _write_section_sheet(workbook.add_worksheet(name), section, styles)
    workbook.close()
    return buffer.getvalue()


# -------------------------------------------------------------------------------- JSON
def _json_cell(cell: Cell, kind: CellKind) -> str | int | float | None:
    if cell is HIDDEN or cell == NOT_APPLICABLE:
        return None
    if kind in NUMERIC_KINDS and isinstance(cell, int | float):
        return cell
    return str(cell)


def report_document(report: Report) -> dict[str, Any]:
    """The JSON document of the module docstring, as Python data."""
    return {
        "format": JSON_FORMAT,
        "version": JSON_VERSION,
        "key": report.key,
        "title": report.title,
        "subtitle": report.subtitle,
        "parameters": [{"label": label, "value": value} for label, value in report.parameters],
        "definitions": [
            {"term": term, "definition": definition} for term, definition in report.definitions
        ],
        "quality": [{"label": label, "value": value} for label, value in report.quality],
        "suppression": report.suppression_notes(),
        "notes": list(report.notes),
        "narrative": list(report.narrative),
        "sections": [
            {
                "key": section.key,
                "title": section.title,
                "summary": section.summary,
                "notes": list(section.notes),
                "columns": [
                    {"key": column.key, "label": column.label, "kind": column.kind}
                    for column in section.columns
                ],
                "rows": [
                    {
                        "total": i in section.total_rows,
                        "cells": [
                            _json_cell(cell, column.kind)
                            for column, cell in zip(section.columns, row, strict=True)
                        ],
                        "status": [_status(cell) for cell in row],
                    }
                    for i, row in enumerate(section.rows)
                ],
                "chart": (
                    {"description": section.chart.description, "spec": section.chart.spec}
                    if section.chart is not None
                    else None
                ),
            }
            for section in report.sections
        ],
    }


def report_json(report: Report) -> bytes:
    """The report as the JSON document described in the module docstring."""
    return json.dumps(
        report_document(report), ensure_ascii=False, indent=2, allow_nan=False
    ).encode("utf-8")


# --------------------------------------------------------------------------------- PDF
def chart_svg(chart: Chart) -> str:
    """The chart drawn as SVG, offline (no data URL is ever fetched)."""
    return str(vl_convert.vegalite_to_svg(chart.spec, allowed_base_urls=[]))


def _svg_data_uri(svg: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")


def _css_string(text: str) -> SafeString:
    """``text`` as a quoted CSS string, safe inside a ``<style>`` element."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("<", "\\3c ")
    escaped = escaped.replace("\n", "\\a ")
    return mark_safe(f'"{escaped}"')  # noqa: S308 - escaped above for CSS


def _page_footer_css() -> SafeString:
    """CSS ``content`` for "Page 3 of 7" built from one translatable sentence."""
    parts = []
    for part in re.split(r"(%\(page\)s|%\(pages\)s)", _("Page %(page)s of %(pages)s")):
        if part == "%(page)s":
            parts.append("counter(page)")
        elif part == "%(pages)s":
            parts.append("counter(pages)")
        elif part:
            parts.append(_css_string(part))
    return mark_safe(" ".join(parts))  # noqa: S308 - CSS strings escaped by _css_string


def _pdf_section(section: PublishedTable, number: int) -> dict[str, Any]:
    row_header = bool(section.columns) and section.columns[0].kind == "label"
    rows = []
    for i, row in enumerate(section.rows):
        cells = [
            {
                "text": format_cell(cell, column.kind),
                "numeric": column.kind in NUMERIC_KINDS,
                "header": row_header and j == 0,
            }
            for j, (column, cell) in enumerate(zip(section.columns, row, strict=True))
        ]
        rows.append({"cells": cells, "total": i in section.total_rows})
    chart = None
    if section.chart is not None:
        chart = {
            "src": _svg_data_uri(chart_svg(section.chart)),
            "alt": section.chart.description,
        }
    return {
        "number": number,
        "key": section.key,
        "title": section.title,
        "summary": section.summary,
        "notes": section.notes,
        "columns": [
            {"label": column.label, "numeric": column.kind in NUMERIC_KINDS}
            for column in section.columns
        ],
        "rows": rows,
        "chart": chart,
    }


def report_html(report: Report) -> str:
    """The HTML that :func:`report_pdf` lays out (also handy to test and preview)."""
    language = translation.get_language() or settings.LANGUAGE_CODE
    context = {
        "report": report,
        "language": language,
        "sections": [_pdf_section(s, n) for n, s in enumerate(report.sections, start=1)],
        "suppression_notes": report.suppression_notes(),
        "page_footer": _page_footer_css(),
        "footer_title": _css_string(report.title),
    }
    return render_to_string("reports/report_pdf.html", context)


def _offline_fetcher() -> Any:
    """A WeasyPrint URL fetcher that only resolves ``data:`` URLs (never the network)."""
    from weasyprint.urls import URLFetcher

    return URLFetcher(allowed_protocols=("data",), allow_redirects=False, fail_on_errors=False)


def report_pdf(report: Report) -> bytes:
    """The report as a tagged PDF/UA-1 document, US Letter."""
    from weasyprint import HTML  # imported here: loading it costs ~0.3 s

    document = HTML(string=report_html(report), url_fetcher=_offline_fetcher(), base_url=None)
    pdf: bytes = document.write_pdf(pdf_variant="pdf/ua-1")
    return pdf


# ----------------------------------------------------------------------------- dispatch
_RENDERERS: dict[str, Callable[[Report], bytes]] = {
    "csv": report_csv,
    "xlsx": report_xlsx,
    "pdf": report_pdf,
    "json": report_json,
}


def render(report: Report, fmt: str) -> tuple[bytes, str, str]:
    """``(content, content_type, file_extension)`` of ``report`` in ``fmt``.

    ``fmt`` is one of ``"csv"``, ``"xlsx"``, ``"pdf"``, ``"json"``; the extension has no
    leading dot (``"pdf"``).  Any other format raises :class:`ValueError`.
    """
    renderer = _RENDERERS.get(fmt)
    if renderer is None:
        raise ValueError(
            _("Unknown report format %(fmt)r: choose one of %(choices)s.")
            % {"fmt": fmt, "choices": ", ".join(FORMATS)}
        )
    return renderer(report), CONTENT_TYPES[fmt], fmt


__all__ = [
    "FORMATS",
    "chart_svg",
    "render",
    "report_csv",
    "report_document",
    "report_html",
    "report_json",
    "report_pdf",
    "report_xlsx",
    "sheet_names",
]
