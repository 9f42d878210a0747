"""Compiled-query reuse and the date masks of ``composition`` (many dates)."""

from __future__ import annotations

import datetime as dt
import random

import ibis
import polars as pl
from ibis.backends import BaseBackend
from polars.testing import assert_frame_equal

from ristra.analytics import measures
from ristra.analytics.measures import composition, funnel_by, headcount, run, run_all
from ristra.analytics.tests import test_measures as base
from ristra.analytics.tests.test_measures import HEADCOUNT_STAGES, stages_frame
from ristra.analytics.tests.test_measures_groups import (
    FUNNEL_GROUPS,
    FUNNEL_ROWS,
    HEADCOUNT_GROUPS,
    groups_frame,
)

duck = base.duck
D = dt.date
FACULTY = ["faculty_appointment"]


def snapshot(_: BaseBackend) -> BaseBackend:
    """The test tables as real tables (as in a snapshot file), not in-memory ones."""
    duck = ibis.duckdb.connect()
    duck.create_table("stages", ibis.memtable(stages_frame(HEADCOUNT_STAGES + FUNNEL_ROWS)))
    duck.create_table("groups", ibis.memtable(groups_frame([*HEADCOUNT_GROUPS, *FUNNEL_GROUPS])))
    return duck


def test_it_compiles_an_equal_measure_once(duck: BaseBackend, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    con = snapshot(duck)
    measures.clear_caches()
    compiled: list[object] = []
    original = type(con).compile

    def counting(self, expr, *args, **kwargs):  # type: ignore[no-untyped-def]
        compiled.append(expr)
        return original(self, expr, *args, **kwargs)

    monkeypatch.setattr(type(con), "compile", counting)

    def build() -> ibis.Table:
        # Fresh table objects each time, as a dashboard request builds them.
        return composition(
            con.table("stages"),
            con.table("groups"),
            kinds=FACULTY,
            dates=[D(2024, 10, 1), D(2024, 10, 2)],
            dimension="ipeds",
        )

    first = run(build(), con)
    again = run(build(), con)
    assert len(compiled) == 1
    assert_frame_equal(first, again)
    measures.clear_caches()
    monkeypatch.undo()
    assert_frame_equal(con.to_polars(build()), first)


def test_cached_results_equal_uncached_ones_through_run_all(duck: BaseBackend) -> None:
    con = snapshot(duck)
    measures.clear_caches()
    stages, groups = con.table("stages"), con.table("groups")
    exprs = {
        "composition": composition(
            stages, groups, kinds=FACULTY, dates=[D(2016, 1, 1), D(2024, 10, 1)], dimension="sex"
        ),
        "funnel": funnel_by(stages, groups, cycle=2025, dimension="ipeds"),
    }
    cold = run_all(exprs, con)
    warm = run_all(exprs, con)
    for name, expr in exprs.items():
        expected = con.to_polars(expr)
        assert_frame_equal(cold[name], expected)
        assert_frame_equal(warm[name], expected)


def test_it_builds_a_measure_again_for_another_connection() -> None:
    one, two = ibis.duckdb.connect(), ibis.duckdb.connect()
    for con in (one, two):
        con.create_table("stages", ibis.memtable(stages_frame(HEADCOUNT_STAGES)))
        con.create_table("groups", ibis.memtable(groups_frame(HEADCOUNT_GROUPS)))

    def build(con: BaseBackend) -> ibis.Table:
        return composition(
            con.table("stages"),
            con.table("groups"),
            kinds=FACULTY,
            dates=[D(2024, 10, 1)],
            dimension="ipeds",
        )

    assert build(one) is build(one)
    assert build(one) is not build(two)


def test_composition_over_many_dates_equals_headcount_on_each(duck: BaseBackend) -> None:
    """More than 62 dates: several date masks per person."""
    rng = random.Random(11)
    rows = []
    for person in range(1, 60):
        start = D(2000, 1, 1) + dt.timedelta(days=rng.randrange(0, 3000))
        for _ in range(rng.randrange(1, 3)):
            end = start + dt.timedelta(days=rng.randrange(1, 2000))
            rows.append(
                (person, "faculty_appointment", start, end if rng.random() < 0.7 else None)
                + (None, "MED", "", "", False)
            )
            start = start + dt.timedelta(days=rng.randrange(-200, 900))
    groups = [(p, "sex", rng.choice(["female", "male"])) for p in range(1, 60, 2)]
    stages = ibis.memtable(stages_frame(rows))
    group_table = ibis.memtable(groups_frame(groups))
    dates = [D(2000, 1, 1) + dt.timedelta(days=45 * i) for i in range(130)]
    result = run(
        composition(stages, group_table, kinds=FACULTY, dates=dates, dimension="sex"), duck
    )
    assert result.height == len(dates) * 3
    totals = result.group_by("as_of").agg(pl.col("count").sum()).sort("as_of")
    categories = ibis.memtable(
        pl.DataFrame(
            {"person_id": [1], "category": ["x"], "value": ["yes"]},
            schema={"person_id": pl.Int64, "category": pl.String, "value": pl.String},
        )
    )
    for day, total in totals.iter_rows():
        expected = run(headcount(stages, categories, kinds=FACULTY, as_of=day, category="x"), duck)[
            "total"
        ][0]
        assert total == expected, day
