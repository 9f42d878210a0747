"""Dashboards and standard reports over a small demo school: access, suppression of every
output, agreement between formats, the audited drill-down and the report command."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from ristra.audit.models import AuditEvent
from ristra.reports import catalog
from ristra.reports import dashboards as d
from ristra.reports.published import PublishedTable, format_cell

MIN_CELL = 11


@pytest.fixture
def snap(demo_snapshot: Path, settings: Any) -> Path:
    settings.RISTRA_SNAPSHOT_PATH = demo_snapshot
    settings.RISTRA_MIN_CELL = MIN_CELL
    return demo_snapshot


def _filters(population: str, **changes: Any) -> d.Filters:
    source = d.open_snapshot()
    return d.with_filters(d.default_filters(population, snapshot=source), **changes)


def _count_cells(table: PublishedTable) -> Iterator[Any]:
    for row in table.rows:
        for column, cell in zip(table.columns, row, strict=True):
            if column.kind == "count":
                yield cell


# --------------------------------------------------------------------------- access


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["outsider", "decider", "decider_admin"])
def test_it_refuses_dashboards_and_reports_to_the_wrong_roles(
    client_for: Any, snap: Path, who: str
) -> None:
    client = client_for(who)
    urls = [
        reverse("reports:home"),
        reverse("reports:dashboard", args=["faculty"]),
        reverse("reports:dashboard", args=["faculty"]) + "?format=csv",
        reverse("reports:reports"),
        reverse("reports:report", args=["faculty-composition"]),
        reverse("reports:drill", args=["faculty"]) + "?group=white",
    ]
    for url in urls:
        assert client.get(url).status_code == 403, url


@pytest.mark.django_db
def test_it_sends_anonymous_visitors_to_sign_in(client: Any, snap: Path) -> None:
    response = client.get(reverse("reports:dashboard", args=["faculty"]))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["viewer", "manager"])
def test_viewers_see_suppressed_aggregates_but_no_people(
    client_for: Any, snap: Path, who: str
) -> None:
    client = client_for(who)
    page = client.get(reverse("reports:dashboard", args=["faculty"]))
    assert page.status_code == 200
    assert reverse("reports:drill", args=["faculty"]) not in page.content.decode()
    drill = client.get(reverse("reports:drill", args=["faculty"]) + "?group=white")
    assert drill.status_code == 403


@pytest.mark.django_db
def test_analysts_drill_into_a_cell_and_the_view_is_audited(client_for: Any, snap: Path) -> None:
    client = client_for("analyst")
    page = client.get(reverse("reports:dashboard", args=["faculty"]))
    assert reverse("reports:drill", args=["faculty"]) in page.content.decode()
    before = AuditEvent.objects.count()
    response = client.get(reverse("reports:drill", args=["faculty"]) + "?group=white")
    assert response.status_code == 200
    ids = d.people_in_cell(_filters("faculty"), "white")
    assert ids
    event = AuditEvent.objects.order_by("-pk").first()
    assert AuditEvent.objects.count() == before + 1
    assert event is not None and event.object_type == "measure_cell"
    shown = set(event.persons.values_list("person_id", flat=True))
    assert shown and shown <= set(ids)


@pytest.mark.django_db
def test_it_says_so_when_there_is_no_snapshot_yet(client_for: Any) -> None:
    response = client_for("viewer").get(reverse("reports:dashboard", args=["students"]))
    assert response.status_code == 200
    assert "no measures yet" in response.content.decode()


@pytest.mark.django_db
def test_an_unknown_population_or_report_is_404(client_for: Any, snap: Path) -> None:
    client = client_for("analyst")
    assert client.get(reverse("reports:dashboard", args=["martians"])).status_code == 404
    assert client.get(reverse("reports:report", args=["nope"])).status_code == 404


# --------------------------------------------------------------------------- suppression


def _all_reports() -> Iterator[tuple[str, Any]]:
    for population in d.POPULATIONS:
        yield f"dashboard-{population}", d.build_dashboard(_filters(population))
    yield "dashboard-faculty-urim", d.build_dashboard(_filters("faculty", dimension="school:urim"))
    yield "dashboard-students-sex", d.build_dashboard(_filters("students", dimension="sex"))
    for key, definition in catalog.REPORTS.items():
        yield key, catalog.build(key, _filters(definition.population))


@pytest.mark.django_db
def test_no_published_count_is_small_in_any_dashboard_or_report(snap: Path) -> None:
    for name, report in _all_reports():
        assert report.sections, name
        for table in report.sections:
            for cell in _count_cells(table):
                assert cell is None or cell == 0 or cell >= MIN_CELL or isinstance(cell, str), (
                    name,
                    table.key,
                    cell,
                )


class _Cells(HTMLParser):
    """Text of every <td> in tables with class ristra-data (screen-reader text left out)."""

    def __init__(self) -> None:
        super().__init__()
        self.cells: list[str] = []
        self._table = False
        self._cell: str | None = None
        self._sr = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        classes = dict(attrs).get("class") or ""
        if tag == "table":
            self._table = "ristra-data" in classes
        elif self._table and tag == "td":
            self._cell = ""
        elif tag == "span" and "usa-sr-only" in classes:
            self._sr += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "span" and self._sr:
            self._sr -= 1
        elif tag == "td" and self._cell is not None:
            self.cells.append(self._cell.strip())
            self._cell = None
        elif tag == "table":
            self._table = False

    def handle_data(self, data: str) -> None:
        if self._cell is not None and not self._sr:
            self._cell += data


def _integers_in(text: str) -> list[int]:
    if "%" in text or "." in text or "–" in text:
        return []
    return [int(x.replace(",", "")) for x in re.findall(r"^\d[\d,]*$", text)]


@pytest.mark.django_db
def test_screens_and_downloads_never_show_a_small_count(client_for: Any, snap: Path) -> None:
    """Scan what users actually receive: pages, CSV, XLSX and JSON of every view."""
    from python_calamine import CalamineWorkbook

    client = client_for("viewer")
    urls = [reverse("reports:dashboard", args=[p]) for p in d.POPULATIONS]
    urls += [reverse("reports:report", args=[k]) for k in catalog.REPORTS]
    for url in urls:
        page = client.get(url)
        assert page.status_code == 200, url
        parser = _Cells()
        parser.feed(page.content.decode())
        assert parser.cells, url
        for text in parser.cells:
            for value in _integers_in(text):
                assert value == 0 or value >= MIN_CELL, (url, text)
        document = json.loads(client.get(url + "?format=json").content)
        for section in document["sections"]:
            kinds = [c["kind"] for c in section["columns"]]
            for row in section["rows"]:
                for kind, cell in zip(kinds, row["cells"], strict=True):
                    if kind == "count" and isinstance(cell, int):
                        assert cell == 0 or cell >= MIN_CELL, (url, section["key"], cell)
        workbook = CalamineWorkbook.from_filelike(
            io.BytesIO(client.get(url + "?format=xlsx").content)
        )
        sheets = workbook.sheet_names[1:]
        assert len(sheets) == len(document["sections"]), url
        for name, section in zip(sheets, document["sections"], strict=True):
            counts = [i for i, c in enumerate(section["columns"]) if c["kind"] == "count"]
            labels = [c["label"] for c in section["columns"]]
            rows = workbook.get_sheet_by_name(name).to_python()
            header = next(
                i for i, r in enumerate(rows) if [str(v) for v in r[: len(labels)]] == labels
            )
            body = rows[header + 1 : header + 1 + len(section["rows"])]
            assert len(body) == len(section["rows"]), (url, name)
            for row in body:
                for i in counts:
                    cell = row[i]
                    if isinstance(cell, int | float) and not isinstance(cell, bool):
                        assert cell == 0 or cell >= MIN_CELL, (url, name, row)


@pytest.mark.django_db
def test_screen_and_csv_of_one_view_agree(client_for: Any, snap: Path) -> None:
    client = client_for("analyst")
    report = d.build_dashboard(_filters("faculty"))
    url = reverse("reports:dashboard", args=["faculty"])
    body = client.get(url).content.decode()
    text = client.get(url + "?format=csv").content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    for table in report.sections:
        assert table.title in body
        for row in table.rows:
            shown = [format_cell(c, col.kind) for c, col in zip(row, table.columns, strict=True)]
            as_csv = [
                s.replace(",", "") if col.kind == "count" else s
                for s, col in zip(shown, table.columns, strict=True)
            ]
            assert as_csv in rows, (table.key, as_csv)


@pytest.mark.django_db
def test_older_category_versions_reproduce_old_numbers(snap: Path) -> None:
    from ristra.reports.models import Category

    versions = Category.objects.filter(key="urim").order_by("version")
    assert versions.count() >= 2
    old, new = versions[0], versions[versions.count() - 1]
    older = d.build_dashboard(
        _filters("students", dimension="school:urim", version=old.effective_from)
    )
    newer = d.build_dashboard(
        _filters("students", dimension="school:urim", version=new.effective_from)
    )
    assert f"(v{old.version})" in older.definitions[0][0]
    assert f"(v{new.version})" in newer.definitions[0][0]


@pytest.mark.django_db
def test_dashboards_from_the_per_person_tables_equal_those_from_the_spells(snap: Path) -> None:
    from dataclasses import replace

    source = d.open_snapshot()
    assert source.person_tables
    spells_only = replace(source, person_tables=False)
    used = 0
    for population in d.POPULATIONS:
        for dimension in ("ipeds", "sex", "school:urim"):
            for changes in ({}, {"first_year": 2019, "last_year": 2021}):
                filters = _filters(population, dimension=dimension, **changes)
                used += d._context(source, filters).people is not None  # noqa: SLF001
                ours = d._build(source, filters)  # noqa: SLF001 - not the cache
                theirs = d._build(spells_only, filters)  # noqa: SLF001
                assert [t.key for t in ours.sections] == [t.key for t in theirs.sections]
                for a, b in zip(ours.sections, theirs.sections, strict=True):
                    # Estimates may differ in the last bit (sums in another order).
                    want = [
                        [pytest.approx(c, rel=1e-12) if isinstance(c, float) else c for c in row]
                        for row in b.rows
                    ]
                    assert [list(row) for row in a.rows] == want, (population, dimension, a.key)
    # Every population but the senior staff, on conventions and sex (not school categories).
    assert used == (len(d.POPULATIONS) - 1) * 2 * 2


@pytest.mark.django_db
def test_a_fresh_process_reads_every_per_person_statement_from_the_snapshot(snap: Path) -> None:
    from ristra.analytics import measures as m

    d.forget_cached()  # as a new process: nothing compiled, read or built
    source = d.open_snapshot()
    before = m.statement_counts()
    for population in d.POPULATIONS:
        for dimension in (*d.CONVENTION_DIMENSIONS, "sex"):
            for changes in ({}, {"first_year": 2015, "last_year": 2019}):
                d._build(source, _filters(population, dimension=dimension, **changes))  # noqa: SLF001
    counts = {k: v - before[k] for k, v in m.statement_counts().items()}
    # Each statement is read once from the snapshot, then kept; none is compiled.
    assert counts["compiled"] == 0
    assert counts["read"] == len({q.key for q in d.dashboard_queries(source.backend)}) > 20
    assert counts["reused"] > counts["read"]


@pytest.mark.django_db
def test_filters_reject_backwards_years(client_for: Any, snap: Path) -> None:
    url = reverse("reports:dashboard", args=["faculty"]) + "?first_year=2025&last_year=2020"
    body = client_for("viewer").get(url).content.decode()
    assert "must not be after" in body


@pytest.mark.django_db
def test_htmx_requests_get_only_the_results(client_for: Any, snap: Path) -> None:
    url = reverse("reports:dashboard", args=["staff"]) + "?dimension=sex"
    response = client_for("viewer").get(url, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="results"')
    assert "<html" not in body


# --------------------------------------------------------------------------- command


@pytest.mark.django_db
def test_report_command_lists_and_writes_every_format(snap: Path, tmp_path: Path) -> None:
    out = io.StringIO()
    call_command("report", "--list", stdout=out)
    for key in catalog.REPORTS:
        assert key in out.getvalue()
    for fmt in ("csv", "xlsx", "json", "pdf"):
        target = tmp_path / f"faculty.{fmt}"
        call_command(
            "report",
            "faculty-composition",
            "--format",
            fmt,
            "--out",
            str(target),
            "--convention",
            "sex",
            stdout=io.StringIO(),
        )
        assert target.stat().st_size > 0
    assert target.read_bytes().startswith(b"%PDF")


@pytest.mark.django_db
def test_report_command_explains_bad_choices(snap: Path, tmp_path: Path) -> None:
    target = str(tmp_path / "x.csv")
    with pytest.raises(CommandError, match="no report"):
        call_command("report", "nonsense", "--format", "csv", "--out", target)
    with pytest.raises(CommandError, match="cannot count by"):
        call_command(
            "report", "workforce-flows", "--format", "csv", "--out", target, "--convention", "x"
        )
    with pytest.raises(CommandError, match="below the school's threshold"):
        call_command(
            "report", "workforce-flows", "--format", "csv", "--out", target, "--min-cell", "3"
        )


# --------------------------------------------------------------------------- refresh


@pytest.mark.django_db
def test_a_committed_import_refreshes_the_snapshot(
    settings: Any, tmp_path: Path, django_capture_on_commit_callbacks: Any
) -> None:
    from ristra.people.models import Person
    from ristra.reports.models import Snapshot, SnapshotStatus
    from ristra.reports.services import snapshot_refresh_later

    settings.RISTRA_SNAPSHOT_AFTER_IMPORT = True
    settings.RISTRA_SNAPSHOT_PATH = tmp_path / "fresh.duckdb"
    Person.objects.create(given_name="Ana", family_name="Ruiz")
    from django.db import transaction

    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        snapshot_refresh_later(reason="test")
    record = Snapshot.objects.first()
    assert record is not None and record.status == SnapshotStatus.READY
    assert record.persons == Person.objects.count()
    assert (tmp_path / "fresh.duckdb").exists()
