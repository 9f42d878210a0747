"""Reports and measures through the API: the same access rules as the pages, the same
numbers as the page's JSON download and the ``report`` command, and no small count."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from ristra.audit.models import AuditEvent
from ristra.reports import catalog
from ristra.reports import dashboards as d

MIN_CELL = 11


@pytest.fixture
def snap(demo_snapshot: Path, settings: Any) -> Path:
    settings.RISTRA_SNAPSHOT_PATH = demo_snapshot
    settings.RISTRA_MIN_CELL = MIN_CELL
    return demo_snapshot


@pytest.mark.django_db
def test_it_asks_for_a_token(client: Any, snap: Path) -> None:
    for url in ("/api/reports/", "/api/reports/faculty-composition", "/api/measures/faculty"):
        assert client.get(url).status_code == 401, url


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["outsider", "decider", "decider_admin"])
def test_it_refuses_the_wrong_roles(client: Any, bearer: Any, snap: Path, who: str) -> None:
    headers = bearer(who)
    for url in (
        "/api/reports/",
        "/api/reports/faculty-composition",
        "/api/measures/",
        "/api/measures/faculty",
    ):
        response = client.get(url, headers=headers)
        assert response.status_code == 403, url
        assert response.json()["detail"]


@pytest.mark.django_db
def test_unknown_reports_and_populations_are_404(client: Any, bearer: Any, snap: Path) -> None:
    headers = bearer("viewer")
    assert client.get("/api/reports/nonsense", headers=headers).status_code == 404
    assert client.get("/api/measures/nonsense", headers=headers).status_code == 404


@pytest.mark.django_db
def test_no_snapshot_is_a_clear_503(client: Any, bearer: Any) -> None:
    response = client.get("/api/measures/faculty", headers=bearer("viewer"))
    assert response.status_code == 503
    assert "snapshot" in response.json()["detail"]


@pytest.mark.django_db
def test_the_catalog_lists_every_report(client: Any, bearer: Any, snap: Path) -> None:
    listed = client.get("/api/reports/", headers=bearer("viewer")).json()
    assert [r["key"] for r in listed] == list(catalog.REPORTS)
    assert listed[0]["url"] == f"/api/reports/{listed[0]['key']}"
    populations = client.get("/api/measures/", headers=bearer("viewer")).json()
    assert [p["key"] for p in populations] == list(d.POPULATIONS)


@pytest.mark.django_db
def test_a_report_is_the_pages_json_download(
    client: Any, client_for: Any, bearer: Any, snap: Path
) -> None:
    headers = bearer("viewer")
    query = "?dimension=sex&last_year=2024"
    api = client.get(f"/api/reports/faculty-composition{query}", headers=headers)
    assert api.status_code == 200
    page = client_for("viewer").get(f"/measures/reports/faculty-composition/{query}&format=json")
    assert api.json() == json.loads(page.content)
    assert api.json()["suppression"]  # the suppression notes travel with the numbers
    assert (
        AuditEvent.objects.filter(
            object_type="report", object_id="faculty-composition", actor__username="dana"
        ).count()
        == 2
    )


@pytest.mark.django_db
def test_a_report_is_what_the_report_command_writes(
    client: Any, bearer: Any, snap: Path, tmp_path: Path
) -> None:
    target = tmp_path / "faculty.json"
    call_command(
        "report",
        "faculty-composition",
        "--format",
        "json",
        "--out",
        str(target),
        "--convention",
        "sex",
        stdout=io.StringIO(),
    )
    cli = json.loads(target.read_text())
    api = client.get(
        "/api/reports/faculty-composition?dimension=sex", headers=bearer("analyst")
    ).json()
    assert api["sections"] == cli["sections"]
    assert api["suppression"] == cli["suppression"]


@pytest.mark.django_db
def test_measures_are_the_dashboards_json_download(
    client: Any, client_for: Any, bearer: Any, snap: Path
) -> None:
    query = "?dimension=ipeds&first_year=2015&last_year=2024"
    api = client.get(f"/api/measures/students{query}", headers=bearer("viewer")).json()
    page = client_for("viewer").get(f"/measures/students/{query}&format=json")
    assert api == json.loads(page.content)


@pytest.mark.django_db
@pytest.mark.parametrize("population", list(d.POPULATIONS))
def test_no_small_count_leaves_through_the_api(
    client: Any, bearer: Any, snap: Path, population: str
) -> None:
    document = client.get(f"/api/measures/{population}", headers=bearer("viewer")).json()
    hidden = 0
    for section in document["sections"]:
        kinds = [c["kind"] for c in section["columns"]]
        for row in section["rows"]:
            for kind, cell, status in zip(kinds, row["cells"], row["status"], strict=True):
                if kind == "count" and status == "shown":
                    assert cell == 0 or cell >= MIN_CELL, (section["key"], cell)
                if status == "hidden":
                    hidden += 1
                    assert cell is None
    if hidden:
        assert document["suppression"]


@pytest.mark.django_db
def test_bad_filters_are_400_with_the_field(client: Any, bearer: Any, snap: Path) -> None:
    headers = bearer("viewer")
    backwards = client.get("/api/measures/faculty?first_year=2020&last_year=2010", headers=headers)
    assert backwards.status_code == 400
    assert backwards.json()["errors"][0]["field"] == "first_year"
    unknown = client.get("/api/measures/faculty?dimension=shoe_size", headers=headers)
    assert unknown.status_code == 404  # names something that does not exist, like a report
    assert "No dimension 'shoe_size' for faculty. Known: " in unknown.json()["detail"]
    assert "sex" in unknown.json()["detail"]
    misspelt = client.get("/api/measures/faculty?dimensions=sex", headers=headers)
    assert misspelt.status_code == 400
    assert misspelt.json()["errors"][0]["field"] == "dimensions"
    not_a_year = client.get("/api/measures/faculty?first_year=soon", headers=headers)
    assert not_a_year.status_code == 400
    assert not_a_year.json()["errors"][0]["field"] == "first_year"


@pytest.mark.django_db
def test_an_unexpected_failure_is_a_short_json_500_and_logged(
    client: Any, bearer: Any, snap: Path, monkeypatch: Any, caplog: Any
) -> None:
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("boom in the report builder")

    monkeypatch.setattr(catalog, "build", broken)
    response = client.get("/api/reports/faculty-composition", headers=bearer("viewer"))
    assert response.status_code == 500
    assert response.json()["detail"] == "Something went wrong on our side; it has been logged."
    assert "boom" not in response.content.decode()
    assert "boom in the report builder" in caplog.text
