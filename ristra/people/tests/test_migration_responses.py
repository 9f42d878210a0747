"""Migration 0003: per-question answers become responses, and back again."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("people", "0002_ledger_values")]
AFTER = [("people", "0003_selfidentification_responses")]


def migrate(targets: list[tuple[str, str]]) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return MigrationExecutor(connection)


@pytest.mark.django_db(transaction=True)
def test_it_groups_answers_into_responses_and_splits_them_back() -> None:
    old_apps = migrate(BEFORE).loader.project_state(BEFORE).apps
    person_model = old_apps.get_model("people", "Person")
    answer_model = old_apps.get_model("people", "SelfIdentification")
    batch_model = old_apps.get_model("people", "ImportBatch")
    row_model = old_apps.get_model("people", "ImportRow")
    ana = person_model.objects.create(given_name="Ana", family_name="Test")
    batch = batch_model.objects.create(kind="faculty", filename="hr.csv")
    day, later = dt.date(2024, 1, 1), dt.date(2025, 1, 1)

    def answer(dimension: str, codes: list[str], on: dt.date, declined: bool = False) -> int:
        return int(
            answer_model.objects.create(
                person=ana,
                dimension=dimension,
                raw_value=" ".join(codes),
                codes=codes,
                declined=declined,
                source="HR",
                reported_on=on,
                batch=batch,
            ).pk
        )

    first = answer("sex", ["female"], day)
    race = answer("race", ["aian", "white"], day)
    answer("hispanic", ["declined"], later, declined=True)
    row_model.objects.create(
        batch=batch,
        row_number=2,
        raw=[],
        fate="updated",
        person=ana,
        before={
            "person": {"family_name": "Old"},
            "self_ids": {str(race): {"codes": ["aian"], "raw_value": "aian", "declined": False}},
        },
    )

    new_apps = migrate(AFTER).loader.project_state(AFTER).apps
    response_model = new_apps.get_model("people", "SelfIdentification")
    responses = {r.reported_on: r for r in response_model.objects.filter(person_id=ana.pk)}
    assert set(responses) == {day, later}
    assert responses[day].pk == first and responses[day].batch_id == batch.pk
    assert responses[day].answers == {
        "sex": {"raw": "female", "codes": ["female"], "declined": False},
        "race": {"raw": "aian white", "codes": ["aian", "white"], "declined": False},
    }
    assert responses[later].answers["hispanic"]["declined"] is True
    before = new_apps.get_model("people", "ImportRow").objects.get().before
    assert before == {
        "person": {"family_name": "Old"},
        "responses": {str(first): {"race": {"raw": "aian", "codes": ["aian"], "declined": False}}},
    }
    # New responses get ids after the migrated ones.
    made = response_model.objects.create(
        person_id=ana.pk, source="HR", reported_on=dt.date(2026, 1, 1)
    )
    assert made.pk > max(r.pk for r in responses.values())

    back_apps = migrate(BEFORE).loader.project_state(BEFORE).apps
    rows = back_apps.get_model("people", "SelfIdentification").objects.filter(
        person_id=ana.pk, reported_on__lt=dt.date(2026, 1, 1)
    )
    assert sorted((r.dimension, r.codes, r.declined, str(r.reported_on)) for r in rows) == [
        ("hispanic", ["declined"], True, "2025-01-01"),
        ("race", ["aian", "white"], False, "2024-01-01"),
        ("sex", ["female"], False, "2024-01-01"),
    ]
    race_again = rows.get(dimension="race").pk
    before = back_apps.get_model("people", "ImportRow").objects.get().before
    assert before["self_ids"] == {
        str(race_again): {"codes": ["aian"], "raw_value": "aian", "declined": False}
    }
    migrate(AFTER)
