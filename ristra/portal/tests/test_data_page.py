"""The public data page shows the internal dashboards' published numbers, and only those."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from ristra.portal import selectors
from ristra.reports import dashboards as d
from ristra.reports.published import PublishedTable

MIN_CELL = 11


@pytest.fixture
def snap(demo_snapshot: Path, settings: Any) -> Path:
    settings.RISTRA_SNAPSHOT_PATH = demo_snapshot
    settings.RISTRA_MIN_CELL = MIN_CELL
    return demo_snapshot


def _table_html(html: str, table: PublishedTable, prefix: str = "") -> str:
    caption_id = f"cap-t-{prefix}-{table.key}" if prefix else f"cap-t-{table.key}"
    found = re.search(
        r'<table class="usa-table[^"]*ristra-data">\s*<caption id="'
        + re.escape(caption_id)
        + r'">.*?</table>',
        html,
        re.S,
    )
    assert found, f"table {caption_id} not on the page"
    # The public page makes caption ids unique per population; the rest must be identical.
    return found.group(0).replace(caption_id, "CAPTION")


def test_public_and_internal_numbers_are_the_same(
    snap: Path, portal: Any, client: Client, cast: dict[str, Any]
) -> None:
    headlines = selectors.public_headlines()
    assert [h.population for h in headlines.items] == list(selectors.PUBLIC_POPULATIONS)
    public = client.get("/data/").content.decode()
    client.force_login(cast["viewer"])  # sees the dashboards without drill-down links
    for headline in headlines.items:
        internal = client.get(reverse("reports:dashboard", args=[headline.population]))
        assert internal.status_code == 200
        internal_html = internal.content.decode()
        # The same table, cell for cell, and the same text summary.
        assert _table_html(public, headline.table, headline.population) == _table_html(
            internal_html, headline.table
        )
        assert str(headline.table.summary) in public
        assert str(headline.table.summary) in internal_html
        # ...which is the internal dashboard's own first section for the default filters.
        source = d.open_snapshot()
        report = d.build_dashboard(d.default_filters(headline.population, snapshot=source))
        assert report.sections[0] == headline.table


def test_no_small_count_reaches_the_public_page(snap: Path, portal: Any, client: Client) -> None:
    headlines = selectors.public_headlines()
    hidden = 0
    for headline in headlines.items:
        table = headline.table
        for row in table.rows:
            for column, cell in zip(table.columns, row, strict=True):
                if column.kind == "count" and isinstance(cell, int):
                    assert cell == 0 or cell >= MIN_CELL
                if column.kind == "count" and cell is None:
                    hidden += 1
    html = client.get("/data/").content.decode()
    assert html.count("hidden to protect privacy") >= hidden


def test_without_a_snapshot_the_page_says_so(portal: Any, client: Client) -> None:
    response = client.get("/data/")
    assert response.status_code == 200
    assert b"The figures are being prepared" in response.content
    assert b"ristra-data" not in response.content


def test_the_public_page_needs_no_login(snap: Path, portal: Any, client: Client) -> None:
    response = client.get("/data/")
    assert response.status_code == 200
    assert b"ristra-data" in response.content
    assert b"/people/" not in response.content  # no drill-down links to individuals
