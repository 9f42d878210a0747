from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from ristra.accounts.models import User
from ristra.mentoring.demo import seed_mentoring
from ristra.mentoring.models import Cycle, Pair, Program
from ristra.people.demo import build_demo_school


@pytest.fixture
def demo(db: Any) -> Any:
    build_demo_school(seed=7, scale="small")
    return seed_mentoring()


def test_the_demo_program_is_published_and_meaningful_for_the_demo_accounts(
    client: Any, demo: Any
) -> None:
    assert demo is not None
    program = Program.objects.get(slug="gme-mentorship-2027")
    published, spring = Cycle.objects.filter(program=program).order_by("starts_on")
    assert published.status == "published" and spring.status == "enrolling"
    assert 50 <= published.enrolments.count() <= 70
    assert Pair.objects.filter(cycle=published).count() >= 35
    assert published.enrolments.exclude(person=None).count() >= 50
    # The viewer is a mentee of the demo mentor, with reasons.
    viewer = User.objects.get(username="viewer")
    pair = Pair.objects.get(mentee__user=viewer)
    assert pair.mentor.user.username == "mentor"
    client.force_login(viewer)
    page = client.get(reverse("mentoring:pair", args=[pair.pk])).content.decode()
    assert "shared interest: health-equity research" in page
    # The demo 'mentee' account (a participant, no office role) is the mentor's mentee too.
    mentee = User.objects.get(username="mentee")
    assert mentee.role == "participant" and mentee.check_password("ristra-demo-2026")
    assert User.objects.get(username="mentor").role == "participant"
    own = Pair.objects.get(mentee__user=mentee)
    assert own.mentor.user.username == "mentor"
    client.force_login(mentee)
    page = client.get(reverse("mentoring:pair", args=[own.pk])).content.decode()
    assert "shared interest: health-equity research" in page
    assert client.get(reverse("reports:home")).status_code == 403
    client.force_login(User.objects.get(username="mentor"))
    home = client.get(reverse("mentoring:home")).content.decode()
    assert reverse("mentoring:pair", args=[own.pk]) in home
    assert reverse("mentoring:pair", args=[pair.pk]) in home
    # The manager manages it and can run the open cycle.
    client.force_login(User.objects.get(username="manager"))
    assert client.get(reverse("mentoring:cycle", args=[published.pk])).status_code == 200
    r = client.post(reverse("mentoring:matching", args=[spring.pk]), {"action": "run"})
    assert r.status_code == 302
    assert spring.runs.count() == 4
    # Seeding again leaves it alone; replace builds it afresh.
    assert seed_mentoring() is None
    again = seed_mentoring(replace=True)
    assert again is not None and again.pairs == demo.pairs
