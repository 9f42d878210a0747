"""CSV and XLSX downloads, safe to open in a spreadsheet.

A cell that starts with = + - @ (or a tab or carriage return) could run as a formula in
Excel or LibreOffice. Such cells are prefixed with an apostrophe, as OWASP recommends.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

import xlsxwriter
from django.http import HttpResponse

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool | int | float):
        return value
    text = str(value)
    if text.startswith(FORMULA_TRIGGERS):
        return "'" + text
    return text


def csv_bytes(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([safe_cell(h) for h in headers])
    for row in rows:
        writer.writerow([safe_cell(v) for v in row])
    # A BOM so Excel opens UTF-8 correctly.
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def xlsx_bytes(headers: Sequence[str], rows: Iterable[Sequence[Any]], *, sheet: str) -> bytes:
    buffer = io.BytesIO()
    # strings_to_formulas=False: XlsxWriter never turns text into a formula.
    workbook = xlsxwriter.Workbook(
        buffer, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False}
    )
    worksheet = workbook.add_worksheet(sheet[:31])
    bold = workbook.add_format({"bold": True})
    for col, header in enumerate(headers):
        worksheet.write_string(0, col, str(safe_cell(header)), bold)
    for r, row in enumerate(rows, start=1):
        for col, value in enumerate(row):
            cell = safe_cell(value)
            if isinstance(cell, str):
                worksheet.write_string(r, col, cell)
            else:
                worksheet.write(r, col, cell)
    worksheet.freeze_panes(1, 0)
    workbook.close()
    return buffer.getvalue()


def export_response(
    *,
    filename: str,
    fmt: str,
    headers: Sequence[str],
    rows: Sequence[Sequence[Any]],
    sheet: str = "Data",
) -> HttpResponse:
    if fmt == "xlsx":
        content = xlsx_bytes(headers, rows, sheet=sheet)
        content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        content = csv_bytes(headers, rows)
        content_type = "text/csv; charset=utf-8"
        fmt = "csv"
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}.{fmt}"'
    return response
