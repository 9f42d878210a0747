"""Dashboard benchmark: Ristra's measures (Ibis on DuckDB) against pandas, in one run.

Builds a deterministic synthetic snapshot -- about 1,000,000 faculty person-years (people
holding a faculty appointment on each of 10 October-1 census dates, 2016-2025), with
promotions, separations, admissions cycles (applications, interviews, offers,
matriculations, enrollments), staff appointments and a categories table with three keys
(women, urim, rural: yes/no/unknown, with missing and conflicting answers) -- and writes
it into a DuckDB file in a temporary directory.

Then computes the full dashboard set for one population (faculty) twice:

* Ristra: :mod:`ristra.analytics.measures` over the snapshot file (connection opened
  read-only inside the timed run): composition by category x year (``trend`` for each
  key over the 10 census dates), the admissions ``funnel`` of the latest cycle, ``flows``
  (hires, separations) over 10 years, a ``kaplan_meier`` retention curve with its
  confidence band, and ``parity`` for the latest year for each key;
* pandas: the same numbers written the way a developer would (boolean masks, groupby,
  merge/map), over frames already loaded in memory (loading is not timed, which favours
  pandas).

Asserts the two give the same numbers, then prints the median of 3 timed runs (after one
warm-up) of each and the ratio.

    .venv/bin/python bench/measures.py [--people 148000] [--seed 7]
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final, TypeVar

import ibis
import numpy as np
import pandas as pd
import polars as pl
from scipy import stats

from ristra.analytics.measures import (
    ADMISSIONS_KINDS,
    FUNNEL_STEPS,
    STAGES_SCHEMA,
    VALUES,
    Parity,
    census_dates,
    duckdb_backend,
    flows,
    funnel,
    kaplan_meier,
    km_confidence_band,
    parity,
    run,
    trend,
)

YEARS: Final = range(2016, 2026)  # academic years 2016-17 .. 2025-26
CENSUS: Final = census_dates(YEARS)  # October 1 of each year
SNAPSHOT: Final = CENSUS[-1]
CYCLE: Final = YEARS[-1]  # the admissions cycle on the funnel
KEYS: Final = ("women", "urim", "rural")
FOCUS: Final = "urim"  # the category selected on the dashboard (funnel, flows, retention)
BENCHMARK_SHARE: Final = {"women": 0.51, "urim": 0.33, "rural": 0.19}  # census shares
HORIZON_YEARS: Final = 10.0
FACULTY: Final = "faculty_appointment"
SEPARATION: Final = "separation"
EPOCH: Final = dt.date(1970, 1, 1)
UNITS: Final = np.array([f"D{i:02d}" for i in range(24)])
RANKS: Final = np.array(["Assistant Professor", "Associate Professor", "Professor", "Instructor"])
REPEATS: Final = 3
T = TypeVar("T")


# --------------------------------------------------------------------------- snapshot


def _days(d: dt.date) -> int:
    return (d - EPOCH).days


def _dates(days: np.ndarray) -> np.ndarray:
    return days.astype("datetime64[D]")


def _frame(
    person_id: np.ndarray,
    kind: str,
    start: np.ndarray,
    end: np.ndarray | None = None,
    *,
    year: np.ndarray | None = None,
    unit: np.ndarray | None = None,
    rank: np.ndarray | None = None,
    outcome: np.ndarray | None = None,
) -> pl.DataFrame:
    """Stage rows of one kind; day numbers < 0 in ``end`` mean an open spell."""
    n = len(person_id)
    if end is None:
        end_dates = pl.repeat(None, n, dtype=pl.Date, eager=True).alias("end_date")
    else:
        end_dates = pl.Series("end_date", _dates(np.maximum(end, 0))).set(pl.Series(end < 0), None)
    return pl.DataFrame(
        {
            "person_id": person_id.astype(np.int64),
            "kind": pl.repeat(kind, n, eager=True),
            "start_date": pl.Series(_dates(start)),
            "end_date": end_dates,
            "academic_year": pl.Series(year, dtype=pl.Int64)
            if year is not None
            else pl.repeat(None, n, dtype=pl.Int64, eager=True),
            "unit": pl.Series(unit, dtype=pl.String)
            if unit is not None
            else pl.repeat(None, n, dtype=pl.String, eager=True),
            "rank": pl.Series(rank, dtype=pl.String)
            if rank is not None
            else pl.repeat("", n, eager=True),
            "outcome": pl.Series(outcome, dtype=pl.String)
            if outcome is not None
            else pl.repeat("", n, eager=True),
            "senior_administrative": pl.repeat(False, n, eager=True),
        }
    )


def build_snapshot(people: int, seed: int) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Stages and categories frames (deterministic for a seed)."""
    rng = np.random.default_rng(seed)
    snapshot = _days(SNAPSHOT)
    parts: list[pl.DataFrame] = []

    # Faculty: hired between 1990 and the snapshot, careers of about 25 years on average,
    # kept when their appointment overlaps the 10-year window.
    n = people * 2
    hire = rng.integers(_days(dt.date(1990, 7, 1)), snapshot, n)
    leave = hire + (rng.exponential(25.0, n) * 365.25).astype(np.int64) + 30
    keep = leave > _days(dt.date(2015, 7, 1))
    hire, leave = hire[keep][:people], leave[keep][:people]
    n = len(hire)
    pid = np.arange(1, n + 1, dtype=np.int64)
    separated = leave <= snapshot
    end = np.where(separated, leave, -1)
    unit_no = rng.integers(0, len(UNITS), n)
    unit = UNITS[unit_no]
    rank = RANKS[rng.integers(0, len(RANKS), n)]
    parts.append(_frame(pid, FACULTY, hire, end, unit=unit, rank=rank))
    # A tenth hold a second, concurrent appointment in another unit (they count once).
    two = rng.random(n) < 0.1
    s2 = hire[two] + rng.integers(0, 3 * 365, two.sum())
    e2 = np.where(separated[two], np.minimum(leave[two], s2 + 5 * 365), s2 + 5 * 365)
    e2 = np.where(e2 > snapshot, -1, e2)
    ok = s2 <= snapshot
    other_unit = UNITS[(unit_no[two][ok] + 1) % len(UNITS)]
    parts.append(_frame(pid[two][ok], FACULTY, s2[ok], e2[ok], unit=other_unit))
    # Promotions three to nine years in, while still appointed.
    promo = hire + rng.integers(3 * 365, 9 * 365, n)
    promoted = (rng.random(n) < 0.6) & (promo < np.minimum(leave, snapshot))
    parts.append(_frame(pid[promoted], "promotion", promo[promoted], rank=rank[promoted]))
    parts.append(_frame(pid[separated], SEPARATION, leave[separated], unit=unit[separated]))

    # Staff (another population in the same snapshot, filtered out by the measures).
    n_staff = people // 4
    spid = np.arange(n + 1, n + n_staff + 1, dtype=np.int64)
    shire = rng.integers(_days(dt.date(2005, 7, 1)), snapshot, n_staff)
    sleave = shire + (rng.exponential(8.0, n_staff) * 365.25).astype(np.int64) + 30
    parts.append(_frame(spid, "staff_appointment", shire, np.where(sleave <= snapshot, sleave, -1)))
    parts.append(_frame(spid[sleave <= snapshot], SEPARATION, sleave[sleave <= snapshot]))

    # Admissions: 9,000 applicants per cycle.
    first = n + n_staff + 1
    per_cycle = 9_000
    for cycle in YEARS:
        apid = np.arange(first, first + per_cycle, dtype=np.int64)
        first += per_cycle
        cyc = np.full(per_cycle, cycle)
        applied = _days(dt.date(cycle - 1, 9, 1)) + rng.integers(0, 90, per_cycle)
        parts.append(_frame(apid, "application", applied, year=cyc))
        inter = rng.random(per_cycle) < 0.3
        parts.append(_frame(apid[inter], "interview", applied[inter] + 60, year=cyc[inter]))
        offer = inter & (rng.random(per_cycle) < 0.4)
        accepted = offer & (rng.random(per_cycle) < 0.6)
        outcome = np.where(accepted[offer], "accepted", "declined")
        parts.append(
            _frame(apid[offer], "offer", applied[offer] + 120, year=cyc[offer], outcome=outcome)
        )
        matric = accepted & (rng.random(per_cycle) < 0.9)
        day = np.full(matric.sum(), _days(dt.date(cycle, 8, 1)))
        parts.append(_frame(apid[matric], "matriculation", day, year=cyc[matric]))
        grad = np.full(matric.sum(), _days(dt.date(cycle + 4, 5, 31)))
        parts.append(_frame(apid[matric], "enrollment", day, np.where(grad > snapshot, -1, grad)))
    stages = pl.concat(parts).sample(fraction=1.0, shuffle=True, seed=seed)

    # Categories: every person, three keys; 4% have no row, 0.5% conflicting rows,
    # 0.5% a null value.
    everyone = np.arange(1, first, dtype=np.int64)
    shares = {"women": (0.46, 0.46), "urim": (0.18, 0.70), "rural": (0.12, 0.76)}
    cat_parts: list[pl.DataFrame] = []
    for key, (yes, no) in shares.items():
        m = len(everyone)
        draw = rng.random(m)
        value = np.where(draw < yes, "yes", np.where(draw < yes + no, "no", "unknown"))
        has_row = rng.random(m) >= 0.04
        values = pl.Series("value", value[has_row]).set(
            pl.Series(rng.random(has_row.sum()) < 0.005), None
        )
        cat_parts.append(
            pl.DataFrame({"person_id": everyone[has_row], "category": key, "value": values})
        )
        conflict = everyone[rng.random(m) < 0.005]
        cat_parts.append(pl.DataFrame({"person_id": conflict, "category": key, "value": "yes"}))
        cat_parts.append(pl.DataFrame({"person_id": conflict, "category": key, "value": "no"}))
    categories = pl.concat(cat_parts).sample(fraction=1.0, shuffle=True, seed=seed)
    return stages, categories


def write_snapshot(path: Path, stages: pl.DataFrame, categories: pl.DataFrame) -> None:
    """Write the two snapshot tables into a DuckDB file, as the Django export would."""
    con = duckdb_backend(str(path))
    con.create_table("stages", ibis.memtable(stages), schema=STAGES_SCHEMA)
    con.create_table("categories", ibis.memtable(categories))
    con.disconnect()


# --------------------------------------------------------------------------- Ristra


@dataclass
class RistraSet:
    composition: dict[str, pl.DataFrame]
    funnel: pl.DataFrame
    hires: pl.DataFrame
    separations: pl.DataFrame
    retention: pl.DataFrame
    parity: dict[str, Parity]
    steps: dict[str, float] = field(default_factory=dict)


def ristra_set(path: Path) -> RistraSet:
    """The dashboard set through ristra.analytics.measures, over the snapshot file."""
    steps: dict[str, float] = {}
    clock = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        steps[name] = steps.get(name, 0.0) + now - clock
        clock = now

    con = duckdb_backend(str(path), read_only=True)
    stages, categories = con.table("stages"), con.table("categories")
    lap("connect")
    composition = {
        key: run(trend(stages, categories, kinds=[FACULTY], dates=CENSUS, category=key), con)
        for key in KEYS
    }
    lap("composition (trend x 3 keys)")
    funnel_frame = run(funnel(stages, categories, cycle=CYCLE, category=FOCUS), con)
    lap("funnel")
    hires = run(flows(stages, categories, kind=FACULTY, category=FOCUS, years=YEARS), con)
    separations = run(flows(stages, categories, kind=SEPARATION, category=FOCUS, years=YEARS), con)
    lap("flows (hires, separations)")
    curve = kaplan_meier(
        stages,
        categories,
        start_kind=FACULTY,
        event_kind=SEPARATION,
        category=FOCUS,
        horizon_years=HORIZON_YEARS,
        as_of=SNAPSHOT,
    )
    retention = km_confidence_band(run(curve, con))
    lap("kaplan_meier + band")
    parities: dict[str, Parity] = {}
    for key, frame in composition.items():
        latest = frame.filter((pl.col("as_of") == SNAPSHOT) & (pl.col("value") == "yes"))
        parities[key] = parity(
            int(latest["count"][0]), int(latest["total"][0]), BENCHMARK_SHARE[key]
        )
    lap("parity")
    con.disconnect()
    return RistraSet(composition, funnel_frame, hires, separations, retention, parities, steps)


# --------------------------------------------------------------------------- pandas


@dataclass
class PandasSet:
    composition: dict[str, pd.DataFrame]
    funnel: pd.DataFrame
    hires: pd.DataFrame
    separations: pd.DataFrame
    retention: pd.DataFrame
    parity: dict[str, Parity]


def load_pandas(path: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The snapshot's tables as pandas frames (not timed)."""
    con = duckdb_backend(str(path), read_only=True)
    stages = con.table("stages").to_pandas()
    categories = con.table("categories").to_pandas()
    con.disconnect()
    return stages, categories


def pd_category(categories: pd.DataFrame, key: str) -> pd.Series:
    """person_id -> 'yes'/'no'/'unknown' (conflicting, null or odd values are unknown)."""
    rows = categories[categories["category"] == key]
    grouped = rows.groupby("person_id")["value"]
    n_values, any_value = grouped.nunique(), grouped.max()
    clean = (n_values == 1) & any_value.isin(["yes", "no"])
    return any_value.where(clean, "unknown")


def pd_value(person_id: pd.Series, values: pd.Series) -> pd.Series:
    return person_id.map(values).fillna("unknown")


def pd_shares(counts: pd.Series, total: int) -> pd.DataFrame:
    counts = counts.reindex(list(VALUES), fill_value=0)
    known = total - int(counts["unknown"])
    out = pd.DataFrame({"value": list(VALUES), "count": counts.to_numpy(), "total": total})
    out["share"] = out["count"] / total if total else np.nan
    out["share_of_known"] = out["count"] / known if known else np.nan
    out.loc[out["value"] == "unknown", "share_of_known"] = np.nan
    return out


def pd_flows(stages: pd.DataFrame, kind: str, values: pd.Series) -> pd.DataFrame:
    rows = stages[stages["kind"] == kind]
    start = rows["start_date"]
    year = np.where(start.dt.month >= 7, start.dt.year, start.dt.year - 1)
    events = pd.DataFrame({"person_id": rows["person_id"].to_numpy(), "year": year})
    events = events[events["year"].isin(YEARS)]
    events["value"] = pd_value(events["person_id"], values)
    agg = events.groupby(["year", "value"]).agg(
        events=("person_id", "size"), people=("person_id", "nunique")
    )
    grid = pd.MultiIndex.from_product([list(YEARS), list(VALUES)], names=["year", "value"])
    return agg.reindex(grid, fill_value=0).reset_index()


def pd_funnel(stages: pd.DataFrame, values: pd.Series) -> pd.DataFrame:
    rows = stages[stages["kind"].isin(ADMISSIONS_KINDS) & (stages["academic_year"] == CYCLE)]
    kind = rows["kind"]
    flags = pd.DataFrame(
        {
            "person_id": rows["person_id"],
            "applicants": kind == "application",
            "interviewed": kind == "interview",
            "offered": kind == "offer",
            "accepted": (kind == "offer") & (rows["outcome"].fillna("").str.lower() == "accepted"),
            "matriculated": kind == "matriculation",
        }
    )
    per_person = flags.groupby("person_id").max().reset_index()
    per_person["value"] = pd_value(per_person["person_id"], values)
    steps = list(FUNNEL_STEPS)
    out = per_person.groupby("value")[steps].sum().reindex(list(VALUES), fill_value=0)
    for prev, step in zip(steps, steps[1:], strict=False):
        out[f"rate_{step}"] = out[step] / out[prev].replace(0, np.nan)
    return out.reset_index()


def pd_retention(stages: pd.DataFrame, values: pd.Series) -> pd.DataFrame:
    snapshot = pd.Timestamp(SNAPSHOT)
    horizon = math.floor(HORIZON_YEARS * 365.25)
    starts = stages[(stages["kind"] == FACULTY) & (stages["start_date"] <= snapshot)]
    starts = starts.assign(seen=starts["end_date"].fillna(snapshot).clip(upper=snapshot))
    origin = starts.groupby("person_id").agg(
        origin=("start_date", "min"), observed_until=("seen", "max")
    )
    ev = stages[(stages["kind"] == SEPARATION) & (stages["start_date"] <= snapshot)]
    matched = ev[["person_id", "start_date"]].merge(origin, left_on="person_id", right_index=True)
    matched = matched[matched["start_date"] >= matched["origin"]]
    origin["event_date"] = matched.groupby("person_id")["start_date"].min()
    event_days = (origin["event_date"] - origin["origin"]).dt.days
    censor_days = (origin["observed_until"] - origin["origin"]).dt.days
    has_event = event_days.notna() & (event_days <= horizon)
    persons = pd.DataFrame(
        {
            "time_days": event_days.where(has_event, censor_days.clip(upper=horizon)).astype(
                "int64"
            ),
            "event": has_event.astype("int64"),
            "value": pd_value(origin.index.to_series(), values),
        }
    )
    at = (
        persons.groupby(["value", "time_days"])
        .agg(events=("event", "sum"), leaving=("event", "size"))
        .reset_index()
    )
    at["n_at_risk"] = at[::-1].groupby("value")["leaving"].cumsum()[::-1]
    n, d = at["n_at_risk"].astype(float), at["events"].astype(float)
    below = at["events"] < at["n_at_risk"]
    at["censored"] = at["leaving"] - at["events"]
    at["log_term"] = np.log((n - d) / n).where(below, 0.0)
    at["gw_term"] = (d / (n * (n - d))).where(below, 0.0)
    at["wiped"] = ~below
    by_value = at.groupby("value")
    at["greenwood"] = by_value["gw_term"].cumsum()
    ever_wiped = by_value["wiped"].cummax()
    at["survival"] = np.exp(by_value["log_term"].cumsum()).where(~ever_wiped, 0.0)
    at["variance"] = at["survival"] ** 2 * at["greenwood"]
    z = float(stats.norm.ppf(0.975))
    s = at["survival"]
    inner = (s > 0) & (s < 1)
    se = np.sqrt(at["greenwood"]) / np.abs(np.log(s.where(inner, 0.5)))
    at["low"] = (s ** np.exp(z * se)).where(inner, s)
    at["high"] = (s ** np.exp(-z * se)).where(inner, s)
    order = at["value"].map({v: i for i, v in enumerate(VALUES)})
    at = at.assign(order=order).sort_values(["order", "time_days"], ignore_index=True)
    return at.drop(columns=["order", "log_term", "gw_term", "wiped", "leaving"])


def pandas_set(stages: pd.DataFrame, categories: pd.DataFrame) -> PandasSet:
    """The same dashboard set in plain pandas over in-memory frames."""
    values = {key: pd_category(categories, key) for key in KEYS}
    faculty = stages[stages["kind"] == FACULTY]
    composition: dict[str, pd.DataFrame] = {}
    parts: dict[str, list[pd.DataFrame]] = {key: [] for key in KEYS}
    for day in CENSUS:
        on = pd.Timestamp(day)
        active = faculty[
            (faculty["start_date"] <= on)
            & (faculty["end_date"].isna() | (faculty["end_date"] > on))
        ]
        people = active["person_id"].drop_duplicates()
        for key in KEYS:
            counts = pd_value(people, values[key]).value_counts()
            parts[key].append(pd_shares(counts, len(people)).assign(as_of=day))
    for key in KEYS:
        composition[key] = pd.concat(parts[key], ignore_index=True)
    parities: dict[str, Parity] = {}
    for key, frame in composition.items():
        latest = frame[(frame["as_of"] == SNAPSHOT) & (frame["value"] == "yes")].iloc[0]
        parities[key] = pd_parity(int(latest["count"]), int(latest["total"]), key)
    return PandasSet(
        composition=composition,
        funnel=pd_funnel(stages, values[FOCUS]),
        hires=pd_flows(stages, FACULTY, values[FOCUS]),
        separations=pd_flows(stages, SEPARATION, values[FOCUS]),
        retention=pd_retention(stages, values[FOCUS]),
        parity=parities,
    )


def pd_parity(count: int, total: int, key: str) -> Parity:
    """Clopper-Pearson from the beta distribution (scipy), as an analyst would write it."""
    bench = BENCHMARK_SHARE[key]
    alpha = 0.05
    low = float(stats.beta.ppf(alpha / 2, count, total - count + 1)) if count else 0.0
    high = float(stats.beta.ppf(1 - alpha / 2, count + 1, total - count)) if count < total else 1.0
    share = count / total
    too_few = total < 30 or total * bench < 5
    return Parity(
        count, total, bench, share, share / bench, low / bench, high / bench, 0.95, too_few
    )


# --------------------------------------------------------------------------- comparison


def _same(what: str, ours: pl.DataFrame, theirs: pd.DataFrame, columns: list[str]) -> None:
    mine = ours.to_pandas()
    assert len(mine) == len(theirs), f"{what}: {len(mine)} rows against {len(theirs)}"
    for col in columns:
        a = pd.to_numeric(mine[col], errors="raise").to_numpy(dtype=float, na_value=np.nan)
        b = pd.to_numeric(theirs[col], errors="raise").to_numpy(dtype=float, na_value=np.nan)
        assert np.allclose(a, b, rtol=1e-9, atol=1e-12, equal_nan=True), f"{what}: {col} differs"
    for col in ("value", "year", "time_days"):
        if col in columns or col not in mine.columns:
            continue
        assert (mine[col].astype(str).to_numpy() == theirs[col].astype(str).to_numpy()).all(), (
            f"{what}: {col} order differs"
        )


def assert_same(ours: RistraSet, theirs: PandasSet) -> None:
    share_cols = ["count", "total", "share", "share_of_known"]
    for key in KEYS:
        frame = ours.composition[key]
        assert frame["as_of"].to_list() == theirs.composition[key]["as_of"].to_list()
        _same(f"composition {key}", frame, theirs.composition[key], share_cols)
        a, b = ours.parity[key], theirs.parity[key]
        assert (a.count, a.total, a.too_few) == (b.count, b.total, b.too_few), key
        assert np.allclose([a.ratio, a.low, a.high], [b.ratio, b.low, b.high], rtol=1e-6), key
    steps = list(FUNNEL_STEPS) + [f"rate_{s}" for s in FUNNEL_STEPS[1:]]
    _same("funnel", ours.funnel, theirs.funnel, steps)
    _same("hires", ours.hires, theirs.hires, ["events", "people"])
    _same("separations", ours.separations, theirs.separations, ["events", "people"])
    km_cols = ["time_days", "n_at_risk", "events", "censored", "survival", "greenwood"]
    _same("retention", ours.retention, theirs.retention, [*km_cols, "variance", "low", "high"])


# --------------------------------------------------------------------------- main


def timed(fn: Callable[[], T]) -> tuple[float, T]:
    started = time.perf_counter()
    result = fn()
    return time.perf_counter() - started, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--people", type=int, default=148_000, help="faculty people")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="ristra-bench-"))
    path = workdir / "snapshot.duckdb"
    stages, categories = build_snapshot(args.people, args.seed)
    write_snapshot(path, stages, categories)
    pd_stages, pd_categories = load_pandas(path)

    # Warm-up (and the equality check on its results), then 3 timed runs each.
    ours = ristra_set(path)
    theirs = pandas_set(pd_stages, pd_categories)
    assert_same(ours, theirs)
    r_runs = [timed(lambda: ristra_set(path)) for _ in range(REPEATS)]
    p_runs = [timed(lambda: pandas_set(pd_stages, pd_categories)) for _ in range(REPEATS)]
    r_time = statistics.median(t for t, _ in r_runs)
    p_time = statistics.median(t for t, _ in p_runs)

    person_years = sum(int(f["total"][0]) for f in ours.composition[KEYS[0]].partition_by("as_of"))
    faculty = stages.filter(pl.col("kind") == FACULTY)["person_id"].n_unique()
    print(
        f"snapshot: {person_years:,} faculty person-years on {len(CENSUS)} census dates "
        f"({faculty:,} faculty), {stages.height:,} stage rows, "
        f"{categories.height:,} category rows, {path.stat().st_size / 1e6:.0f} MB DuckDB file"
    )
    print(
        "dashboard set: composition x 3 keys x 10 years, funnel, hires + separations x "
        "10 years, Kaplan-Meier retention + band, parity x 3 keys; same numbers: yes"
    )
    runs = ", ".join(f"{t:.3f}" for t, _ in r_runs)
    print(f"ristra (Ibis on DuckDB, snapshot file): {r_time:.3f} s median  (runs: {runs})")
    runs = ", ".join(f"{t:.3f}" for t, _ in p_runs)
    print(f"pandas (frames already in memory):      {p_time:.3f} s median  (runs: {runs})")
    for name in ours.steps:
        step = statistics.median(res.steps[name] for _, res in r_runs)
        print(f"  ristra {name}: {step:.3f} s")
    print(
        f"ratio (pandas time / ristra time): {p_time / r_time:.2f}x  "
        "(targets: full set in under 1 s, at least 5x faster than pandas)"
    )


if __name__ == "__main__":
    main()
