"""Every screen: the right roles get in, every other role gets 403 or 404.

The table below is the contract. A new screen is not done until it has a row here.
"""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from django.urls import reverse

from ristra.people.models import ImportBatch, Person, Stage, StageKind

EVERYONE = {"admin", "analyst", "manager", "viewer", "decider", "decider_admin", "mentor", "mentee"}
IDENTITY = {"admin", "analyst", "decider", "decider_admin"}
IMPORTERS = {"admin", "analyst"}
ADMINS = {"admin", "decider_admin"}
ROLES = [*sorted(EVERYONE), "outsider"]


@pytest.fixture
def objects(cast: dict[str, Any]) -> dict[str, Any]:
    person = Person.objects.create(given_name="Rosa", family_name="Tsosie")
    Stage.objects.create(
        person=person,
        kind=StageKind.APPLICATION,
        key="a|md|2025",
        start_date=dt.date(2024, 6, 1),
        academic_year=2025,
    )
    batch = ImportBatch.objects.create(kind="faculty", filename="x.csv", sha256="0" * 64)
    batch.file.save("x.csv", io.BytesIO(b"a,b\n1,2\n"))
    return {"person": person, "batch": batch}


SCREENS = [
    # (url name, kwargs builder, allowed roles)
    ("home", lambda o: {}, EVERYONE),
    ("people:search", lambda o: {}, IDENTITY),
    ("people:person", lambda o: {"person_id": o["person"].pk}, IDENTITY),
    ("people:imports", lambda o: {}, IMPORTERS),
    ("people:import_upload", lambda o: {}, IMPORTERS),
    ("people:batch", lambda o: {"batch_id": o["batch"].pk}, IMPORTERS),
    ("people:batch_rows", lambda o: {"batch_id": o["batch"].pk}, IMPORTERS),
    ("people:batch_rejected", lambda o: {"batch_id": o["batch"].pk, "fmt": "csv"}, IMPORTERS),
    ("people:profiles", lambda o: {}, IMPORTERS),
    ("people:profile_new", lambda o: {}, IMPORTERS),
    ("audit:log", lambda o: {}, ADMINS),
    ("audit:export", lambda o: {"fmt": "csv"}, ADMINS),
    ("accounts:users", lambda o: {}, ADMINS),
    ("accounts:user_new", lambda o: {}, ADMINS),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("name", "kwargs", "allowed"), SCREENS, ids=[s[0] for s in SCREENS])
def test_it_lets_in_exactly_the_allowed_roles(
    client_for: Any, objects: dict[str, Any], role: str, name: str, kwargs: Any, allowed: set[str]
) -> None:
    url = reverse(name, kwargs=kwargs(objects))
    response = client_for(role).get(url)
    if role in allowed:
        assert response.status_code == 200, (role, url, response.status_code)
    else:
        assert response.status_code in {403, 404}, (role, url, response.status_code)


@pytest.mark.parametrize(("name", "kwargs", "allowed"), SCREENS, ids=[s[0] for s in SCREENS])
def test_it_sends_anonymous_visitors_to_sign_in(
    client: Any, objects: dict[str, Any], name: str, kwargs: Any, allowed: set[str]
) -> None:
    response = client.get(reverse(name, kwargs=kwargs(objects)))
    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]


POSTS = [
    ("people:batch_commit", IMPORTERS),
    ("people:batch_rollback", IMPORTERS),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("name", "allowed"), POSTS, ids=[p[0] for p in POSTS])
def test_it_refuses_batch_actions_to_other_roles(
    client_for: Any, objects: dict[str, Any], role: str, name: str, allowed: set[str]
) -> None:
    response = client_for(role).post(reverse(name, kwargs={"batch_id": objects["batch"].pk}))
    if role in allowed:
        assert response.status_code == 302  # back to the batch page with a message
    else:
        assert response.status_code in {403, 404}


def test_it_hides_self_identification_from_decision_makers(
    client_for: Any, objects: dict[str, Any]
) -> None:
    from ristra.people.models import SelfIdentification

    SelfIdentification.objects.record_answer(
        person=objects["person"],
        dimension="race",
        raw_value="American Indian or Alaska Native",
        codes=["aian"],
        source="AMCAS application",
        reported_on=dt.date(2024, 6, 1),
    )
    url = reverse("people:person", kwargs={"person_id": objects["person"].pk})
    seen = client_for("analyst").get(url).content.decode()
    assert "American Indian or Alaska Native" in seen
    for walled in ("decider", "decider_admin"):
        page = client_for(walled).get(url).content.decode()
        assert "Tsosie" in page
        assert "American Indian or Alaska Native" not in page
        assert "Self-identification" not in page


def test_it_gives_program_managers_only_their_programs(cast: dict[str, Any]) -> None:
    from ristra.accounts import access

    manager = cast["manager"]
    assert access.can(manager, access.MANAGE_PROGRAM, "gme-mentorship-2027")
    assert not access.can(manager, access.MANAGE_PROGRAM, "summer-academy")
    assert not access.can(cast["analyst"], access.MANAGE_PROGRAM, "gme-mentorship-2027")
    assert access.can(cast["admin"], access.MANAGE_PROGRAM, "summer-academy")


def test_it_walls_decision_makers_off_demographic_aggregates(cast: dict[str, Any]) -> None:
    from ristra.accounts import access

    for role in ("admin", "analyst", "manager", "viewer"):
        assert access.can(cast[role], access.VIEW_DEMOGRAPHIC_AGGREGATES)
    for role in ("decider", "decider_admin", "outsider"):
        assert not access.can(cast[role], access.VIEW_DEMOGRAPHIC_AGGREGATES)
    assert not access.can(cast["decider_admin"], access.IMPORT_DATA)
