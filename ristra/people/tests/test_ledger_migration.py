"""The ledger's rows move from {heading: value} to lists in the batch's heading order."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

MIGRATION = ("people", "0002_ledger_values")

pytestmark = pytest.mark.django_db(transaction=True)


def _migrate(target: list[tuple[str, str]]) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(target)
    executor.loader.build_graph()
    return executor


def test_rows_become_values_and_back() -> None:
    executor = MigrationExecutor(connection)
    before = executor.loader.graph.node_map[MIGRATION].parents
    (previous,) = [p.key for p in before if p.key[0] == "people"]
    latest = executor.loader.graph.leaf_nodes("people")
    try:
        old = _migrate([previous]).loader.project_state([previous]).apps
        batch = old.get_model("people", "ImportBatch").objects.create(
            kind="faculty", filename="f.csv", file="imports/f.csv", sha256="0" * 64
        )
        rows = old.get_model("people", "ImportRow")
        rows.objects.create(
            batch=batch, row_number=2, raw={"EMPLID": "E1", "Rank": None}, fate="inserted"
        )
        rows.objects.create(
            batch=batch, row_number=3, raw={"EMPLID": "E2", "Rank": "Professor"}, fate="rejected"
        )

        new = _migrate([MIGRATION]).loader.project_state([MIGRATION]).apps
        batch = new.get_model("people", "ImportBatch").objects.get()
        # PostgreSQL's jsonb never kept the file's order of keys; SQLite did.
        assert sorted(batch.headings) == ["EMPLID", "Rank"]
        if connection.vendor == "sqlite":
            assert batch.headings == ["EMPLID", "Rank"]
        stored = new.get_model("people", "ImportRow").objects.order_by("row_number")
        assert [dict(zip(batch.headings, r.raw, strict=True)) for r in stored] == [
            {"EMPLID": "E1", "Rank": None},
            {"EMPLID": "E2", "Rank": "Professor"},
        ]

        back = _migrate([previous]).loader.project_state([previous]).apps
        stored = back.get_model("people", "ImportRow").objects.order_by("row_number")
        assert [r.raw for r in stored] == [
            {"EMPLID": "E1", "Rank": None},
            {"EMPLID": "E2", "Rank": "Professor"},
        ]
    finally:
        _migrate(latest)
