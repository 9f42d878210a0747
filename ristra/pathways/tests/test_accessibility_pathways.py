"""The pathway screens in a real browser, checked by axe-core (WCAG 2.2 AA)."""

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


def test_pathway_screens_pass_axe(
    browser: Any,  # noqa: F811 - the imported fixture
    live_server: Any,
) -> None:
    from ristra.accounts.models import User
    from ristra.pathways.access import participant_token, partner_token
    from ristra.pathways.demo import seed_pathways
    from ristra.pathways.models import Link, LinkRun, PathwayProgram
    from ristra.people.demo import build_demo_school

    build_demo_school(seed=7, scale="small")
    seed_pathways()
    program = PathwayProgram.objects.get(slug="summer-academy")
    cohort = program.cohorts.get(year=2019)
    participant = Link.objects.filter(participant__cohort=cohort).first().participant  # type: ignore[union-attr]
    session = cohort.sessions.first()
    assert session is not None
    run = LinkRun.objects.filter(program=program).first()
    assert run is not None
    partner = program.partners.first()
    assert partner is not None
    site = {"url": live_server.url}
    paths = [
        reverse("pathways:home"),
        reverse("pathways:program_new"),
        reverse("pathways:program", args=[program.slug]),
        reverse("pathways:cohort", args=[cohort.pk]),
        reverse("pathways:attendance", args=[session.pk]),
        reverse("pathways:participant", args=[participant.pk]),
        reverse("pathways:review", args=[program.slug]),
        reverse("pathways:run", args=[run.pk]),
        reverse("pathways:outcomes", args=[program.slug]),
    ]
    found: dict[str, list[str]] = {}
    for contrast in ("light", "high"):
        page = page_for(browser, site, User.objects.get(username="manager"), contrast=contrast)
        for path in paths if contrast == "light" else paths[:4]:
            page.goto(site["url"] + path)
            problems = violations(page)
            if problems:
                found[f"{contrast} {path}"] = problems
    for path in (
        reverse("pathways:partner_page", args=[partner_token(partner, program)]),
        reverse("pathways:self_update", args=[participant_token(participant)]),
    ):
        page = browser.new_context().new_page()
        page.goto(site["url"] + path)
        problems = violations(page)
        if problems:
            found[f"anonymous {path}"] = problems
    assert found == {}
