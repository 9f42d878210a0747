"""Every survey screen refuses the wrong role (403 or 404)."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from ristra.surveys.tests.conftest import fill

MANAGER_SCREENS = [
    ("surveys:new", False),
    ("surveys:detail", True),
    ("surveys:instrument", True),
    ("surveys:preview", True),
    ("surveys:import", True),
    ("surveys:benchmark", True),
    ("surveys:action_new", True),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "with_id"), MANAGER_SCREENS)
@pytest.mark.parametrize("who", ["manager", "viewer", "decider", "mentor", "outsider"])
def test_only_analysts_and_administrators_run_surveys(
    client_for: Any, survey_factory: Any, name: str, with_id: bool, who: str
):
    survey = survey_factory()
    url = reverse(name, args=[survey.pk] if with_id else [])
    assert client_for(who).get(url).status_code in (403, 404)
    assert client_for("analyst").get(url).status_code == 200
    assert client_for("admin").get(url).status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["surveys:status", "surveys:invite", "surveys:codes"])
@pytest.mark.parametrize("who", ["manager", "viewer", "decider", "outsider"])
def test_posts_are_refused_to_other_roles(
    client_for: Any, survey_factory: Any, name: str, who: str
):
    survey = survey_factory(mode="invitations")
    response = client_for(who).post(reverse(name, args=[survey.pk]), {"action": "publish"})
    assert response.status_code in (403, 404)
    survey.refresh_from_db()
    assert not survey.published


@pytest.mark.django_db
def test_anonymous_visitors_are_sent_to_sign_in(client_for: Any, survey_factory: Any):
    survey = survey_factory()
    response = client_for(None).get(reverse("surveys:results", args=[survey.pk]))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["manager", "viewer", "decider"])
def test_other_roles_see_results_only_once_published(
    client_for: Any, survey_factory: Any, who: str
):
    survey = survey_factory()
    fill(survey, 40)
    url = reverse("surveys:results", args=[survey.pk])
    assert client_for(who).get(url).status_code == 404
    assert client_for(who).get(reverse("surveys:home")).status_code == 200
    survey.published = True
    survey.save()
    page = client_for(who).get(url)
    assert page.status_code == 200
    body = page.content.decode()
    if who == "decider":
        assert "by_role" not in body and "Break down by" not in body
        assert "not shown to your account" in body
    else:
        assert "h-by_role" in body


@pytest.mark.django_db
def test_the_outsider_sees_no_results(client_for: Any, survey_factory: Any):
    survey = survey_factory(published=True)
    assert (
        client_for("outsider").get(reverse("surveys:results", args=[survey.pk])).status_code == 403
    )


@pytest.mark.django_db
def test_an_action_item_is_listed_on_the_survey(client_for: Any, survey_factory: Any, cast: Any):
    survey = survey_factory()
    client = client_for("analyst")
    response = client.post(
        reverse("surveys:action_new", args=[survey.pk]),
        {
            "kind": "gap",
            "finding": "Staff report less voice in decisions",
            "action": "Open staff seats on the planning committee",
            "owner": cast["manager"].pk,
            "due_on": "2026-12-01",
            "status": "open",
        },
    )
    assert response.status_code == 302
    page = client.get(reverse("surveys:detail", args=[survey.pk])).content.decode()
    assert "Staff report less voice in decisions" in page
