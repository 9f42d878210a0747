"""Every plans screen refuses the wrong roles: 403 without the permission, 404 for an
object that does not exist, a sign-in redirect for anonymous visitors."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

STAFF = ["admin", "analyst", "manager", "viewer", "decider", "decider_admin", "mentor", "mentee"]
WRITERS = ["admin", "analyst"]
IDENTITY = ["admin", "analyst", "decider", "decider_admin"]
IMPORTERS = ["admin", "analyst"]
ALL = [*STAFF, "outsider"]


def _screens(w: dict[str, Any]) -> list[tuple[str, str, list[str]]]:
    """(method, url, roles allowed)."""
    plan, goal, training = w["plan"], w["goal"], w["training"]
    item = w["search"].checklist.first()
    return [
        ("get", reverse("plans:home"), STAFF),
        ("get", reverse("plans:plan", args=[plan.pk]), STAFF),
        ("get", reverse("plans:plan_new"), WRITERS),
        ("get", reverse("plans:plan_edit", args=[plan.pk]), WRITERS),
        ("get", reverse("plans:goal_new", args=[plan.pk]), WRITERS),
        ("get", reverse("plans:action_new", args=[goal.pk]), WRITERS),
        ("get", reverse("plans:action", args=[w["action"].pk]), [*WRITERS, "mentor"]),
        ("get", reverse("plans:indicator", args=[w["plain"].pk]), STAFF),
        (
            "get",
            reverse("plans:indicator", args=[w["demographic"].pk]),
            [r for r in STAFF if not r.startswith("decider")],
        ),
        ("get", reverse("plans:indicator_new", args=[goal.pk]), WRITERS),
        ("get", reverse("plans:indicator_edit", args=[w["plain"].pk]), WRITERS),
        ("get", reverse("plans:export", args=[plan.pk, "xlsx"]), STAFF),
        ("get", reverse("plans:evidence_pack", args=[plan.pk]), WRITERS),
        ("post", reverse("plans:recompute", args=[plan.pk]), WRITERS),
        ("get", reverse("plans:trainings"), STAFF),
        ("get", reverse("plans:training_new"), WRITERS),
        ("get", reverse("plans:requirement_new", args=[training.pk]), WRITERS),
        ("get", reverse("plans:overdue", args=[training.pk]), IDENTITY),
        ("get", reverse("plans:upload", args=[training.pk]), IMPORTERS),
        ("post", reverse("plans:training_remind"), WRITERS),
        ("get", reverse("plans:searches"), STAFF),
        ("get", reverse("plans:search_new"), WRITERS),
        ("get", reverse("plans:search", args=[w["search"].pk]), IDENTITY),
        ("post", reverse("plans:checklist_toggle", args=[item.pk]), WRITERS),
    ]


OK = {200, 302}


@pytest.mark.parametrize("who", ALL)
def test_each_role_gets_exactly_the_screens_it_may_open(
    who: str, world: dict[str, Any], client_for: Any, mailoutbox: Any
) -> None:
    client = client_for(who)
    for method, url, allowed in _screens(world):
        response = getattr(client, method)(url)
        if who in allowed:
            assert response.status_code in OK, (who, url, response.status_code)
            if method == "post":
                assert response.status_code == 302, (who, url)
        else:
            assert response.status_code == 403, (who, url, response.status_code)


def test_anonymous_visitors_are_sent_to_sign_in(world: dict[str, Any], client_for: Any) -> None:
    client = client_for(None)
    for method, url, _allowed in _screens(world):
        response = getattr(client, method)(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], url


@pytest.mark.parametrize(
    "name",
    [
        "plans:plan",
        "plans:action",
        "plans:indicator",
        "plans:search",
        "plans:overdue",
        "plans:batch",
    ],
)
def test_unknown_objects_are_404(name: str, world: dict[str, Any], client_for: Any) -> None:
    assert client_for("admin").get(reverse(name, args=[999999])).status_code == 404


def test_decision_makers_see_progress_but_never_a_demographic_indicator(
    world: dict[str, Any], client_for: Any
) -> None:
    page = client_for("decider").get(reverse("plans:plan", args=[world["plan"].pk]))
    text = page.content.decode()
    assert "Match rate" in text
    assert "not shown to decision-makers" in text
    assert "45.7%" not in text
    export = client_for("decider").get(reverse("plans:export", args=[world["plan"].pk, "xlsx"]))
    assert b"population_share" not in export.content
    # A viewer sees the same progress with the demographic indicator's published value.
    viewer = client_for("viewer").get(reverse("plans:plan", args=[world["plan"].pk]))
    assert "45.7%" in viewer.content.decode()


def test_an_owner_edits_their_own_action_and_nobody_elses(
    world: dict[str, Any], client_for: Any
) -> None:
    url = reverse("plans:action", args=[world["action"].pk])
    response = client_for("mentor").post(url, {"status": "at_risk", "narrative": "Delayed."})
    assert response.status_code == 302
    world["action"].refresh_from_db()
    assert world["action"].status == "at_risk"
    assert world["action"].updates.get().narrative == "Delayed."
    assert client_for("mentee").post(url, {"status": "done"}).status_code == 403
    world["action"].refresh_from_db()
    assert world["action"].status == "at_risk"


def test_viewing_overdue_people_and_committees_is_audited(
    world: dict[str, Any], client_for: Any
) -> None:
    from ristra.audit.models import AuditEvent

    client = client_for("analyst")
    client.get(reverse("plans:overdue", args=[world["training"].pk]))
    event = AuditEvent.objects.get(object_type="plans.training_overdue")
    overdue = {p.pk for p in world["students"][:2]}
    assert set(event.persons.values_list("person_id", flat=True)) == overdue
    client.get(reverse("plans:search", args=[world["search"].pk]))
    assert AuditEvent.objects.filter(object_type="plans.search").exists()
