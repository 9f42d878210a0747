"""Rendering published tables in templates (the same text as every export)."""

from __future__ import annotations

import json
from urllib.parse import quote as urlquote

from django import template
from django.urls import reverse
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from ristra.reports.published import HIDDEN, PublishedTable, format_cell

register = template.Library()


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


@register.simple_tag
def data_table(table: PublishedTable, *, drill_population: str = "", query: str = "") -> SafeString:
    """The table of a section as HTML, built in Python (large tables render fast).

    ``drill_population``: link each row heading to the people behind it (analysts only;
    the view checks the permission again and audits).
    """
    esc = conditional_escape
    hidden: str = str(hidden_cell())
    num = ' class="ristra-num"'
    head = "".join(
        f'<th scope="col"{"" if c.kind in ("label", "text") else num}>{esc(c.label)}</th>'
        for c in table.columns
    )
    drill_base = ""
    if drill_population:
        drill_base = reverse("reports:drill", args=[drill_population]) + "?"
        if query:
            drill_base += query + "&"
    more = esc(_("list the people (recorded in the audit log)"))
    body: list[str] = []
    for i, row in enumerate(table.rows):
        total = i in table.total_rows
        cells: list[str] = []
        for j, (column, cell) in enumerate(zip(table.columns, row, strict=True)):
            text: str = esc(format_cell(cell, column.kind))
            if j == 0:
                drill = table.drill[i] if i < len(table.drill) else None
                if drill_base and drill and not total:
                    href = esc(drill_base + "group=" + urlquote(drill["group"]))
                    text = (
                        f'<a class="usa-link" href="{href}">{text}'
                        f'<span class="usa-sr-only"> — {more}</span></a>'
                    )
                cells.append(f'<th scope="row">{text}</th>')
            elif cell is HIDDEN and column.kind != "label":
                cells.append(f'<td class="ristra-num">{hidden}</td>')
            else:
                css = "" if column.kind == "text" else ' class="ristra-num"'
                cells.append(f"<td{css}>{text}</td>")
        css = ' class="ristra-total"' if total else ""
        body.append(f"<tr{css}>{''.join(cells)}</tr>")
    return mark_safe(  # noqa: S308 - every value escaped above
        '<table class="usa-table usa-table--borderless usa-table--compact ristra-data">'
        f'<caption id="cap-t-{esc(table.key)}">{esc(table.title)}</caption>'
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
    )
