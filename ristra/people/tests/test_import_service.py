"""The import service: check, commit, idempotent re-import, rollback, the ledger."""

from __future__ import annotations

import io
from typing import Any

import pytest

from ristra.audit.models import AuditEvent
from ristra.people import services
from ristra.people.models import (
    Answer,
    BatchStatus,
    Identifier,
    ImportRow,
    OrgUnit,
    Person,
    RowFate,
    SelfIdentification,
    Stage,
    StageKind,
)

FACULTY = """EMPLID,Last Name,First Name,Email,Department,Academic Rank,Hire Date,Term Date,Sex,Ethnicity,Race
E001,Begay,Lorraine,lbegay@example.edu,Pediatrics,Assistant Professor,2019-07-01,,Female,Not Hispanic or Latino,American Indian or Alaska Native
E002,Martínez,Joaquín,jmartinez@example.edu,Internal Medicine,Professor,2008-09-15,2024-06-30,Male,Hispanic or Latino,White
E003,Nguyen,Thu,tnguyen@example.edu,Pediatrics,Associate Professor,2012-01-03,,Female,Decline to state,Asian
"""


def answer(person: Person, dimension: str) -> Answer:
    """The person's one answer to ``dimension`` (there must be exactly one)."""
    (found,) = [
        a for r in person.self_ids.all() for a in r.answer_list() if a.dimension == dimension
    ]
    return found


def upload(
    user: Any, text: str, *, kind: str = "faculty", name: str = "hr.csv", encoding: str = "utf-8"
) -> Any:
    return services.batch_upload(
        user=user,
        kind=kind,
        filename=name,
        stream=io.BytesIO(text.encode(encoding)),
        source_label="HR self-identification",
    )


def import_file(user: Any, text: str, **kw: Any) -> Any:
    batch = services.batch_check(batch=upload(user, text, **kw))
    assert batch.status == BatchStatus.VALIDATED, batch.error
    return services.batch_commit(batch=batch, user=user)


@pytest.mark.django_db
def test_it_checks_without_writing_anything(cast: dict[str, Any]) -> None:
    batch = services.batch_check(batch=upload(cast["analyst"], FACULTY))
    assert batch.status == BatchStatus.VALIDATED
    assert batch.plan["insert"] == 3
    assert batch.rows_rejected == 0
    assert Person.objects.count() == 0
    assert Stage.objects.count() == 0
    assert sorted(batch.plan["new_units"]) == ["Internal Medicine", "Pediatrics"]
    assert not OrgUnit.objects.exists()


@pytest.mark.django_db
def test_it_commits_people_identifiers_stages_and_answers(cast: dict[str, Any]) -> None:
    batch = import_file(cast["analyst"], FACULTY)
    assert batch.status == BatchStatus.COMMITTED
    assert (batch.rows_inserted, batch.rows_updated, batch.rows_unchanged) == (3, 0, 0)
    begay = Person.objects.get(identifiers__system="employee_id", identifiers__value="E001")
    assert begay.given_name == "Lorraine"
    assert set(begay.identifiers.values_list("system", flat=True)) == {"employee_id", "email"}
    appointment = begay.stages.get(kind=StageKind.FACULTY_APPOINTMENT)
    assert appointment.rank == "assistant_professor"
    assert appointment.org_unit is not None and appointment.org_unit.name == "Pediatrics"
    race = answer(begay, "race")
    assert race.codes == ["aian"]
    assert race.raw_value == "American Indian or Alaska Native"
    assert race.source == "HR self-identification"
    martinez = Person.objects.get(family_name="Martínez")
    assert martinez.stages.filter(kind=StageKind.SEPARATION).count() == 1
    nguyen = Person.objects.get(family_name="Nguyen")
    assert answer(nguyen, "hispanic").declined
    assert ImportRow.objects.filter(batch=batch).count() == 3
    assert AuditEvent.objects.filter(action="import", object_id=str(batch.pk)).exists()


@pytest.mark.django_db
def test_it_reimports_the_same_file_without_changing_anything(cast: dict[str, Any]) -> None:
    import_file(cast["analyst"], FACULTY)
    counts = (
        Person.objects.count(),
        Stage.objects.count(),
        SelfIdentification.objects.count(),
        Identifier.objects.count(),
    )
    again = import_file(cast["analyst"], FACULTY)
    assert (again.rows_inserted, again.rows_updated, again.rows_unchanged) == (0, 0, 3)
    assert counts == (
        Person.objects.count(),
        Stage.objects.count(),
        SelfIdentification.objects.count(),
        Identifier.objects.count(),
    )
    assert set(ImportRow.objects.filter(batch=again).values_list("fate", flat=True)) == {
        RowFate.UNCHANGED
    }


@pytest.mark.django_db
def test_it_updates_what_changed_and_rolls_it_back(cast: dict[str, Any]) -> None:
    import_file(cast["analyst"], FACULTY)
    promoted = FACULTY.replace(
        "E001,Begay,Lorraine,lbegay@example.edu,Pediatrics,Assistant",
        "E001,Begay-Yazzie,Lorraine,lbegay@example.edu,Pediatrics,Associate",
    )
    batch = import_file(cast["analyst"], promoted)
    assert (batch.rows_inserted, batch.rows_updated, batch.rows_unchanged) == (0, 1, 2)
    person = Person.objects.get(identifiers__value="E001")
    assert person.family_name == "Begay-Yazzie"
    assert person.stages.get(kind=StageKind.FACULTY_APPOINTMENT).rank == "associate_professor"

    services.batch_rollback(batch=batch, user=cast["analyst"])
    person.refresh_from_db()
    assert person.family_name == "Begay"
    assert person.stages.get(kind=StageKind.FACULTY_APPOINTMENT).rank == "assistant_professor"
    batch.refresh_from_db()
    assert batch.status == BatchStatus.ROLLED_BACK
    assert ImportRow.objects.filter(batch=batch).count() == 3  # the ledger stays


def dated(text: str, day: str) -> str:
    """``text`` with a "Survey Date" column giving every row ``day``."""
    header, *rows = text.strip().splitlines()
    return "\n".join([f"{header},Survey Date", *(f"{r},{day}" for r in rows)]) + "\n"


def answers_of(person: Person) -> dict[str, dict[str, Any]]:
    """The person's responses: ``{date: answers}``."""
    return {str(r.reported_on): r.answers for r in person.self_ids.all()}


@pytest.mark.django_db
def test_it_keeps_one_response_per_day_and_rolls_its_changes_back(cast: dict[str, Any]) -> None:
    without_race = "\n".join(line.rsplit(",", 1)[0] for line in FACULTY.splitlines()) + "\n"
    import_file(cast["analyst"], dated(without_race, "2025-01-15"))
    begay = Person.objects.get(identifiers__value="E001")
    first = answers_of(begay)
    assert list(first) == ["2025-01-15"] and set(first["2025-01-15"]) == {"sex", "hispanic"}

    # The same day again: Begay's sex changes and everyone's race is added, in place.
    changed = FACULTY.replace(
        "Assistant Professor,2019-07-01,,Female", "Assistant Professor,2019-07-01,,Male"
    )
    batch = import_file(cast["analyst"], dated(changed, "2025-01-15"))
    assert (batch.rows_inserted, batch.rows_updated, batch.rows_unchanged) == (0, 3, 0)
    assert SelfIdentification.objects.count() == 3
    now = answers_of(begay)["2025-01-15"]
    assert now["sex"] == {"raw": "Male", "codes": ["male"], "declined": False}
    assert now["race"]["codes"] == ["aian"] and now["hispanic"] == first["2025-01-15"]["hispanic"]

    services.batch_rollback(batch=batch, user=cast["analyst"])
    assert answers_of(begay) == first
    assert not any("race" in r.answers for r in SelfIdentification.objects.all())


@pytest.mark.django_db
def test_it_adds_a_response_holding_only_what_changed_on_a_later_day(
    cast: dict[str, Any],
) -> None:
    import_file(cast["analyst"], dated(FACULTY, "2025-01-15"))
    changed = FACULTY.replace(
        "Pediatrics,Associate Professor,2012-01-03,,Female",
        "Pediatrics,Associate Professor,2012-01-03,,Male",
    )
    batch = import_file(cast["analyst"], dated(changed, "2026-01-15"))
    assert (batch.rows_inserted, batch.rows_updated, batch.rows_unchanged) == (0, 1, 2)
    nguyen = Person.objects.get(identifiers__value="E003")
    later = answers_of(nguyen)["2026-01-15"]
    assert later == {"sex": {"raw": "Male", "codes": ["male"], "declined": False}}
    assert SelfIdentification.objects.count() == 4
    services.batch_rollback(batch=batch, user=cast["analyst"])
    assert list(answers_of(nguyen)) == ["2025-01-15"]
    assert SelfIdentification.objects.count() == 3


@pytest.mark.django_db
def test_it_rolls_back_a_first_import_to_an_empty_record(cast: dict[str, Any]) -> None:
    batch = import_file(cast["analyst"], FACULTY)
    services.batch_rollback(batch=batch, user=cast["admin"])
    assert not Person.objects.exists()
    assert not Stage.objects.exists()
    assert not SelfIdentification.objects.exists()
    assert not Identifier.objects.exists()
    assert not OrgUnit.objects.exists()
    assert AuditEvent.objects.filter(action="rollback").count() == 1


@pytest.mark.django_db
def test_it_refuses_to_roll_back_under_a_later_batch(cast: dict[str, Any]) -> None:
    first = import_file(cast["analyst"], FACULTY)
    import_file(cast["analyst"], FACULTY.replace("Lorraine", "Lorena"))
    with pytest.raises(services.ImportRefused, match="Later imports"):
        services.batch_rollback(batch=first, user=cast["analyst"])
    assert Person.objects.filter(given_name="Lorena").exists()


@pytest.mark.django_db
def test_it_keeps_rejected_rows_with_reasons_and_commits_the_rest(cast: dict[str, Any]) -> None:
    bad = FACULTY + (
        "E004,Smith,Ann,asmith@example.edu,Surgery,Visiting Scholar,2021-02-30,,Female,,\n"
        "E001,Begay,Lorraine,other@example.edu,Pediatrics,Professor,2019-07-01,,Female,,\n"
    )
    batch = services.batch_check(batch=upload(cast["analyst"], bad))
    assert batch.status == BatchStatus.VALIDATED
    assert batch.rows_rejected == 2
    rules = set(batch.problems.values_list("rule", flat=True))
    assert {"vocabulary", "duplicate_identifier"} <= rules
    assert any("2021-02-30" in m for m in batch.problems.values_list("message", flat=True))
    batch = services.batch_commit(batch=batch, user=cast["analyst"])
    assert batch.rows_inserted == 3 and batch.rows_rejected == 2
    rejected = ImportRow.objects.filter(batch=batch, fate=RowFate.REJECTED)
    assert rejected.count() == 2
    assert all(r.reason for r in rejected)
    assert rejected.get(row_number=5).cells()["Academic Rank"] == "Visiting Scholar"
    assert not Person.objects.filter(family_name="Smith").exists()


@pytest.mark.django_db
def test_it_rejects_an_identifier_that_belongs_to_someone_else(cast: dict[str, Any]) -> None:
    import_file(cast["analyst"], FACULTY)
    clash = (
        "EMPLID,Last Name,First Name,Email,Department,Academic Rank,Hire Date\n"
        "E009,Other,Person,lbegay@example.edu,Pediatrics,Instructor,2020-01-01\n"
    )
    batch = services.batch_check(batch=upload(cast["analyst"], clash))
    assert batch.rows_rejected == 1
    assert batch.problems.get().rule == "identifier_conflict"


AMCAS = """AAMC ID,Last Name,First Name,Application Cycle,Application Date,Interviewed,Offer Decision
12345678,Chee,Dana,2025,2024-06-15,N,
12345678,Chee,Dana,2026,2025-06-20,Y,Accepted
23456789,Lucero,Mateo,2026,2025-07-01,Y,Declined
"""


@pytest.mark.django_db
def test_it_keeps_one_person_across_cycles_in_one_file(cast: dict[str, Any]) -> None:
    batch = import_file(cast["analyst"], AMCAS, kind="admissions")
    assert (batch.rows_inserted, batch.rows_rejected) == (3, 0)
    assert Person.objects.count() == 2
    chee = Person.objects.get(family_name="Chee")
    years = list(
        chee.stages.filter(kind=StageKind.APPLICATION)
        .order_by("academic_year")
        .values_list("academic_year", flat=True)
    )
    assert years == [2025, 2026]
    assert chee.stages.get(kind=StageKind.OFFER).outcome == "accepted"
    assert chee.identifiers.count() == 1
    again = import_file(cast["analyst"], AMCAS, kind="admissions")
    assert (again.rows_inserted, again.rows_updated, again.rows_unchanged) == (0, 0, 3)


@pytest.mark.django_db
def test_it_never_erases_what_a_file_does_not_state(cast: dict[str, Any]) -> None:
    with_fte = (
        "EMPLID,Last Name,First Name,Department,Academic Rank,Hire Date,FTE,Track\n"
        "E1,Ortiz,Ana,Surgery,Professor,2015-07-01,0.8,Research\n"
    )
    import_file(cast["analyst"], with_fte)
    without = (
        "EMPLID,Last Name,First Name,Department,Academic Rank,Hire Date\n"
        "E1,Ortiz,Ana,Surgery,Professor,2015-07-01\n"
    )
    batch = import_file(cast["analyst"], without)
    assert batch.rows_unchanged == 1
    stage = Stage.objects.get(kind=StageKind.FACULTY_APPOINTMENT)
    assert str(stage.fte) == "0.800" and stage.track == "research"
