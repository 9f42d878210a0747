"""schemathesis against the API's schema: every operation, with a valid token, conforms.

One test per operation (``@schema.parametrize``), called through the WSGI app inside the
test's database transaction, over the demo school's snapshot (so reports answer 200, not
503).  schemathesis' default checks: no server error, documented status codes, content
types and headers, responses matching their schemas, schema-valid input accepted and
invalid input rejected.  (The schema is the one /api/openapi.json serves: asserted below.
It is loaded from the API object because schemathesis' lazy ``from_fixture`` loader does
not work with pytest 9.)
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.core.parameters import ParameterLocation

from ristra.api.api import api
from ristra.api.services import token_create
from ristra.wsgi import application

schema = schemathesis.openapi.from_dict(json.loads(json.dumps(api.get_openapi_schema())))
schema.app = application


@pytest.fixture
def token_headers(
    db: Any, demo_snapshot: Path, settings: Any, tmp_path: Path, cast: Any
) -> Iterator[dict[str, str]]:
    settings.RISTRA_SNAPSHOT_PATH = demo_snapshot
    settings.MEDIA_ROOT = tmp_path / "media"
    token = token_create(user=cast["admin"], name="schemathesis", days=1)
    # The WSGI app is called directly (not through Django's test client), so, as the test
    # client does, keep the end of each request from closing the test's database
    # connection (on PostgreSQL that would end the test's transaction).
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield {"Authorization": f"Bearer {token.secret}"}
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


@schema.parametrize()
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_every_operation_conforms_to_the_schema(case: Any, token_headers: dict[str, str]) -> None:
    # A case generated to break the headers (the bearer token missing, as the schema's
    # security asks for it) is sent without our token, so the API must answer 401 to it.
    meta = case.meta
    broken_headers = meta is not None and meta.is_negative_at(ParameterLocation.HEADER)
    case.call_and_validate(headers={} if broken_headers else token_headers)


@pytest.mark.django_db
def test_the_tested_schema_is_the_served_one(client: Any) -> None:
    served = client.get("/api/openapi.json").json()
    assert served == json.loads(json.dumps(api.get_openapi_schema()))
    assert len(schema.raw_schema["paths"]) >= 9


@schema.hook
def filter_query(ctx: Any, query: dict[str, Any] | None) -> bool:
    """Years must run forward and span at most 30 (a rule across two parameters, which
    JSON Schema cannot state; test_reports.py checks the 400 it gets)."""
    if not isinstance(query, dict):
        return True
    first, last = query.get("first_year"), query.get("last_year")
    if isinstance(first, int) and isinstance(last, int):
        return first <= last <= first + 30
    return True
