from __future__ import annotations

import datetime as dt
import random
import uuid
from collections.abc import Sequence
from typing import Any

import ibis
import polars as pl
import pytest
from ibis.backends import BaseBackend
from ibis.expr.types import Table
from polars.testing import assert_frame_equal

from ristra.analytics import measures
from ristra.analytics.measures import (
    category_groups,
    composition,
    flows,
    flows_by,
    funnel,
    funnel_by,
    intersection_by,
    kaplan_meier,
    kaplan_meier_by,
    run,
    trend,
)
from ristra.analytics.tests import test_measures as base
from ristra.analytics.tests.test_measures import (
    FLOW_STAGES,
    HEADCOUNT_STAGES,
    admissions,
    categories_frame,
    normalise,
    random_categories,
    random_workforce,
    stage,
    stages_frame,
)

# The fixtures of test_measures (an in-memory DuckDB; the PostgreSQL server, or a skip).
duck = base.duck
postgres = base.postgres

D = dt.date
FACULTY = ["faculty_appointment"]


def groups_frame(rows: Sequence[tuple[int, str, str | None]]) -> pl.DataFrame:
    return pl.DataFrame(
        list(rows),
        schema={"person_id": pl.Int64, "dimension": pl.String, "group": pl.String},
        orient="row",
    )


def tables(
    stage_rows: Sequence[tuple[Any, ...]], group_rows: Sequence[tuple[int, str, str | None]]
) -> tuple[Table, Table]:
    return ibis.memtable(stages_frame(stage_rows)), ibis.memtable(groups_frame(group_rows))


def cells(frame: pl.DataFrame, *keys: str, value: str = "count") -> dict[Any, Any]:
    """{key: value} per row; the key is a tuple with several key columns."""
    rows = frame.iter_rows(named=True)
    if len(keys) == 1:
        return {r[keys[0]]: r[value] for r in rows}
    return {tuple(r[k] for k in keys): r[value] for r in rows}


# Groups for the headcount cast: 1 black/female, 2 white, 3 white/male, 5 hispanic/male,
# 6 black, 7 asian/female (staff), 4 and 8 have no rows (unknown). "aian" is a group of
# the dimension that nobody active is in; "intersex" likewise for sex.
HEADCOUNT_GROUPS = [
    (1, "ipeds", "black"),
    (2, "ipeds", "white"),
    (3, "ipeds", "white"),
    (5, "ipeds", "hispanic"),
    (6, "ipeds", "black"),
    (7, "ipeds", "asian"),
    (9, "ipeds", "aian"),
    (1, "sex", "female"),
    (3, "sex", "male"),
    (5, "sex", "male"),
    (7, "sex", "female"),
    (9, "sex", "intersex"),
    (6, "sex", None),  # a null group is unknown
]
IPEDS = ["aian", "asian", "black", "hispanic", "white", "unknown"]


def test_it_composes_the_population_by_group_on_each_date(duck: BaseBackend) -> None:
    stages, groups = tables(HEADCOUNT_STAGES, HEADCOUNT_GROUPS)
    dates = [D(2024, 10, 1), D(2009, 10, 1), D(2024, 10, 2)]
    result = run(composition(stages, groups, kinds=FACULTY, dates=dates, dimension="ipeds"), duck)
    assert result.columns == ["as_of", "group", "count"]
    assert result["as_of"].to_list() == [d for d in sorted(dates) for _ in IPEDS]
    assert result["group"].to_list() == IPEDS * 3
    # 2024-10-01: 1 (black, two appointments, once), 4 (no row: unknown), 5 (hispanic).
    assert cells(result.filter(pl.col("as_of") == D(2024, 10, 1)), "group") == {
        "aian": 0,
        "asian": 0,
        "black": 1,
        "hispanic": 1,
        "white": 0,
        "unknown": 1,
    }
    # 2024-10-02: 4 has left (end exclusive), 6 (black) has started.
    assert cells(result.filter(pl.col("as_of") == D(2024, 10, 2)), "group") == {
        "aian": 0,
        "asian": 0,
        "black": 2,
        "hispanic": 1,
        "white": 0,
        "unknown": 0,
    }
    assert result.filter(pl.col("as_of") == D(2009, 10, 1))["count"].to_list() == [0] * 6


def test_it_agrees_with_trend_on_a_yes_no_category(duck: BaseBackend) -> None:
    stages = ibis.memtable(stages_frame(HEADCOUNT_STAGES))
    cat_rows = [
        (1, "women", "yes"),
        (2, "women", "yes"),
        (3, "women", "no"),
        (5, "women", "no"),
        (7, "women", "yes"),
        (7, "women", "no"),  # conflict: unknown
        (6, "women", None),
    ]
    cats = ibis.memtable(categories_frame(cat_rows))
    dates = measures.census_dates(range(2009, 2026))
    kinds = ["faculty_appointment", "staff_appointment"]
    got = run(
        composition(
            stages,
            category_groups(cats, ["women"]),
            kinds=kinds,
            dates=dates,
            dimension="women",
            by=["unit"],
        ),
        duck,
    )
    want = run(trend(stages, cats, kinds=kinds, dates=dates, category="women", by=["unit"]), duck)
    # trend reports a unit only on the dates it has people; composition on every date.
    joined = got.join(want, left_on=["as_of", "unit", "group"], right_on=["as_of", "unit", "value"])
    assert joined.height == want.height
    assert (joined["count"] == joined["count_right"]).all()
    assert got.filter(~pl.col("as_of").is_in(want["as_of"].implode()))["count"].sum() == 0
    assert set(got["group"]) == {"yes", "no", "unknown"}  # "yes" and "no" occur, plus unknown


def test_it_breaks_composition_down_with_every_unit_on_every_date(duck: BaseBackend) -> None:
    # 10 holds a PED appointment between the two dates only: PED is not reported.
    between = stage(10, "faculty_appointment", D(2017, 1, 1), D(2018, 1, 1), unit="PED")
    stages, groups = tables([*HEADCOUNT_STAGES, between], HEADCOUNT_GROUPS)
    dates = [D(2016, 1, 1), D(2024, 10, 1)]
    result = run(
        composition(
            stages,
            groups,
            kinds=["faculty_appointment", "staff_appointment"],
            dates=dates,
            dimension="sex",
            by=["unit", "rank"],
        ),
        duck,
    )
    # (unit, rank) present on some date: MED/professor, SUR/professor (1 only from 2018),
    # MED/instructor, MED/"" (person 7, staff) -> 4 combinations x 4 groups x 2 dates.
    assert result.height == 4 * 4 * 2
    y16, y24 = dates
    assert cells(result.filter(pl.col("count") > 0), "as_of", "unit", "rank", "group") == {
        (y16, "MED", "professor", "female"): 1,
        (y16, "MED", "instructor", "male"): 1,  # 3
        (y16, "MED", "instructor", "unknown"): 2,  # 2 and 4: no row
        (y24, "MED", "professor", "female"): 1,
        (y24, "SUR", "professor", "female"): 1,  # 1 counts once in each unit
        (y24, "MED", "instructor", "male"): 1,  # 5 (3 ended that day)
        (y24, "MED", "instructor", "unknown"): 1,  # 4
        (y24, "MED", "", "female"): 1,  # 7, staff
    }
    on_2016 = result.filter(pl.col("as_of") == D(2016, 1, 1))
    # 2016: MED/instructor = 2 (unknown: no row), 3 (male), 4 (unknown).
    assert cells(on_2016.filter(pl.col("rank") == "instructor"), "group") == {
        "female": 0,
        "intersex": 0,
        "male": 1,
        "unknown": 2,
    }
    assert cells(on_2016.filter(pl.col("unit") == "SUR"), "group") == {
        "female": 0,
        "intersex": 0,
        "male": 0,
        "unknown": 0,
    }
    on_2024 = result.filter(pl.col("as_of") == D(2024, 10, 1))
    assert cells(on_2024.filter(pl.col("unit") == "SUR"), "group")["female"] == 1
    assert cells(on_2024.filter(pl.col("rank") == ""), "group")["female"] == 1  # 7, staff


def test_it_counts_flows_of_several_kinds_by_group(duck: BaseBackend) -> None:
    group_rows = [
        (1, "sex", "female"),
        (2, "sex", "male"),
        (3, "sex", "female"),
        (5, "sex", "female"),
        (6, "sex", "female"),
        (7, "sex", "unknown"),
    ]
    rows = [*FLOW_STAGES, stage(3, "promotion", D(2023, 9, 1))]  # 3 twice in 2023: once
    stages, groups = tables(rows, group_rows)
    kinds = ["promotion", "faculty_appointment", "offer", "offer_declined", "offer_accepted"]
    result = run(
        flows_by(stages, groups, kinds=kinds, years=range(2022, 2025), dimension="sex"), duck
    )
    assert result.columns == ["year", "kind", "group", "people"]
    assert result.height == 3 * 5 * 3  # years x kinds x (female, male, unknown)
    assert result["kind"].to_list()[:6] == ["promotion"] * 3 + ["faculty_appointment"] * 3
    got = cells(result.filter(pl.col("people") > 0), "year", "kind", "group", value="people")
    assert got == {
        (2022, "faculty_appointment", "male"): 1,
        (2023, "promotion", "female"): 2,  # 1 and 3 (3 has two promotions that year)
        (2023, "faculty_appointment", "female"): 1,
        (2023, "offer", "unknown"): 1,
        (2023, "offer_declined", "unknown"): 1,
        (2024, "promotion", "female"): 1,
        (2024, "promotion", "male"): 1,
        (2024, "offer", "female"): 2,
        (2024, "offer_declined", "female"): 1,  # "Declined": outcomes are case-blind
        (2024, "offer_accepted", "female"): 1,
    }


def test_it_agrees_with_flows_on_people(duck: BaseBackend) -> None:
    rng = random.Random(11)
    rows = random_workforce(rng, 120)
    cat_rows = random_categories(rng, 120, ["women"])
    stages = ibis.memtable(stages_frame(rows))
    cats = ibis.memtable(categories_frame(cat_rows))
    kinds = ["promotion", "separation", "faculty_appointment"]
    years = range(2008, 2024)
    got = run(
        flows_by(
            stages, category_groups(cats, ["women"]), kinds=kinds, years=years, dimension="women"
        ),
        duck,
    )
    for kind in kinds:
        want = run(flows(stages, cats, kind=kind, category="women", years=years), duck)
        mine = got.filter(pl.col("kind") == kind)
        assert cells(mine, "year", "group", value="people") == cells(
            want, "year", "value", value="people"
        )


FUNNEL_ROWS = [
    *admissions(1, "a"),
    *admissions(2, "ai"),
    *admissions(3, "aio", outcome="declined"),
    *admissions(4, "aiom", outcome="accepted"),
    *admissions(5, "aio", outcome="accepted"),
    *admissions(6, "ai"),
    *admissions(7, "aiom", outcome="Accepted"),
    *admissions(8, "aiom", outcome="accepted", cycle=2024),  # another cycle
    *admissions(9, "a"),
]
FUNNEL_GROUPS = [
    *[(p, "ipeds", "hispanic") for p in (1, 2, 3, 4, 5)],
    (6, "ipeds", "white"),
    (7, "ipeds", "white"),
    (8, "ipeds", "asian"),  # only in another cycle: a zero row
]


def test_it_computes_the_funnel_by_group(duck: BaseBackend) -> None:
    stages, groups = tables(FUNNEL_ROWS, FUNNEL_GROUPS)
    result = run(funnel_by(stages, groups, cycle=2025, dimension="ipeds"), duck)
    assert result.columns == ["group", *measures.FUNNEL_STEPS]
    assert result.rows() == [
        ("asian", 0, 0, 0, 0, 0),
        ("hispanic", 5, 4, 3, 2, 1),
        ("white", 2, 2, 1, 1, 1),
        ("unknown", 1, 0, 0, 0, 0),
    ]


def test_it_agrees_with_the_category_funnel(duck: BaseBackend) -> None:
    stages = ibis.memtable(stages_frame(FUNNEL_ROWS))
    cat_rows = [(p, "urim", "yes") for p in (1, 2, 3)] + [(4, "urim", "no"), (7, "urim", "x")]
    cats = ibis.memtable(categories_frame(cat_rows))
    got = run(
        funnel_by(stages, category_groups(cats, ["urim"]), cycle=2025, dimension="urim"), duck
    )
    want = run(funnel(stages, cats, cycle=2025, category="urim"), duck)
    steps = list(measures.FUNNEL_STEPS)
    by_group = {r[0]: r[1:] for r in got.rows()}
    assert {r[0]: r[1:] for r in want.select("value", *steps).rows()} == by_group


def test_it_gives_a_kaplan_meier_curve_per_group(duck: BaseBackend) -> None:
    origin = D(2010, 1, 1)
    # group a: 3, 5, 5+, 7 ; group b: 4+, 6, 6 ; person 9: no group row -> unknown, 2
    times = {1: (3, True), 2: (5, True), 3: (5, False), 4: (7, True)}
    times |= {5: (4, False), 6: (6, True), 7: (6, True), 9: (2, True)}
    rows: list[tuple[Any, ...]] = []
    for pid, (days, event) in times.items():
        end = origin + dt.timedelta(days=days)
        rows.append(stage(pid, "faculty_appointment", origin, end))
        if event:
            rows.append(stage(pid, "separation", end))
    group_rows = [(p, "x", "a") for p in (1, 2, 3, 4)] + [(p, "x", "b") for p in (5, 6, 7)]
    stages, groups = tables(rows, group_rows)
    args: dict[str, Any] = {
        "start_kind": "faculty_appointment",
        "event_kind": "separation",
        "horizon_years": 5,
        "as_of": D(2030, 1, 1),
    }
    curve = run(kaplan_meier_by(stages, groups, dimension="x", **args), duck)
    assert curve.columns == [
        "group",
        "time_days",
        "time_years",
        "n_at_risk",
        "events",
        "censored",
        "survival",
        "greenwood",
        "variance",
    ]
    assert curve["group"].to_list() == ["a"] * 3 + ["b"] * 2 + ["unknown"]
    assert curve["time_days"].to_list() == [3, 5, 7, 4, 6, 2]
    assert curve["n_at_risk"].to_list() == [4, 3, 1, 3, 2, 1]
    assert curve["events"].to_list() == [1, 1, 1, 0, 2, 1]
    assert curve["censored"].to_list() == [0, 1, 0, 1, 0, 0]
    assert curve["survival"].to_list() == pytest.approx([0.75, 0.5, 0.0, 1.0, 0.0, 0.0])
    assert curve["variance"][1] == pytest.approx(0.5**2 * (1 / (4 * 3) + 1 / (3 * 2)))
    # The same persons through kaplan_meier (one shared implementation) give the same curve.
    cats = ibis.memtable(
        categories_frame([(p, "k", "yes") for p in (1, 2, 3, 4)] + [(5, "k", "no")])
    )
    by_value = run(kaplan_meier(stages, cats, category="k", **args), duck)
    again = run(kaplan_meier_by(stages, category_groups(cats, ["k"]), dimension="k", **args), duck)
    assert again["group"].unique(maintain_order=True).to_list() == ["no", "yes", "unknown"]
    assert_frame_equal(
        again.rename({"group": "value"}).sort("value", "time_days"),
        by_value.sort("value", "time_days"),
    )


def test_it_counts_intersections_of_dimensions(duck: BaseBackend) -> None:
    stages, groups = tables(HEADCOUNT_STAGES, HEADCOUNT_GROUPS)
    result = run(
        intersection_by(
            stages,
            groups,
            kinds=FACULTY,
            as_of=D(2024, 10, 1),
            dimensions=["ipeds", "sex"],
            by=["rank"],
        ),
        duck,
    )
    assert result.columns == ["rank", "ipeds", "sex", "count"]
    sexes = ["female", "intersex", "male", "unknown"]
    assert result.height == 2 * 6 * 4  # (professor, instructor) x ipeds x sex
    assert (
        result.filter(pl.col("rank") == "instructor")["ipeds"].to_list()[:8]
        == ["aian"] * 4 + ["asian"] * 4
    )
    assert result["sex"].to_list()[:4] == sexes
    # 1: professor black female; 4: instructor unknown/unknown; 5: instructor hispanic male.
    assert cells(result.filter(pl.col("count") > 0), "rank", "ipeds", "sex") == {
        ("professor", "black", "female"): 1,
        ("instructor", "unknown", "unknown"): 1,
        ("instructor", "hispanic", "male"): 1,
    }
    alone = run(
        intersection_by(stages, groups, kinds=FACULTY, as_of=D(2024, 10, 1), dimensions=["sex"]),
        duck,
    )
    assert alone.rows() == [("female", 1), ("intersex", 0), ("male", 1), ("unknown", 1)]


def test_it_rejects_bad_arguments_to_the_group_measures() -> None:
    stages, groups = tables(HEADCOUNT_STAGES, HEADCOUNT_GROUPS)
    with pytest.raises(ValueError, match="no dates"):
        composition(stages, groups, kinds=FACULTY, dates=[], dimension="sex")
    with pytest.raises(ValueError, match="unsupported kinds"):
        composition(stages, groups, kinds=["promotion"], dates=[D(2020, 1, 1)], dimension="sex")
    with pytest.raises(ValueError, match="repeated kinds"):
        flows_by(stages, groups, kinds=["offer", "offer"], years=range(2020, 2021), dimension="s")
    with pytest.raises(ValueError, match="unusable or repeated"):
        intersection_by(stages, groups, kinds=FACULTY, as_of=D(2020, 1, 1), dimensions=["count"])
    with pytest.raises(ValueError, match="unusable or repeated"):
        intersection_by(
            stages, groups, kinds=FACULTY, as_of=D(2020, 1, 1), dimensions=["sex", "sex"]
        )


# --------------------------------------------------------------------------- portability


def random_groups(rng: random.Random, people: int) -> list[tuple[int, str, str | None]]:
    rows: list[tuple[int, str, str | None]] = []
    for pid in range(1, people + 1):
        if rng.random() < 0.9:  # else no row: unknown
            rows.append((pid, "ipeds", rng.choice(["black", "white", "hispanic", "unknown"])))
        rows.append((pid, "sex", rng.choice(["female", "male", "unknown"])))
    return rows


def test_the_group_measures_give_identical_results_on_duckdb_and_postgresql(
    postgres: BaseBackend,
) -> None:
    rng = random.Random(2026)
    people = 300
    rows = random_workforce(rng, people)
    for pid in range(1001, 1301):
        cycle = rng.choice([2019, 2020])
        steps = "a" + "i" * (rng.random() < 0.6) + "o" * (rng.random() < 0.4)
        outcome = rng.choice(["accepted", "declined", ""])
        steps += "m" * ("o" in steps and outcome == "accepted")
        rows += admissions(pid, steps, cycle=cycle, outcome=outcome)
    stage_df = stages_frame(rows)
    group_df = groups_frame(random_groups(rng, 1300))
    suffix = uuid.uuid4().hex[:8]
    duck_backend = measures.duckdb_backend()
    tables_on = {
        "duckdb": (
            duck_backend.create_table("stages", ibis.memtable(stage_df)),
            duck_backend.create_table("groups", ibis.memtable(group_df)),
        ),
        "postgres": (
            postgres.create_table(f"measures_stages_{suffix}", stage_df, temp=True),
            postgres.create_table(f"measures_groups_{suffix}", group_df, temp=True),
        ),
    }
    backends = {"duckdb": duck_backend, "postgres": postgres}
    builds: dict[str, Any] = {
        "composition": lambda s, g: composition(
            s,
            g,
            kinds=FACULTY,
            dates=measures.census_dates(range(2012, 2020)),
            dimension="ipeds",
            by=["unit"],
        ),
        "flows_by": lambda s, g: flows_by(
            s,
            g,
            kinds=["promotion", "separation", "offer", "offer_accepted", "application"],
            years=range(2010, 2022),
            dimension="sex",
        ),
        "funnel_by": lambda s, g: funnel_by(s, g, cycle=2020, dimension="ipeds"),
        "kaplan_meier_by": lambda s, g: kaplan_meier_by(
            s,
            g,
            start_kind="faculty_appointment",
            event_kind="separation",
            dimension="ipeds",
            horizon_years=10,
            as_of=D(2020, 1, 1),
        ),
        "intersection_by": lambda s, g: intersection_by(
            s, g, kinds=FACULTY, as_of=D(2018, 10, 1), dimensions=["ipeds", "sex"], by=["rank"]
        ),
    }
    for name, build in builds.items():
        results = {
            backend: run(build(*tables_on[backend]), backends[backend]) for backend in backends
        }
        ours, theirs = results["duckdb"], results["postgres"]
        assert ours.height > 0, name
        assert ours.columns == theirs.columns, name
        # Same rows in the same order (the order is part of each measure's contract).
        try:
            assert_frame_equal(normalise(ours), normalise(theirs), check_exact=False, abs_tol=1e-9)
            key = [c for c in ours.columns if ours.schema[c] in (pl.String, pl.Date)]
            assert ours.select(key).rows() == theirs.select(key).rows()
        except AssertionError as exc:
            raise AssertionError(f"{name} differs between DuckDB and PostgreSQL: {exc}") from exc
    km = run(builds["kaplan_meier_by"](*tables_on["duckdb"]), duck_backend)
    assert km["events"].sum() > 0 and km["censored"].sum() > 0
    assert run(builds["funnel_by"](*tables_on["duckdb"]), duck_backend)["matriculated"].sum() > 0


def test_run_all_gives_the_results_of_run_on_one_connection(duck: BaseBackend) -> None:
    stages, groups = tables(FUNNEL_ROWS + list(HEADCOUNT_STAGES), FUNNEL_GROUPS)
    exprs = {
        "funnel": funnel_by(stages, groups, cycle=2025, dimension="ipeds"),
        "composition": composition(
            stages, groups, kinds=FACULTY, dates=[D(2016, 1, 1)], dimension="ipeds"
        ),
        "intersection": intersection_by(
            stages, groups, kinds=FACULTY, as_of=D(2024, 10, 1), dimensions=["ipeds"]
        ),
    }
    together = measures.run_all(exprs, duck)
    assert list(together) == list(exprs)
    for name, expr in exprs.items():
        assert_frame_equal(together[name], run(expr, duck))
    assert measures.run_all(exprs, duck, workers=1).keys() == exprs.keys()
