"""Statements: one compiled statement per measure shape, values bound when it runs.

A statement compiled ahead (at snapshot refresh) and stored gives the results of the
freshly built expression for any filter values; a stale one (another schema, another
stamp) is detected and compiled again.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import ibis
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from ibis.backends import BaseBackend
from ibis.expr.types import Table
from polars.testing import assert_frame_equal

from ristra.analytics import measures
from ristra.analytics.measures import (
    CENSUS_CALENDAR,
    STATEMENTS_TABLE,
    Query,
    compile_statements,
    composition_people,
    flows_people,
    funnel_people,
    kaplan_meier_people,
    run,
    statement_counts,
)
from ristra.analytics.tests.test_measures_people import (
    DIMENSIONS,
    FACULTY,
    FLOW_KINDS,
    load,
    snapshot_tables,
)

D = dt.date
Tables = dict[str, Table]


@pytest.fixture(scope="module")
def snapshot() -> Iterator[tuple[BaseBackend, Tables]]:
    backend = measures.duckdb_backend()
    yield backend, load(backend, snapshot_tables(random.Random(7)))
    backend.disconnect()


def _store(backend: BaseBackend, queries: list[Query], *, stamp: str | None = None) -> None:
    """Store the statements of ``queries`` as the snapshot refresh does."""
    rows = compile_statements(queries, backend)
    if stamp is not None:
        rows = rows.with_columns(stamp=pl.lit(stamp))
    raw = backend.con
    raw.register("statement_rows", rows)
    raw.execute(f'CREATE OR REPLACE TABLE "{STATEMENTS_TABLE}" AS SELECT * FROM statement_rows')  # noqa: S608
    raw.unregister("statement_rows")


def _delta(before: dict[str, int]) -> dict[str, int]:
    return {k: v - before[k] for k, v in statement_counts().items()}


def _same(query: Query, backend: BaseBackend) -> pl.DataFrame:
    """Run ``query``'s statement and check it against the literal expression run afresh."""
    ours = run(query, backend)
    theirs = run(query.expr(), backend)  # an ordinary Ibis expression, values as literals
    assert ours.columns == theirs.columns
    key = [c for c in ours.columns if c not in ("events", "leaving", "count", "people")]
    if query.measure == "kaplan_meier_people":  # unordered: one row per group and time
        ours, theirs = ours.sort(key), theirs.sort(key)
    assert_frame_equal(ours, theirs)
    return ours


MEASURES: dict[str, Callable[[Tables, st.DataObject], Query]] = {
    "composition": lambda t, data: composition_people(
        t["person_kinds"],
        t["dimension_groups"],
        kinds=data.draw(st.sampled_from([[FACULTY], [FACULTY, "leadership_appointment"]])),
        dates=data.draw(st.lists(st.sampled_from(CENSUS_CALENDAR), min_size=1, max_size=12)),
        dimension=data.draw(st.sampled_from(DIMENSIONS)),
    ),
    "flows": lambda t, data: flows_people(
        t["person_years"],
        t["dimension_groups"],
        kinds=FLOW_KINDS,
        years=range(
            first := data.draw(st.integers(2005, 2024)),
            first + data.draw(st.integers(1, 12)),
            data.draw(st.sampled_from([1, 1, 2, 3])),
        ),
        dimension=data.draw(st.sampled_from(DIMENSIONS)),
    ),
    "funnel": lambda t, data: funnel_people(
        t["person_years"],
        t["dimension_groups"],
        cycle=data.draw(st.integers(2017, 2022)),
        dimension=data.draw(st.sampled_from(DIMENSIONS)),
    ),
    "kaplan-meier": lambda t, data: kaplan_meier_people(
        t["person_kinds"],
        t["stages"],
        start_kind=FACULTY,
        event_kind=data.draw(st.sampled_from(["separation", "promotion"])),
        dimension="ipeds",
        horizon_years=data.draw(st.sampled_from([1.0, 3.5, 10.0])),
        as_of=data.draw(st.dates(D(2012, 1, 1), D(2025, 12, 31))),
    ),
}


@pytest.mark.parametrize("measure", list(MEASURES))
@settings(max_examples=25)
@given(data=st.data())
def test_a_statement_compiled_at_refresh_gives_the_fresh_expressions_results(
    measure: str, data: st.DataObject, snapshot: tuple[BaseBackend, Tables]
) -> None:
    backend, t = snapshot
    # Refresh: the statement compiled for some values of this shape, and stored.
    ahead = MEASURES[measure](t, data)
    _store(backend, [ahead])
    measures.clear_caches()
    # Request: other values, the same shape; the stored statement serves them.
    query = MEASURES[measure](t, data)
    before = statement_counts()
    result = _same(query, backend)
    if query.key == ahead.key:
        assert _delta(before) == {"compiled": 0, "read": 1, "reused": 0}
    assert result.height > 0


def test_one_statement_serves_every_value_of_a_shape(
    snapshot: tuple[BaseBackend, Tables],
) -> None:
    _, t = snapshot
    queries = [
        funnel_people(t["person_years"], t["dimension_groups"], cycle=c, dimension="sex")
        for c in (2018, 2019, 2020)
    ]
    assert len({q.key for q in queries}) == 1
    assert len({json.dumps(q.parameters()) for q in queries}) == 3
    other = funnel_people(t["person_years"], t["dimension_groups"], cycle=2018, dimension="ipeds")
    assert other.key != queries[0].key


def test_a_second_refresh_in_one_process_compiles_only_new_shapes() -> None:
    backend = measures.duckdb_backend()  # a new snapshot file's connection, as a refresh opens
    try:
        tables = load(backend, snapshot_tables(random.Random(7)))

        def queries(dimension: str) -> list[Query]:
            return [
                funnel_people(
                    tables["person_years"], tables["dimension_groups"], cycle=2019, dimension=d
                )
                for d in ("sex", dimension)
            ]

        measures.clear_caches()
        before = statement_counts()
        first = compile_statements(queries("sex"), backend)
        assert _delta(before)["compiled"] == 1
        before = statement_counts()
        again = compile_statements(queries("ipeds"), backend)
        assert _delta(before)["compiled"] == 1  # only the ipeds shape is new
        assert again.filter(pl.col("key") == first["key"][0])["sql"].to_list() == [first["sql"][0]]
    finally:
        backend.disconnect()


def test_a_statement_of_another_version_is_compiled_again(
    snapshot: tuple[BaseBackend, Tables],
) -> None:
    backend, t = snapshot
    query = composition_people(
        t["person_kinds"],
        t["dimension_groups"],
        kinds=[FACULTY],
        dates=CENSUS_CALENDAR[20:30],
        dimension="ipeds",
    )
    _store(backend, [query], stamp="measures 0123456789abcdef ristra 0.0.1")
    measures.clear_caches()
    before = statement_counts()
    _same(query, backend)
    assert _delta(before) == {"compiled": 1, "read": 0, "reused": 0}
    _store(backend, [query])  # as written by this version: read, not compiled
    measures.clear_caches()
    before = statement_counts()
    _same(query, backend)
    assert _delta(before) == {"compiled": 0, "read": 1, "reused": 0}


def test_a_statement_of_another_schema_is_compiled_again(tmp_path: Path) -> None:
    path = tmp_path / "snapshot.duckdb"
    backend = measures.duckdb_backend(str(path))
    t = load(backend, snapshot_tables(random.Random(11)))

    def query(tables: Tables) -> Query:
        return flows_people(
            tables["person_years"],
            tables["dimension_groups"],
            kinds=FLOW_KINDS,
            years=range(2012, 2022),
            dimension="sex",
        )

    _store(backend, [query(t)])
    name = t["person_years"].op().name
    raw = backend.con
    raw.execute(f'ALTER TABLE "{name}" ADD COLUMN note VARCHAR')  # the schema changes
    backend.disconnect()
    reopened = measures.duckdb_backend(str(path), read_only=True)
    tables = {k: reopened.table(v.op().name) for k, v in t.items() if k != "groups"}
    measures.clear_caches()
    before = statement_counts()
    changed = query(tables)
    assert changed.key != query(t).key
    _same(changed, reopened)
    assert _delta(before)["compiled"] == 1
    assert _delta(before)["read"] == 0
    reopened.disconnect()


def test_a_snapshot_without_statements_compiles_them(
    snapshot: tuple[BaseBackend, Tables],
) -> None:
    backend, t = snapshot
    backend.con.execute(f'DROP TABLE IF EXISTS "{STATEMENTS_TABLE}"')
    measures.clear_caches()
    before = statement_counts()
    query = funnel_people(t["person_years"], t["dimension_groups"], cycle=2019, dimension="ipeds")
    _same(query, backend)
    run(query, backend)
    assert _delta(before) == {"compiled": 1, "read": 0, "reused": 1}


def test_the_key_of_a_statement_is_the_same_in_another_process(tmp_path: Path) -> None:
    path = tmp_path / "snapshot.duckdb"
    backend = measures.duckdb_backend(str(path))
    t = load(backend, snapshot_tables(random.Random(3)))
    names = {k: v.op().name for k, v in t.items() if k != "groups"}
    # Looked up by name, as a snapshot's tables are (a table in a named catalog is
    # written with it in the SQL, so the catalog is part of the key).
    here = kaplan_meier_people(
        backend.table(names["person_kinds"]),
        backend.table(names["stages"]),
        start_kind=FACULTY,
        event_kind="separation",
        dimension="women",
        horizon_years=10,
        as_of=D(2024, 10, 1),
    ).key
    backend.disconnect()
    script = (
        "import datetime, sys\n"
        "from ristra.analytics import measures as m\n"
        f"b = m.duckdb_backend({str(path)!r}, read_only=True)\n"
        f"k, s = b.table({names['person_kinds']!r}), b.table({names['stages']!r})\n"
        "q = m.kaplan_meier_people(k, s, start_kind='faculty_appointment', "
        "event_kind='separation', dimension='women', horizon_years=10, "
        "as_of=datetime.date(2020, 1, 1))\n"
        "print(q.key)\n"
    )
    there = subprocess.run(  # noqa: S603 - this interpreter, a fixed script
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert here is not None
    assert there == here


def test_an_in_memory_table_has_no_key_and_still_runs() -> None:
    backend = measures.duckdb_backend()
    years = ibis.memtable(
        pl.DataFrame(
            {"person_id": [1, 2], "kind": ["application"] * 2, "year": [2020, 2020]},
            schema={"person_id": pl.Int64, "kind": pl.String, "year": pl.Int64},
        ).with_columns(pl.lit("a").alias(measures.group_column("sex")))
    )
    domains = ibis.memtable(pl.DataFrame({"dimension": ["sex", "sex"], "group": ["a", "unknown"]}))
    query = funnel_people(years, domains, cycle=2020, dimension="sex")
    assert query.key is None
    assert run(query, backend)["applicants"].to_list() == [2, 0]
