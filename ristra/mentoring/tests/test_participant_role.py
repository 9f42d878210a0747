"""The mentoring participant role: a resident, fellow or faculty member with no office role.

They sign in straight to Mentoring, take part in the whole flow there (enrol, see their
match and its reasons, goals and check-ins, self-match requests, volunteering, a service
record), and every office screen and every manager screen answers 403 or 404.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from ristra.accounts import access
from ristra.mentoring import services
from ristra.mentoring.models import CheckIn, Enrolment, Goal, MentorRequest, Pair

from .conftest import enrol, make_user
from .test_access import manager_urls

PARTICIPANTS = ["participant_mentor", "participant_mentee"]

# Office screens (no arguments needed): every one refuses a participant.
OFFICE_SCREENS = [
    "people:search",
    "people:imports",
    "people:import_upload",
    "people:profiles",
    "audit:log",
    "accounts:users",
    "reports:home",
    "plans:home",
    "pathways:home",
    "surveys:home",
    "api_tokens",
    "mentoring:program_new",
]


@pytest.mark.parametrize("who", PARTICIPANTS)
@pytest.mark.parametrize("name", OFFICE_SCREENS)
def test_a_participant_is_refused_every_office_screen(client_for: Any, who: str, name: str) -> None:
    response = client_for(who).get(reverse(name))
    assert response.status_code in (403, 404), (who, name, response.status_code)


@pytest.mark.parametrize("who", PARTICIPANTS)
def test_a_participant_holds_only_the_mentoring_permission(cast: dict[str, Any], who: str) -> None:
    user = cast[who]
    assert access.can(user, access.MENTORING_PARTICIPATE)
    for perm in (
        access.VIEW_AGGREGATES,
        access.VIEW_DEMOGRAPHIC_AGGREGATES,
        access.VIEW_IDENTITY,
        access.VIEW_DEMOGRAPHICS,
        access.IMPORT_DATA,
        access.VIEW_AUDIT_LOG,
        access.MANAGE_USERS,
        access.MANAGE_DEFINITIONS,
        access.MENTORING_CREATE_PROGRAM,
        access.PLANS_WRITE,
        access.SURVEYS_MANAGE,
    ):
        assert not access.can(user, perm), perm
    assert not access.can(user, access.MANAGE_PROGRAM, "gme-mentorship-2027")


def test_an_inactive_participant_is_refused_mentoring(
    client_for: Any, cast: dict[str, Any]
) -> None:
    user = cast["participant_mentee"]
    user.is_active = False
    user.save()
    assert not access.can(user, access.MENTORING_PARTICIPATE)


def test_a_participant_signs_in_to_mentoring_and_sees_only_mentoring(
    client: Any, cast: dict[str, Any], cycle: Any
) -> None:
    user = cast["participant_mentee"]
    user.set_password("a long enough demo password")
    user.save()
    response = client.post(
        reverse("account_login"),
        {"login": user.username, "password": "a long enough demo password"},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == reverse("mentoring:home")
    page = response.content.decode()
    assert cycle.name in page  # the open cycle to enrol in
    for name in ("reports:home", "plans:home", "pathways:home", "surveys:home", "api_tokens"):
        assert f'href="{reverse(name)}"' not in page, name
    assert f'href="{reverse("people:search")}"' not in page
    assert f'href="{reverse("mentoring:home")}"' in page
    # The office home sends them back to mentoring; staff still get the office home.
    assert client.get(reverse("home"))["Location"] == reverse("mentoring:home")
    client.force_login(cast["viewer"])
    assert client.get(reverse("home")).status_code == 200


def test_participants_run_the_whole_flow_in_the_pages(
    client_for: Any, cast: dict[str, Any], cycle: Any
) -> None:
    mentor = client_for("participant_mentor")
    r = mentor.post(
        reverse("mentoring:enrol", args=[cycle.pk]),
        {
            "role": "mentor",
            "capacity": 2,
            "q_specialty": "Pediatrics",
            "q_interests": ["health-equity research", "teaching"],
            "q_identity": "Yes",
        },
    )
    assert r.status_code == 302, r.content
    mentee = client_for("participant_mentee")
    r = mentee.post(
        reverse("mentoring:enrol", args=[cycle.pk]),
        {
            "role": "mentee",
            "capacity": 1,
            "q_specialty": "Pediatrics",
            "q_interests": ["health-equity research"],
            "q_identity": "Yes",
            "q_goals": "Publish my first paper",
        },
    )
    assert r.status_code == 302, r.content
    enrol(cycle, make_user("olga"), "mentor", specialty="Surgery")
    other = enrol(cycle, make_user("zed"), "mentee", specialty="Surgery", goals="zed's own goal")
    assert Enrolment.objects.filter(cycle=cycle).count() == 4

    manager = client_for("manager")
    r = manager.post(reverse("mentoring:matching", args=[cycle.pk]), {"action": "run"})
    assert r.status_code == 302
    run = cycle.runs.get(policy="stable")
    assert manager.post(reverse("mentoring:run_publish", args=[run.pk])).status_code == 302
    pair = Pair.objects.get(mentee__user=cast["participant_mentee"])
    assert pair.mentor.user == cast["participant_mentor"]
    other_pair = Pair.objects.get(mentee=other)

    # The mentee finds the pair from their home page and sees the reasons. (One test
    # client: each client_for signs it in as that person.)
    mentee = client_for("participant_mentee")
    home = mentee.get(reverse("mentoring:home")).content.decode()
    assert reverse("mentoring:pair", args=[pair.pk]) in home
    page = mentee.get(reverse("mentoring:pair", args=[pair.pk])).content.decode()
    assert "Jonas" in page
    assert "both in Pediatrics" in page and "shared interest: health-equity research" in page
    assert "underrepresented" not in page  # the private question never shows
    r = mentee.post(
        reverse("mentoring:pair", args=[pair.pk]), {"action": "goal", "text": "Submit an abstract"}
    )
    assert r.status_code == 302
    assert Goal.objects.filter(pair=pair, text="Submit an abstract").exists()

    # The mentor sees the mentee's public answer, not the private one, and logs a check-in.
    mentor = client_for("participant_mentor")
    page = mentor.get(reverse("mentoring:pair", args=[pair.pk])).content.decode()
    assert "Publish my first paper" in page and "Kiri" in page
    assert "underrepresented" not in page and "zed's own goal" not in page
    r = mentor.post(
        reverse("mentoring:pair", args=[pair.pk]),
        {"action": "checkin", "met_on": str(cycle.starts_on), "minutes": 45, "note": "first"},
    )
    assert r.status_code == 302
    assert CheckIn.objects.filter(pair=pair, minutes=45).exists()
    record = mentor.get(reverse("mentoring:service_record", args=["csv"])).content
    assert b"Kiri" in record and b"zed" not in record

    # Neither reaches another pair, the run, or any manager screen.
    urls = manager_urls(cycle, {"run": run, "constraint": _constraint(cycle, cast["manager"])})
    for who in PARTICIPANTS:
        c = client_for(who)
        assert c.get(reverse("mentoring:pair", args=[other_pair.pk])).status_code == 404
        for method, url in urls:
            assert getattr(c, method)(url).status_code in (403, 404), (who, url)


def test_participants_use_self_match_and_volunteer(
    client_for: Any, cast: dict[str, Any], cycle: Any
) -> None:
    cycle.program.mode = "self_match"
    cycle.program.offers_connections = True
    cycle.program.save()
    mentor = enrol(
        cycle, cast["participant_mentor"], "mentor", specialty="Pediatrics", interests=["teaching"]
    )
    enrol(
        cycle, cast["participant_mentee"], "mentee", specialty="Pediatrics", interests=["teaching"]
    )
    mentee = client_for("participant_mentee")
    page = mentee.get(reverse("mentoring:suggestions", args=[cycle.pk])).content.decode()
    assert "both in Pediatrics; shared interest: teaching" in page
    r = mentee.post(reverse("mentoring:suggestions", args=[cycle.pk]), {"choice_1": mentor.pk})
    assert r.status_code == 302
    req = MentorRequest.objects.get(mentor=mentor)
    # Only the mentor answers it.
    assert (
        mentee.post(
            reverse("mentoring:request_respond", args=[req.pk]), {"answer": "accept"}
        ).status_code
        == 404
    )
    r = client_for("participant_mentor").post(
        reverse("mentoring:request_respond", args=[req.pk]), {"answer": "accept"}
    )
    assert r.status_code == 302
    assert Pair.objects.filter(mentor=mentor, mentee__user=cast["participant_mentee"]).exists()
    # A participant may volunteer for one-time connections, not coordinate them.
    volunteer = client_for("participant_mentor")
    slug = cycle.program.slug
    assert volunteer.get(reverse("mentoring:volunteer", args=[slug])).status_code == 200
    assert volunteer.get(reverse("mentoring:connections", args=[slug])).status_code == 404
    assert volunteer.get(reverse("mentoring:outcomes", args=[slug])).status_code == 404


def _constraint(cycle: Any, manager: Any) -> Any:
    mentee = cycle.enrolments.get(user__username="zed")
    mentor = cycle.enrolments.get(user__username="olga")
    return services.constraint_set(
        cycle=cycle, kind="forbid", mentee=mentee, mentor=mentor, user=manager
    )
