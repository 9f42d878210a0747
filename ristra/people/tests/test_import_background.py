"""Large imports commit in the background (django-tasks-db), with progress on the page."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import override_settings
from django.urls import reverse

from ristra.people.models import BatchStatus, ImportBatch, Person

DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def roster(rows: int) -> bytes:
    lines = ["EMPLID,Last Name,First Name,Department,Academic Rank,Hire Date"]
    lines += [f"E{i:05d},Family{i},Given{i},Surgery,Professor,2001-07-01" for i in range(rows)]
    return ("\n".join(lines) + "\n").encode()


@pytest.mark.django_db(transaction=True)
@override_settings(TASKS=DATABASE_TASKS, RISTRA_BACKGROUND_IMPORT_ROWS=10)
def test_it_queues_a_large_commit_and_the_worker_runs_it(client_for: Any) -> None:
    client = client_for("analyst")
    client.post(
        reverse("people:import_upload"),
        {"kind": "faculty", "file": SimpleUploadedFile("big.csv", roster(50))},
    )
    batch = ImportBatch.objects.get()
    assert batch.status == BatchStatus.VALIDATED
    client.post(reverse("people:batch_commit", args=[batch.pk]))
    batch.refresh_from_db()
    assert batch.status == BatchStatus.QUEUED
    assert Person.objects.count() == 0

    # While it waits, the status fragment polls (htmx) and shows progress.
    fragment = client.get(
        reverse("people:batch", args=[batch.pk]) + "?fragment=status", HTTP_HX_REQUEST="true"
    ).content.decode()
    assert 'hx-trigger="every 1s"' in fragment and "<progress" in fragment
    assert "<html" not in fragment

    call_command("db_worker", batch=True, interval=0, startup_delay=False, verbosity=0)
    batch.refresh_from_db()
    assert batch.status == BatchStatus.COMMITTED
    assert batch.rows_inserted == 50
    assert Person.objects.count() == 50
    page = client.get(reverse("people:batch", args=[batch.pk])).content.decode()
    assert "every 1s" not in page  # finished: no more polling


@pytest.mark.django_db(transaction=True)
@override_settings(TASKS=DATABASE_TASKS, RISTRA_BACKGROUND_IMPORT_ROWS=10)
def test_it_marks_a_failed_background_commit_and_writes_nothing(
    client_for: Any, monkeypatch: Any
) -> None:
    client = client_for("analyst")
    client.post(
        reverse("people:import_upload"),
        {"kind": "faculty", "file": SimpleUploadedFile("big.csv", roster(20))},
    )
    batch = ImportBatch.objects.get()
    client.post(reverse("people:batch_commit", args=[batch.pk]))

    from ristra.people import importer

    def explode(self: Any, *args: Any, **kwargs: Any) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(importer.Pipeline, "_answers", explode)
    call_command("db_worker", batch=True, interval=0, startup_delay=False, verbosity=0)
    batch.refresh_from_db()
    assert batch.status == BatchStatus.FAILED
    assert "nothing was written" in batch.error
    assert Person.objects.count() == 0
