"""Answering: invitation links, anonymous links, duplicates, codes and rate limits."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core import mail
from django.urls import reverse

from ristra.people.models import Person
from ristra.surveys import services
from ristra.surveys.models import AccessCode, Invitation, Response


def _invite(survey: Any, n: int = 1) -> list[Invitation]:
    people = [
        Person.objects.create(given_name=f"P{i}", family_name="T", birth_date=dt.date(1990, 1, 1))
        for i in range(n)
    ]
    return services.invitations_create(
        survey=survey, people=[(p, "Staff", f"p{i}@example.org") for i, p in enumerate(people)]
    )


@pytest.mark.django_db
def test_an_invitation_link_answers_once_without_signing_in(client: Any, survey_factory: Any):
    survey = survey_factory(mode="invitations")
    (invitation,) = _invite(survey)
    url = reverse("surveys:respond_invitation", args=[services.invitation_token(invitation)])
    page = client.get(url)
    assert page.status_code == 200
    assert "<fieldset" in page.content.decode() and "<legend" in page.content.decode()
    answer = client.post(url, {"q_con1": "4", "q_role": "Staff", "q_strength": "Good people"})
    assert answer.status_code == 302
    invitation.refresh_from_db()
    assert invitation.responded
    response = Response.objects.get(survey=survey)
    assert response.answers == {"con1": 4, "strength": "Good people"}
    assert response.demographics == {"role": "Staff"}
    again = client.post(url, {"q_con1": "1"})
    assert again.status_code == 409
    assert "already received" in again.content.decode()
    assert Response.objects.filter(survey=survey).count() == 1


@pytest.mark.django_db
def test_a_duplicate_submission_is_refused_by_the_service(survey_factory: Any):
    survey = survey_factory(mode="invitations")
    (invitation,) = _invite(survey)
    services.response_submit_invitation(
        invitation_id=invitation.pk, answers=services.Answers({"con1": 5}, {})
    )
    with pytest.raises(services.SubmissionRefused, match="already received"):
        services.response_submit_invitation(
            invitation_id=invitation.pk, answers=services.Answers({"con1": 1}, {})
        )
    assert Response.objects.filter(survey=survey).count() == 1


@pytest.mark.django_db
def test_an_unknown_token_is_404(client: Any, survey_factory: Any):
    survey_factory(mode="invitations")
    assert client.get(reverse("surveys:respond_invitation", args=["nope"])).status_code == 404


@pytest.mark.django_db
def test_a_closed_survey_takes_no_answers(client: Any, survey_factory: Any):
    survey = survey_factory(status="closed")
    url = reverse("surveys:respond_link", args=[survey.link_key])
    assert client.post(url, {"q_con1": "4"}).status_code == 410
    assert not Response.objects.exists()


@pytest.mark.django_db
def test_the_anonymous_link_is_rate_limited(client: Any, survey_factory: Any, settings: Any):
    survey = survey_factory()
    url = reverse("surveys:respond_link", args=[survey.link_key])
    from ristra.surveys import views

    for _ in range(views.RATE_LIMIT):
        assert client.post(url, {"q_con1": "4"}).status_code == 302
    refused = client.post(url, {"q_con1": "4"})
    assert refused.status_code == 400
    assert "Too many responses" in refused.content.decode()
    assert Response.objects.filter(survey=survey).count() == views.RATE_LIMIT
    # another address is not affected
    assert client.post(url, {"q_con1": "4"}, REMOTE_ADDR="10.0.0.9").status_code == 302


@pytest.mark.django_db
def test_one_time_codes_are_spent_on_use(client: Any, survey_factory: Any):
    survey = survey_factory(require_code=True)
    codes = services.codes_generate(survey=survey, n=3)
    assert len(set(codes)) == 3
    assert not AccessCode.objects.filter(code_hash__in=codes).exists()  # only hashes stored
    url = reverse("surveys:respond_link", args=[survey.link_key])
    missing = client.post(url, {"q_con1": "4"})
    assert missing.status_code == 400
    assert client.post(url, {"q_con1": "4", "code": codes[0].lower()}).status_code == 302
    reused = client.post(url, {"q_con1": "4", "code": codes[0]})
    assert reused.status_code == 400
    assert "already used" in reused.content.decode()
    assert Response.objects.filter(survey=survey).count() == 1
    assert AccessCode.objects.filter(survey=survey, spent=True).count() == 1


@pytest.mark.django_db
def test_reminders_go_only_to_people_who_have_not_answered(survey_factory: Any):
    survey = survey_factory(mode="invitations")
    first, second = _invite(survey, 2)
    assert services.invitations_send(survey=survey) == 2
    services.response_submit_invitation(
        invitation_id=first.pk, answers=services.Answers({"con1": 5}, {})
    )
    mail.outbox.clear()
    from django.core.management import call_command

    call_command("survey_reminders")
    assert [m.to for m in mail.outbox] == [["p1@example.org"]]
    assert services.invitation_token(second) in mail.outbox[0].body
    survey.refresh_from_db()
    assert survey.reminders_sent == 1


@pytest.mark.django_db
def test_the_reminder_task_sends_reminders(survey_factory: Any):
    from ristra.surveys.tasks import survey_reminders_task

    survey = survey_factory(mode="invitations")
    _invite(survey, 1)
    services.invitations_send(survey=survey)
    result = survey_reminders_task.enqueue()
    assert result.return_value == 1
