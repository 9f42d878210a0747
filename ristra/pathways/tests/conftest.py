"""A pathway program under the cast's program scope, with one cohort."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest


@pytest.fixture
def program(cast: dict[str, Any]) -> Any:
    from ristra.accounts.models import ProgramScope
    from ristra.pathways.models import PathwayProgram

    scope = ProgramScope.objects.get(slug="gme-mentorship-2027")
    return PathwayProgram.objects.create(
        name="Summer Scholars", slug="summer-scholars", scope=scope, sessions_planned=6
    )


@pytest.fixture
def other_program(db: Any) -> Any:
    """A program under a scope the cast's program manager does not manage."""
    from ristra.accounts.models import ProgramScope
    from ristra.pathways.models import PathwayProgram

    scope = ProgramScope.objects.create(slug="elsewhere", name="Elsewhere")
    return PathwayProgram.objects.create(name="Other", slug="other", scope=scope)


@pytest.fixture
def cohort(program: Any) -> Any:
    from ristra.pathways.models import Cohort

    return Cohort.objects.create(
        program=program, year=2019, starts_on=dt.date(2019, 6, 3), ends_on=dt.date(2019, 7, 12)
    )


def make_person(
    given: str,
    family: str,
    birth: dt.date | None,
    *,
    email: str = "",
    aamc: str = "",
    stages: tuple[tuple[str, dt.date, int | None], ...] = (),
) -> Any:
    from ristra.people.models import Identifier, IdSystem, Person, Stage

    person = Person.objects.create(given_name=given, family_name=family, birth_date=birth)
    if email:
        Identifier.objects.create(person=person, system=IdSystem.EMAIL, value=email)
    if aamc:
        Identifier.objects.create(person=person, system=IdSystem.AAMC_ID, value=aamc)
    for kind, start, year in stages:
        Stage.objects.create(
            person=person,
            kind=kind,
            key=f"{kind}|md|{year or start.isoformat()}",
            start_date=start,
            academic_year=year,
        )
    return person
