"""Imports from Qualtrics and REDCap: every row kept with its fate, clear messages."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from ristra.surveys.models import ImportStatus, Response, ResponseImportRow


def _qualtrics(rows: list[dict[str, str]]) -> bytes:
    columns = ["StartDate", "ResponseId", "IPAddress", "con1", "con4", "role", "strength"]
    header2 = ["Start Date", "Response ID", "IP Address", "q1", "q4", "Role", "Strength"]
    header3 = [json.dumps({"ImportId": f"QID{i}"}) for i in range(len(columns))]
    header3[1] = json.dumps({"ImportId": "_recordId"})
    lines = [columns, header2, header3]
    for row in rows:
        lines.append([row.get(c, "") for c in columns])

    def quote(cell: str) -> str:
        return '"' + cell.replace('"', '""') + '"'

    return ("\n".join(",".join(quote(c) for c in line) for line in lines) + "\n").encode()


@pytest.mark.django_db
def test_a_qualtrics_export_keeps_every_row_with_its_fate(client_for: Any, survey_factory: Any):
    survey = survey_factory(mode="imported")
    data = _qualtrics(
        [
            {
                "StartDate": "2026-03-01 10:00",
                "ResponseId": "R_1",
                "IPAddress": "10.1.1.1",
                "con1": "4",
                "con4": "2",
                "role": "Faculty",
                "strength": "Kind people",
            },
            {
                "StartDate": "2026-03-01 11:00",
                "ResponseId": "R_2",
                "IPAddress": "10.1.1.2",
                "con1": "7",
                "con4": "1",
                "role": "Staff",
            },
            {
                "StartDate": "2026-03-02 09:00",
                "ResponseId": "R_3",
                "IPAddress": "10.1.1.3",
                "con1": "5",
                "role": "Student",
            },
        ]
    )
    client = client_for("analyst")
    response = client.post(
        reverse("surveys:import", args=[survey.pk]),
        {"source": "qualtrics", "upload": SimpleUploadedFile("export.csv", data)},
    )
    assert response.status_code == 302
    batch = survey.imports.get()
    assert batch.status == ImportStatus.COMMITTED
    assert (batch.accepted, batch.rejected) == (2, 1)
    rows = list(ResponseImportRow.objects.filter(batch=batch).order_by("row_number"))
    assert len(rows) == 3
    rejected = [r for r in rows if r.fate == "rejected"]
    assert len(rejected) == 1 and "7" in " ".join(rejected[0].problems)
    stored = list(Response.objects.filter(survey=survey))
    assert len(stored) == 2
    for r in stored:
        text = json.dumps([r.answers, r.demographics])
        assert "10.1.1" not in text and "R_" not in text and "2026-03" not in text
    page = client.get(response["Location"]).content.decode()
    assert "Rejected rows" in page


@pytest.mark.django_db
def test_a_file_that_is_not_an_export_is_rejected_with_a_reason(survey_factory: Any):
    from ristra.surveys import services

    survey = survey_factory(mode="imported")
    batch = services.responses_import(
        survey=survey, data=b"a,b\n1,2\n", filename="x.csv", source="qualtrics"
    )
    assert batch.status == ImportStatus.FAILED
    assert "Qualtrics" in batch.file_problems[0]
    assert not Response.objects.exists()


@pytest.mark.django_db
def test_a_redcap_export_imports(survey_factory: Any):
    from ristra.surveys import services

    survey = survey_factory(mode="imported")
    data = b"record_id,con1,con2,role\n1,4,5,Faculty\n2,3,,Staff\n3,x,2,Staff\n"
    batch = services.responses_import(
        survey=survey, data=data, filename="redcap.csv", source="redcap"
    )
    assert batch.status == ImportStatus.COMMITTED
    assert batch.accepted + batch.rejected == 3
    assert batch.rows.count() == 3
    assert Response.objects.filter(survey=survey).count() == batch.accepted
