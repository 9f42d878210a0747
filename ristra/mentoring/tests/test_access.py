"""Every mentoring screen refuses the wrong roles (403 for no permission, 404 for an object
the user may not know exists), and participants never see each other's private answers."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from ristra.mentoring import services
from ristra.mentoring.models import MatchRun, Pair, PairConstraint

from .conftest import enrol, make_user

WRONG_FOR_MANAGER_SCREENS = [
    "analyst",
    "viewer",
    "decider",
    "mentor",
    "mentee",
    "participant_mentor",
    "participant_mentee",
    "outsider",
]


@pytest.fixture
def published(cast: dict[str, Any], cycle: Any) -> dict[str, Any]:
    mentor = enrol(cycle, cast["mentor"], "mentor", specialty="Pediatrics", identity="No")
    mentee = enrol(
        cycle,
        cast["mentee"],
        "mentee",
        specialty="Pediatrics",
        identity="Yes",
        goals="Find my research niche",
        prefs=["identity"],
    )
    other_mentor = enrol(cycle, make_user("olga"), "mentor", specialty="Surgery")
    other_mentee = enrol(cycle, make_user("zed"), "mentee", specialty="Surgery")
    runs = services.match_runs_create(cycle=cycle, user=cast["manager"], policies=["stable"])
    constraint = services.constraint_set(
        cycle=cycle, kind="forbid", mentee=other_mentee, mentor=mentor, user=cast["manager"]
    )
    services.match_run_publish(run=runs[0], user=cast["manager"])
    return {
        "run": runs[0],
        "pair": Pair.objects.get(mentee=mentee),
        "other_pair": Pair.objects.get(mentee=other_mentee),
        "mentor": mentor,
        "other_mentor": other_mentor,
        "constraint": constraint,
    }


def manager_urls(cycle: Any, published: dict[str, Any]) -> list[tuple[str, str]]:
    slug = cycle.program.slug
    q = cycle.program.questions.first()
    return [
        ("get", reverse("mentoring:program", args=[slug])),
        ("get", reverse("mentoring:form", args=[slug])),
        ("get", reverse("mentoring:question", args=[slug, q.pk])),
        ("post", reverse("mentoring:question_move", args=[slug, q.pk])),
        ("post", reverse("mentoring:question_delete", args=[slug, q.pk])),
        ("get", reverse("mentoring:cycle_new", args=[slug])),
        ("get", reverse("mentoring:cycle", args=[cycle.pk])),
        ("post", reverse("mentoring:cycle_status", args=[cycle.pk])),
        ("get", reverse("mentoring:matching", args=[cycle.pk])),
        (
            "post",
            reverse("mentoring:constraint_delete", args=[cycle.pk, published["constraint"].pk]),
        ),
        ("get", reverse("mentoring:run", args=[published["run"].pk])),
        ("post", reverse("mentoring:run_publish", args=[published["run"].pk])),
        ("get", reverse("mentoring:health", args=[cycle.pk])),
        ("get", reverse("mentoring:equity", args=[cycle.pk])),
    ]


@pytest.mark.parametrize("who", WRONG_FOR_MANAGER_SCREENS)
def test_it_refuses_manager_screens_to_other_roles(
    client_for: Any, who: str, cycle: Any, published: dict[str, Any]
) -> None:
    c = client_for(who)
    for method, url in manager_urls(cycle, published):
        response = getattr(c, method)(url)
        assert response.status_code in (403, 404), (who, url, response.status_code)
    assert PairConstraint.objects.filter(pk=published["constraint"].pk).exists()


def test_it_refuses_a_manager_of_another_program(
    client_for: Any, cast: dict[str, Any], other_program: Any
) -> None:
    cycle = other_program.cycles.get()
    enrol(cycle, cast["mentor"], "mentor", specialty="Pediatrics")
    enrol(cycle, cast["mentee"], "mentee", specialty="Pediatrics")
    runs = services.match_runs_create(cycle=cycle, user=cast["admin"], policies=["stable"])
    constraint = services.constraint_set(
        cycle=cycle,
        kind="pin",
        mentee=cycle.enrolments.get(role="mentee"),
        mentor=cycle.enrolments.get(role="mentor"),
        user=cast["admin"],
    )
    pair = services.match_run_publish(run=runs[0], user=cast["admin"])[0]
    c = client_for("manager")
    urls = manager_urls(cycle, {"run": runs[0], "constraint": constraint})
    urls.append(("get", reverse("mentoring:pair", args=[pair.pk])))
    for method, url in urls:
        assert getattr(c, method)(url).status_code == 404, url
    # The administrator may.
    a = client_for("admin")
    assert a.get(reverse("mentoring:cycle", args=[cycle.pk])).status_code == 200


def test_managers_and_admins_open_every_manager_screen(
    client_for: Any, cycle: Any, published: dict[str, Any]
) -> None:
    for who in ("manager", "admin"):
        c = client_for(who)
        for method, url in manager_urls(cycle, published):
            if method == "get":
                assert c.get(url).status_code == 200, (who, url)


def test_equity_audit_is_walled_off_from_a_decision_maker(
    client_for: Any, cycle: Any, published: dict[str, Any]
) -> None:
    url = reverse("mentoring:equity", args=[cycle.pk])
    assert client_for("decider_admin").get(url).status_code == 404
    assert (
        client_for("decider_admin").get(reverse("mentoring:cycle", args=[cycle.pk])).status_code
        == 200
    )


def test_anonymous_is_sent_to_sign_in(client_for: Any, cycle: Any) -> None:
    c = client_for(None)
    for url in (reverse("mentoring:home"), reverse("mentoring:enrol", args=[cycle.pk])):
        assert c.get(url).status_code == 302


def test_it_refuses_participant_screens_to_outsiders(
    client_for: Any, cycle: Any, published: dict[str, Any]
) -> None:
    c = client_for("outsider")
    for url in (
        reverse("mentoring:home"),
        reverse("mentoring:enrol", args=[cycle.pk]),
        reverse("mentoring:pair", args=[published["pair"].pk]),
        reverse("mentoring:service_record", args=["csv"]),
        reverse("mentoring:program_new"),
    ):
        assert c.get(url).status_code == 403, url


@pytest.mark.parametrize("who", ["viewer", "analyst", "decider", "decider_admin"])
def test_a_pair_is_hidden_from_people_outside_it(
    client_for: Any, who: str, published: dict[str, Any]
) -> None:
    url = reverse("mentoring:pair", args=[published["pair"].pk])
    if who == "decider_admin":  # an administrator manages every program
        assert client_for(who).get(url).status_code == 200
    else:
        assert client_for(who).get(url).status_code == 404


def test_a_mentee_cannot_open_someone_elses_pair(
    client_for: Any, published: dict[str, Any]
) -> None:
    c = client_for("mentee")
    assert c.get(reverse("mentoring:pair", args=[published["pair"].pk])).status_code == 200
    assert c.get(reverse("mentoring:pair", args=[published["other_pair"].pk])).status_code == 404
    # Nor post to it.
    r = c.post(
        reverse("mentoring:pair", args=[published["other_pair"].pk]),
        {"action": "goal", "text": "x"},
    )
    assert r.status_code == 404


def test_only_admins_and_program_managers_create_programs(client_for: Any) -> None:
    for who in ("analyst", "viewer", "decider", "mentor"):
        assert client_for(who).get(reverse("mentoring:program_new")).status_code == 403
    for who in ("manager", "admin"):
        assert client_for(who).get(reverse("mentoring:program_new")).status_code == 200


def test_a_manager_cannot_create_a_program_under_a_scope_they_do_not_manage(
    client_for: Any, other_program: Any
) -> None:
    r = client_for("manager").post(
        reverse("mentoring:program_new"),
        {"name": "X", "slug": "x", "scope": other_program.scope_id, "mode": "assigned"},
    )
    assert r.status_code == 200  # the form refuses the scope
    assert "scope" in r.context["form"].errors


def test_enrolment_of_a_draft_cycle_is_not_found(client_for: Any, cycle: Any) -> None:
    cycle.status = "draft"
    cycle.save()
    assert client_for("viewer").get(reverse("mentoring:enrol", args=[cycle.pk])).status_code == 404


def test_participants_never_see_each_others_private_answers(
    client_for: Any, cycle: Any, published: dict[str, Any]
) -> None:
    mentor_page = client_for("mentor").get(reverse("mentoring:pair", args=[published["pair"].pk]))
    text = mentor_page.content.decode()
    assert "Find my research niche" in text  # a public answer
    assert "underrepresented" not in text  # the private question is not shown
    assert "matches a stated preference" not in text or "Yes" not in text
    # The manager's enrolment list leaves private answers out too.
    manager_page = client_for("manager").get(reverse("mentoring:cycle", args=[cycle.pk]))
    assert "underrepresented" not in manager_page.content.decode()


def test_a_private_preference_reason_never_shows_its_value(
    client_for: Any, cast: dict[str, Any], cycle: Any
) -> None:
    enrol(cycle, cast["mentor"], "mentor", specialty="Pediatrics", identity="Yes")
    enrol(
        cycle, cast["mentee"], "mentee", specialty="Pediatrics", identity="Yes", prefs=["identity"]
    )
    run = services.match_runs_create(cycle=cycle, user=cast["manager"], policies=["stable"])[0]
    pair = services.match_run_publish(run=run, user=cast["manager"])[0]
    assert [r["values"] for r in pair.reasons if r["criterion"] == "identity"] == [[]]
    page = client_for("mentee").get(reverse("mentoring:pair", args=[pair.pk])).content.decode()
    assert "matches a stated preference" in page
    assert "identity" not in page.lower().replace("identify", "")


def test_the_service_record_lists_only_the_mentors_own_mentees(
    client_for: Any, published: dict[str, Any]
) -> None:
    body = client_for("mentor").get(reverse("mentoring:service_record", args=["csv"])).content
    assert b"Hana" in body and b"zed" not in body
    assert (
        client_for("mentor").get(reverse("mentoring:service_record", args=["xlsx"])).status_code
        == 200
    )
    assert (
        client_for("mentee")
        .get(reverse("mentoring:service_record", args=["csv"]))
        .content.count(b"\n")
        == 1
    )


def test_a_request_can_be_answered_only_by_its_mentor(
    client_for: Any, cast: dict[str, Any], cycle: Any
) -> None:
    from ristra.mentoring.models import MentorRequest

    cycle.program.mode = "self_match"
    cycle.program.save()
    enrol(cycle, cast["mentor"], "mentor", specialty="Pediatrics")
    mentee = enrol(cycle, cast["mentee"], "mentee", specialty="Pediatrics")
    services.requests_submit(
        cycle=cycle, mentee=mentee, mentor_ids=[cycle.enrolments.get(role="mentor").pk]
    )
    req = MentorRequest.objects.get()
    for who in ("mentee", "manager", "viewer"):
        r = client_for(who).post(
            reverse("mentoring:request_respond", args=[req.pk]), {"answer": "accept"}
        )
        assert r.status_code == 404, who
    assert (
        client_for("outsider").post(reverse("mentoring:request_respond", args=[req.pk])).status_code
        == 403
    )


def test_runs_are_kept_and_reproducible(cast: dict[str, Any], published: dict[str, Any]) -> None:
    run: MatchRun = published["run"]
    again = services.match_run_reproduce(run)
    assert [(p.mentee, p.mentor) for p in again.pairs] == [
        (p["mentee"], p["mentor"]) for p in run.result["pairs"]
    ]
