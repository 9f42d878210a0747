from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.urls import reverse

from ristra.audit.models import AuditEvent, AuditLogIsAppendOnly, AuditPerson
from ristra.audit.services import audit_record
from ristra.people.models import Person


@pytest.mark.django_db
def test_it_cannot_be_edited_or_deleted_through_the_application(cast: dict[str, Any]) -> None:
    event = audit_record(
        actor=cast["admin"], action="view", object_type="person", summary="x", person_ids=[1, 2]
    )
    with pytest.raises(AuditLogIsAppendOnly):
        event.save()
    with pytest.raises(AuditLogIsAppendOnly):
        event.delete()
    with pytest.raises(AuditLogIsAppendOnly):
        AuditEvent.objects.filter(pk=event.pk).update(summary="changed")
    with pytest.raises(AuditLogIsAppendOnly):
        AuditEvent.objects.all().delete()
    with pytest.raises(AuditLogIsAppendOnly):
        AuditPerson.objects.all().delete()
    assert AuditEvent.objects.get(pk=event.pk).summary == "x"


@pytest.mark.django_db
def test_it_records_who_viewed_which_person(client_for: Any) -> None:
    person = Person.objects.create(
        given_name="Rosa", family_name="Tsosie", birth_date=dt.date(2000, 1, 2)
    )
    client = client_for("analyst")
    client.get(reverse("people:search") + "?q=Tsosie")
    client.get(reverse("people:person", args=[person.pk]))
    events = AuditEvent.objects.filter(persons__person_id=person.pk).order_by("id")
    assert [e.action for e in events] == ["search", "view"]
    assert all(e.actor_name == "bob" for e in events)
    assert events[1].reason == "person page"


@pytest.mark.django_db
def test_the_administrator_can_search_it(client_for: Any) -> None:
    person = Person.objects.create(given_name="Rosa", family_name="Tsosie")
    client_for("analyst").get(reverse("people:person", args=[person.pk]))
    client = client_for("admin")
    page = client.get(reverse("audit:log") + f"?person={person.pk}&actor=bob").content.decode()
    assert f"Viewed the record of person #{person.pk}" in page
    empty = client.get(reverse("audit:log") + "?actor=nobody").content.decode()
    assert "No entries match" in empty
    exported = client.get(reverse("audit:export", args=["csv"])).content.decode("utf-8-sig")
    assert "Viewed the record" in exported


@pytest.mark.django_db
def test_it_records_sign_ins_and_failed_sign_ins(client: Any, cast: dict[str, Any]) -> None:
    user = cast["analyst"]
    user.set_password("a-long-enough-passphrase")
    user.save()
    client.post(reverse("account_login"), {"login": "bob", "password": "wrong-password"})
    client.post(reverse("account_login"), {"login": "bob", "password": "a-long-enough-passphrase"})
    actions = list(AuditEvent.objects.order_by("id").values_list("action", flat=True))
    assert actions[-2:] == ["denied", "login"]
