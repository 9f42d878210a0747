"""The import screens: upload, check, map, commit, download rejected rows, roll back."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from python_calamine import CalamineWorkbook

from ristra.audit.models import AuditEvent
from ristra.people.models import BatchStatus, ImportBatch, MappingProfile, Person

CSV = (
    "EMPLID;Surname;Given Name;Dept;Rank;Start Date\n"
    "E1;Yazzie;Ada;Surgery;Professor;2001-07-01\n"
    'E2;=HYPERLINK("http://x");Bo;Surgery;Chancellor;2003-07-01\n'
)


def post_upload(
    client: Any, content: bytes, name: str = "roster.csv", kind: str = "faculty", **extra: Any
) -> Any:
    return client.post(
        reverse("people:import_upload"),
        {"kind": kind, "file": SimpleUploadedFile(name, content), **extra},
    )


@pytest.mark.django_db
def test_it_uploads_checks_and_commits_from_the_browser(client_for: Any) -> None:
    client = client_for("analyst")
    response = post_upload(client, CSV.encode())
    batch = ImportBatch.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"/{batch.pk}/")
    page = client.get(response["Location"]).content.decode()
    assert "Chancellor" in page  # the problem row is explained before anything is written
    assert Person.objects.count() == 0
    client.post(reverse("people:batch_commit", args=[batch.pk]))
    batch.refresh_from_db()
    assert batch.status == BatchStatus.COMMITTED
    assert (batch.rows_inserted, batch.rows_rejected) == (1, 1)


@pytest.mark.django_db
def test_it_downloads_rejected_rows_safe_from_formula_injection(client_for: Any) -> None:
    client = client_for("analyst")
    post_upload(client, CSV.encode())
    batch = ImportBatch.objects.get()
    csv_text = client.get(reverse("people:batch_rejected", args=[batch.pk, "csv"])).content
    decoded = csv_text.decode("utf-8-sig")
    assert "'=HYPERLINK" in decoded
    assert "\n=HYPERLINK" not in decoded and ",=HYPERLINK" not in decoded
    xlsx = client.get(reverse("people:batch_rejected", args=[batch.pk, "xlsx"])).content
    sheet = CalamineWorkbook.from_filelike(io.BytesIO(xlsx)).get_sheet_by_index(0).to_python()
    assert sheet[1][2] == '\'=HYPERLINK("http://x")'
    assert AuditEvent.objects.filter(action="export", object_id=str(batch.pk)).count() == 2


@pytest.mark.django_db
def test_it_saves_a_mapping_as_a_profile_and_checks_again(client_for: Any) -> None:
    client = client_for("analyst")
    post_upload(
        client, b"Emp;Fam;Giv;Unit;Title;Began\nE1;Yazzie;Ada;Surgery;Professor;2001-07-01\n"
    )
    batch = ImportBatch.objects.get()
    assert batch.status == BatchStatus.UNUSABLE  # the headings say nothing recognisable
    choice = ["employee_id", "family_name", "given_name", "department", "rank", "start_date"]
    data = {f"map-{i}": field for i, field in enumerate(choice)}
    data["profile_name"] = "Our HR system"
    response = client.post(reverse("people:batch_mapping", args=[batch.pk]), data)
    assert response.status_code == 302
    batch.refresh_from_db()
    assert batch.status == BatchStatus.VALIDATED, batch.error
    profile = MappingProfile.objects.get(name="Our HR system")
    assert "Began: start_date" in profile.yaml
    # The next upload with the profile needs no mapping.
    post_upload(
        client,
        b"Emp;Fam;Giv;Unit;Title;Began\nE2;Lee;Kim;Surgery;Instructor;2011-07-01\n",
        profile=profile.pk,
    )
    latest = ImportBatch.objects.order_by("-pk").first()
    assert latest is not None and latest.status == BatchStatus.VALIDATED


@pytest.mark.django_db
def test_it_rolls_back_from_the_batch_page(client_for: Any) -> None:
    client = client_for("admin")
    post_upload(client, CSV.encode())
    batch = ImportBatch.objects.get()
    client.post(reverse("people:batch_commit", args=[batch.pk]))
    assert Person.objects.count() == 1
    client.post(reverse("people:batch_rollback", args=[batch.pk]))
    batch.refresh_from_db()
    assert batch.status == BatchStatus.ROLLED_BACK
    assert Person.objects.count() == 0


@pytest.mark.django_db
def test_it_explains_a_file_that_is_not_a_spreadsheet(client_for: Any) -> None:
    client = client_for("analyst")
    post_upload(client, b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n", name="report.pdf")
    batch = ImportBatch.objects.get()
    assert batch.status == BatchStatus.UNUSABLE
    page = client.get(reverse("people:batch", args=[batch.pk])).content.decode()
    assert "PDF" in page
    assert "Traceback" not in page
    assert batch.file.read().startswith(b"%PDF")  # the raw input is kept


@pytest.mark.django_db
def test_it_refuses_an_empty_upload_with_a_clear_message(client_for: Any) -> None:
    response = post_upload(client_for("analyst"), b"")
    assert response.status_code == 200
    assert "empty" in response.content.decode()
    assert not ImportBatch.objects.exists()


@pytest.mark.django_db
def test_it_logs_every_view_of_the_ledger(client_for: Any) -> None:
    client = client_for("analyst")
    post_upload(client, CSV.encode())
    batch = ImportBatch.objects.get()
    client.post(reverse("people:batch_commit", args=[batch.pk]))
    before = AuditEvent.objects.count()
    client.get(reverse("people:batch_rows", args=[batch.pk]) + "?fate=rejected")
    event = AuditEvent.objects.order_by("-id").first()
    assert AuditEvent.objects.count() == before + 1
    assert event is not None and event.action == "view" and "rejected" in event.summary


@pytest.mark.django_db
def test_it_refuses_a_file_over_the_upload_limit_and_points_to_the_command_line(
    client_for: Any, settings: Any
) -> None:
    settings.RISTRA_MAX_UPLOAD_MB = 0
    response = post_upload(client_for("analyst"), CSV.encode())
    assert response.status_code == 200
    page = response.content.decode()
    assert "larger than 0 MB" in page and "ristra import" in page
    assert not ImportBatch.objects.exists()


@pytest.mark.django_db
def test_it_reads_windows_1252_and_xlsx_uploads(client_for: Any) -> None:
    import xlsxwriter

    client = client_for("analyst")
    cp1252 = "EMPLID,Last Name,First Name,Dept,Rank,Start Date\nE9,Peña,José,Surgery,Professor,2001-07-01\n"
    post_upload(client, cp1252.encode("cp1252"))
    batch = ImportBatch.objects.get()
    assert batch.status == BatchStatus.VALIDATED and batch.encoding == "cp1252"
    client.post(reverse("people:batch_commit", args=[batch.pk]))
    assert Person.objects.get().family_name == "Peña"

    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = book.add_worksheet("Roster")
    for r, row in enumerate(
        [
            ["EMPLID", "Last Name", "First Name", "Dept", "Rank", "Start Date"],
            ["E10", "Kee", "Ana", "Surgery", "Instructor", "2019-07-01"],
        ]
    ):
        sheet.write_row(r, 0, row)
    book.close()
    post_upload(client, buffer.getvalue(), name="roster.xlsx")
    xlsx_batch = ImportBatch.objects.order_by("-pk").first()
    assert xlsx_batch is not None and xlsx_batch.status == BatchStatus.VALIDATED
    assert xlsx_batch.file_format == "xlsx"
