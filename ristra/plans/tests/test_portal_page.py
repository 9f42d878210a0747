"""The public "you said, we did" page shows public goals with suppressed numbers only."""

from __future__ import annotations

from typing import Any

from django.test import RequestFactory
from wagtail.models import Page

from ristra.plans.models import Goal, IndicatorReading, PlanProgressPage, ReadingStatus


def test_the_progress_page_publishes_public_goals_and_published_values(
    world: dict[str, Any],
) -> None:
    hidden_goal = Goal.objects.create(
        plan=world["plan"], area="campus_climate", title="Secret goal"
    )
    IndicatorReading.objects.create(
        indicator=world["plain"],
        as_of=world["demographic"].readings.get().as_of,
        status=ReadingStatus.OK,
        measure_key="mentoring_match_rate",
        value=None,
        numerator=None,
        denominator=None,
        suppressed=True,
    )
    root = Page.get_first_root_node()
    page = root.add_child(
        instance=PlanProgressPage(title="You said, we did", slug="said-did", plan=world["plan"])
    )
    from django.contrib.auth.models import AnonymousUser

    request = RequestFactory().get("/")
    request.user = AnonymousUser()
    response = page.serve(request)
    html = response.render().content.decode()
    assert "Hire well" in html and "Adopt the checklist" in html
    assert "45.7%" in html  # the stored, published value
    assert hidden_goal.title not in html
    assert "<td>*" in html  # a suppressed reading shows the marker
    assert "Privacy protection" in html
