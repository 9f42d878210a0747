"""The survey screens in a real browser, checked by axe-core (WCAG 2.2 AA)."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from ristra.core.tests.test_accessibility import (  # noqa: F401 - the browser fixture
    READY,
    browser,
    page_for,
    violations,
)

pytestmark = [
    pytest.mark.skipif(not READY, reason="needs chromium and node_modules/axe-core"),
    pytest.mark.django_db(transaction=True),
]


def test_survey_screens_pass_axe(
    browser: Any,  # noqa: F811 - the imported fixture
    live_server: Any,
) -> None:
    from ristra.accounts.models import Role, User
    from ristra.surveys import services
    from ristra.surveys.tests.conftest import example_text, fill

    analyst, _ = User.objects.get_or_create(
        username="survey-analyst", defaults={"role": Role.ANALYST}
    )
    old = services.survey_create(
        title="Climate", wave="2025", mode="link", instrument_text=example_text(), status="closed"
    )
    fill(old, 60, seed=4)
    survey = services.survey_create(
        title="Climate",
        wave="2026",
        mode="link",
        instrument_text=example_text(),
        status="open",
        filter_split="role",
    )
    fill(survey, 60, groups={"role": ["Faculty", "Staff"], "gender": ["Woman", "Man"]})
    site = {"url": live_server.url}
    paths = [
        reverse("surveys:home"),
        reverse("surveys:new"),
        reverse("surveys:detail", args=[survey.pk]),
        reverse("surveys:instrument", args=[survey.pk]),
        reverse("surveys:builder", args=[survey.pk]),
        reverse("surveys:builder_item_new", args=[survey.pk]) + "?section=0",
        reverse("surveys:builder_item", args=[survey.pk, "con1"]),
        reverse("surveys:builder_section", args=[survey.pk, 0]),
        reverse("surveys:builder_scale", args=[survey.pk, "agree5"]),
        reverse("surveys:builder_details", args=[survey.pk]),
        reverse("surveys:builder_labels", args=[survey.pk]),
        reverse("surveys:builder_item_remove", args=[survey.pk, "con1"]),
        reverse("surveys:builder_section_remove", args=[survey.pk, 0]),
        reverse("surveys:preview", args=[survey.pk]),
        reverse("surveys:import", args=[survey.pk]),
        reverse("surveys:benchmark", args=[survey.pk]),
        reverse("surveys:action_new", args=[survey.pk]),
        reverse("surveys:results", args=[survey.pk]),
        reverse("surveys:results", args=[survey.pk]) + "?by=role",
        reverse("surveys:results", args=[survey.pk]) + "?within=Faculty&by=gender",
    ]
    found: dict[str, list[str]] = {}
    page = page_for(browser, site, analyst)
    for path in paths:
        page.goto(site["url"] + path)
        problems = violations(page)
        if problems:
            found[path] = problems
    # Forms with their error summary: the builder's item form, and removals refused
    # because responses exist. The page's own button (the header's Sign out is a submit
    # button too), and the summary must be there: a check of another page proves nothing.
    refused = {
        "builder item form with errors": reverse("surveys:builder_item_new", args=[survey.pk]),
        "refused item removal": reverse("surveys:builder_item_remove", args=[survey.pk, "con1"]),
        "refused section removal": reverse("surveys:builder_section_remove", args=[survey.pk, 0]),
    }
    for name, path in refused.items():
        page.goto(site["url"] + path)
        page.click("main button[type=submit]")
        assert page.locator("#error-summary").count() == 1, (name, page.url)
        problems = violations(page)
        if problems:
            found[name] = problems
    # Results by unit, on an invitation survey that carries units.
    found.update(_unit_results_problems(page, site))
    # The respondent's form without an account, and with errors shown.
    anonymous = browser.new_context().new_page()
    anonymous.goto(site["url"] + reverse("surveys:respond_link", args=[survey.link_key]))
    problems = violations(anonymous)
    if problems:
        found["respondent form"] = problems
    assert found == {}


def _unit_results_problems(page: Any, site: dict[str, str]) -> dict[str, list[str]]:

    from ristra.surveys import services
    from ristra.surveys.models import UNIT_KEY
    from ristra.surveys.tests.conftest import example_text, people_in, unit_named

    survey = services.survey_create(
        title="Units",
        wave="2026",
        mode="invitations",
        instrument_text=example_text(),
        status="open",
        carry_unit=True,
        filter_split=UNIT_KEY,
    )
    people = []
    for name, n in (("Surgery", 12), ("Medicine", 10), ("Tiny Lab", 3)):
        people += people_in(unit_named(name), n)
    invitations = services.invitations_create(
        survey=survey, people=[(p, "Faculty", "") for p in people]
    )
    for n, invitation in enumerate(invitations[:20]):
        services.response_submit_invitation(
            invitation_id=invitation.pk,
            answers=services.Answers({"con1": 1 + n % 5, "voi1": 1 + n % 4}, {"role": "Faculty"}),
        )
    found = {}
    url = reverse("surveys:results", args=[survey.pk])
    for query in (f"?by={UNIT_KEY}", "?within=Surgery&by=gender"):
        page.goto(site["url"] + url + query)
        problems = violations(page)
        if problems:
            found[url + query] = problems
    return found
