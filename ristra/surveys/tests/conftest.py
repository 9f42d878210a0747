from __future__ import annotations

import datetime as dt
import random
from importlib import resources
from typing import Any

import pytest

from ristra.analytics.surveys import EXAMPLE_INSTRUMENT


def example_text() -> str:
    return resources.files("ristra.analytics.data").joinpath(EXAMPLE_INSTRUMENT).read_text()


@pytest.fixture
def survey_factory(db: Any, cast: dict[str, Any]) -> Any:
    from ristra.surveys import services

    def make(**extra: Any) -> Any:
        values: dict[str, Any] = {
            "title": "Climate",
            "wave": "2026",
            "mode": "link",
            "status": "open",
        }
        values.update(extra)
        return services.survey_create(
            instrument_text=example_text(), created_by=cast["analyst"], **values
        )

    return make


def fill(survey: Any, n: int, *, seed: int = 1, groups: dict[str, list[str]] | None = None) -> None:
    """Store ``n`` plausible responses directly (for results tests)."""
    from ristra.surveys.services import Answers, _store

    rng = random.Random(seed)
    instrument = survey.instrument
    for _ in range(n):
        answers: dict[str, Any] = {i.key: rng.randint(1, 5) for i in instrument.likert_items}
        answers["strength"] = rng.choice(
            ["mentoring program is great", "welcoming colleagues", "flexible schedule"]
        )
        demo = {
            key: rng.choice(values)
            for key, values in (groups or {"role": ["Faculty", "Staff", "Student"]}).items()
        }
        _store(survey, Answers(answers, demo), "link")


def unit_named(name: str, kind: str = "department", parent: Any = None) -> Any:
    """The organisational unit ``name`` of ``kind`` (created once)."""
    from ristra.people.models import OrgUnit

    unit, _ = OrgUnit.objects.get_or_create(
        kind=kind, name=name, defaults={"code": f"{kind}-{name}", "parent": parent}
    )
    return unit


def people_in(unit: Any, n: int, *, kind: str = "faculty_appointment") -> list[Any]:
    """``n`` new people, each with a ``kind`` appointment in ``unit`` since 2020."""
    from ristra.people.models import Person, Stage

    people = []
    for i in range(n):
        person = Person.objects.create(given_name=f"P{i}", family_name=unit.name if unit else "-")
        Stage.objects.create(
            person=person,
            kind=kind,
            key=f"{kind}|{i}",
            start_date=dt.date(2020, 1, 1),
            org_unit=unit,
        )
        people.append(person)
    return people
