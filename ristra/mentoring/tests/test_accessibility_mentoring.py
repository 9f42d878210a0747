"""The mentoring screens in a real browser, checked by axe-core (WCAG 2.2 AA)."""

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


def test_mentoring_screens_pass_axe(
    browser: Any,  # noqa: F811 - the imported fixture
    live_server: Any,
) -> None:
    from ristra.accounts.models import User
    from ristra.mentoring import services
    from ristra.mentoring.demo import seed_mentoring
    from ristra.mentoring.models import Cycle, Pair, Program
    from ristra.people.demo import build_demo_school

    build_demo_school(seed=7, scale="small")
    seed_mentoring()
    program = Program.objects.get()
    published, spring = Cycle.objects.order_by("starts_on")
    manager = User.objects.get(username="manager")
    services.match_runs_create(cycle=spring, user=manager)
    run = published.runs.first()
    assert run is not None
    pair = Pair.objects.get(mentee__user__username="viewer")
    own = Pair.objects.get(mentee__user__username="mentee")
    question = program.questions.first()
    assert question is not None
    program.offers_connections = True
    program.connection_topics = ["Choosing a specialty", "Research during residency"]
    program.save()
    site = {"url": live_server.url}
    screens = {
        "manager": [
            reverse("mentoring:home"),
            reverse("mentoring:program_new"),
            reverse("mentoring:program", args=[program.slug]),
            reverse("mentoring:form", args=[program.slug]),
            reverse("mentoring:question", args=[program.slug, question.pk]),
            reverse("mentoring:cycle_new", args=[program.slug]),
            reverse("mentoring:cycle", args=[published.pk]),
            reverse("mentoring:matching", args=[spring.pk]),
            reverse("mentoring:matching", args=[published.pk]),
            reverse("mentoring:run", args=[run.pk]),
            reverse("mentoring:health", args=[published.pk]),
            reverse("mentoring:equity", args=[published.pk]),
            reverse("mentoring:outcomes", args=[program.slug]),
            reverse("mentoring:connections", args=[program.slug]),
            reverse("mentoring:volunteer", args=[program.slug]),
        ],
        "viewer": [
            reverse("mentoring:home"),
            reverse("mentoring:pair", args=[pair.pk]),
            reverse("mentoring:enrol", args=[spring.pk]),
            reverse("mentoring:rank", args=[spring.pk]),
        ],
        # the demo's mentoring participants (no office role): what they see of the app
        "mentee": [
            reverse("mentoring:home"),
            reverse("mentoring:pair", args=[own.pk]),
            reverse("mentoring:enrol", args=[spring.pk]),
        ],
        "mentor": [reverse("mentoring:home"), reverse("mentoring:pair", args=[own.pk])],
    }
    found: dict[str, list[str]] = {}
    for contrast in ("light", "high"):
        for who, paths in screens.items():
            page = page_for(browser, site, User.objects.get(username=who), contrast=contrast)
            for path in paths if contrast == "light" else paths[:3]:
                page.goto(site["url"] + path)
                problems = violations(page)
                if problems:
                    found[f"{contrast} {who} {path}"] = problems
    # The public request form, as an applicant without an account sees it.
    page = browser.new_context().new_page()
    page.goto(site["url"] + reverse("mentoring:connect", args=[program.slug]))
    problems = violations(page)
    if problems:
        found["anonymous connect"] = problems
    assert found == {}
