"""A person's record as of any date."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from ristra.people.models import Person, SelfIdentification, Stage, StageKind
from ristra.people.selectors import person_history


@pytest.fixture
def person(db: Any) -> Person:
    p = Person.objects.create(given_name="Rosa", family_name="Tsosie")

    def stage(kind: str, start: str, end: str | None = None, **kw: Any) -> None:
        Stage.objects.create(
            person=p, kind=kind, key=f"{kind}|{start}", start_date=start, end_date=end, **kw
        )

    stage(StageKind.APPLICATION, "2015-06-01", academic_year=2016)
    stage(StageKind.MATRICULATION, "2016-08-01", academic_year=2016)
    stage(StageKind.ENROLLMENT, "2016-08-01", "2020-05-15")
    stage(StageKind.GRADUATION, "2020-05-15")
    stage(StageKind.GME_APPOINTMENT, "2020-07-01", "2023-06-30", pgy=1)
    stage(StageKind.FACULTY_APPOINTMENT, "2023-07-01", rank="assistant_professor")
    for when, codes in (("2015-06-01", ["aian"]), ("2023-07-01", ["aian", "white"])):
        SelfIdentification.objects.record_answer(
            person=p,
            dimension="race",
            codes=codes,
            raw_value=" and ".join(codes),
            source="x",
            reported_on=when,
        )
    return p


def test_it_reads_the_record_as_of_a_date(person: Person) -> None:
    as_student = person_history(person, as_of=dt.date(2018, 1, 1), with_demographics=True)
    assert [s.kind for s in as_student.active] == [StageKind.ENROLLMENT]
    assert [s.kind for s in as_student.stages] == [
        StageKind.APPLICATION,
        StageKind.MATRICULATION,
        StageKind.ENROLLMENT,
    ]
    assert [a.codes for a in as_student.self_ids] == [["aian"]]

    as_faculty = person_history(person, as_of=dt.date(2024, 1, 1), with_demographics=True)
    assert [s.kind for s in as_faculty.active] == [StageKind.FACULTY_APPOINTMENT]
    assert [a.codes for a in as_faculty.self_ids] == [["aian", "white"]]
    assert [a.codes for a in as_faculty.superseded_self_ids] == [["aian"]]


def test_events_are_never_active(person: Person) -> None:
    before_school = person_history(person, as_of=dt.date(2015, 7, 1), with_demographics=False)
    assert before_school.active == []
    assert before_school.self_ids == []  # not asked for


def test_it_shows_nothing_before_the_first_stage(person: Person) -> None:
    history = person_history(person, as_of=dt.date(2000, 1, 1), with_demographics=True)
    assert history.stages == [] and history.self_ids == []


def test_every_import_label_is_marked_for_translation() -> None:
    from ristra.analytics.importspec import KINDS
    from ristra.people.labels import LABELS

    labels = {k.label for k in KINDS.values()} | {f.label for k in KINDS.values() for f in k.fields}
    assert labels == set(LABELS)
