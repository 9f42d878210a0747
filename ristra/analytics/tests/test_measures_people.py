"""The measures over the per-person tables give exactly the measures over spells."""

from __future__ import annotations

import datetime as dt
import random
import uuid
from collections.abc import Callable
from typing import Any

import ibis
import polars as pl
import pytest
from ibis.backends import BaseBackend
from ibis.expr.types import Table
from polars.testing import assert_frame_equal
from scipy import stats

from ristra.analytics import measures
from ristra.analytics.measures import (
    CENSUS_CALENDAR,
    category_groups,
    census_calendar_covers,
    composition,
    composition_people,
    flows_by,
    flows_people,
    funnel_by,
    funnel_people,
    kaplan_meier_by,
    kaplan_meier_people,
    km_curve,
    parity,
    person_tables,
    run,
)
from ristra.analytics.tests import test_measures as base
from ristra.analytics.tests.test_measures import (
    admissions,
    categories_frame,
    normalise,
    random_categories,
    random_workforce,
    stage,
    stages_frame,
)
from ristra.analytics.tests.test_measures_groups import groups_frame, random_groups

duck = base.duck
postgres = base.postgres

D = dt.date
FACULTY = "faculty_appointment"
PEOPLE = 400
DIMENSIONS = ["ipeds", "sex", "women"]
FLOW_KINDS = ["separation", "offer", "offer_accepted", "offer_declined", FACULTY, "promotion"]


def awkward_stages(rng: random.Random) -> list[tuple[Any, ...]]:
    """A random workforce and admissions, plus the spells that make merging hard."""
    rows = random_workforce(rng, PEOPLE)
    for pid in range(1, PEOPLE + 1):
        roll = rng.random()
        start = D(2012, 1, 1) + dt.timedelta(days=rng.randrange(0, 10 * 365))
        if roll < 0.05:  # an empty spell (ends the day it starts) and one ending before it
            rows.append(stage(pid, FACULTY, start, start))
            rows.append(stage(pid, FACULTY, start, start - dt.timedelta(days=30)))
        elif roll < 0.1:  # two touching spells: one person on the day between them
            middle = start + dt.timedelta(days=400)
            rows.append(stage(pid, FACULTY, start, middle))
            rows.append(stage(pid, FACULTY, middle, None))
        elif roll < 0.15:  # a spell that begins after the earlier census dates
            rows.append(stage(pid, FACULTY, D(2021, 3, 1), D(2023, 10, 1)))
        elif roll < 0.2:  # staff only (another population)
            rows.append(stage(pid + 5000, "staff_appointment", start, None))
            rows.append(stage(pid + 5000, "separation", start + dt.timedelta(days=900)))
    for pid in range(2001, 2401):
        cycle = rng.choice([2019, 2020, None])
        steps = "a" + "i" * (rng.random() < 0.6) + "o" * (rng.random() < 0.5)
        outcome = rng.choice(["accepted", "Accepted", "declined", "", "withdrawn"])
        steps += "m" * ("o" in steps and rng.random() < 0.7)
        rows += admissions(pid, steps, cycle=cycle or 2019, outcome=outcome)
        if cycle is None:  # an admissions row without a cycle: in no year
            rows.append(stage(pid, "application", D(2019, 9, 1), year=None, unit=None))
        if "m" in steps:
            rows.append(stage(pid, "enrollment", D(2019, 8, 1), D(2023, 5, 31)))
    return rows


def snapshot_tables(rng: random.Random) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    stages = stages_frame(awkward_stages(rng))
    groups = groups_frame(random_groups(rng, 2400))
    categories = categories_frame(random_categories(rng, 2400, ["women"]))
    return stages, groups, categories


def load(
    backend: BaseBackend, frames: tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]
) -> dict[str, Table]:
    """The base tables and the per-person tables, as the snapshot writer makes them."""
    suffix = uuid.uuid4().hex[:8]
    temp = backend.name == "postgres"
    stages, groups, categories = (
        backend.create_table(f"{name}_{suffix}", frame if temp else ibis.memtable(frame), temp=temp)
        for name, frame in zip(("stages", "groups", "categories"), frames, strict=True)
    )
    all_groups = groups.union(category_groups(categories, ["women"]))
    derived = person_tables(stages, all_groups, dimensions=DIMENSIONS)
    tables = {"stages": stages, "groups": all_groups}
    for name, expr in derived.items():
        tables[name] = backend.create_table(f"{name}_{suffix}", expr, temp=temp)
    return tables


CASES: dict[str, tuple[Callable[[dict[str, Table]], Table], Callable[[dict[str, Table]], Table]]]
CASES = {}


def case(name: str, people: Callable[..., Table], spells: Callable[..., Table]) -> None:
    CASES[name] = (people, spells)


for dimension in DIMENSIONS:
    for kinds in ([FACULTY], [FACULTY, "leadership_appointment"], ["enrollment"]):
        dates = measures.census_dates(range(2009, 2025, 3))
        case(
            f"composition {dimension} {kinds}",
            lambda t, d=dimension, k=kinds, dates=dates: composition_people(
                t["person_kinds"], t["dimension_groups"], kinds=k, dates=dates, dimension=d
            ),
            lambda t, d=dimension, k=kinds, dates=dates: composition(
                t["stages"], t["groups"], kinds=k, dates=dates, dimension=d
            ),
        )
    case(
        f"flows {dimension}",
        lambda t, d=dimension: flows_people(
            t["person_years"],
            t["dimension_groups"],
            kinds=FLOW_KINDS,
            years=range(2010, 2024),
            dimension=d,
        ),
        lambda t, d=dimension: flows_by(
            t["stages"], t["groups"], kinds=FLOW_KINDS, years=range(2010, 2024), dimension=d
        ),
    )
    for cycle in (2019, 2020, 2021):
        case(
            f"funnel {dimension} {cycle}",
            lambda t, d=dimension, c=cycle: funnel_people(
                t["person_years"], t["dimension_groups"], cycle=c, dimension=d
            ),
            lambda t, d=dimension, c=cycle: funnel_by(
                t["stages"], t["groups"], cycle=c, dimension=d
            ),
        )
KM_ARGUMENTS = [
    (FACULTY, "separation", 10.0, D(2025, 1, 1)),
    (FACULTY, "separation", 5.0, D(2018, 10, 1)),  # spells begin after this date
    (FACULTY, "promotion", 3.5, D(2021, 6, 30)),
    ("enrollment", "graduation", 8.0, D(2024, 1, 1)),
    ("staff_appointment", "separation", 10.0, D(2020, 1, 1)),
]
for start_kind, event_kind, horizon, as_of in KM_ARGUMENTS:
    for dimension in ("ipeds", "women"):
        arguments = {
            "start_kind": start_kind,
            "event_kind": event_kind,
            "horizon_years": horizon,
            "as_of": as_of,
            "dimension": dimension,
        }
        case(
            f"kaplan-meier {arguments}",
            lambda t, a=arguments: kaplan_meier_people(t["person_kinds"], t["stages"], **a),
            lambda t, a=arguments: kaplan_meier_by(t["stages"], t["groups"], **a),
        )


def result(
    backend: BaseBackend, name: str, build: Callable[[dict[str, Table]], Table], t: dict[str, Table]
) -> pl.DataFrame:
    frame = run(build(t), backend)
    return km_curve(frame) if name.startswith("kaplan-meier") else frame


@pytest.fixture(scope="module")
def duck_tables() -> tuple[BaseBackend, dict[str, Table]]:
    backend = measures.duckdb_backend()
    return backend, load(backend, snapshot_tables(random.Random(2026)))


@pytest.mark.parametrize("name", list(CASES))
def test_the_per_person_measures_equal_the_measures_over_spells(
    name: str, duck_tables: tuple[BaseBackend, dict[str, Table]]
) -> None:
    backend, t = duck_tables
    people, spells = CASES[name]
    ours = result(backend, name, people, t)
    theirs = run(spells(t), backend)
    assert ours.height > 0
    assert ours.columns == theirs.columns
    assert_frame_equal(ours, theirs, check_dtypes=False, check_exact=False, rel_tol=1e-12)


def test_the_data_exercises_every_path(duck_tables: tuple[BaseBackend, dict[str, Table]]) -> None:
    backend, t = duck_tables
    kinds = run(t["person_kinds"], backend)
    faculty = kinds.filter(pl.col("kind") == FACULTY)
    # Someone's spells began after 2018-10-01 though their first began before it.
    assert faculty.filter(
        (pl.col("first_start") <= D(2018, 10, 1)) & (pl.col("last_start") > D(2018, 10, 1))
    ).height
    assert faculty["last_end"].null_count() and faculty["after:separation"].null_count()
    years = run(t["person_years"], backend)
    assert {"offer_accepted", "offer_declined"} <= set(years["kind"].to_list())
    domains = run(t["dimension_groups"], backend)
    assert domains.filter(pl.col("group") == "unknown")["dimension"].sort().to_list() == sorted(
        {*DIMENSIONS, *domains["dimension"].to_list()}
    )


def test_the_per_person_measures_are_the_same_on_postgresql(
    postgres: BaseBackend, duck_tables: tuple[BaseBackend, dict[str, Table]]
) -> None:
    backend, t = duck_tables
    on_pg = load(postgres, snapshot_tables(random.Random(2026)))
    for name, (people, _) in CASES.items():
        ours = result(backend, name, people, t)
        theirs = result(postgres, name, people, on_pg)
        try:
            assert_frame_equal(normalise(ours), normalise(theirs), check_exact=False, abs_tol=1e-9)
            key = [c for c in ours.columns if ours.schema[c] in (pl.String, pl.Date)]
            assert ours.select(key).rows() == theirs.select(key).rows()
        except AssertionError as exc:
            raise AssertionError(f"{name} differs between DuckDB and PostgreSQL: {exc}") from exc


def test_composition_people_answers_for_census_dates_only(
    duck_tables: tuple[BaseBackend, dict[str, Table]],
) -> None:
    _, t = duck_tables
    assert CENSUS_CALENDAR[0] == D(1990, 10, 1) and len(CENSUS_CALENDAR) == 62
    assert census_calendar_covers([D(2024, 10, 1), D(1990, 10, 1)])
    assert not census_calendar_covers([D(2024, 10, 1), D(2024, 9, 30)])
    assert not census_calendar_covers([D(1989, 10, 1)])
    assert not census_calendar_covers([])
    with pytest.raises(ValueError, match="October 1"):
        composition_people(
            t["person_kinds"],
            t["dimension_groups"],
            kinds=[FACULTY],
            dates=[D(2024, 7, 1)],
            dimension="ipeds",
        )
    with pytest.raises(ValueError, match="no per-person column"):
        composition_people(
            t["person_kinds"],
            t["dimension_groups"],
            kinds=[FACULTY],
            dates=[D(2024, 10, 1)],
            dimension="rank",
        )
    with pytest.raises(ValueError, match="unsupported kinds"):
        flows_people(
            t["person_years"],
            t["dimension_groups"],
            kinds=["hire"],
            years=range(2020, 2021),
            dimension="ipeds",
        )


def test_km_curve_of_nobody_is_empty() -> None:
    empty = pl.DataFrame(
        schema={"group": pl.String, "time_days": pl.Int64, "events": pl.Int64, "leaving": pl.Int64}
    )
    curve = km_curve(empty)
    assert curve.height == 0
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


@pytest.mark.parametrize(
    ("count", "total", "confidence"),
    [
        (0, 50, 0.95),
        (1, 50, 0.95),
        (17, 50, 0.9),
        (49, 50, 0.99),
        (50, 50, 0.95),
        (3_120, 148_000, 0.95),
    ],
)
def test_parity_interval_is_clopper_pearson(count: int, total: int, confidence: float) -> None:
    ci = stats.binomtest(count, total).proportion_ci(confidence_level=confidence, method="exact")
    result = parity(count, total, 0.2, confidence=confidence)
    # binomtest finds the same bounds by root-finding, to about 1e-5 relative.
    assert result.low == pytest.approx(ci.low / 0.2, rel=1e-4, abs=1e-12)
    assert result.high == pytest.approx(ci.high / 0.2, rel=1e-4)
    assert (result.low == 0.0) == (count == 0)
    assert (result.high == 1 / 0.2) == (count == total)


def test_person_tables_without_dimensions(duck: BaseBackend) -> None:
    stages = ibis.memtable(stages_frame([stage(1, FACULTY, D(2020, 1, 1))]))
    groups = ibis.memtable(groups_frame([]))
    derived = person_tables(stages, groups, dimensions=[])
    kinds = run(derived["person_kinds"], duck)
    assert kinds.select("person_id", "kind", "census_mask").rows() == [
        (1, FACULTY, sum(2**i for i, d in enumerate(CENSUS_CALENDAR) if d >= D(2020, 1, 1)))
    ]
    assert run(derived["dimension_groups"], duck).height == 0
