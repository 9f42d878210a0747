"""Applying to a program or registering for an event keeps the participant record."""

from __future__ import annotations

from typing import Any

from django.core import mail
from django.test import Client

from ristra.portal.models import EventPage, ProgramPage, Registration

GOOD = {
    "given_name": "Marisol",
    "family_name": "Trujillo",
    "email": "Marisol@Example.org",
    "school": "Española Valley High School (fictional)",
    "grade_level": "Grade 11",
    "consent": "on",
}


def test_an_application_is_kept_and_acknowledged(client: Client, portal: Any) -> None:
    program = ProgramPage.objects.get(slug="summer-health-careers-academy")
    page = client.get(program.url).content.decode()
    assert f"/register/program/{program.pk}/" in page
    response = client.post(f"/register/program/{program.pk}/", GOOD)
    assert response.status_code == 200
    record = Registration.objects.get()
    assert record.program == program and record.event is None
    assert record.email == "marisol@example.org" and record.grade_level == "Grade 11"
    assert mail.outbox[-1].to == ["marisol@example.org"]


def test_an_event_registration_is_kept(client: Client, portal: Any) -> None:
    event = EventPage.objects.get(slug="summer-academy-information-night")
    assert client.post(f"/register/event/{event.pk}/", GOOD).status_code == 200
    assert Registration.objects.get().event == event


def test_consent_and_a_valid_address_are_required(client: Client, portal: Any) -> None:
    program = ProgramPage.objects.get(slug="summer-health-careers-academy")
    response = client.post(
        f"/register/program/{program.pk}/", {**GOOD, "consent": "", "email": "nope"}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "This field is required." in html and "Enter a valid email address." in html
    assert 'value="Marisol"' in html  # nothing typed is lost
    assert not Registration.objects.exists()


def test_closed_and_unknown_targets_are_404(client: Client, portal: Any) -> None:
    closed = ProgramPage.objects.get(slug="rural-medicine-pathway")
    assert client.get(f"/register/program/{closed.pk}/").status_code == 404
    assert client.get("/register/event/999999/").status_code == 404
    assert client.get("/register/person/1/").status_code == 404


def test_a_bot_is_thanked_but_not_kept(client: Client, portal: Any) -> None:
    program = ProgramPage.objects.get(slug="summer-health-careers-academy")
    client.post(f"/register/program/{program.pk}/", {**GOOD, "website": "spam"})
    assert not Registration.objects.exists()
