"""The plans screens in a real browser, checked by axe-core (WCAG 2.2 AA)."""

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


def test_plans_screens_pass_axe(
    browser: Any,  # noqa: F811 - the imported fixture
    live_server: Any,
) -> None:
    from ristra.accounts.models import User
    from ristra.people.demo import build_demo_school
    from ristra.plans.demo import seed_plans
    from ristra.plans.models import Action, CompletionBatch, Indicator, Plan, Search, Training

    build_demo_school(seed=7, scale="small")
    seed_plans()
    plan = Plan.objects.get(parent=None)
    training = Training.objects.order_by("id").first()
    assert training is not None
    paths = [
        reverse("plans:home"),
        reverse("plans:plan", args=[plan.pk]),
        reverse("plans:plan_new"),
        reverse("plans:action", args=[Action.objects.order_by("id").first().pk]),  # type: ignore[union-attr]
        reverse("plans:indicator", args=[Indicator.objects.order_by("id").first().pk]),  # type: ignore[union-attr]
        reverse("plans:indicator_new", args=[plan.goals.first().pk]),  # type: ignore[union-attr]
        reverse("plans:trainings"),
        reverse("plans:overdue", args=[training.pk]),
        reverse("plans:upload", args=[training.pk]),
        reverse("plans:batch", args=[CompletionBatch.objects.order_by("id").first().pk]),  # type: ignore[union-attr]
        reverse("plans:searches"),
        reverse("plans:search", args=[Search.objects.order_by("id").first().pk]),  # type: ignore[union-attr]
        reverse("plans:checklist_templates"),
        reverse("plans:checklist_template_new"),
    ]
    site = {"url": live_server.url}
    found: dict[str, list[str]] = {}
    for contrast in ("light", "high"):
        page = page_for(browser, site, User.objects.get(username="admin"), contrast=contrast)
        for path in paths if contrast == "light" else paths[:4]:
            page.goto(site["url"] + path)
            problems = violations(page)
            if problems:
                found[f"{contrast} {path}"] = problems
    assert found == {}
