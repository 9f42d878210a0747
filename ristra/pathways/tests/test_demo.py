"""The demo programs: later applicants among the 2017-2020 cohorts, linked, with honest
numbers in the outcome report."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from ristra.accounts.models import User
from ristra.pathways.demo import seed_pathways
from ristra.pathways.models import Cohort, Link, LinkStatus, Participant, PathwayProgram
from ristra.people.demo import build_demo_school


@pytest.fixture
def demo(db: Any) -> Any:
    build_demo_school(seed=7, scale="small")
    return seed_pathways()


def test_the_demo_has_programs_cohorts_participants_and_links(client: Any, demo: Any) -> None:
    assert demo is not None
    academy = PathwayProgram.objects.get(slug="summer-academy")
    assert Cohort.objects.filter(program=academy, year__range=(2017, 2020)).count() == 4
    assert Participant.objects.filter(cohort__program=academy).count() == 7 * 59
    linked = Link.objects.filter(status=LinkStatus.LINKED, participant__cohort__program=academy)
    # 24 later applicants per 2017-2020 cohort plus 4 waitlisted, most found again.
    assert 70 <= linked.count() <= 4 * 28
    # Every automatic link explains itself.
    for link in linked[:20]:
        assert link.evidence and link.driving_comparison() is not None
        assert link.decisions.count() >= 1
    # A link is to the same person, spelled as the office typed it.
    wrong = [
        link
        for link in linked.select_related("participant", "person")
        if link.person.birth_date != link.participant.birth_date
        and link.participant.birth_date is not None
        and link.person.birth_date is not None
        and (link.person.birth_date.day, link.person.birth_date.month)
        != (link.participant.birth_date.month, link.participant.birth_date.day)
    ]
    assert len(wrong) <= 2
    client.force_login(User.objects.get(username="manager"))
    page = client.get(reverse("pathways:outcomes", args=["summer-academy"]))
    assert page.status_code == 200
    text = page.content.decode()
    assert "cohort yield" in text
    assert "Applicant-level acceptance" in text or "applicant-level acceptance" in text
    # Seeding again leaves it alone.
    assert seed_pathways() is None
