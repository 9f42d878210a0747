"""Mentoring exports through the API: a program's pairs for its managers only (audited),
a mentor's own service record."""

from __future__ import annotations

from typing import Any

import pytest

from ristra.audit.models import AuditEvent
from ristra.mentoring import services
from ristra.mentoring.models import Pair
from ristra.mentoring.tests.conftest import cycle, enrol, make_user, other_program, program

__all__ = ["cycle", "other_program", "program"]  # fixtures used below


@pytest.fixture
def published(cast: dict[str, Any], cycle: Any) -> Any:
    enrol(cycle, cast["mentor"], "mentor", specialty="Pediatrics", identity="No")
    enrol(cycle, cast["mentee"], "mentee", specialty="Pediatrics", identity="Yes")
    enrol(cycle, make_user("olga"), "mentor", specialty="Surgery")
    enrol(cycle, make_user("zed"), "mentee", specialty="Surgery")
    runs = services.match_runs_create(cycle=cycle, user=cast["manager"], policies=["stable"])
    services.match_run_publish(run=runs[0], user=cast["manager"])
    pair = Pair.objects.get(mentee__user=cast["mentee"])
    services.checkin_log(
        pair=pair, user=cast["mentor"], met_on=cycle.starts_on, minutes=90, note="first"
    )
    return cycle


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["manager", "admin"])
def test_managers_export_a_programs_pairs(
    client: Any, bearer: Any, published: Any, cast: Any, who: str
) -> None:
    headers = bearer(who)
    programs = client.get("/api/mentoring/programs", headers=headers).json()
    assert [p["slug"] for p in programs] == ["gme-2027"]
    pairs = client.get(programs[0]["pairs_url"], headers=headers).json()
    assert len(pairs) == Pair.objects.filter(cycle=published).count() == 2
    gus = next(p for p in pairs if p["mentee"] == str(cast["mentee"]))
    assert gus["mentor"] == str(cast["mentor"])
    assert (gus["checkins"], gus["hours"]) == (1, 1.5)
    assert gus["last_checkin"] == published.starts_on.isoformat()
    event = AuditEvent.objects.get(object_type="mentoring_program", action="export")
    assert event.actor == cast[who]
    token = cast[who].api_tokens.get()
    assert event.reason == f"mentoring pairs export (API token {token.prefix})"


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["analyst", "viewer", "decider", "mentor", "mentee"])
def test_others_cannot_see_a_programs_pairs(
    client: Any, bearer: Any, published: Any, who: str
) -> None:
    headers = bearer(who)
    assert client.get("/api/mentoring/programs", headers=headers).json() == []
    response = client.get("/api/mentoring/programs/gme-2027/pairs", headers=headers)
    assert response.status_code == 404
    assert not AuditEvent.objects.filter(object_type="mentoring_program").exists()


@pytest.mark.django_db
def test_a_manager_of_another_scope_gets_404(
    client: Any, bearer: Any, published: Any, other_program: Any
) -> None:
    response = client.get("/api/mentoring/programs/faculty/pairs", headers=bearer("manager"))
    assert response.status_code == 404
    assert (
        client.get("/api/mentoring/programs/nope/pairs", headers=bearer("admin")).status_code == 404
    )


@pytest.mark.django_db
def test_an_account_without_a_role_gets_403_and_no_token_401(
    client: Any, bearer: Any, published: Any
) -> None:
    headers = bearer("outsider")
    for url in (
        "/api/mentoring/programs",
        "/api/mentoring/programs/gme-2027/pairs",
        "/api/mentoring/service-record",
    ):
        assert client.get(url, headers=headers).status_code == 403, url
        assert client.get(url).status_code == 401, url


@pytest.mark.django_db
def test_a_mentor_exports_their_own_service_record(
    client: Any, bearer: Any, published: Any, cast: Any
) -> None:
    mine = client.get("/api/mentoring/service-record", headers=bearer("mentor")).json()
    assert [(r["mentee"], r["checkins"], r["hours"]) for r in mine] == [
        (str(cast["mentee"]), 1, 1.5)
    ]
    assert client.get("/api/mentoring/service-record", headers=bearer("mentee")).json() == []
