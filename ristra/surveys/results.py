"""A survey's results as a published report: every figure through the suppression layer.

Groups of respondents are shown only as :mod:`ristra.analytics.disclosure` allows: the
survey's minimum group size, with complementary hiding, one breakdown at a time; or,
within one group of the survey's filter question, only where ``disclose_filtered`` opens
the view, judged over every view a reader can request together.  Each score also needs
``min_group`` answers of its own.  Comments are grouped into themes over everyone; a
theme's representative comments are shown only when at least ``min_comments`` people
wrote comments and the theme holds at least that many.  Decision-makers and everyone
without ``view_demographic_aggregates`` get no breakdown by demographic group
(``breakdowns=False``).
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import altair as alt
import numpy as np
import polars as pl
from django.utils.translation import gettext as _
from numpy.typing import NDArray

from ristra.analytics import suppression as sup
from ristra.analytics.disclosure import (
    NOT_ANSWERED,
    OVERALL,
    POOLED,
    CellKey,
    Disclosure,
    FilteredDisclosure,
    disclose,
    disclose_filtered,
)
from ristra.analytics.surveys import (
    Instrument,
    ScoringArrays,
    gaps,
    response_rates,
    score,
    scoring_arrays,
    year_over_year,
)
from ristra.reports import published as pub
from ristra.reports.published import Chart, Column, PublishedTable, Report
from ristra.surveys.models import UNIT_KEY, Survey


def policy_for(survey: Survey) -> sup.SuppressionPolicy:
    return sup.SuppressionPolicy(min_count=survey.min_group, min_denominator=survey.min_group)


def responses_frame(survey: Survey) -> pl.DataFrame:
    """One row per response: a column per Likert (Int64), text, choice and demographic item.

    The JSON documents are read as text and decoded by polars (20,000 responses in well
    under a second; decoding them one by one in Python takes several).
    """
    from django.db.models import TextField
    from django.db.models.functions import Cast

    instrument = survey.instrument
    rows = list(
        survey.responses.order_by()
        .annotate(
            a=Cast("answers", output_field=TextField()),
            d=Cast("demographics", output_field=TextField()),
        )
        .values_list("a", "d")
    )
    answer_fields: dict[str, Any] = {}
    demographic_fields: dict[str, Any] = dict.fromkeys(split_keys(survey), pl.String)
    for item in instrument.items:
        if item.kind == "likert":
            answer_fields[item.key] = pl.Int64
        elif item.kind in ("text", "choice"):
            answer_fields[item.key] = pl.String
    columns: list[pl.Series] = []
    for position, fields in ((0, answer_fields), (1, demographic_fields)):
        if not fields:
            continue
        texts = pl.Series([row[position] or "{}" for row in rows], dtype=pl.String)
        decoded = texts.str.json_decode(pl.Struct(fields)) if rows else None
        for key, dtype in fields.items():
            if decoded is None:
                columns.append(pl.Series(key, [], dtype=dtype))
            else:
                columns.append(decoded.struct.field(key).alias(key))
    frame = pl.DataFrame(columns)
    texts_ = [k for k, t in answer_fields.items() if t == pl.String]
    return frame.with_columns(
        [
            pl.when(pl.col(k).str.strip_chars() == "").then(None).otherwise(pl.col(k)).alias(k)
            for k in texts_
        ]
    )


def demographic_keys(instrument: Instrument) -> list[str]:
    return [item.key for item in instrument.items if item.kind == "demographic"]


@dataclass(frozen=True)
class Split:
    """A breakdown offered on the results: a demographic question of the instrument, or
    the invitee's unit carried into the responses (``UNIT_KEY``, see ``Survey.carry_unit``).
    """

    key: str
    text: str
    options: tuple[str, ...]

    def label(self, value: str) -> str:
        if self.key == UNIT_KEY:
            if value == POOLED:
                return str(_("Other units (each too small to show)"))
            if value == NOT_ANSWERED:
                return str(_("No unit on record"))
        return _group_label(value)


def unit_options(survey: Survey) -> tuple[str, ...]:
    """The units a response may carry: those with at least ``min_group`` invitees, then
    the pooled group."""
    counts = Counter(survey.invitations.exclude(unit="").values_list("unit", flat=True))
    return (*sorted(u for u, n in counts.items() if n >= survey.min_group), POOLED)


def splits(survey: Survey) -> list[Split]:
    """Every breakdown of the survey's results, in order (the unit last)."""
    out = [
        Split(item.key, item.text, item.options)
        for item in survey.instrument.items
        if item.kind == "demographic"
    ]
    if survey.carry_unit:
        out.append(Split(UNIT_KEY, str(_("Unit (person record)")), unit_options(survey)))
    return out


def split_keys(survey: Survey) -> list[str]:
    return [split.key for split in splits(survey)]


def split_of(survey: Survey, key: str) -> Split:
    for split in splits(survey):
        if split.key == key:
            return split
    raise KeyError(key)


def disclosure_for(survey: Survey, frame: pl.DataFrame) -> Disclosure:
    return disclose(frame, dims=split_keys(survey), k=survey.min_group)


def _labels(instrument: Instrument) -> dict[tuple[str, str], str]:
    out = {("factor", k): f.label for k, f in instrument.factors.items()}
    out |= {("cluster", k): label for k, label in instrument.clusters.items()}
    out |= {("item", i.key): i.text for i in instrument.likert_items}
    return out


def _group_label(value: str) -> str:
    return value or _("Not answered")


def _est(value: Any, n: Any, policy: sup.SuppressionPolicy) -> float | None:
    if value is None or n is None:
        return pub.HIDDEN
    return pub.estimate(float(value), int(n), policy)


def _bar(rows: Sequence[tuple[str, float | None]], *, title: str, description: str) -> Chart | None:
    data = [{"label": label, "value": value} for label, value in rows if isinstance(value, float)]
    if not data:
        return None
    chart = (
        alt.Chart(alt.Data(values=data))
        .mark_bar()
        .encode(
            x=alt.X(
                "value:Q",
                axis=alt.Axis(format="%", title=str(_("Percent favourable"))),
                scale=alt.Scale(domain=[0, 1]),
            ),
            y=alt.Y("label:N", sort=None, title=None),
            tooltip=[alt.Tooltip("label:N"), alt.Tooltip("value:Q", format=".1%")],
        )
        .properties(width="container", height=max(60, 22 * len(data)), description=title)
    )
    return Chart(spec=chart.to_dict(validate=False), description=description)


def _describe_extremes(rows: Sequence[tuple[str, float | None]]) -> str:
    shown = [(label, v) for label, v in rows if isinstance(v, float)]
    if not shown:
        return _("No score can be shown: too few answers.")
    best = max(shown, key=lambda r: r[1])
    worst = min(shown, key=lambda r: r[1])
    return _("Highest: %(best)s (%(bv).0f%% favourable); lowest: %(worst)s (%(wv).0f%%).") % {
        "best": best[0],
        "bv": best[1] * 100,
        "worst": worst[0],
        "wv": worst[1] * 100,
    }


# ----------------------------------------------------------------------------- sections
def _overall_section(
    survey: Survey, scores: pl.DataFrame, policy: sup.SuppressionPolicy
) -> PublishedTable:
    labels = _labels(survey.instrument)
    rows: list[tuple[Any, ...]] = []
    chart_rows: list[tuple[str, float | None]] = []
    for level in ("cluster", "factor"):
        for r in scores.filter(pl.col("level") == level).iter_rows(named=True):
            n = r["n"]
            label = labels.get((level, r["key"]), r["key"])
            pct = _est(r["pct_favourable"], n, policy)
            rows.append(
                (
                    label,
                    str(_("Cluster") if level == "cluster" else _("Factor")),
                    pub.base_count(int(n), policy),
                    _est(r["mean"], n, policy),
                    pct,
                    _est(r["pct_ci_low"], n, policy),
                    _est(r["pct_ci_high"], n, policy),
                )
            )
            if level == "factor":
                chart_rows.append((label, pct))
    title = _("Scores by cluster and factor")
    return pub.measured_table(
        key="scores",
        title=title,
        columns=[
            Column("label", _("Cluster or factor"), "label"),
            Column("level", _("Level"), "label"),
            Column("n", _("Respondents"), "count"),
            Column("mean", _("Mean (1-5)"), "number"),
            Column("pct", _("% favourable"), "percent"),
            Column("low", _("95% interval from"), "percent"),
            Column("high", _("95% interval to"), "percent"),
        ],
        rows=rows,
        summary=_describe_extremes(chart_rows),
        policy=policy,
        chart=_bar(chart_rows, title=title, description=_describe_extremes(chart_rows)),
    )


def _items_section(
    survey: Survey, scores: pl.DataFrame, policy: sup.SuppressionPolicy
) -> PublishedTable:
    labels = _labels(survey.instrument)
    factors = {i.key: i.factor for i in survey.instrument.likert_items}
    flabels = {k: f.label for k, f in survey.instrument.factors.items()}
    rows = []
    described = []
    for r in scores.filter(pl.col("level") == "item").iter_rows(named=True):
        n = r["n"]
        pct = _est(r["pct_favourable"], n, policy)
        rows.append(
            (
                labels.get(("item", r["key"]), r["key"]),
                flabels.get(factors.get(r["key"]) or "", ""),
                pub.base_count(int(n), policy),
                _est(r["mean"], n, policy),
                pct,
            )
        )
        described.append((r["key"], pct))
    return pub.measured_table(
        key="items",
        title=_("Scores by statement"),
        columns=[
            Column("label", _("Statement"), "label"),
            Column("factor", _("Factor"), "label"),
            Column("n", _("Answers"), "count"),
            Column("mean", _("Mean (1-5)"), "number"),
            Column("pct", _("% favourable"), "percent"),
        ],
        rows=rows,
        summary=_("Each statement's mean and percent favourable after reverse coding. %(extremes)s")
        % {"extremes": _describe_extremes(described)},
        policy=policy,
    )


def _one_way(disclosure: Disclosure, dim: str) -> Callable[[str], int | None]:
    return lambda value: disclosure.size(CellKey(dim=dim, value=value))


def _within(disclosure: FilteredDisclosure, stratum: str, dim: str) -> Callable[[str], int | None]:
    return lambda value: disclosure.size(stratum, dim, value)


def _group_section(
    survey: Survey,
    arrays: ScoringArrays,
    size_of: Callable[[str], int | None],
    dim: str,
    policy: sup.SuppressionPolicy,
    rows_mask: NDArray[np.bool_] | None = None,
) -> tuple[PublishedTable, PublishedTable | None]:
    """Scores by each answer to ``dim`` (within ``rows_mask``'s respondents when given);
    ``size_of(answer)`` is the group's size, or None when it is hidden."""
    instrument = survey.instrument
    item = split_of(survey, dim)
    # the arrays' demographic columns hold "" for no answer
    scores = arrays.score(by=[dim], rows=rows_mask)
    factor_keys = list(instrument.factors)
    present = arrays.frame[dim] if rows_mask is None else arrays.frame[dim].filter(rows_mask)
    groups = list(item.options) + ([""] if "" in present.unique().to_list() else [])
    lookup = {
        (r[dim], r["key"]): r
        for r in scores.filter(pl.col("level") == "factor").iter_rows(named=True)
    }
    rows = []
    chart_rows = []
    for group in groups:
        size = size_of(group)
        row: list[Any] = [item.label(group), size]
        for key in factor_keys:
            r = lookup.get((group, key))
            row.append(
                _est(r["pct_favourable"], r["n"], policy) if size is not None and r else pub.HIDDEN
            )
        rows.append(tuple(row))
        first_cluster = [
            _est(r["pct_favourable"], r["n"], policy)
            for key in factor_keys
            if (r := lookup.get((group, key))) is not None and size is not None
        ]
        shown = [v for v in first_cluster if isinstance(v, float)]
        chart_rows.append((item.label(group), sum(shown) / len(shown) if shown else None))
    title = _("%% favourable by factor and %(dim)s") % {"dim": item.text}
    hidden = sum(1 for r in rows if r[1] is None)
    summary = _(
        "Each factor's percent favourable for each answer to “%(q)s”. %(hidden)d of "
        "%(groups)d groups are hidden (fewer than %(k)d respondents, or hiding them protects "
        "another small group)."
    ) % {"q": item.text, "hidden": hidden, "groups": len(rows), "k": survey.min_group}
    table = pub.measured_table(
        key=f"by_{dim}",
        title=title,
        columns=[
            Column("label", item.text, "label"),
            Column("n", _("Respondents"), "count"),
            *[Column(f"f_{k}", f.label, "percent") for k, f in instrument.factors.items()],
        ],
        rows=rows,
        summary=summary,
        policy=policy,
        chart=_bar(
            chart_rows,
            title=title,
            description=_("Average of the factors' percent favourable, per group. ")
            + _describe_extremes(chart_rows),
        ),
    )
    # Gaps against the largest shown group, only between shown groups.
    sizes = {g: n for g in groups if g and (n := size_of(g))}
    shown_groups = list(sizes)
    if len(shown_groups) < 2:
        return table, None
    subset = scores.filter(pl.col(dim).is_in(shown_groups), pl.col("level") == "factor")
    reference = max(shown_groups, key=lambda g: sizes[g])
    gap = gaps(subset, instrument, by=dim, reference=reference)
    gap_rows = []
    flagged = []
    for r in gap.iter_rows(named=True):
        if r["n"] is None or r["n"] < survey.min_group:
            values: list[Any] = [pub.HIDDEN] * 3
        else:
            values = [r["pct_gap"], r["pct_gap_low"], r["pct_gap_high"]]
            low, high = r["pct_gap_low"], r["pct_gap_high"]
            if low is not None and high is not None and (low > 0 or high < 0):
                flagged.append(f"{item.label(r['group'])} · {instrument.factors[r['key']].label}")
        gap_rows.append(
            (
                item.label(r["group"]),
                instrument.factors[r["key"]].label,
                *values,
                _("yes") if values[0] is not None and (values[1] > 0 or values[2] < 0) else "",
            )
        )
    gap_table = pub.measured_table(
        key=f"gaps_{dim}",
        title=_("Gaps by %(dim)s (against %(ref)s)")
        % {"dim": item.text, "ref": item.label(reference)},
        columns=[
            Column("label", item.text, "label"),
            Column("factor", _("Factor"), "label"),
            Column("gap", _("Gap in share favourable"), "ratio"),
            Column("low", _("95% interval from"), "ratio"),
            Column("high", _("95% interval to"), "ratio"),
            Column("clear", _("Interval excludes zero"), "text"),
        ],
        rows=gap_rows,
        summary=(
            _("Gaps whose 95%% interval excludes zero: %(list)s.") % {"list": "; ".join(flagged)}
            if flagged
            else _("No gap's 95% interval excludes zero.")
        ),
        policy=policy,
        notes=[_("Gaps are group minus the reference group, as fractions (0.10 = 10 points).")],
    )
    return table, gap_table


def _response_rate_section(
    survey: Survey, frame: pl.DataFrame, disclosure: Disclosure, policy: sup.SuppressionPolicy
) -> list[PublishedTable]:
    out = []
    invited = list(survey.invitations.values_list("population", "unit", "responded"))
    if invited:
        out.append(
            _rate_table(
                [(p, r) for p, _u, r in invited],
                policy,
                key="response_rate",
                title=_("Response rate by population"),
                row_header=_("Population (person record)"),
                label=_group_label,
            )
        )
        if any(u for _p, u, _r in invited):
            out.append(
                _rate_table(
                    [(u, r) for _p, u, r in invited],
                    policy,
                    key="response_rate_unit",
                    title=_("Response rate by unit"),
                    row_header=_("Unit on the invitation date (person record)"),
                    label=Split(UNIT_KEY, "", ()).label,
                )
            )
        # Representativeness: respondents' self-reported role against the invited population.
        role_items = [
            i.key
            for i in survey.instrument.items
            if i.kind == "demographic" and i.category == "role"
        ]
        if role_items:
            dim = role_items[0]
            population = Counter(p for p, _u, _r in invited if p)
            respondents = {}
            for group in population:
                size = disclosure.size(CellKey(dim=dim, value=group))
                if size is not None:
                    respondents[group] = size
            rates = response_rates(respondents, dict(population))
            rows = []
            for rate in rates:
                shown = rate.group in respondents
                rows.append(
                    (
                        rate.group,
                        rate.respondents if shown else pub.HIDDEN,
                        pub.base_count(rate.population, policy),
                        rate.respondent_share if shown else pub.HIDDEN,
                        rate.population_share
                        if not policy.is_sensitive(rate.population)
                        else pub.HIDDEN,
                        rate.representativeness if shown else pub.HIDDEN,
                    )
                )
            out.append(
                pub.measured_table(
                    key="representativeness",
                    title=_("Who answered, against who was invited"),
                    columns=[
                        Column("label", _("Role (as answered)"), "label"),
                        Column("r", _("Respondents"), "count"),
                        Column("p", _("Invited"), "count"),
                        Column("rs", _("Share of respondents"), "percent"),
                        Column("ps", _("Share of invited"), "percent"),
                        Column("ratio", _("Representation (1 = in proportion)"), "ratio"),
                    ],
                    rows=rows,
                    summary=_(
                        "Below 1, a group is under-represented among respondents; its results "
                        "rest on fewer voices than its share of the school."
                    ),
                    policy=policy,
                    notes=[
                        _(
                            "Respondents are shares of the people who reported their role, "
                            "counted only for groups large enough to show; those who did not "
                            "answer the question are left out."
                        )
                    ],
                )
            )
    return out


def _rate_table(
    invited: Sequence[tuple[str, bool]],
    policy: sup.SuppressionPolicy,
    *,
    key: str,
    title: str,
    row_header: str,
    label: Callable[[str], str],
) -> PublishedTable:
    """Invited people by group (responded, not yet, invited, % responded) through the
    suppression layer: small counts hidden with complementary cells, rates over small or
    hidden denominators hidden."""
    groups = sorted({g or "" for g, _ in invited})
    matrix = [
        [
            sum(1 for g, r in invited if (g or "") == group and r),
            sum(1 for g, r in invited if (g or "") == group and not r),
        ]
        for group in groups
    ]
    table = sup.suppress_table(matrix, policy=policy)
    return pub.cross_table(
        table,
        key=key,
        title=title,
        row_header=row_header,
        row_labels=[label(g) for g in groups],
        column_labels=[_("Responded"), _("Not yet")],
        row_total_label=_("Invited"),
        summary=_(
            "%(r)s of %(n)s invited people responded. The office sees who responded, "
            "never what anyone answered."
        )
        % {
            "r": pub.format_cell(table.column_totals[0] if table.column_totals else None, "count"),
            "n": pub.format_cell(table.grand_total, "count"),
        },
    )


def _yoy_section(
    survey: Survey, scores: pl.DataFrame, policy: sup.SuppressionPolicy
) -> PublishedTable | None:
    previous = survey.previous_wave()
    if previous is None or not previous.responses.exists():
        return None
    prev_frame = responses_frame(previous)
    if prev_frame.height < previous.min_group:
        return None
    change = year_over_year(scores, score(prev_frame, previous.instrument))
    labels = _labels(survey.instrument)
    rows = []
    notable = []
    for r in change.filter(pl.col("level").is_in(["cluster", "factor"])).iter_rows(named=True):
        ok = r["n"] >= policy.min_denominator and (r["n_previous"] or 0) >= previous.min_group
        label = labels.get((r["level"], r["key"]), r["key"])
        values = (
            [
                r["pct_previous"],
                r["pct_favourable"],
                r["pct_change"],
                r["pct_change_low"],
                r["pct_change_high"],
            ]
            if ok
            else [pub.HIDDEN] * 5
        )
        if (
            ok
            and r["pct_change_low"] is not None
            and (r["pct_change_low"] > 0 or r["pct_change_high"] < 0)
        ):
            notable.append(f"{label} ({r['pct_change'] * 100:+.0f})")
        rows.append((label, *values))
    return pub.measured_table(
        key="year_over_year",
        title=_("Change since %(wave)s") % {"wave": previous.wave},
        columns=[
            Column("label", _("Cluster or factor"), "label"),
            Column("prev", _("%% favourable, %(wave)s") % {"wave": previous.wave}, "percent"),
            Column("now", _("%% favourable, %(wave)s") % {"wave": survey.wave}, "percent"),
            Column("change", _("Change (fraction)"), "ratio"),
            Column("low", _("95% interval from"), "ratio"),
            Column("high", _("95% interval to"), "ratio"),
        ],
        rows=rows,
        summary=(
            _("Changes whose 95%% interval excludes zero (points): %(list)s.")
            % {"list": ", ".join(notable)}
            if notable
            else _("No change's 95% interval excludes zero.")
        ),
        policy=policy,
    )


@dataclass(frozen=True)
class BenchmarkRow:
    level: str
    key: str
    mean: float | None
    pct_favourable: float | None


class BenchmarkError(ValueError):
    pass


def benchmark_parse(text: str, instrument: Instrument) -> list[BenchmarkRow]:
    """A benchmark CSV: columns level (factor|cluster|item), key, mean, pct_favourable
    (0-1 or 0-100). Raises :class:`BenchmarkError` naming the line at fault."""
    try:
        return _benchmark_rows(text, instrument)
    except csv.Error as error:
        raise BenchmarkError(
            _("The benchmark file is not a readable CSV file (%(error)s).") % {"error": error}
        ) from None


def _benchmark_rows(text: str, instrument: Instrument) -> list[BenchmarkRow]:
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff"), newline=""))
    needed = {"level", "key", "pct_favourable"}
    if not reader.fieldnames or not needed <= {f.strip() for f in reader.fieldnames}:
        raise BenchmarkError(
            _(
                "The benchmark file needs the columns level, key and pct_favourable "
                "(mean is optional)."
            )
        )
    known = _labels(instrument)
    rows = []
    for number, raw in enumerate(reader, start=2):
        row = {k.strip(): (v or "").strip() for k, v in raw.items() if k}
        if (row["level"], row["key"]) not in known:
            raise BenchmarkError(
                _("Line %(n)d: %(level)s %(key)s is not in the instrument.")
                % {"n": number, "level": row["level"], "key": row["key"]}
            )
        try:
            pct = float(row["pct_favourable"]) if row["pct_favourable"] else None
            mean = float(row["mean"]) if row.get("mean") else None
        except ValueError:
            raise BenchmarkError(
                _("Line %(n)d: the numbers cannot be read.") % {"n": number}
            ) from None
        if pct is not None and pct > 1:
            pct = pct / 100
        if pct is not None and not 0 <= pct <= 1:
            raise BenchmarkError(_("Line %(n)d: percent favourable must be 0-100.") % {"n": number})
        rows.append(BenchmarkRow(row["level"], row["key"], mean, pct))
    return rows


def _benchmark_section(
    survey: Survey, scores: pl.DataFrame, policy: sup.SuppressionPolicy
) -> PublishedTable | None:
    if not survey.benchmark_csv:
        return None
    try:
        bench = benchmark_parse(survey.benchmark_csv, survey.instrument)
    except BenchmarkError:
        return None
    labels = _labels(survey.instrument)
    ours = {(r["level"], r["key"]): r for r in scores.iter_rows(named=True)}
    rows = []
    for b in bench:
        r = ours.get((b.level, b.key))
        pct = _est(r["pct_favourable"], r["n"], policy) if r else pub.HIDDEN
        diff = pct - b.pct_favourable if pct is not None and b.pct_favourable is not None else None
        rows.append((labels[(b.level, b.key)], pct, b.pct_favourable, diff))
    return pub.measured_table(
        key="benchmark",
        title=_("Against the benchmark: %(label)s")
        % {"label": survey.benchmark_label or _("benchmark")},
        columns=[
            Column("label", _("Cluster, factor or statement"), "label"),
            Column("ours", _("Our % favourable"), "percent"),
            Column("bench", _("Benchmark % favourable"), "percent"),
            Column("diff", _("Difference (fraction)"), "ratio"),
        ],
        rows=rows,
        summary=_("Our percent favourable beside the benchmark's, from the uploaded file."),
        policy=policy,
    )


def comment_themes(survey: Survey, item_key: str, comments: Sequence[str]) -> list[Any]:
    """Themes of these comments, cached by their content (grouping 10,000 comments takes
    seconds; closing a survey computes them in the background, see ``tasks.py``)."""
    import dataclasses
    import hashlib
    import json

    from django.core.cache import cache

    from ristra.analytics.themes import Theme, themes

    digest = hashlib.sha256("\x1f".join(comments).encode()).hexdigest()
    key = f"survey-themes:{survey.pk}:{item_key}:{digest}"
    cached = cache.get(key)
    if isinstance(cached, str):  # plain JSON: the cache holds data, never code
        return [
            Theme(
                index=t["index"],
                terms=tuple(t["terms"]),
                label=t["label"],
                size=t["size"],
                representative=tuple(t["representative"]),
            )
            for t in json.loads(cached)
        ]
    found = themes(comments, seed=0)
    payload = json.dumps([dataclasses.asdict(t) for t in found])
    cache.set(key, payload, timeout=60 * 60 * 24 * 90)
    return found


def warm_themes(survey: Survey) -> int:
    """Compute and cache the themes of every open question. Returns how many."""
    frame = responses_frame(survey)
    done = 0
    for item in survey.instrument.items_of_kind("text"):
        comments = [c for c in frame[item.key].to_list() if c and c.strip()]
        if len(comments) >= survey.min_comments:
            comment_themes(survey, item.key, comments)
            done += 1
    return done


def _themes_sections(
    survey: Survey, frame: pl.DataFrame, policy: sup.SuppressionPolicy
) -> list[PublishedTable]:
    out = []
    for item in survey.instrument.items_of_kind("text"):
        comments = [c for c in frame[item.key].to_list() if c and c.strip()]
        if len(comments) < survey.min_comments:
            out.append(
                pub.measured_table(
                    key=f"themes_{item.key}",
                    title=_("Themes: %(q)s") % {"q": item.text},
                    columns=[Column("label", _("Theme"), "label")],
                    rows=[],
                    summary=_("Fewer than %(k)d people answered: comments are not shown.")
                    % {"k": survey.min_comments},
                    policy=policy,
                )
            )
            continue
        found = comment_themes(survey, item.key, comments)
        rows = []
        for theme in found:
            enough = theme.size >= survey.min_comments
            quotes = (
                " | ".join(comments[i] for i in theme.representative[:3])
                if enough
                else str(_("(too few comments to quote)"))
            )
            rows.append((theme.label, theme.size if enough else pub.HIDDEN, quotes))
        out.append(
            pub.measured_table(
                key=f"themes_{item.key}",
                title=_("Themes: %(q)s") % {"q": item.text},
                columns=[
                    Column("label", _("Theme (top words)"), "label"),
                    Column("n", _("Comments"), "count"),
                    Column("quotes", _("Representative comments"), "text"),
                ],
                rows=rows,
                summary=_(
                    "%(n)d comments grouped into %(t)d themes by their words; comments are "
                    "quoted only for themes of at least %(k)d."
                )
                % {"n": len(comments), "t": len(found), "k": survey.min_comments},
                policy=sup.SuppressionPolicy(
                    min_count=survey.min_comments, min_denominator=survey.min_comments
                ),
                notes=[
                    _(
                        "Comments are shown as written; read them for names or details that "
                        "identify someone before sharing this report."
                    )
                ],
            )
        )
    return out


def filter_dim(survey: Survey) -> str | None:
    """The survey's filter question, when it is still one of the instrument's demographics."""
    key = survey.filter_split
    return key if key and key in split_keys(survey) else None


def build_report(
    survey: Survey, *, breakdowns: bool, by: str | None = None, within: str | None = None
) -> Report:
    """The results report. ``by``: one demographic breakdown (None: all of them).

    ``within``: one group of the survey's filter question; the report is then that group's
    scores and its breakdowns by the other questions, each only where
    :func:`~ristra.analytics.disclosure.disclose_filtered` opens the view.
    """
    if within is not None and breakdowns and filter_dim(survey) is not None:
        return _filtered_report(survey, within=within, by=by)
    policy = policy_for(survey)
    frame = responses_frame(survey)
    sections: list[PublishedTable] = []
    notes = []
    if frame.height < survey.min_group:
        notes.append(
            _("Fewer than %(k)d responses: no results can be shown yet.") % {"k": survey.min_group}
        )
        return Report(key="survey-results", title=str(survey), sections=(), notes=tuple(notes))
    disclosure = disclosure_for(survey, frame)
    dims = split_keys(survey)
    # Recode once; every score below (overall, by each group) reuses the arrays.
    arrays = scoring_arrays(
        frame.with_columns([pl.col(d).fill_null(NOT_ANSWERED) for d in dims]), survey.instrument
    )
    scores = arrays.score()
    if breakdowns:
        sections += _response_rate_section(survey, frame, disclosure, policy)
    sections.append(_overall_section(survey, scores, policy))
    if breakdowns:
        for dim in [by] if by in dims else dims:
            table, gap_table = _group_section(
                survey,
                arrays,
                _one_way(disclosure, dim),
                dim,
                policy,
            )
            sections.append(table)
            if gap_table is not None:
                sections.append(gap_table)
    yoy = _yoy_section(survey, scores, policy)
    if yoy is not None:
        sections.append(yoy)
    bench = _benchmark_section(survey, scores, policy)
    if bench is not None:
        sections.append(bench)
    sections.append(_items_section(survey, scores, policy))
    sections += _themes_sections(survey, frame, policy)
    if not breakdowns:
        notes.append(_("Results by demographic group are not shown to your account."))
    notes.append(
        _(
            "Groups with fewer than %(k)d respondents are hidden, with enough other groups "
            "that no hidden group can be worked out by subtraction; results are shown for "
            "one breakdown at a time."
        )
        % {"k": survey.min_group}
    )
    return Report(
        key="survey-results",
        title=str(survey),
        subtitle=_("%(n)s responses · instrument %(key)s %(version)s")
        % {
            "n": pub.format_cell(disclosure.size(OVERALL), "count"),
            "key": survey.instrument.title,
            "version": survey.instrument.version,
        },
        sections=tuple(sections),
        parameters=(
            (_("Wave"), survey.wave),
            (_("Smallest group shown"), str(survey.min_group)),
            (_("Smallest group whose comments are shown"), str(survey.min_comments)),
        ),
        notes=tuple(notes),
    )


def _filtered_report(survey: Survey, *, within: str, by: str | None) -> Report:
    policy = policy_for(survey)
    instrument = survey.instrument
    f = filter_dim(survey)
    assert f is not None  # noqa: S101 - checked by the caller
    frame = responses_frame(survey)
    dims = split_keys(survey)
    fsplit = split_of(survey, f)
    filled = frame.with_columns([pl.col(d).fill_null(NOT_ANSWERED) for d in dims])
    title = _("%(survey)s: %(q)s %(group)s") % {
        "survey": survey,
        "q": fsplit.text,
        "group": fsplit.label(within),
    }
    decision = disclose_filtered(filled, dims=dims, filter_dim=f, k=survey.min_group)
    if frame.height < survey.min_group or within not in decision.strata():
        return Report(
            key="survey-results",
            title=title,
            sections=(),
            notes=(
                _(
                    "This group is too small to show on its own (fewer than %(k)d "
                    "respondents, or showing it would let a smaller group be worked out)."
                )
                % {"k": survey.min_group},
            ),
        )
    arrays = scoring_arrays(filled, instrument)
    mask = (filled[f] == within).to_numpy()
    scores = arrays.score(rows=mask)
    sections: list[PublishedTable] = [_overall_section(survey, scores, policy)]
    closed = []
    for dim in [by] if by in dims and by != f else [d for d in dims if d != f]:
        if not decision.is_open(within, dim):
            closed.append(split_of(survey, dim).text)
            continue
        table, gap_table = _group_section(
            survey, arrays, _within(decision, within, dim), dim, policy, rows_mask=mask
        )
        sections.append(table)
        if gap_table is not None:
            sections.append(gap_table)
    sections.append(_items_section(survey, scores, policy))
    notes = [
        _(
            "Only respondents who answered “%(q)s” with “%(group)s”. A breakdown of this "
            "group is shown only when every group in it has at least %(k)d respondents and "
            "no smaller group elsewhere can be worked out by comparing it with other views; "
            "comments, response rates and comparisons are shown for everyone only."
        )
        % {"q": fsplit.text, "group": fsplit.label(within), "k": survey.min_group}
    ]
    if closed:
        notes.append(
            _("Not shown for this group, to protect small groups: by %(list)s.")
            % {"list": "; ".join(closed)}
        )
    return Report(
        key="survey-results",
        title=title,
        subtitle=_("%(n)s responses · instrument %(key)s %(version)s")
        % {
            "n": pub.format_cell(decision.base.size(CellKey(f, within)), "count"),
            "key": instrument.title,
            "version": instrument.version,
        },
        sections=tuple(sections),
        parameters=(
            (_("Wave"), survey.wave),
            (_("Group"), f"{fsplit.text}: {fsplit.label(within)}"),
            (_("Smallest group shown"), str(survey.min_group)),
        ),
        notes=tuple(notes),
    )


def latest_published_report(filters: Any = None, source: Any = None) -> Report:
    """The standard report ``survey-results``: the latest published survey, by group.

    Used by the report catalog (screen, CSV, XLSX, PDF and ``ristra report
    survey-results``), which is open to every role that sees demographic aggregates, so it
    only ever shows a survey the analyst has published.
    """
    del filters, source  # surveys do not read the people snapshot
    survey = Survey.objects.filter(published=True).order_by("-wave", "-pk").first()
    if survey is None:
        policy = sup.SuppressionPolicy(min_count=5, min_denominator=5)
        empty = pub.measured_table(
            key="no_survey",
            title=_("No published survey"),
            columns=[Column("label", _("Survey"), "label"), Column("status", _("Status"), "text")],
            rows=[(_("Climate survey"), _("No results published yet"))],
            summary=_("No climate survey results have been published yet."),
            policy=policy,
        )
        return Report(key="survey-results", title=_("Climate survey results"), sections=(empty,))
    return build_report(survey, breakdowns=True)
