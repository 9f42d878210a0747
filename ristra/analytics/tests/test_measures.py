from __future__ import annotations

import datetime as dt
import math
import random
import uuid
from collections.abc import Iterator, Sequence
from typing import Any

import ibis
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ibis.backends import BaseBackend
from ibis.expr.types import Table
from polars.testing import assert_frame_equal

from ristra.analytics import measures
from ristra.analytics.measures import (
    census_dates,
    compare_groups,
    flows,
    funnel,
    headcount,
    intersection,
    kaplan_meier,
    km_confidence_band,
    parity,
    run,
    trend,
)

D = dt.date
PG_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
STAGE_COLUMNS = list(measures.STAGES_SCHEMA.names)


def stage(
    person_id: int,
    kind: str,
    start: dt.date,
    end: dt.date | None = None,
    *,
    year: int | None = None,
    unit: str | None = "MED",
    rank: str = "",
    outcome: str = "",
    senior: bool = False,
) -> tuple[Any, ...]:
    return (person_id, kind, start, end, year, unit, rank, outcome, senior)


def stages_frame(rows: Sequence[tuple[Any, ...]]) -> pl.DataFrame:
    return pl.DataFrame(
        list(rows),
        schema={
            "person_id": pl.Int64,
            "kind": pl.String,
            "start_date": pl.Date,
            "end_date": pl.Date,
            "academic_year": pl.Int64,
            "unit": pl.String,
            "rank": pl.String,
            "outcome": pl.String,
            "senior_administrative": pl.Boolean,
        },
        orient="row",
    )


def categories_frame(rows: Sequence[tuple[int, str, str | None]]) -> pl.DataFrame:
    return pl.DataFrame(
        list(rows),
        schema={"person_id": pl.Int64, "category": pl.String, "value": pl.String},
        orient="row",
    )


def snapshot(
    stage_rows: Sequence[tuple[Any, ...]], category_rows: Sequence[tuple[int, str, str | None]]
) -> tuple[Table, Table]:
    return ibis.memtable(stages_frame(stage_rows)), ibis.memtable(categories_frame(category_rows))


@pytest.fixture(scope="module")
def duck() -> BaseBackend:
    return measures.duckdb_backend()


def by_value(frame: pl.DataFrame, column: str, **keys: object) -> dict[str, Any]:
    for name, wanted in keys.items():
        frame = frame.filter(pl.col(name) == wanted)
    return dict(zip(frame["value"].to_list(), frame[column].to_list(), strict=True))


# --------------------------------------------------------------------------- headcount

HEADCOUNT_STAGES = [
    # 1: two concurrent appointments (MED and SUR) -> one person, woman
    stage(1, "faculty_appointment", D(2015, 7, 1), None, rank="professor"),
    stage(1, "faculty_appointment", D(2018, 1, 1), None, unit="SUR", rank="professor"),
    # 2: ended the day before -> out; 3: ends on the date -> out (end is exclusive)
    stage(2, "faculty_appointment", D(2010, 1, 1), D(2024, 9, 30), rank="instructor"),
    stage(3, "faculty_appointment", D(2010, 1, 1), D(2024, 10, 1), rank="instructor"),
    # 4: ends the day after -> in; no category row -> unknown
    stage(4, "faculty_appointment", D(2010, 1, 1), D(2024, 10, 2), rank="instructor"),
    # 5: starts on the date -> in; 6: starts the day after -> out
    stage(5, "faculty_appointment", D(2024, 10, 1), None, rank="instructor"),
    stage(6, "faculty_appointment", D(2024, 10, 2), None, rank="instructor"),
    # 7: staff only -> not faculty; conflicting category rows -> unknown
    stage(7, "staff_appointment", D(2020, 1, 1), None),
    # 8: a promotion (event) never makes anyone "active"
    stage(8, "promotion", D(2020, 1, 1), None),
]
HEADCOUNT_CATEGORIES = [
    (1, "women", "yes"),
    (2, "women", "yes"),
    (3, "women", "no"),
    (5, "women", "no"),
    (6, "women", "yes"),
    (7, "women", "yes"),
    (7, "women", "no"),
    (8, "women", "yes"),
    (1, "urim", "no"),
    (5, "urim", "yes"),
]


def test_it_counts_active_people_once_and_excludes_ended_spells(duck: BaseBackend) -> None:
    stages, cats = snapshot(HEADCOUNT_STAGES, HEADCOUNT_CATEGORIES)
    result = run(
        headcount(
            stages, cats, kinds=["faculty_appointment"], as_of=D(2024, 10, 1), category="women"
        ),
        duck,
    )
    # Active: 1 (yes, counted once), 4 (no row -> unknown), 5 (no).
    assert result["value"].to_list() == ["yes", "no", "unknown"]
    assert result["count"].to_list() == [1, 1, 1]
    assert result["total"].to_list() == [3, 3, 3]
    assert result["share"].to_list() == pytest.approx([1 / 3, 1 / 3, 1 / 3])
    assert result["share_of_known"].to_list()[:2] == pytest.approx([0.5, 0.5])
    assert result["share_of_known"].to_list()[2] is None


def test_it_breaks_headcount_down_by_unit_and_rank(duck: BaseBackend) -> None:
    stages, cats = snapshot(HEADCOUNT_STAGES, HEADCOUNT_CATEGORIES)
    result = run(
        headcount(
            stages,
            cats,
            kinds=["faculty_appointment", "staff_appointment"],
            as_of=D(2024, 10, 1),
            category="women",
            by=["unit", "rank"],
        ),
        duck,
    )
    assert by_value(result, "count", unit="SUR", rank="professor") == {
        "yes": 1,
        "no": 0,
        "unknown": 0,
    }
    assert by_value(result, "count", unit="MED", rank="instructor") == {
        "yes": 0,
        "no": 1,
        "unknown": 1,
    }
    # Person 7 (staff, conflicting answers) is unknown, never dropped.
    assert by_value(result, "count", unit="MED", rank="") == {"yes": 0, "no": 0, "unknown": 1}
    assert result.height == 4 * 3


def test_it_reports_zero_cells_for_an_empty_population(duck: BaseBackend) -> None:
    stages, cats = snapshot(HEADCOUNT_STAGES, HEADCOUNT_CATEGORIES)
    result = run(
        headcount(stages, cats, kinds=["gme_appointment"], as_of=D(2024, 10, 1), category="women"),
        duck,
    )
    assert result["count"].to_list() == [0, 0, 0]
    assert result["share"].to_list() == [None, None, None]


def test_it_rejects_events_and_unknown_breakdowns() -> None:
    stages, cats = snapshot(HEADCOUNT_STAGES, HEADCOUNT_CATEGORIES)
    with pytest.raises(ValueError, match="unsupported kinds"):
        headcount(stages, cats, kinds=["promotion"], as_of=D(2024, 1, 1), category="women")
    with pytest.raises(ValueError, match="cannot break down"):
        headcount(
            stages, cats, kinds=["faculty_appointment"], as_of=D(2024, 1, 1), category="w", by=["x"]
        )


def test_it_gives_a_trend_per_census_date(duck: BaseBackend) -> None:
    stages, cats = snapshot(HEADCOUNT_STAGES, HEADCOUNT_CATEGORIES)
    dates = census_dates(range(2009, 2026))
    result = run(
        trend(stages, cats, kinds=["faculty_appointment"], dates=dates, category="women"), duck
    )
    assert result.height == len(dates) * 3
    for as_of in dates:
        one = run(
            headcount(stages, cats, kinds=["faculty_appointment"], as_of=as_of, category="women"),
            duck,
        )
        got = result.filter(pl.col("as_of") == as_of).drop("as_of")
        assert_frame_equal(got, one)
    assert by_value(result, "count", as_of=D(2009, 10, 1)) == {"yes": 0, "no": 0, "unknown": 0}


def test_it_counts_intersections(duck: BaseBackend) -> None:
    stages, cats = snapshot(HEADCOUNT_STAGES, HEADCOUNT_CATEGORIES)
    result = run(
        intersection(
            stages,
            cats,
            kinds=["faculty_appointment"],
            as_of=D(2024, 10, 1),
            category_keys=["women", "urim"],
            by=["rank"],
        ),
        duck,
    )
    assert result.height == 2 * 9  # professor, instructor x 3 x 3
    nonzero = {
        (r["rank"], r["women"], r["urim"]): r["count"]
        for r in result.filter(pl.col("count") > 0).iter_rows(named=True)
    }
    # 1: professor, women yes, urim no; 4: instructor unknown/unknown; 5: instructor no/yes
    assert nonzero == {
        ("professor", "yes", "no"): 1,
        ("instructor", "unknown", "unknown"): 1,
        ("instructor", "no", "yes"): 1,
    }
    assert set(result.filter(pl.col("rank") == "instructor")["total"]) == {2}


# --------------------------------------------------------------------------- flows

FLOW_STAGES = [
    stage(1, "promotion", D(2024, 6, 30)),  # academic year 2023
    stage(2, "promotion", D(2024, 7, 1)),  # academic year 2024
    stage(3, "promotion", D(2023, 7, 1)),  # 2023
    stage(3, "promotion", D(2025, 6, 30)),  # 2024 (person 3 twice in total)
    stage(4, "promotion", D(2025, 7, 1)),  # 2025: outside the range asked for
    stage(1, "faculty_appointment", D(2023, 7, 1), None),  # a hire in 2023
    stage(2, "faculty_appointment", D(2023, 6, 30), D(2024, 1, 1)),  # a hire in 2022
    # admissions stages use the cycle, not the date
    stage(5, "offer", D(2023, 10, 1), year=2024, outcome="accepted"),
    stage(6, "offer", D(2024, 8, 1), year=2024, outcome="Declined"),
    stage(7, "offer", D(2024, 1, 1), year=2023, outcome="declined"),
    stage(8, "offer", D(2024, 1, 1), year=None, outcome="declined"),  # no cycle: no year
]
FLOW_CATEGORIES = [
    (1, "women", "yes"),
    (2, "women", "no"),
    (3, "women", "yes"),
    (5, "women", "yes"),
    (6, "women", "yes"),
    (7, "women", "unknown"),
]


def test_it_counts_flows_by_academic_year_boundaries(duck: BaseBackend) -> None:
    stages, cats = snapshot(FLOW_STAGES, FLOW_CATEGORIES)
    result = run(
        flows(stages, cats, kind="promotion", category="women", years=range(2022, 2025)), duck
    )
    assert result["year"].to_list() == [2022] * 3 + [2023] * 3 + [2024] * 3
    assert by_value(result, "events", year=2022) == {"yes": 0, "no": 0, "unknown": 0}
    assert by_value(result, "events", year=2023) == {"yes": 2, "no": 0, "unknown": 0}
    assert by_value(result, "events", year=2024) == {"yes": 1, "no": 1, "unknown": 0}
    assert result["events"].sum() == 4
    hires = run(
        flows(stages, cats, kind="faculty_appointment", category="women", years=range(2022, 2024)),
        duck,
    )
    assert by_value(hires, "events", year=2022) == {"yes": 0, "no": 1, "unknown": 0}
    assert by_value(hires, "events", year=2023) == {"yes": 1, "no": 0, "unknown": 0}


def test_it_counts_offers_by_cycle_and_outcome(duck: BaseBackend) -> None:
    stages, cats = snapshot(FLOW_STAGES, FLOW_CATEGORIES)
    years = range(2023, 2025)
    made = run(flows(stages, cats, kind="offer", category="women", years=years), duck)
    assert by_value(made, "events", year=2024) == {"yes": 2, "no": 0, "unknown": 0}
    assert by_value(made, "events", year=2023) == {"yes": 0, "no": 0, "unknown": 1}
    declined = run(flows(stages, cats, kind="offer_declined", category="women", years=years), duck)
    assert by_value(declined, "events", year=2024) == {"yes": 1, "no": 0, "unknown": 0}
    assert by_value(declined, "events", year=2023) == {"yes": 0, "no": 0, "unknown": 1}


def test_it_counts_events_and_people_separately(duck: BaseBackend) -> None:
    rows = [stage(1, "promotion", D(2023, 8, 1)), stage(1, "promotion", D(2024, 2, 1))]
    stages, cats = snapshot(rows, [(1, "women", "yes")])
    result = run(
        flows(stages, cats, kind="promotion", category="women", years=range(2023, 2024)), duck
    )
    assert by_value(result, "events") == {"yes": 2, "no": 0, "unknown": 0}
    assert by_value(result, "people") == {"yes": 1, "no": 0, "unknown": 0}


# --------------------------------------------------------------------------- funnel


def admissions(person_id: int, steps: str, *, cycle: int = 2025, outcome: str = "") -> list[Any]:
    kinds = {"a": "application", "i": "interview", "o": "offer", "m": "matriculation"}
    return [
        stage(
            person_id,
            kinds[s],
            D(cycle - 1, 9, 1),
            year=cycle,
            unit=None,
            outcome=outcome if s == "o" else "",
        )
        for s in steps
    ]


def test_it_computes_funnel_conversions(duck: BaseBackend) -> None:
    rows = [
        *admissions(1, "a"),
        *admissions(2, "ai"),
        *admissions(3, "aio", outcome="declined"),
        *admissions(4, "aiom", outcome="accepted"),
        *admissions(5, "aio", outcome="accepted"),  # accepted, did not matriculate
        *admissions(6, "ai"),
        *admissions(7, "aiom", outcome="accepted"),
        *admissions(8, "aiom", outcome="accepted", cycle=2024),  # another cycle
        *admissions(9, "a"),
    ]
    cats = [(p, "women", "yes") for p in (1, 2, 3, 4, 5)] + [(6, "women", "no"), (7, "women", "no")]
    stages, categories = snapshot(rows, cats)
    result = run(funnel(stages, categories, cycle=2025, category="women"), duck)
    yes = result.row(0, named=True)
    assert yes["value"] == "yes"
    assert [yes[s] for s in measures.FUNNEL_STEPS] == [5, 4, 3, 2, 1]
    assert yes["rate_interviewed"] == pytest.approx(4 / 5)
    assert yes["rate_offered"] == pytest.approx(3 / 4)
    assert yes["rate_accepted"] == pytest.approx(2 / 3)
    assert yes["rate_matriculated"] == pytest.approx(1 / 2)
    no = result.row(1, named=True)
    assert [no[s] for s in measures.FUNNEL_STEPS] == [2, 2, 1, 1, 1]
    unknown = result.row(2, named=True)
    assert [unknown[s] for s in measures.FUNNEL_STEPS] == [1, 0, 0, 0, 0]
    assert unknown["rate_interviewed"] == 0.0
    assert unknown["rate_offered"] is None  # 0 / 0


# --------------------------------------------------------------------------- Kaplan-Meier

_DUCK = measures.duckdb_backend()  # shared by the hypothesis examples
KM_ORIGIN = D(2010, 1, 1)
KM_AS_OF = D(2030, 1, 1)


def km_snapshot(times: Sequence[tuple[int, bool]]) -> tuple[Table, Table]:
    """One faculty member per (days, event): separated after ``days`` or censored then."""
    rows: list[tuple[Any, ...]] = []
    for pid, (days, event) in enumerate(times, start=1):
        end = KM_ORIGIN + dt.timedelta(days=days)
        rows.append(stage(pid, "faculty_appointment", KM_ORIGIN, end))
        if event:
            rows.append(stage(pid, "separation", end))
    return snapshot(rows, [(pid, "women", "yes") for pid in range(1, len(times) + 1)])


def test_it_matches_a_textbook_kaplan_meier_with_censoring(duck: BaseBackend) -> None:
    # 3, 5, 5+, 7, 8+, 10, 10, 12+ (+ = censored), n = 8
    times = [(3, True), (5, True), (5, False), (7, True), (8, False), (10, True), (10, True)]
    times.append((12, False))
    stages, cats = km_snapshot(times)
    curve = run(
        kaplan_meier(
            stages,
            cats,
            start_kind="faculty_appointment",
            event_kind="separation",
            category="women",
            horizon_years=5,
            as_of=KM_AS_OF,
        ),
        duck,
    )
    curve = curve.filter(pl.col("value") == "yes")
    assert curve["time_days"].to_list() == [3, 5, 7, 8, 10, 12]
    assert curve["n_at_risk"].to_list() == [8, 7, 5, 4, 3, 1]
    assert curve["events"].to_list() == [1, 1, 1, 0, 2, 0]
    assert curve["censored"].to_list() == [0, 1, 0, 1, 0, 1]
    assert curve["survival"].to_list() == pytest.approx([7 / 8, 0.75, 0.6, 0.6, 0.2, 0.2])
    greenwood_at_10 = 1 / (8 * 7) + 1 / (7 * 6) + 1 / (5 * 4) + 2 / (3 * 1)
    assert curve["variance"][4] == pytest.approx(0.2**2 * greenwood_at_10)
    band = km_confidence_band(curve)
    assert all(lo <= s <= hi for lo, s, hi in band.select("low", "survival", "high").iter_rows())
    # log-log interval at t = 3, by hand
    s, v = 7 / 8, 1 / 56
    se = math.sqrt(v) / abs(math.log(s))
    assert band["low"][0] == pytest.approx(s ** math.exp(1.959964 * se), rel=1e-5)
    assert band["high"][0] == pytest.approx(s ** math.exp(-1.959964 * se), rel=1e-5)


def test_it_drops_survival_to_zero_when_everyone_at_risk_has_the_event(
    duck: BaseBackend,
) -> None:
    stages, cats = km_snapshot([(4, False), (6, True), (6, True)])
    curve = run(
        kaplan_meier(
            stages,
            cats,
            start_kind="faculty_appointment",
            event_kind="separation",
            category="women",
            horizon_years=5,
            as_of=KM_AS_OF,
        ),
        duck,
    ).filter(pl.col("value") == "yes")
    assert curve["survival"].to_list() == [1.0, 0.0]
    assert curve["variance"].to_list() == [0.0, 0.0]


def test_it_censors_at_the_snapshot_and_the_horizon(duck: BaseBackend) -> None:
    rows = [
        stage(1, "faculty_appointment", D(2020, 1, 1), None),  # open: censored at as_of
        stage(2, "faculty_appointment", D(2020, 1, 1), None),
        stage(2, "separation", D(2021, 1, 1)),  # event after 366 days
        stage(3, "faculty_appointment", D(2010, 1, 1), None),
        stage(3, "separation", D(2019, 1, 1)),  # beyond a 2-year horizon: censored there
        stage(4, "faculty_appointment", D(2020, 1, 1), None),
        stage(4, "separation", D(2023, 1, 1)),  # after the snapshot: not an event yet
        stage(5, "faculty_appointment", D(2023, 1, 1), None),  # starts after the snapshot
    ]
    stages, cats = snapshot(rows, [])
    curve = run(
        kaplan_meier(
            stages,
            cats,
            start_kind="faculty_appointment",
            event_kind="separation",
            category="women",
            horizon_years=2,
            as_of=D(2022, 1, 1),
        ),
        duck,
    )
    assert curve["value"].unique().to_list() == ["unknown"]
    assert curve["time_days"].to_list() == [366, 730]  # the horizon is floor(2 * 365.25) days
    assert curve["events"].to_list() == [1, 0]
    assert curve["censored"].to_list() == [0, 3]
    assert curve["n_at_risk"].to_list() == [4, 3]


def reference_km(
    stage_rows: Sequence[tuple[Any, ...]],
    values: dict[int, str],
    *,
    start_kind: str,
    event_kind: str,
    horizon_days: int,
    as_of: dt.date,
) -> pl.DataFrame:
    """A straightforward Kaplan-Meier, person by person and time by time."""
    starts: dict[int, list[tuple[dt.date, dt.date | None]]] = {}
    events: dict[int, list[dt.date]] = {}
    for pid, kind, start, end, *_ in stage_rows:
        if start > as_of:
            continue
        if kind == start_kind:
            starts.setdefault(pid, []).append((start, end))
        if kind == event_kind:
            events.setdefault(pid, []).append(start)
    per_value: dict[str, list[tuple[int, bool]]] = {}
    for pid, spells in starts.items():
        origin = min(s for s, _ in spells)
        until = max(min(e or as_of, as_of) for _, e in spells)
        later = [e for e in events.get(pid, []) if e >= origin]
        event_days = (min(later) - origin).days if later else None
        if event_days is not None and event_days <= horizon_days:
            obs = (event_days, True)
        else:
            obs = (min((until - origin).days, horizon_days), False)
        per_value.setdefault(values.get(pid, "unknown"), []).append(obs)
    out: list[dict[str, Any]] = []
    for value, group in per_value.items():
        surv, gw = 1.0, 0.0
        for t in sorted({t for t, _ in group}):
            n = sum(1 for u, _ in group if u >= t)
            d = sum(1 for u, e in group if u == t and e)
            c = sum(1 for u, e in group if u == t and not e)
            surv *= 1 - d / n
            if d < n:
                gw += d / (n * (n - d))
            out.append(
                {
                    "value": value,
                    "time_days": t,
                    "n_at_risk": n,
                    "events": d,
                    "censored": c,
                    "survival": surv,
                    "variance": surv * surv * gw,
                }
            )
    return pl.DataFrame(
        out,
        schema={
            "value": pl.String,
            "time_days": pl.Int64,
            "n_at_risk": pl.Int64,
            "events": pl.Int64,
            "censored": pl.Int64,
            "survival": pl.Float64,
            "variance": pl.Float64,
        },
    ).sort("value", "time_days")


def random_workforce(rng: random.Random, people: int) -> list[tuple[Any, ...]]:
    rows: list[tuple[Any, ...]] = []
    base = D(2010, 1, 1)
    ranks = ["instructor", "assistant_professor", "associate_professor", "professor"]
    for pid in range(1, people + 1):
        start = base + dt.timedelta(days=rng.randrange(0, 12 * 365))
        unit = rng.choice(["MED", "SUR", "PED", None])
        rank = rng.choice(ranks)
        end: dt.date | None = None
        if rng.random() < 0.5:
            end = start + dt.timedelta(days=rng.randrange(0, 8 * 365))
        rows.append(stage(pid, "faculty_appointment", start, end, unit=unit, rank=rank))
        if rng.random() < 0.2:  # a second, later appointment elsewhere
            second = start + dt.timedelta(days=rng.randrange(0, 6 * 365))
            rows.append(stage(pid, "faculty_appointment", second, None, unit="SUR", rank=rank))
        if end is not None and rng.random() < 0.8:
            rows.append(stage(pid, "separation", end))
        if rng.random() < 0.1:  # an old separation before the appointment: ignored
            rows.append(stage(pid, "separation", start - dt.timedelta(days=100)))
        for _ in range(rng.randrange(0, 3)):
            when = start + dt.timedelta(days=rng.randrange(0, 10 * 365))
            rows.append(stage(pid, "promotion", when))
        if rng.random() < 0.3:
            rows.append(stage(pid, "leadership_appointment", start, end, senior=True))
    return rows


def random_categories(
    rng: random.Random, people: int, keys: Sequence[str]
) -> list[tuple[int, str, str | None]]:
    rows: list[tuple[int, str, str | None]] = []
    for pid in range(1, people + 1):
        for key in keys:
            roll = rng.random()
            if roll < 0.1:
                continue  # no row: unknown
            if roll < 0.15:
                rows += [(pid, key, "yes"), (pid, key, "no")]  # conflict: unknown
                continue
            rows.append((pid, key, rng.choice(["yes", "no", "unknown", None])))
    return rows


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 2**32 - 1),
    people=st.integers(1, 40),
    start_kind=st.sampled_from(["faculty_appointment", "leadership_appointment"]),
    event_kind=st.sampled_from(["separation", "promotion"]),
    horizon_years=st.sampled_from([1.0, 3.0, 20.0]),
)
def test_it_agrees_with_a_reference_kaplan_meier_on_random_data(
    seed: int, people: int, start_kind: str, event_kind: str, horizon_years: float
) -> None:
    rng = random.Random(seed)
    rows = random_workforce(rng, people)
    cat_rows = random_categories(rng, people, ["women"])
    stages, cats = snapshot(rows, cat_rows)
    as_of = D(2019, 7, 1)
    got = run(
        kaplan_meier(
            stages,
            cats,
            start_kind=start_kind,
            event_kind=event_kind,
            category="women",
            horizon_years=horizon_years,
            as_of=as_of,
        ),
        _DUCK,
    )
    answers: dict[int, set[str | None]] = {}
    for pid, _, value in cat_rows:
        answers.setdefault(pid, set()).add(value)
    values = {
        pid: next(iter(v)) for pid, v in answers.items() if len(v) == 1 and v <= {"yes", "no"}
    }
    want = reference_km(
        rows,
        {pid: str(v) for pid, v in values.items()},
        start_kind=start_kind,
        event_kind=event_kind,
        horizon_days=math.floor(horizon_years * 365.25),
        as_of=as_of,
    )
    assert_frame_equal(
        got.select(want.columns).sort("value", "time_days"), want, check_exact=False, abs_tol=1e-9
    )


# --------------------------------------------------------------------------- parity


def test_it_gives_a_parity_ratio_whose_interval_contains_the_truth() -> None:
    result = parity(40, 100, 0.4)
    assert result.ratio == pytest.approx(1.0)
    assert result.low < 1.0 < result.high
    # Clopper-Pearson 95 % for 40/100 is (0.3033, 0.5028); divided by the benchmark 0.4
    assert result.low == pytest.approx(0.3033 / 0.4, abs=1e-3)
    assert result.high == pytest.approx(0.5028 / 0.4, abs=1e-3)
    assert not result.too_few
    under = parity(10, 100, 0.4)
    assert under.ratio == pytest.approx(0.25)
    assert under.high < 1.0  # clearly under-represented


def test_it_covers_the_true_ratio_in_repeated_samples() -> None:
    rng = random.Random(7)
    truth, n, benchmark = 0.3, 120, 0.25
    hits = 0
    for _ in range(300):
        k = sum(rng.random() < truth for _ in range(n))
        r = parity(k, n, benchmark)
        hits += r.low <= truth / benchmark <= r.high
    assert hits / 300 >= 0.93


def test_it_says_too_few_for_parity_on_small_numbers() -> None:
    assert parity(3, 20, 0.5).too_few  # total < 30
    assert parity(2, 40, 0.1).too_few  # expected 4 < 5
    assert not parity(5, 50, 0.1).too_few  # expected 5, total 50
    empty = parity(0, 0, 0.3)
    assert empty.too_few and math.isnan(empty.ratio)
    with pytest.raises(ValueError):
        parity(5, 4, 0.3)
    with pytest.raises(ValueError):
        parity(1, 4, 0.0)


# --------------------------------------------------------------------------- comparison


def test_it_runs_fishers_exact_test() -> None:
    result = compare_groups(30, 50, 10, 50)
    assert result.difference == pytest.approx(0.4)
    assert result.p_value < 0.001
    assert not result.too_few
    assert result.significant()


def test_it_says_too_few_instead_of_inventing_significance() -> None:
    tea = compare_groups(3, 4, 1, 4)  # Fisher's lady tasting tea
    assert tea.p_value == pytest.approx(0.4857, abs=1e-4)
    assert tea.too_few
    rare = compare_groups(1, 200, 0, 200)  # expected cells of 0.5
    assert rare.too_few and not rare.significant()
    assert compare_groups(0, 0, 1, 10).too_few


# --------------------------------------------------------------------------- portability


@pytest.fixture(scope="module")
def postgres() -> Iterator[BaseBackend]:
    try:
        backend = measures.connect_postgres(PG_URL)
    except Exception as exc:  # any connection failure means "not available here"
        pytest.skip(f"PostgreSQL at {PG_URL} is unreachable: {exc}")
    yield backend
    backend.disconnect()


def normalise(frame: pl.DataFrame) -> pl.DataFrame:
    ints = [c for c, t in frame.schema.items() if t.is_integer()]
    frame = frame.with_columns(pl.col(ints).cast(pl.Int64))
    return frame.sort(frame.columns, nulls_last=True)


def test_it_gives_identical_results_on_duckdb_and_postgresql(postgres: BaseBackend) -> None:
    rng = random.Random(2024)
    people = 300
    rows = random_workforce(rng, people)
    for pid in range(1, people + 1):  # an admissions history for some of them
        if rng.random() < 0.5:
            cycle = rng.choice([2019, 2020])
            steps = "a" + "i" * (rng.random() < 0.6)
            steps += "o" * (len(steps) > 1 and rng.random() < 0.5)
            outcome = rng.choice(["accepted", "declined", ""])
            steps += "m" * ("o" in steps and outcome == "accepted" and rng.random() < 0.8)
            rows += admissions(pid + 1000, steps, cycle=cycle, outcome=outcome)
    cat_rows = random_categories(rng, people + 1000, ["women", "urim"])
    stage_df, cat_df = stages_frame(rows), categories_frame(cat_rows)
    suffix = uuid.uuid4().hex[:8]
    duck = measures.duckdb_backend()
    tables = {
        "duckdb": (
            # (ibis 12 cannot create a DuckDB table from a polars frame directly)
            duck.create_table("stages", ibis.memtable(stage_df)),
            duck.create_table("categories", ibis.memtable(cat_df)),
        ),
        "postgres": (
            postgres.create_table(f"measures_stages_{suffix}", stage_df, temp=True),
            postgres.create_table(f"measures_categories_{suffix}", cat_df, temp=True),
        ),
    }
    backends = {"duckdb": duck, "postgres": postgres}

    def each(build: Any) -> dict[str, pl.DataFrame]:
        return {name: normalise(run(build(*tables[name]), backends[name])) for name in backends}

    as_of = D(2018, 10, 1)
    faculty = ["faculty_appointment"]
    measures_to_compare = {
        "headcount": lambda s, c: headcount(
            s, c, kinds=faculty, as_of=as_of, category="women", by=["unit", "rank"]
        ),
        "trend": lambda s, c: trend(
            s, c, kinds=faculty, dates=census_dates(range(2012, 2020)), category="urim"
        ),
        "intersection": lambda s, c: intersection(
            s, c, kinds=faculty, as_of=as_of, category_keys=["women", "urim"], by=["rank"]
        ),
        "flows": lambda s, c: flows(
            s, c, kind="promotion", category="women", years=range(2010, 2025)
        ),
        "offers_declined": lambda s, c: flows(
            s, c, kind="offer_declined", category="women", years=range(2018, 2022)
        ),
        "funnel": lambda s, c: funnel(s, c, cycle=2020, category="urim"),
        "kaplan_meier": lambda s, c: kaplan_meier(
            s,
            c,
            start_kind="faculty_appointment",
            event_kind="separation",
            category="women",
            horizon_years=10,
            as_of=D(2020, 1, 1),
        ),
    }
    for name, build in measures_to_compare.items():
        results = each(build)
        assert results["duckdb"].height > 0, name
        assert results["duckdb"].columns == results["postgres"].columns, name
        try:
            assert_frame_equal(
                results["duckdb"], results["postgres"], check_exact=False, abs_tol=1e-9
            )
        except AssertionError as exc:
            raise AssertionError(f"{name} differs between DuckDB and PostgreSQL: {exc}") from exc
    # Sanity: the data exercise what they should.
    km = each(measures_to_compare["kaplan_meier"])["duckdb"]
    assert km["events"].sum() > 0 and km["censored"].sum() > 0
    fn = each(measures_to_compare["funnel"])["duckdb"]
    assert fn["matriculated"].sum() > 0
