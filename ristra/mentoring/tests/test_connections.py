"""One-time connections: the public request form (anonymous, refuses spam), suggestions
within each volunteer's limits, the introduction e-mail, follow-up, and access."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from ristra.mentoring import forms, selectors, services
from ristra.mentoring.models import Connection, ConnectionStatus, Volunteer

from .conftest import make_user

TOPICS = ["Pediatrics", "Research", "Family life", "Visa questions"]


@pytest.fixture
def offering(program: Any) -> Any:
    program.offers_connections = True
    program.connection_topics = TOPICS
    program.save()
    return program


@pytest.fixture
def volunteer(offering: Any, cast: dict[str, Any]) -> Volunteer:
    return services.volunteer_save(
        program=offering,
        user=cast["mentor"],
        topics=["Pediatrics", "Family life"],
        per_month=1,
        about="PGY-2 in Pediatrics",
        active=True,
    )


def post_data(program: Any, **overrides: Any) -> dict[str, Any]:
    data = {
        "name": "Ana Applicant",
        "email": "ana@applicant.example",
        "interests": ["Pediatrics"],
        "message": "What is call like in the first year?",
        "website": "",
        "started": forms.form_token(program, at=time.time() - 60),
    }
    data.update(overrides)
    return data


def submit(program: Any, **fields: Any) -> Connection:
    return services.connection_submit(
        program=program,
        name=fields.get("name", "Ana Applicant"),
        email=fields.get("email", "ana@applicant.example"),
        interests=fields.get("interests", ["Pediatrics"]),
        message=fields.get("message", "What is call like?"),
    )


# --- the public form ------------------------------------------------------------------


def test_the_form_works_without_an_account(client: Any, offering: Any) -> None:
    url = reverse("mentoring:connect", args=[offering.slug])
    page = client.get(url)
    assert page.status_code == 200
    assert b"Family life" in page.content
    r = client.post(url, post_data(offering))
    assert r.status_code == 302
    assert r["Location"] == reverse("mentoring:connect_thanks", args=[offering.slug])
    connection = Connection.objects.get()
    assert connection.name == "Ana Applicant"
    assert connection.interests == ["Pediatrics"]
    assert connection.status == ConnectionStatus.NEW
    assert connection.sender_hash and "127.0.0.1" not in connection.sender_hash
    assert client.get(r["Location"]).status_code == 200


def test_the_form_asks_no_demographics(offering: Any) -> None:
    form = forms.ConnectionRequestForm(program=offering)
    assert set(form.fields) == {"name", "email", "interests", "message", "website", "started"}


def test_it_is_404_when_the_program_offers_no_connections(client: Any, program: Any) -> None:
    assert client.get(reverse("mentoring:connect", args=[program.slug])).status_code == 404
    assert client.get(reverse("mentoring:connect", args=["nope"])).status_code == 404


def test_it_refuses_a_filled_honeypot(client: Any, offering: Any) -> None:
    url = reverse("mentoring:connect", args=[offering.slug])
    r = client.post(url, post_data(offering, website="http://spam.example"))
    assert r.status_code == 400
    assert not Connection.objects.exists()


def test_it_refuses_a_form_sent_too_fast(client: Any, offering: Any) -> None:
    url = reverse("mentoring:connect", args=[offering.slug])
    r = client.post(url, post_data(offering, started=forms.form_token(offering)))
    assert r.status_code == 400
    assert not Connection.objects.exists()


def test_it_refuses_a_missing_or_forged_token(client: Any, offering: Any, program: Any) -> None:
    url = reverse("mentoring:connect", args=[offering.slug])
    assert client.post(url, post_data(offering, started="")).status_code == 400
    assert client.post(url, post_data(offering, started="x:y:z")).status_code == 400
    stale = forms.form_token(offering, at=time.time() - forms.MAX_FORM_AGE - 10)
    assert client.post(url, post_data(offering, started=stale)).status_code == 400
    assert not Connection.objects.exists()


def test_it_rate_limits_one_sender(client: Any, offering: Any) -> None:
    url = reverse("mentoring:connect", args=[offering.slug])
    for n in range(forms.PER_SENDER_HOUR):
        r = client.post(url, post_data(offering, email=f"a{n}@applicant.example"))
        assert r.status_code == 302
    r = client.post(url, post_data(offering, email="another@applicant.example"))
    assert r.status_code == 400
    assert Connection.objects.count() == forms.PER_SENDER_HOUR


def test_it_rate_limits_one_address(client: Any, offering: Any) -> None:
    url = reverse("mentoring:connect", args=[offering.slug])
    for n in range(forms.PER_EMAIL_DAY):
        r = client.post(url, post_data(offering), REMOTE_ADDR=f"10.0.0.{n}")
        assert r.status_code == 302
    r = client.post(url, post_data(offering), REMOTE_ADDR="10.0.0.99")
    assert r.status_code == 400


def test_an_ordinary_mistake_is_not_spam(client: Any, offering: Any) -> None:
    url = reverse("mentoring:connect", args=[offering.slug])
    r = client.post(url, post_data(offering, email="not an address", interests=[]))
    assert r.status_code == 200
    assert not Connection.objects.exists()


def test_coordinators_are_told_of_a_new_request(
    offering: Any, cast: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        submit(offering)
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [cast["manager"].email]
    assert "What is call like" not in mail.outbox[0].body  # the request stays in Ristra


# --- suggestions, introductions, follow-up --------------------------------------------


def test_suggestions_respect_topics_and_monthly_limits(
    offering: Any, volunteer: Volunteer, cast: dict[str, Any]
) -> None:
    other = services.volunteer_save(
        program=offering,
        user=make_user("rosa"),
        topics=["Research", "Pediatrics"],
        per_month=3,
        active=True,
    )
    services.volunteer_save(
        program=offering, user=make_user("paused"), topics=["Pediatrics"], per_month=3, active=False
    )
    first = submit(offering, interests=["Pediatrics", "Family life"])
    ranked = selectors.volunteer_suggestions(first)
    assert [s.volunteer for s in ranked] == [volunteer, other]  # two shared topics first
    assert ranked[0].shared == ["Pediatrics", "Family life"]
    services.connection_introduce(connection=first, volunteer=volunteer, user=cast["manager"])
    second = submit(offering, email="b@applicant.example", interests=["Family life"])
    assert selectors.volunteer_suggestions(second) == []  # full this month, other no topic
    with pytest.raises(services.ConnectionRefused):
        services.connection_introduce(connection=second, volunteer=volunteer, user=None)
    next_month = timezone.now() + dt.timedelta(days=32)
    assert [s.volunteer for s in selectors.volunteer_suggestions(second, now=next_month)] == [
        volunteer
    ]


def test_the_introduction_email_reaches_both_with_text_and_html(
    offering: Any,
    volunteer: Volunteer,
    cast: dict[str, Any],
    django_capture_on_commit_callbacks: Any,
) -> None:
    connection = submit(offering, interests=["Pediatrics", "Research"])
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.connection_introduce(
            connection=connection, volunteer=volunteer, user=cast["manager"]
        )
    assert len(mail.outbox) == 1
    message: Any = mail.outbox[0]
    assert set(message.to) == {"ana@applicant.example", cast["mentor"].email}
    assert set(message.reply_to) == set(message.to)
    assert "Ana Applicant" in message.body and "What is call like?" in message.body
    assert "Pediatrics" in message.body and "Research" not in message.body  # shared only
    assert "PGY-2 in Pediatrics" in message.body
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    assert "Ana Applicant" in str(html) and "<blockquote>" in str(html)
    connection.refresh_from_db()
    assert connection.status == ConnectionStatus.INTRODUCED
    assert connection.introduced_by == cast["manager"]


def test_the_system_introduces_when_the_program_does_it_automatically(
    offering: Any, volunteer: Volunteer, django_capture_on_commit_callbacks: Any
) -> None:
    offering.connections_auto = True
    offering.save()
    with django_capture_on_commit_callbacks(execute=True):
        connection = submit(offering)
    assert connection.status == ConnectionStatus.INTRODUCED
    assert connection.volunteer == volunteer and connection.introduced_by is None
    assert len(mail.outbox) == 1 and "introduction" in mail.outbox[0].subject
    # Nobody fits the next one (the volunteer's limit is 1 a month): it waits.
    later = submit(offering, email="c@applicant.example")
    assert later.status == ConnectionStatus.NEW


def test_a_coordinator_introduces_and_the_volunteer_records_the_follow_up(
    client_for: Any, offering: Any, volunteer: Volunteer
) -> None:
    connection = submit(offering)
    c = client_for("manager")
    url = reverse("mentoring:connection", args=[connection.pk])
    page = c.get(url)
    assert page.status_code == 200 and b"suggested" in page.content
    assert c.post(url, {"action": "introduce", "volunteer": volunteer.pk}).status_code == 302
    connection.refresh_from_db()
    assert connection.volunteer == volunteer
    c = client_for("mentor")
    assert c.get(reverse("mentoring:volunteer", args=[offering.slug])).status_code == 200
    r = c.post(url, {"action": "followup", "met": "yes", "notes": "Talked for 40 minutes."})
    assert r.status_code == 302
    connection.refresh_from_db()
    assert connection.met is True and connection.followup_notes == "Talked for 40 minutes."
    # The volunteer cannot introduce or close.
    assert c.post(url, {"action": "close"}).status_code == 404


def test_volunteers_are_asked_once_whether_they_met(
    offering: Any, volunteer: Volunteer, cast: dict[str, Any]
) -> None:
    connection = submit(offering)
    services.connection_introduce(connection=connection, volunteer=volunteer, user=None)
    mail.outbox.clear()
    later = timezone.now() + dt.timedelta(days=15)
    assert services.connections_remind_follow_up(now=later) == 1
    assert services.connections_remind_follow_up(now=later) == 0
    assert mail.outbox[0].to == [cast["mentor"].email]
    assert getattr(mail.outbox[0], "alternatives", None)


def test_a_volunteer_sets_topics_and_limit(client_for: Any, offering: Any) -> None:
    c = client_for("viewer")
    url = reverse("mentoring:volunteer", args=[offering.slug])
    r = c.post(url, {"topics": ["Research"], "per_month": 3, "about": "", "active": "on"})
    assert r.status_code == 302
    v = Volunteer.objects.get(user__username="dana")
    assert v.topics == ["Research"] and v.per_month == 3 and v.active
    r = c.post(url, {"topics": ["Nonsense"], "per_month": 30})
    assert r.status_code == 200  # not a program topic, and over the limit
    v.refresh_from_db()
    assert v.per_month == 3


# --- access ---------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["analyst", "viewer", "decider", "mentee", "outsider", None])
def test_it_refuses_coordinator_screens_to_other_roles(
    client_for: Any, who: str | None, offering: Any, volunteer: Volunteer
) -> None:
    connection = submit(offering)
    c = client_for(who)
    for url in (
        reverse("mentoring:connections", args=[offering.slug]),
        reverse("mentoring:connection", args=[connection.pk]),
    ):
        r = c.get(url)
        assert r.status_code in (302, 403, 404), (who, url)
        if who is not None:
            assert r.status_code in (403, 404)
    r = c.post(
        reverse("mentoring:connection", args=[connection.pk]),
        {"action": "introduce", "volunteer": volunteer.pk},
    )
    connection.refresh_from_db()
    assert connection.status == ConnectionStatus.NEW


def test_another_volunteer_cannot_open_a_connection(
    client_for: Any, offering: Any, volunteer: Volunteer, cast: dict[str, Any]
) -> None:
    connection = submit(offering)
    services.connection_introduce(connection=connection, volunteer=volunteer, user=None)
    services.volunteer_save(program=offering, user=cast["mentee"], topics=["Pediatrics"])
    r = client_for("mentee").get(reverse("mentoring:connection", args=[connection.pk]))
    assert r.status_code == 404


def test_the_volunteer_page_needs_an_account_with_a_role(client_for: Any, offering: Any) -> None:
    url = reverse("mentoring:volunteer", args=[offering.slug])
    assert client_for(None).get(url).status_code == 302
    assert client_for("outsider").get(url).status_code == 403


def test_a_manager_of_another_program_cannot_see_its_connections(
    client_for: Any, other_program: Any
) -> None:
    other_program.offers_connections = True
    other_program.connection_topics = TOPICS
    other_program.save()
    connection = submit(other_program)
    c = client_for("manager")
    assert c.get(reverse("mentoring:connections", args=[other_program.slug])).status_code == 404
    assert c.get(reverse("mentoring:connection", args=[connection.pk])).status_code == 404
