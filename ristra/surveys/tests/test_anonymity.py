"""Anonymity by construction: no join path from a response to a person, an invitation or
a user; no exact time; no order that follows invitation order."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Any

import pytest
from django.apps import apps
from django.db import connection, models

from ristra.people.models import Person
from ristra.surveys import services
from ristra.surveys.models import Invitation, Response

FORBIDDEN = {"people.person", "surveys.invitation", "accounts.user", "surveys.accesscode"}


def test_response_has_no_relation_but_its_survey() -> None:
    relations = [f for f in Response._meta.get_fields() if f.is_relation]
    assert [(f.name, f.related_model._meta.label_lower) for f in relations] == [  # type: ignore[union-attr]
        ("survey", "surveys.survey")
    ]


def test_response_has_no_time_and_a_random_key() -> None:
    for field in Response._meta.get_fields():
        assert not isinstance(field, models.DateField | models.DateTimeField | models.TimeField)
    assert isinstance(Response._meta.pk, models.UUIDField)
    names = {f.name for f in Response._meta.get_fields()}
    assert not names & {"person", "invitation", "user", "token", "ip", "email", "created_at"}


def test_no_model_points_at_a_response() -> None:
    for model in apps.get_models():
        for field in model._meta.get_fields():
            if field.is_relation and field.concrete and field.related_model is Response:
                pytest.fail(f"{model._meta.label}.{field.name} points at a response")


def test_survey_tables_never_reach_a_person_from_a_response() -> None:
    """Following foreign keys forward from Response never reaches a person, invitation
    or user except through the survey row, which every response of the survey shares."""
    seen = set()
    frontier = [Response]
    while frontier:
        model = frontier.pop()
        for field in model._meta.get_fields():
            if field.is_relation and field.concrete and field.many_to_one:
                target: Any = field.related_model
                label = target._meta.label_lower
                if model is Response:
                    assert label == "surveys.survey"
                    continue
                if label in seen:
                    continue
                seen.add(label)
    assert not seen & FORBIDDEN


@pytest.mark.django_db
def test_stored_rows_hold_nothing_that_joins(survey_factory: Any) -> None:
    survey = survey_factory(mode="invitations")
    people = [
        Person.objects.create(
            given_name=f"P{i}", family_name="Test", birth_date=dt.date(1980, 1, 1)
        )
        for i in range(30)
    ]
    invitations = services.invitations_create(
        survey=survey, people=[(p, "Faculty", f"p{i}@example.org") for i, p in enumerate(people)]
    )
    for invitation in invitations:
        services.response_submit_invitation(
            invitation_id=invitation.pk,
            answers=services.Answers({"con1": 4, "strength": "fine"}, {"role": "Faculty"}),
        )
    assert Invitation.objects.filter(survey=survey, responded=True).count() == 30
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {Response._meta.db_table}")  # noqa: S608
        rows = cursor.fetchall()
    assert len(rows) == 30
    secrets = {str(i.pk) for i in invitations} | {i.token_hash for i in invitations}
    secrets |= {services.invitation_token(i) for i in invitations}
    secrets |= {str(p.pk) for p in people} | {f"p{i}@example.org" for i in range(30)}
    for row in rows:
        text = " ".join(str(cell) for cell in row)
        for secret in secrets:
            assert (
                f"'{secret}'" not in text
                and f'"{secret}"' not in text
                and text.find(f" {secret} ") < 0
            )
        assert "2026" in text  # the wave is the only period
        for cell in row:
            assert not isinstance(cell, dt.datetime)
    # Ids are random: their order does not follow the order of submission.
    ids = list(Response.objects.filter(survey=survey).values_list("id", flat=True))
    assert all(isinstance(i, uuid.UUID) and i.version == 4 for i in ids)
    assert Response.objects.filter(survey=survey, sealed=False).count() < survey.min_group


@pytest.mark.django_db
def test_storage_order_does_not_follow_submission_order(survey_factory: Any) -> None:
    """Neither the ids nor the storage order (SQLite's rowid, PostgreSQL's ctid) follow the
    order in which responses came: they are rewritten in random order in batches of the
    smallest group."""
    survey = survey_factory(min_group=20)
    for n in range(40):
        # the answer records the submission order, for the test only
        services.response_submit_link(survey=survey, answers=services.Answers({"n": n}, {}))
    assert not Response.objects.filter(survey=survey, sealed=False).exists()
    physical = "ctid" if connection.vendor == "postgresql" else "rowid"
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT answers FROM {Response._meta.db_table} ORDER BY {physical}"  # noqa: S608
        )
        stored = [
            (json.loads(row[0]) if isinstance(row[0], str) else row[0])["n"]
            for row in cursor.fetchall()
        ]
    by_key = [r.answers["n"] for r in Response.objects.filter(survey=survey).order_by("id")]
    assert sorted(stored) == list(range(40))
    assert stored != list(range(40))
    assert by_key != list(range(40))


@pytest.mark.django_db
def test_closing_seals_the_last_responses(survey_factory: Any) -> None:
    survey = survey_factory(min_group=5)
    for n in range(3):
        services.response_submit_link(survey=survey, answers=services.Answers({"n": n}, {}))
    assert Response.objects.filter(survey=survey, sealed=False).count() == 3
    services.survey_set_status(survey=survey, status="closed")
    assert not Response.objects.filter(survey=survey, sealed=False).exists()


@pytest.mark.django_db
def test_a_carried_unit_is_only_a_label_and_never_a_small_one(survey_factory: Any) -> None:
    """With ``carry_unit`` a response stores its invitee's unit as a label: never the
    invitation, the person or the unit's id, and never a label fewer than ``min_group``
    invitees (while open) or responses (once closed) share."""
    from ristra.analytics.disclosure import POOLED
    from ristra.surveys.models import UNIT_KEY
    from ristra.surveys.tests.conftest import people_in, unit_named

    survey = survey_factory(mode="invitations", carry_unit=True, min_group=5)
    invited = []
    units = {}
    for name, n in (("Surgery", 12), ("Anatomy", 6), ("Tiny Lab", 2), ("Small Office", 3)):
        units[name] = unit_named(name)
        invited += people_in(units[name], n)
    invitations = services.invitations_create(
        survey=survey, people=[(p, "Faculty", "") for p in invited], on=dt.date(2026, 3, 2)
    )
    answering = [i for i in invitations if i.unit != "Anatomy"] + [
        i for i in invitations if i.unit == "Anatomy"
    ][:2]
    for invitation in answering:
        services.response_submit_invitation(
            invitation_id=invitation.pk, answers=services.Answers({"con1": 4}, {})
        )
    rows = list(Response.objects.filter(survey=survey).values_list("demographics", flat=True))
    assert all(set(d) == {UNIT_KEY} for d in rows)
    # while open: small units (2 and 3 invitees) are pooled at once, large ones keep names
    assert {d[UNIT_KEY] for d in rows} == {"Surgery", "Anatomy", POOLED}
    forbidden = {str(i.pk) for i in invitations} | {str(p.pk) for p in invited}
    forbidden |= {str(u.pk) for u in units.values()} | {u.code for u in units.values()}
    for d in rows:
        assert d[UNIT_KEY] not in forbidden
    # once closed: Anatomy's 2 responses are too few to keep a name of their own
    services.survey_set_status(survey=survey, status="closed")
    stored: dict[str, int] = {}
    for d in Response.objects.filter(survey=survey).values_list("demographics", flat=True):
        stored[d[UNIT_KEY]] = stored.get(d[UNIT_KEY], 0) + 1
    assert stored == {"Surgery": 12, POOLED: 7}
    assert all(n >= survey.min_group for n in stored.values())
