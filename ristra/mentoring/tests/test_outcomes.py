"""Outcomes against comparable non-participants: who is compared, and suppression."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.urls import reverse

from ristra.mentoring.models import Cycle, Enrolment, Pair
from ristra.mentoring.outcomes import COMPARISON, CURVES, PARTICIPANTS, cohort, outcome_tables
from ristra.people.models import Person, Stage

from .conftest import make_user

TODAY = dt.date(2026, 6, 1)
RETENTION = CURVES[0]


def faculty(name: str, hired: dt.date, *, left: dt.date | None = None, rank: str = "") -> Person:
    person = Person.objects.create(given_name=name, family_name="Test")
    Stage.objects.create(
        person=person,
        kind="faculty_appointment",
        key=f"fa-{hired}",
        start_date=hired,
        end_date=left,
        rank=rank or "assistant_professor",
    )
    if left:
        Stage.objects.create(person=person, kind="separation", key=f"sep-{left}", start_date=left)
    return person


@pytest.fixture
def past_cycle(program: Any) -> Cycle:
    return Cycle.objects.create(
        program=program,
        name="2020",
        enrolment_opens=dt.date(2019, 10, 1),
        enrolment_closes=dt.date(2019, 11, 1),
        matching_on=dt.date(2019, 11, 15),
        starts_on=dt.date(2020, 1, 1),
        ends_on=dt.date(2020, 12, 31),
        status="closed",
    )


def build(cycle: Cycle, participants: int, others: int) -> None:
    mentor = Enrolment.objects.create(cycle=cycle, user=make_user("m0"), role="mentor", capacity=4)
    for i in range(participants):
        person = faculty(f"P{i}", dt.date(2018, 7, 1), left=dt.date(2021, 3, 1) if i == 0 else None)
        mentee = Enrolment.objects.create(
            cycle=cycle, user=make_user(f"p{i}"), person=person, role="mentee"
        )
        Pair.objects.create(cycle=cycle, mentor=mentor, mentee=mentee)
    for i in range(others):
        faculty(f"C{i}", dt.date(2019, 7, 1), left=dt.date(2020, 6, 1) if i < 2 else None)
    faculty("Veteran", dt.date(2001, 7, 1))  # not a similar start year
    faculty("Later", dt.date(2019, 7, 1), left=dt.date(2019, 12, 1))  # gone before the cycle


def test_the_comparison_group_is_the_same_population_with_similar_start_years(
    past_cycle: Cycle,
) -> None:
    build(past_cycle, participants=3, others=4)
    stages, groups = cohort(past_cycle.program, RETENTION, TODAY)
    counts = dict(groups.group_by("group").len().iter_rows())
    assert counts == {PARTICIPANTS: 3, COMPARISON: 4}
    # Everyone counted from the cycle start, not from their hire.
    spells = stages.filter(stages["kind"] == "faculty_appointment")
    assert set(spells["start_date"].to_list()) == {dt.date(2020, 1, 1)}


def test_estimates_are_hidden_below_the_minimum_cell(past_cycle: Cycle) -> None:
    build(past_cycle, participants=3, others=6)
    (table, *_rest) = outcome_tables(past_cycle.program, 11, TODAY)
    followed = table.column_index("followed")
    one_year = table.column_index("y1")
    for row in table.rows:
        assert row[followed] is None and row[one_year] is None
    (table, *_rest) = outcome_tables(past_cycle.program, 3, TODAY)
    participants, comparison = table.rows
    assert participants[followed] == 3 and comparison[followed] == 6
    assert participants[one_year] == pytest.approx(1.0)
    assert comparison[one_year] == pytest.approx(4 / 6)  # two of six left in 2020
    # Two years on only two participants are still followed: hidden at min_cell 3.
    assert participants[table.column_index("y2")] is None


def test_no_tables_without_linked_participants(program: Any) -> None:
    assert outcome_tables(program, 11, TODAY) == []


def test_the_page_shows_the_caveat_and_refuses_other_roles(
    client_for: Any, past_cycle: Cycle
) -> None:
    build(past_cycle, participants=3, others=4)
    url = reverse("mentoring:outcomes", args=[past_cycle.program.slug])
    page = client_for("manager").get(url)
    assert page.status_code == 200
    assert b"Participation is not random" in page.content
    assert b"Faculty retention" in page.content
    for who in ("analyst", "viewer", "decider", "mentor", "mentee"):
        assert client_for(who).get(url).status_code == 404, who
    assert client_for("outsider").get(url).status_code == 403
    assert client_for(None).get(url).status_code == 302
