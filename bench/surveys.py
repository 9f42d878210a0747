"""Climate survey benchmark: the full results computation and comment themes.

Builds a deterministic synthetic survey: 20,000 respondents answering a 40-item Likert
instrument (5-point agreement scale, favourable = 4 or 5; 8 factors of 5 items in 4
clusters; 4 reverse-coded items; about 6% of answers skipped, a few off the scale) with 8
demographic splits (role, gender, race/ethnicity, URiM, department, years at the school,
age band, first generation; 3 to 30 groups each, some answers missing), and a population
of 30,000 people carrying the same splits for response rates.

Results (what a results page needs): every item, factor and cluster score (n, mean, sd,
95% interval, percent favourable and its interval) overall and by each of the 8 splits,
the gaps of every group against the largest group of its split (percent favourable and
mean, 95% intervals), and response rates with representativeness for every split.

* Ristra: :func:`ristra.analytics.surveys.score_splits` (items recoded once in polars,
  each respondent's factor and cluster means by two small matrix products, then each
  split's group sums by sparse one-hot products), :func:`gaps` on each split's scores and
  :func:`response_rates`;
* the anchor: the same numbers in plain pandas as an analyst would write them by hand --
  reverse-code, mark favourable, per-respondent factor and cluster means with
  ``mean(axis=1)``, then ``groupby`` over each of the 8 splits (``count``, ``mean``,
  ``std``), intervals with scipy, gaps and rates with ``value_counts``.

The two are compared number by number before timing (median of ``--runs`` runs after a
warm-up).  Then 10,000 synthetic comments (English and Spanish, 8 planted topics written as
varied sentences) are grouped into themes with the default method (TF-IDF + NMF, number of
themes chosen automatically); the run prints the themes, how well they recover the
planted topics, and the time.

    .venv/bin/python bench/surveys.py [--quick] [--respondents 20000] [--comments 10000]
        [--runs 5] [--seed 7]

``--quick``: 5,000 respondents, 2,000 comments, 2 runs.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import time
from collections import Counter
from collections.abc import Callable
from typing import Any, Final, TypeVar

import numpy as np
import pandas as pd
import polars as pl
from scipy import stats

from ristra.analytics.surveys import (
    Instrument,
    gaps,
    instrument_load,
    response_rates,
    score_splits,
    wilson,
)
from ristra.analytics.themes import theme_assignments

T = TypeVar("T")
ITEMS: Final = 40
FACTORS: Final = 8
CLUSTERS: Final = 4
REVERSED: Final = (3, 12, 21, 30)
SPLITS: Final = {
    "role": ["Student", "Resident", "Faculty", "Staff"],
    "gender": ["Woman", "Man", "Non-binary", "Not listed", "Declined"],
    "race": ["Asian", "Black", "Hispanic", "AIAN", "NHPI", "White", "Multiracial", "Declined"],
    "urim": ["Yes", "No", "Declined"],
    "department": [f"Department {i:02d}" for i in range(30)],
    "years": ["<1", "1-4", "5-9", "10+"],
    "age": ["<25", "25-34", "35-44", "45-54", "55-64", "65+"],
    "first_gen": ["Yes", "No", "Declined"],
}


# --------------------------------------------------------------------------- data


def build_instrument() -> Instrument:
    lines = [
        "key: bench",
        "title: Benchmark instrument",
        "scales:",
        "  agree:",
        "    labels: [Strongly disagree, Disagree, Neutral, Agree, Strongly agree]",
        "    favourable: [4, 5]",
        "clusters:",
        *[f"  c{c}: Cluster {c}" for c in range(CLUSTERS)],
        "factors:",
        *[f"  f{f}: {{label: Factor {f}, cluster: c{f // 2}}}" for f in range(FACTORS)],
        "sections:",
        "  - title: Items",
        "    items:",
    ]
    for i in range(ITEMS):
        reverse = ", reverse: true" if i in REVERSED else ""
        lines.append(
            f"      - {{key: q{i:02d}, kind: likert, scale: agree, factor: f{i // 5}{reverse},"
            f' text: "Statement {i}"}}'
        )
    return instrument_load("\n".join(lines))


def _skewed(rng: np.random.Generator, values: list[str], size: int) -> NDArrayStr:
    weights = 1 / np.arange(1, len(values) + 1) ** 0.8
    return rng.choice(np.array(values, dtype=object), size=size, p=weights / weights.sum())


NDArrayStr = Any


def respondents(n: int, seed: int) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    columns: dict[str, Any] = {}
    for split, values in SPLITS.items():
        column = _skewed(rng, values, n)
        column[rng.random(n) < 0.03] = None
        columns[split] = column
    # latent climate differs a little by group, so gaps are real
    latent = rng.normal(0, 1, n) + np.where(columns["urim"] == "Yes", -0.35, 0.0)
    latent += np.where(columns["role"] == "Staff", -0.2, 0.0)
    for i in range(ITEMS):
        raw = np.clip(np.rint(3.4 + 0.9 * latent + rng.normal(0, 0.9, n)), 1, 5).astype(np.int64)
        if i in REVERSED:
            raw = 6 - raw
        skipped = rng.random(n) < 0.06
        off = rng.random(n) < 0.001
        answers = (
            pl.DataFrame({"v": raw, "s": skipped, "o": off})
            .select(
                pl.when(pl.col("s"))
                .then(None)
                .when(pl.col("o"))
                .then(9)
                .otherwise(pl.col("v"))
                .alias(f"q{i:02d}")
            )
            .to_series()
        )
        columns[f"q{i:02d}"] = answers
    return pl.DataFrame(
        {
            k: (v if isinstance(v, pl.Series) else pl.Series(k, v, dtype=pl.String))
            for k, v in columns.items()
        }
    )


def population(n: int, seed: int) -> dict[str, dict[str, int]]:
    rng = np.random.default_rng(seed + 1)
    counts = {}
    for split, values in SPLITS.items():
        column = _skewed(rng, values, n)
        counts[split] = dict(Counter(column.tolist()))
    return counts


# --------------------------------------------------------------------------- Ristra


def ristra_results(
    frame: pl.DataFrame, instrument: Instrument, pop: dict[str, dict[str, int]]
) -> dict[str, Any]:
    scores = score_splits(frame, instrument, list(SPLITS))
    gap_frames = []
    rates = {}
    for split in SPLITS:
        part = scores.filter(pl.col("split") == split).drop("split").rename({"group": split})
        gap_frames.append(gaps(part, instrument, by=split))
        counts = frame.group_by(split).len().drop_nulls(split)
        respondents_by_group = dict(
            zip(counts[split].to_list(), counts["len"].to_list(), strict=True)
        )
        rates[split] = response_rates(respondents_by_group, pop[split])
    return {"scores": scores, "gaps": pl.concat(gap_frames), "rates": rates}


# --------------------------------------------------------------------------- pandas anchor


def pandas_results(
    df: pd.DataFrame, instrument: Instrument, pop: dict[str, dict[str, int]]
) -> dict[str, Any]:
    items = [item.key for item in instrument.likert_items]
    reverse = [item.key for item in instrument.likert_items if item.reverse]
    values = df[items].where(df[items].isin([1, 2, 3, 4, 5]))
    values[reverse] = 6 - values[reverse]
    favourable = (values >= 4).astype(float).where(values.notna())
    blocks = {}
    for level, groups in (
        ("factor", {k: [i.key for i in instrument.factor_items(k)] for k in instrument.factors}),
        ("cluster", {k: [i.key for i in instrument.cluster_items(k)] for k in instrument.clusters}),
    ):
        for key, members in groups.items():
            blocks[(level, key)] = (values[members].mean(axis=1), favourable[members].mean(axis=1))
    wide_v = pd.concat(
        [values.rename(columns=lambda c: ("item", c))]
        + [s[0].rename(k) for k, s in blocks.items()],
        axis=1,
    )
    wide_f = pd.concat(
        [favourable.rename(columns=lambda c: ("item", c))]
        + [s[1].rename(k) for k, s in blocks.items()],
        axis=1,
    )
    wide_v.columns = [f"{level}|{key}" for level, key in wide_v.columns]
    wide_f.columns = list(wide_v.columns)

    results: dict[str | None, pd.DataFrame] = {}
    overall = pd.DataFrame(
        {
            "n": wide_v.count(),
            "mean": wide_v.mean(),
            "sd": wide_v.std(),
            "pct": wide_f.mean(),
            "psd": wide_f.std(),
        }
    )
    results[None] = _pandas_intervals(overall)
    gap_tables = []
    rates = {}
    for split in SPLITS:
        grouped_v = wide_v.groupby(df[split])
        grouped_f = wide_f.groupby(df[split])
        stacked = pd.concat(
            {
                "n": grouped_v.count().stack(future_stack=True),
                "mean": grouped_v.mean().stack(future_stack=True),
                "sd": grouped_v.std().stack(future_stack=True),
                "pct": grouped_f.mean().stack(future_stack=True),
                "psd": grouped_f.std().stack(future_stack=True),
            },
            axis=1,
        )
        table_split = _pandas_intervals(stacked)
        results[split] = table_split
        sizes = table_split.groupby(level=0)["n"].max()
        reference = sizes.sort_values(ascending=False, kind="stable").index[0]
        ref = table_split.xs(reference, level=0)
        others = table_split.drop(index=reference, level=0)
        ref_aligned = ref.reindex(others.index.droplevel(0))
        ref_aligned.index = others.index
        d = others["pct"] - ref_aligned["pct"]
        low = d - np.sqrt(
            (others["pct"] - others["pct_low"]) ** 2
            + (ref_aligned["pct_high"] - ref_aligned["pct"]) ** 2
        )
        high = d + np.sqrt(
            (others["pct_high"] - others["pct"]) ** 2
            + (ref_aligned["pct"] - ref_aligned["pct_low"]) ** 2
        )
        v1 = others["sd"] ** 2 / others["n"]
        v2 = ref_aligned["sd"] ** 2 / ref_aligned["n"]
        dof = (v1 + v2) ** 2 / (v1**2 / (others["n"] - 1) + v2**2 / (ref_aligned["n"] - 1))
        half = stats.t.ppf(0.975, dof) * np.sqrt(v1 + v2)
        mean_gap = others["mean"] - ref_aligned["mean"]
        gap_tables.append(
            pd.DataFrame(
                {
                    "pct_gap": d,
                    "pct_gap_low": low,
                    "pct_gap_high": high,
                    "mean_gap": mean_gap,
                    "mean_gap_low": mean_gap - half,
                    "mean_gap_high": mean_gap + half,
                }
            ).assign(by=split)
        )
        counts = df[split].value_counts()
        pop_s = pd.Series(pop[split])
        rates[split] = pd.DataFrame(
            {
                "rate": counts.reindex(pop_s.index).fillna(0) / pop_s,
                "representativeness": (counts / counts.sum()).reindex(pop_s.index).fillna(0)
                / (pop_s / pop_s.sum()),
            }
        )
    return {"scores": results, "gaps": pd.concat(gap_tables), "rates": rates}


def _pandas_intervals(t: pd.DataFrame) -> pd.DataFrame:
    n = t["n"].astype(float)
    tq = stats.t.ppf(0.975, np.maximum(n - 1, 1))
    half = tq * t["sd"] / np.sqrt(n)
    out = t.assign(ci_low=t["mean"] - half, ci_high=t["mean"] + half)
    is_item = t.index.get_level_values(-1).str.startswith("item|")
    w_low, w_high = wilson(t["pct"] * n, n)
    p_half = tq * t["psd"] / np.sqrt(n)
    out["pct_low"] = np.where(is_item, w_low, np.clip(t["pct"] - p_half, 0, 1))
    out["pct_high"] = np.where(is_item, w_high, np.clip(t["pct"] + p_half, 0, 1))
    return out


def compare(ours: dict[str, Any], theirs: dict[str, Any]) -> float:
    """Largest absolute difference between the two over scores, intervals and gaps."""
    worst = 0.0
    scores = ours["scores"]
    for split, table in theirs["scores"].items():
        part = scores.filter(
            pl.col("split").is_null()
            if split is None
            else (pl.col("split") == split) & pl.col("group").is_not_null()  # pandas drops NaN
        )
        flat = table.reset_index()
        if split is None:
            flat.columns = ["name", *table.columns]
            flat["group"] = None
        else:
            flat.columns = ["group", "name", *table.columns]
        flat[["level", "key"]] = flat["name"].str.split("|", expand=True)
        merged = part.to_pandas().merge(
            flat, on=["group", "level", "key"], how="inner", suffixes=("", "_pd")
        )
        assert len(merged) == len(part), (split, len(merged), len(part))
        for a, b in (
            ("n", "n_pd"),
            ("mean", "mean_pd"),
            ("sd", "sd_pd"),
            ("ci_low", "ci_low_pd"),
            ("pct_favourable", "pct"),
            ("pct_ci_low", "pct_low"),
            ("pct_ci_high", "pct_high"),
        ):
            diff = (merged[a].astype(float) - merged[b].astype(float)).abs()
            worst = max(worst, float(np.nanmax(diff.to_numpy())) if len(diff) else 0.0)
    gaps_pd = theirs["gaps"].reset_index()
    gaps_pd.columns = ["group", "name", *theirs["gaps"].columns]
    gaps_pd[["level", "key"]] = gaps_pd["name"].str.split("|", expand=True)
    merged = (
        ours["gaps"]
        .to_pandas()
        .merge(gaps_pd, on=["by", "group", "level", "key"], suffixes=("", "_pd"))
    )
    assert len(merged) == len(ours["gaps"]), (len(merged), len(ours["gaps"]))
    for column in (
        "pct_gap",
        "pct_gap_low",
        "pct_gap_high",
        "mean_gap",
        "mean_gap_low",
        "mean_gap_high",
    ):
        diff = (merged[column].astype(float) - merged[f"{column}_pd"].astype(float)).abs()
        worst = max(worst, float(np.nanmax(diff.to_numpy())))
    for split, rates in ours["rates"].items():
        for r in rates:
            if r.rate is not None:
                worst = max(worst, abs(r.rate - float(theirs["rates"][split]["rate"][r.group])))
    return worst


# --------------------------------------------------------------------------- comments

TOPICS: Final = {
    "parking": (
        "en",
        [
            "Parking near the {place} is impossible before {time}",
            "The parking permit costs too much for {people}",
            "We need a shuttle from the remote garage to the {place}",
            "My commute got worse since the garage closed",
            "Please add evening shuttle runs and more parking spaces",
        ],
    ),
    "mentoring": (
        "en",
        [
            "I never found a mentor who understood my career goals",
            "The mentorship program matched me with a sponsor in {place}",
            "More career advice from senior faculty would help {people}",
            "Formal mentoring for {people} should be expanded",
            "My mentor gave honest guidance about promotion",
        ],
    ),
    "workload": (
        "en",
        [
            "Overtime has become the norm for {people}",
            "Staffing shortages mean longer shifts and burnout",
            "The workload in {place} is not sustainable",
            "Burnout is real: clinical hours keep growing",
            "Too many night shifts and not enough staffing",
        ],
    ),
    "childcare": (
        "en",
        [
            "On-site childcare would keep parents in {place}",
            "The daycare waiting list is over a year long",
            "Lactation rooms are too far from the {place}",
            "Parents need flexible schedules for school pickups",
            "Childcare support for residents with young children",
        ],
    ),
    "recognition": (
        "en",
        [
            "Service work by {people} is never recognised in promotion",
            "Awards always go to the same people in {place}",
            "Committee work and teaching deserve credit in evaluations",
            "Recognition of diversity work should count toward promotion",
            "Nobody thanks staff for the extra service they do",
        ],
    ),
    "leadership": (
        "en",
        [
            "Leadership should explain decisions before announcing them",
            "Town halls with leadership feel like one-way announcements",
            "Department leadership rarely asks {people} for input",
            "Transparent decisions from leadership would build trust",
            "Leadership listens but decisions never change",
        ],
    ),
    "trato": (
        "es",
        [
            "Los comentarios ofensivos de algunos supervisores no tienen consecuencias",
            "Sentí discriminación por mi acento en {place_es}",
            "El trato hacia el personal de limpieza es irrespetuoso",
            "Falta respeto de los supervisores hacia {people_es}",
            "Denuncié un trato injusto y nadie respondió",
        ],
    ),
    "idioma": (
        "es",
        [
            "Necesitamos más intérpretes para pacientes que hablan español",
            "La comunicación con pacientes en español depende de voluntarios",
            "Los materiales de capacitación deberían tener traducción al español",
            "Hablar español en {place_es} no se valora",
            "Faltan intérpretes médicos en el turno de noche",
        ],
    ),
}
SLOTS: Final = {
    "place": [
        "clinic",
        "hospital",
        "main campus",
        "research building",
        "library",
        "emergency department",
    ],
    "time": ["seven", "eight in the morning", "the first shift"],
    "people": ["residents", "staff", "students", "junior faculty", "nurses"],
    "place_es": ["la clínica", "el hospital", "el campus", "urgencias"],
    "people_es": ["los residentes", "el personal", "los estudiantes", "las enfermeras"],
}
OPENERS: Final = {
    "en": ["", "Honestly, ", "I think ", "In my experience, ", "Overall, ", "One thing: "],
    "es": ["", "Sinceramente, ", "Creo que ", "En mi experiencia, ", "En general, "],
}
CLOSERS: Final = {
    "en": ["", " Thank you.", " This matters a lot.", " It has been this way for years.", ""],
    "es": ["", " Gracias.", " Esto importa mucho.", " Lleva años así.", ""],
}


def comments(n: int, seed: int) -> tuple[list[str], list[str]]:
    rng = np.random.default_rng(seed + 2)
    names = list(TOPICS)
    weights = 1 / np.arange(1, len(names) + 1) ** 0.5
    picks = rng.choice(len(names), size=n, p=weights / weights.sum())
    texts, labels = [], []
    for p in picks.tolist():
        name = names[p]
        language, templates = TOPICS[name]
        parts = []
        for _ in range(int(rng.integers(1, 3))):
            template = templates[int(rng.integers(len(templates)))]
            slots = {k: v[int(rng.integers(len(v)))] for k, v in SLOTS.items()}
            parts.append(template.format(**slots))
        opener = OPENERS[language][int(rng.integers(len(OPENERS[language])))]
        closer = CLOSERS[language][int(rng.integers(len(CLOSERS[language])))]
        texts.append(opener + ". ".join(parts) + "." + closer)
        labels.append(name)
    return texts, labels


# --------------------------------------------------------------------------- running


def timed(runs: int, fn: Callable[[], T]) -> tuple[float, T]:
    fn()  # warm-up
    times, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    assert result is not None
    return statistics.median(times), result


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="5,000 respondents, 2,000 comments")
    parser.add_argument("--respondents", type=int, default=20_000)
    parser.add_argument("--comments", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5, help="timed runs (median)")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    if args.quick:
        args.respondents, args.comments, args.runs = 5_000, 2_000, 2
    instrument = build_instrument()
    frame = respondents(args.respondents, args.seed)
    pop = population(max(args.respondents * 3 // 2, 1), args.seed)
    frame_pd = frame.to_pandas()
    print(
        f"survey benchmark, seed {args.seed}: {args.respondents:,} respondents x {ITEMS} items "
        f"({FACTORS} factors, {CLUSTERS} clusters), {len(SPLITS)} splits "
        f"({sum(len(v) for v in SPLITS.values())} groups), median of {args.runs} runs"
    )

    ours = ristra_results(frame, instrument, pop)
    theirs = pandas_results(frame_pd, instrument, pop)
    worst = compare(ours, theirs)
    print(
        f"  results: {len(ours['scores']):,} score rows, {len(ours['gaps']):,} gap rows; "
        f"largest difference from pandas {worst:.1e} "
        f"({'same numbers' if worst < 1e-9 else 'DIFFERENT'})"
    )
    seconds_ristra, _ = timed(args.runs, lambda: ristra_results(frame, instrument, pop))
    seconds_pandas, _ = timed(args.runs, lambda: pandas_results(frame_pd, instrument, pop))
    print(
        f"  Ristra full results:          {seconds_ristra:.3f} s  "
        f"(target < 2 s: {'met' if seconds_ristra < 2 else 'NOT met'})"
    )
    print(f"  pandas by hand (anchor):      {seconds_pandas:.3f} s")
    print(f"  ratio (pandas / Ristra): {seconds_pandas / seconds_ristra:.1f}x")

    texts, labels = comments(args.comments, args.seed)
    start = time.perf_counter()
    found, joined = theme_assignments(texts)
    seconds_themes = time.perf_counter() - start
    print(
        f"\n  {args.comments:,} comments -> {len(found)} themes in {seconds_themes:.2f} s "
        f"(target < 20 s: {'met' if seconds_themes < 20 else 'NOT met'}); "
        f"planted topics: {len(TOPICS)}"
    )
    recovered = set()
    for theme in found:
        # the planted topic most of the theme's comments came from, and how many
        members = Counter(labels[i] for i, t in enumerate(joined) if t == theme.index)
        majority, count = members.most_common(1)[0]
        purity = count / theme.size
        recovered.add(majority)
        print(f"    {theme.size:>6,}  {purity:6.1%} {majority:<12} {theme.label}")
    print(f"  planted topics recovered as a majority theme: {len(recovered)}/{len(TOPICS)}")
    print(f"\npeak memory: {peak_mib():,.0f} MiB")


if __name__ == "__main__":
    main()
