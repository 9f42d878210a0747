"""Reads for surveys: the population to invite, from the person record."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from ristra.people.models import Identifier, IdSystem, OrgUnitKind, Person, Stage, StageKind

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


#: The population label -> the stage kind it comes from (the inverse of ``POPULATIONS``).
_KIND_OF: dict[str, str] = {label: kind for kind, label in POPULATIONS.items()}
#: Where a unit is looked for when the population's own stage has none.
_UNIT_KINDS = (
    StageKind.FACULTY_APPOINTMENT,
    StageKind.GME_APPOINTMENT,
    StageKind.STAFF_APPOINTMENT,
    StageKind.ENROLLMENT,
)


def units_on(day: dt.date, people: dict[int, str]) -> dict[int, str]:
    """Each person's unit on ``day`` from the person record: the name of the department,
    GME program or degree program of the spell that gave them their population
    (``people``: person id -> population label), else of another spell running that day.
    A division counts as its department (divisions are too small to report on).
    People without a unit on record are left out."""
    stages = (
        Stage.objects.active_on(day)
        .filter(person_id__in=list(people), kind__in=_UNIT_KINDS, org_unit__isnull=False)
        .select_related("org_unit__parent")
        .order_by("person_id", "start_date", "id")
    )
    found: dict[int, dict[str, str]] = {}
    for stage in stages:
        unit = stage.org_unit
        assert unit is not None  # noqa: S101 - filtered above
        if unit.kind == OrgUnitKind.DIVISION and unit.parent is not None:
            unit = unit.parent
        # the latest spell of each kind wins (ordered by start date)
        found.setdefault(stage.person_id, {})[stage.kind] = unit.name
    units: dict[int, str] = {}
    for pid, by_kind in found.items():
        own = _KIND_OF.get(people.get(pid, ""))
        order = [own, *_UNIT_KINDS] if own else list(_UNIT_KINDS)
        units[pid] = next(by_kind[kind] for kind in order if kind in by_kind)
    return units


def population_counts(survey: Any) -> dict[str, int]:
    counts: dict[str, int] = {}
    for population in survey.invitations.values_list("population", flat=True):
        counts[population] = counts.get(population, 0) + 1
    return counts
