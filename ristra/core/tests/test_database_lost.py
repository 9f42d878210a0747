"""The database connection dies in the middle of a request: a clear page, nothing half-written.

PostgreSQL only (SQLite has no server connection to lose): another connection terminates
this request's backend with pg_terminate_backend between two writes of one transaction.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection, transaction
from django.http import HttpRequest, HttpResponse
from django.urls import path

from ristra.audit.models import AuditEvent
from ristra.audit.services import audit_record

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs a PostgreSQL server connection to kill"
)


def _kill_my_backend() -> None:
    import psycopg

    settings = connection.settings_dict
    pid = connection.connection.info.backend_pid  # type: ignore[union-attr]
    with psycopg.connect(
        host=settings["HOST"],
        port=settings["PORT"] or 5432,
        user=settings["USER"],
        password=settings["PASSWORD"] or None,
        dbname=settings["NAME"],
        autocommit=True,
    ) as killer:
        killer.execute("SELECT pg_terminate_backend(%s)", [pid])


def two_writes(request: HttpRequest) -> HttpResponse:
    with transaction.atomic():
        audit_record(actor=None, action="create", object_type="test", summary="first half")
        _kill_my_backend()
        audit_record(actor=None, action="create", object_type="test", summary="second half")
    return HttpResponse("written")


urlpatterns = [path("two-writes/", two_writes)]


@pytest.mark.django_db(transaction=True)
@pytest.mark.urls("ristra.core.tests.test_database_lost")
def test_a_killed_connection_gives_a_clear_page_and_rolls_the_write_back(client: Any) -> None:
    client.raise_request_exception = False
    response = client.get("/two-writes/")
    assert response.status_code == 503
    html = response.content.decode()
    assert "lost its connection to the database" in html
    assert "was not saved" in html
    assert "Traceback" not in html and "psycopg" not in html
    assert response["Retry-After"] == "30"
    # A fresh connection: nothing of the request's transaction was kept.
    assert not AuditEvent.objects.filter(object_type="test").exists()
