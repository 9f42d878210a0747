"""Rendering published tables in templates (the same text as every export)."""

from __future__ import annotations

import json
from typing import Any

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from ristra.reports.published import HIDDEN, NOT_APPLICABLE, PublishedTable, format_cell

register = template.Library()


@register.simple_tag
def table_rows(table: PublishedTable) -> list[list[dict[str, Any]]]:
    """Rows as cells with their text, kind and whether they are a header."""
    out = []
    for i, row in enumerate(table.rows):
        cells = []
        for j, (column, cell) in enumerate(zip(table.columns, row, strict=True)):
            cells.append(
                {
                    "text": format_cell(cell, column.kind),
                    "kind": column.kind,
                    "header": j == 0,
                    "hidden": cell is HIDDEN and column.kind != "label",
                    "na": cell == NOT_APPLICABLE,
                }
            )
        drill = table.drill[i] if i < len(table.drill) else None
        out.append({"cells": cells, "total": i in table.total_rows, "drill": drill})
    return out


@register.simple_tag
def hidden_cell() -> SafeString:
    return format_html(
        '<span aria-hidden="true">*</span><span class="usa-sr-only">{}</span>',
        _("hidden to protect privacy"),
    )


@register.filter
def chart_json(table: PublishedTable) -> SafeString:
    """The chart spec as JSON safe inside <script type="application/json">."""
    if table.chart is None:
        return mark_safe("null")  # noqa: S308 - a constant
    text = json.dumps(table.chart.spec, separators=(",", ":"))
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return mark_safe(text)  # noqa: S308 - escaped above for a JSON script element
