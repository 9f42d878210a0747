"""The instrument screen once responses exist: safe edits are saved, breaking ones refused."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from ristra.surveys.tests.conftest import example_text, fill


@pytest.mark.django_db
def test_wording_can_be_fixed_after_responses_arrive(client_for: Any, survey_factory: Any):
    survey = survey_factory()
    fill(survey, 6)
    text = example_text().replace("Which best describes your role?", "Which describes your role?")
    response = client_for("analyst").post(
        reverse("surveys:instrument", args=[survey.pk]), {"text": text, "fmt": "yaml", "save": "1"}
    )
    assert response.status_code == 302
    survey.refresh_from_db()
    assert "Which describes your role?" in survey.instrument_text


@pytest.mark.django_db
def test_a_change_that_would_rescore_answers_is_refused_with_the_reason(
    client_for: Any, survey_factory: Any
):
    survey = survey_factory()
    fill(survey, 6)
    before = survey.instrument_text
    text = example_text().replace("Student, Resident or fellow, Faculty, Staff", "Student, Staff")
    response = client_for("analyst").post(
        reverse("surveys:instrument", args=[survey.pk]), {"text": text, "fmt": "yaml", "save": "1"}
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "Responses exist, so this change would break them" in body
    assert (
        "item &#x27;role&#x27;: options &#x27;Resident or fellow&#x27;, &#x27;Faculty&#x27;" in body
    )
    survey.refresh_from_db()
    assert survey.instrument_text == before


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["manager", "viewer", "decider", "mentor", "outsider"])
def test_other_roles_cannot_edit_the_instrument(client_for: Any, survey_factory: Any, who: str):
    survey = survey_factory()
    url = reverse("surveys:instrument", args=[survey.pk])
    assert client_for(who).post(url, {"text": example_text(), "fmt": "yaml"}).status_code in (
        403,
        404,
    )
