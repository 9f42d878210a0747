"""Imports read and write in chunks, the inserts in the background: the result never
depends on where the chunks fall, and a failed insert leaves nothing behind."""

from __future__ import annotations

import io
from typing import Any

import polars as pl
import pytest
from django.db import IntegrityError

from ristra.people import bulk, importer, services
from ristra.people.models import (
    BatchStatus,
    Identifier,
    ImportBatch,
    ImportProblem,
    ImportRow,
    Person,
    SelfIdentification,
    Stage,
)

HEADER = "EMPLID,Last Name,First Name,Email,Department,Academic Rank,Hire Date,Term Date,Sex,Race\n"
ROWS = [
    "E001,Begay,Lorraine,lbegay@example.edu,Pediatrics,Instructor,2015-07-01,2018-06-30,Female,"
    "American Indian or Alaska Native",
    "E002,Martínez,Joaquín,jm@example.edu,Internal Medicine,Professor,2008-09-15,,Male,White",
    "E003,Nguyen,Thu,tnguyen@example.edu,Pediatrics,Associate Professor,2012-01-03,,Female,Asian",
    # The same people again, later in the file: a second appointment, a changed answer.
    "E001,Begay,Lorraine,lbegay@example.edu,Surgery,Assistant Professor,2019-07-01,,Female,"
    "American Indian or Alaska Native",
    "E002,Martínez,Joaquín,jm@example.edu,Internal Medicine,Professor,2008-09-15,,Decline to "
    "state,White",
    # Someone else's e-mail address: rejected, whichever chunk wrote it.
    "E004,Okafor,Kwame,tnguyen@example.edu,Surgery,Professor,2001-03-01,,Male,Black or African "
    "American",
    "E005,Chen,Wei,wchen@example.edu,Radiology,Instructor,2021-08-01,,Male,Asian",
]
CHANGED = [
    "E003,Nguyen,Thu,tnguyen@example.edu,Pediatrics,Professor,2012-01-03,,Female,Asian",
    "E006,Haddad,Fatima,fh@example.edu,Surgery,Instructor,2022-01-01,,Female,White",
    "E005,Chen,Wei,wchen@example.edu,Radiology,Assistant Professor,2021-08-01,,Male,Asian",
]


def commit(user: Any, lines: list[str]) -> ImportBatch:
    batch = services.batch_upload(
        user=user,
        kind="faculty",
        filename="hr.csv",
        stream=io.BytesIO((HEADER + "\n".join(lines) + "\n").encode()),
        source_label="HR",
    )
    return services.batch_commit(batch=batch, user=user, checked=False)


def record() -> dict[str, Any]:
    """The person record and the ledger, without database ids."""
    key = {p.pk: p.identifiers.get(system="employee_id").value for p in Person.objects.all()}
    return {
        "people": sorted((key[p.pk], p.given_name, p.family_name) for p in Person.objects.all()),
        "identifiers": sorted(
            (key[i.person_id], i.system, i.value) for i in Identifier.objects.all()
        ),
        "stages": sorted(
            (key[s.person_id], s.key, s.rank, str(s.end_date)) for s in Stage.objects.all()
        ),
        "answers": sorted(
            (key[r.person_id], a.dimension, a.raw_value, str(a.codes), str(r.reported_on))
            for r in SelfIdentification.objects.all()
            for a in r.answer_list()
        ),
        "ledger": sorted(
            (
                r.batch.filename,
                r.row_number,
                r.fate,
                r.reason,
                key.get(r.person_id or 0),
                tuple(r.cells().items()),
            )
            for r in ImportRow.objects.select_related("batch")
        ),
        "problems": sorted(ImportProblem.objects.values_list("row_number", "rule")),
    }


def import_both(user: Any) -> dict[str, Any]:
    first = commit(user, ROWS)
    second = commit(user, CHANGED)
    assert first.status == second.status == BatchStatus.COMMITTED
    return record()


@pytest.mark.django_db
def test_it_gives_the_same_record_whatever_the_chunk_size(
    cast: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    whole = import_both(cast["analyst"])
    assert [p[0] for p in whole["people"]] == ["E001", "E002", "E003", "E005", "E006"]
    assert len([s for s in whole["stages"] if s[0] == "E001"]) == 3  # 2 spells, 1 separation
    for model in (ImportRow, ImportProblem, SelfIdentification, Stage, Identifier, Person):
        model.objects.all().delete()
    ImportBatch.objects.all().delete()
    monkeypatch.setattr(importer, "CHUNK_ROWS", 2)
    assert import_both(cast["analyst"]) == whole


@pytest.mark.django_db
def test_the_planner_waits_for_the_writer_when_too_far_ahead(
    cast: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    whole = import_both(cast["analyst"])
    for model in (ImportRow, ImportProblem, SelfIdentification, Stage, Identifier, Person):
        model.objects.all().delete()
    ImportBatch.objects.all().delete()
    # One queued statement at a time: every add waits for the writer to catch up.
    monkeypatch.setattr(bulk, "MAX_PENDING_VALUES", 1)
    monkeypatch.setattr(importer, "CHUNK_ROWS", 2)
    assert import_both(cast["analyst"]) == whole


@pytest.mark.django_db(transaction=True)
def test_adding_waits_while_the_writer_is_too_far_behind(
    cast: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading

    from django.db import connection, transaction

    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL writes each insert at once")
    commit(cast["analyst"], ROWS[:1])
    person = Person.objects.get().pk
    released = threading.Event()
    execute = bulk._execute

    def slow_execute(conn: Any, model: Any, sql: Any, params: Any) -> None:
        released.wait()  # the writer is held until the timer below lets it go
        execute(conn, model, sql, params)

    monkeypatch.setattr(bulk, "_execute", slow_execute)
    frames = [
        pl.DataFrame(
            {"person_id": [person] * 3, "system": ["npi"] * 3, "value": [f"{n}{c}" for c in "abc"]}
        )
        for n in range(3)
    ]
    with transaction.atomic():
        inserts = bulk.BackgroundInserts(max_pending=10)  # less than two frames' 18 cells
        timer = threading.Timer(0.3, released.set)
        timer.start()
        inserts.add(Identifier, ["person_id", "system", "value"], frames[0])
        for frame in frames[1:]:
            inserts.add(Identifier, ["person_id", "system", "value"], frame)
            assert released.is_set()  # it returned only once the writer had caught up
            assert inserts.pending <= 9  # this frame's cells only
        inserts.wait()
        assert inserts.pending == 0
    assert Identifier.objects.filter(system="npi").count() == 9


@pytest.mark.django_db
def test_a_failed_background_insert_leaves_nothing_behind(
    cast: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    execute, insert = bulk._execute, bulk._insert

    def failing_execute(conn: Any, model: Any, sql: Any, params: Any) -> None:
        if model is Stage:  # SQLite: in the background thread
            raise IntegrityError("stage refused")
        execute(conn, model, sql, params)

    def failing_insert(conn: Any, model: Any, columns: Any, rows: Any, **kw: Any) -> int:
        if model is Stage:  # PostgreSQL: at once
            raise IntegrityError("stage refused")
        return insert(conn, model, columns, rows, **kw)

    monkeypatch.setattr(bulk, "_execute", failing_execute)
    monkeypatch.setattr(bulk, "_insert", failing_insert)
    monkeypatch.setattr(importer, "CHUNK_ROWS", 3)
    with pytest.raises(IntegrityError):
        commit(cast["analyst"], ROWS)
    assert not Person.objects.exists()
    assert not Identifier.objects.exists()
    assert not ImportRow.objects.exists()
    assert ImportBatch.objects.get().status == BatchStatus.COMMITTING


@pytest.mark.django_db
def test_values_shared_by_every_row_are_written_into_the_statement_exactly(
    cast: dict[str, Any],
) -> None:
    batch = commit(cast["analyst"], ROWS[:2])
    odd = "it's 50% %s %%"
    frame = pl.DataFrame(
        {
            "person_id": list(Person.objects.values_list("pk", flat=True)),
            "system": [odd, odd],
            "value": ["1", "2"],
            "batch_id": [batch.pk, batch.pk],
        }
    )
    assert bulk._constants(frame).keys() == {"system", "batch_id"}
    assert bulk.insert_rows(Identifier, list(frame.columns), frame) == 2
    stored = Identifier.objects.filter(system=odd).order_by("value")
    assert list(stored.values_list("value", "batch_id")) == [("1", batch.pk), ("2", batch.pk)]


@pytest.mark.django_db
@pytest.mark.parametrize("chunk_rows", [2, 50_000])
def test_a_rollback_restores_what_was_there_when_rows_of_one_person_change_it_twice(
    cast: dict[str, Any], monkeypatch: pytest.MonkeyPatch, chunk_rows: int
) -> None:
    monkeypatch.setattr(importer, "CHUNK_ROWS", chunk_rows)
    commit(cast["analyst"], ROWS)
    before = record()
    twice = [
        "E003,Nguyen,Thu,tnguyen@example.edu,Pediatrics,Professor,2012-01-03,,Male,Asian",
        "E005,Chen,Wei,wchen@example.edu,Radiology,Instructor,2021-08-01,,Male,Asian",
        "E003,Nguyen,Thuy,tnguyen@example.edu,Surgery,Instructor,2020-01-06,,Decline to state,"
        "White",
    ]
    batch = commit(cast["analyst"], twice)
    assert batch.status == BatchStatus.COMMITTED
    services.batch_rollback(batch=batch, user=cast["analyst"])
    after = record()
    kept = ("people", "identifiers", "stages", "answers")
    assert {k: after[k] for k in kept} == {k: before[k] for k in kept}


@pytest.mark.django_db
@pytest.mark.parametrize("per_statement", [1, 7, 500])
def test_rows_are_written_whatever_the_statement_size(
    cast: dict[str, Any], monkeypatch: pytest.MonkeyPatch, per_statement: int
) -> None:
    # SQLite writes several rows per INSERT: full statements and a shorter last one.
    monkeypatch.setattr(bulk, "ROWS_PER_STATEMENT", per_statement)
    batch = commit(cast["analyst"], ROWS[:1])
    person = Person.objects.get().pk
    frame = pl.DataFrame(
        {
            "person_id": [person] * 30,
            "system": ["npi"] * 15 + ["eras_id"] * 15,
            "value": [f"V{i:02}" for i in range(30)],
            "batch_id": [batch.pk] * 30,
        }
    )
    assert bulk.insert_rows(Identifier, list(frame.columns), frame) == 30
    stored = Identifier.objects.filter(system__in=["npi", "eras_id"]).order_by("value")
    assert list(stored.values_list("system", "value")) == list(
        zip(frame.get_column("system"), frame.get_column("value"), strict=True)
    )


@pytest.mark.django_db
def test_a_refused_row_in_a_multi_row_statement_raises_djangos_integrity_error(
    cast: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bulk, "ROWS_PER_STATEMENT", 4)
    commit(cast["analyst"], ROWS[:1])
    person = Person.objects.get().pk
    frame = pl.DataFrame(
        {
            "person_id": [person] * 6,
            "system": ["npi"] * 6,
            "value": ["1", "2", "3", "4", "5", "3"],  # the last one is already taken
        }
    )
    with pytest.raises(IntegrityError):
        bulk.insert_rows(Identifier, list(frame.columns), frame)
