"""Imports through the API: the page's checks and size limit, clear 400/413 errors, status
and problems, commit and roll back, and the same access rules as the import pages."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings

from ristra.audit.models import AuditEvent
from ristra.people.models import ImportBatch, ImportRow, Person

CSV = (
    "EMPLID;Surname;Given Name;Dept;Rank;Start Date\n"
    "E1;Yazzie;Ada;Surgery;Professor;2001-07-01\n"
    "E2;Okafor;Bo;Surgery;Chancellor;2003-07-01\n"
)


def upload(client: Any, headers: dict[str, str], content: bytes, **fields: Any) -> Any:
    data = {"kind": "faculty", "file": SimpleUploadedFile("roster.csv", content), **fields}
    return client.post("/api/imports/", data, headers=headers)


@pytest.mark.django_db
def test_it_uploads_checks_commits_and_rolls_back(client: Any, bearer: Any) -> None:
    headers = bearer("analyst")
    response = upload(client, headers, CSV.encode())
    assert response.status_code == 201, response.content
    batch = response.json()
    assert (batch["status"], batch["rows_valid"], batch["rows_rejected"]) == ("validated", 1, 1)
    assert batch["can_commit"] and not batch["can_rollback"]
    assert Person.objects.count() == 0  # checked, not yet written

    problems = client.get(f"/api/imports/{batch['id']}/problems", headers=headers).json()
    assert problems["count"] == 1
    assert problems["items"][0]["value"] == "Chancellor"
    assert AuditEvent.objects.filter(action="view", object_id=str(batch["id"])).exists()

    committed = client.post(f"/api/imports/{batch['id']}/commit", headers=headers).json()
    assert (committed["status"], committed["rows_inserted"]) == ("committed", 1)
    assert ImportRow.objects.filter(batch_id=batch["id"]).count() == 2  # every raw row kept
    again = client.post(f"/api/imports/{batch['id']}/commit", headers=headers)
    assert again.status_code == 409 and "checked batch" in again.json()["detail"]

    rolled = client.post(f"/api/imports/{batch['id']}/rollback", headers=headers).json()
    assert rolled["status"] == "rolled_back"
    assert Person.objects.count() == 0
    assert ImportRow.objects.filter(batch_id=batch["id"]).count() == 2

    listing = client.get("/api/imports/?limit=1", headers=headers).json()
    assert listing["count"] == 1 and listing["items"][0]["id"] == batch["id"]
    detail = client.get(f"/api/imports/{batch['id']}", headers=headers).json()
    assert detail == rolled | {"progress_rows": detail["progress_rows"]}


@pytest.mark.django_db
@override_settings(RISTRA_MAX_UPLOAD_MB=1)
def test_an_oversized_upload_is_413_with_the_limit(client: Any, bearer: Any) -> None:
    big = b"EMPLID;Surname\n" + b"E1;Yazzie\n" * 120_000  # 1.2 MB
    response = upload(client, bearer("analyst"), big)
    assert response.status_code == 413
    assert "larger than 1 MB" in response.json()["detail"]
    assert ImportBatch.objects.count() == 0


@pytest.mark.django_db
@override_settings(RISTRA_MAX_UPLOAD_MB=1)
def test_an_oversized_file_in_a_small_declared_body_is_still_413(client: Any, bearer: Any) -> None:
    """The form's own size check answers too (e.g. a chunked body without a length)."""
    from ristra.api.imports import MULTIPART_OVERHEAD

    size = 1024 * 1024 + MULTIPART_OVERHEAD // 2  # over the limit, under limit + overhead
    response = upload(client, bearer("analyst"), b"x" * size)
    assert response.status_code == 413
    assert ImportBatch.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"kind": "shoes"}, "kind"),
        ({"profile": "many"}, "profile"),
        ({"profile": str(2**70)}, "profile"),
        ({"source_label": "x" * 200}, "source_label"),
    ],
)
def test_bad_upload_fields_are_400_naming_the_field(
    client: Any, bearer: Any, fields: dict[str, str], field: str
) -> None:
    response = upload(client, bearer("analyst"), CSV.encode(), **fields)
    assert response.status_code == 400
    body = response.json()
    assert body["detail"] == "The upload was not accepted."
    assert [e["field"] for e in body["errors"]] == [field]
    assert ImportBatch.objects.count() == 0


@pytest.mark.django_db
def test_an_unknown_profile_is_404(client: Any, bearer: Any) -> None:
    response = upload(client, bearer("analyst"), CSV.encode(), profile="999")
    assert response.status_code == 404
    assert response.json()["detail"] == "No mapping profile with the id 999."


@pytest.mark.django_db
def test_unknown_query_parameters_are_400_naming_them(client: Any, bearer: Any) -> None:
    response = client.get("/api/imports/?limit=5&ofset=10", headers=bearer("analyst"))
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "ofset"
    assert "limit, offset" in response.json()["errors"][0]["message"]


@pytest.mark.django_db
def test_an_empty_or_missing_file_is_400(client: Any, bearer: Any) -> None:
    headers = bearer("analyst")
    empty = upload(client, headers, b"")
    assert empty.status_code == 400
    assert empty.json()["errors"][0]["field"] == "file"
    missing = client.post("/api/imports/", {"kind": "faculty"}, headers=headers)
    assert missing.status_code == 400
    as_json = client.post(
        "/api/imports/", {"kind": "faculty"}, content_type="application/json", headers=headers
    )
    assert as_json.status_code == 400
    assert "multipart/form-data" in as_json.json()["detail"]


@pytest.mark.django_db
def test_an_unusable_file_is_kept_and_explained(client: Any, bearer: Any) -> None:
    response = upload(client, bearer("analyst"), b"\x00\x01\x02 not a table")
    assert response.status_code == 201
    assert response.json()["status"] == "unusable"
    assert response.json()["error"]


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["manager", "viewer", "decider", "decider_admin", "outsider"])
def test_only_importers_reach_imports(client: Any, bearer: Any, cast: Any, who: str) -> None:
    from ristra.people.services import batch_upload

    batch = batch_upload(
        user=cast["analyst"], kind="faculty", filename="r.csv", stream=io.BytesIO(CSV.encode())
    )
    headers = bearer(who)
    assert client.get("/api/imports/", headers=headers).status_code == 403
    assert upload(client, headers, CSV.encode()).status_code == 403
    for url in (f"/api/imports/{batch.pk}", f"/api/imports/{batch.pk}/problems"):
        assert client.get(url, headers=headers).status_code == 403
    for url in (f"/api/imports/{batch.pk}/commit", f"/api/imports/{batch.pk}/rollback"):
        assert client.post(url, headers=headers).status_code == 403
    assert ImportBatch.objects.count() == 1


@pytest.mark.django_db
def test_unknown_batches_are_404_and_no_token_is_401(client: Any, bearer: Any) -> None:
    headers = bearer("admin")
    assert client.get("/api/imports/12345", headers=headers).status_code == 404
    assert client.post("/api/imports/12345/commit", headers=headers).status_code == 404
    assert client.get("/api/imports/0", headers=headers).status_code == 400
    assert client.get("/api/imports/").status_code == 401
    assert upload(client, {}, CSV.encode()).status_code == 401
