"""Reads for surveys: the population to invite, from the person record."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from ristra.people.models import Identifier, IdSystem, Person, Stage, StageKind

#: Stage -> the population label (the example instrument's role options use these).
POPULATIONS: dict[str, str] = {
    StageKind.ENROLLMENT: "Student",
    StageKind.GME_APPOINTMENT: "Resident or fellow",
    StageKind.FACULTY_APPOINTMENT: "Faculty",
    StageKind.STAFF_APPOINTMENT: "Staff",
}


def population_on(
    day: dt.date | None = None, *, kinds: list[str] | None = None
) -> list[tuple[Person, str, str]]:
    """Everyone in a population on ``day``: (person, population, e-mail or "")."""
    day = day or timezone.localdate()
    wanted = kinds or list(POPULATIONS)
    stages = (
        Stage.objects.active_on(day)
        .filter(kind__in=wanted)
        .select_related("person")
        .order_by("person_id", "kind")
    )
    people: dict[int, tuple[Person, str]] = {}
    for stage in stages:
        # faculty before staff before student: one population per person
        label = POPULATIONS[stage.kind]
        people.setdefault(stage.person_id, (stage.person, label))
    emails: dict[int, str] = {}
    for pid, value in Identifier.objects.filter(
        system=IdSystem.EMAIL, person_id__in=list(people)
    ).values_list("person_id", "value"):
        emails.setdefault(pid, value)
    return [(person, label, emails.get(pid, "")) for pid, (person, label) in people.items()]


def population_counts(survey: Any) -> dict[str, int]:
    counts: dict[str, int] = {}
    for population in survey.invitations.values_list("population", flat=True):
        counts[population] = counts.get(population, 0) + 1
    return counts
