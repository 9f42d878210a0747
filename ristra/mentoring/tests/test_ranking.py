"""Assigned mode: mentees may rank the mentors they would like; matching uses the list."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from ristra.mentoring import selectors, services
from ristra.mentoring.models import Enrolment

from .conftest import enrol, make_user


def test_matching_uses_the_mentees_stated_list_then_fit(cast: dict[str, Any], cycle: Any) -> None:
    paeds = enrol(cycle, cast["mentor"], "mentor", specialty="Pediatrics")
    surgeon = enrol(cycle, make_user("olga"), "mentor", specialty="Surgery")
    mentee = enrol(cycle, cast["mentee"], "mentee", specialty="Pediatrics")
    runs = services.match_runs_create(cycle=cycle, user=cast["manager"], policies=["stable"])
    assert runs[0].result["pairs"][0]["mentor"] == str(paeds.pk)  # by fit
    services.ranking_save(enrolment=mentee, mentor_ids=[surgeon.pk])
    inputs = selectors.matching_inputs(cycle)
    assert inputs.mentees[0].preferences == (str(surgeon.pk), str(paeds.pk))
    runs = services.match_runs_create(cycle=cycle, user=cast["manager"], policies=["stable"])
    pair = runs[0].result["pairs"][0]
    assert pair["mentor"] == str(surgeon.pk) and pair["rank"] == 1
    assert runs[0].inputs["mentees"][0]["preferences"] == [str(surgeon.pk), str(paeds.pk)]
    assert services.match_run_reproduce(runs[0]).pairs[0].mentor == str(surgeon.pk)


def test_a_full_first_choice_falls_back_to_fit(cast: dict[str, Any], cycle: Any) -> None:
    paeds = enrol(cycle, cast["mentor"], "mentor", specialty="Pediatrics")
    enrol(cycle, make_user("olga"), "mentor", specialty="Surgery")
    first = enrol(cycle, cast["mentee"], "mentee", specialty="Pediatrics")
    second = enrol(cycle, make_user("zed"), "mentee", specialty="Pediatrics")
    services.ranking_save(enrolment=first, mentor_ids=[paeds.pk])
    services.ranking_save(enrolment=second, mentor_ids=[paeds.pk])
    runs = services.match_runs_create(cycle=cycle, user=cast["manager"], policies=["stable"])
    assert runs[0].quality["matched"] == 2


def test_a_program_can_turn_ranking_off(cast: dict[str, Any], cycle: Any) -> None:
    paeds = enrol(cycle, cast["mentor"], "mentor", specialty="Pediatrics")
    mentee = enrol(cycle, cast["mentee"], "mentee", specialty="Pediatrics")
    services.ranking_save(enrolment=mentee, mentor_ids=[paeds.pk])
    cycle.program.max_ranked = 0
    cycle.program.save()
    assert selectors.matching_inputs(cycle).mentees[0].preferences is None
    url = reverse("mentoring:rank", args=[cycle.pk])
    from django.test import Client

    c = Client()
    c.force_login(cast["mentee"])
    assert c.get(url).status_code == 404


def test_a_mentee_ranks_mentors_in_the_browser(
    client_for: Any, cast: dict[str, Any], cycle: Any
) -> None:
    paeds = enrol(cycle, cast["mentor"], "mentor", specialty="Pediatrics")
    surgeon = enrol(cycle, make_user("olga"), "mentor", specialty="Surgery")
    enrol(cycle, cast["mentee"], "mentee", specialty="Pediatrics")
    c = client_for("mentee")
    url = reverse("mentoring:rank", args=[cycle.pk])
    page = c.get(url)
    assert page.status_code == 200 and b"olga" in page.content
    r = c.post(url, {"choice_1": surgeon.pk, "choice_2": paeds.pk, "choice_3": surgeon.pk})
    assert r.status_code == 302
    assert Enrolment.objects.get(user=cast["mentee"]).ranked_mentors == [surgeon.pk, paeds.pk]
    assert c.post(url, {"choice_1": 999999}).status_code == 302  # not offered: dropped
    assert Enrolment.objects.get(user=cast["mentee"]).ranked_mentors == []


def test_only_the_cycles_mentees_may_rank(
    client_for: Any, cast: dict[str, Any], cycle: Any
) -> None:
    enrol(cycle, cast["mentor"], "mentor", specialty="Pediatrics")
    url = reverse("mentoring:rank", args=[cycle.pk])
    assert client_for("mentor").get(url).status_code == 404  # enrolled as mentor
    assert client_for("viewer").get(url).status_code == 404  # not enrolled
    assert client_for("outsider").get(url).status_code == 403
    assert client_for(None).get(url).status_code == 302
