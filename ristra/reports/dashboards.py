"""Dashboards: the measures of one population, published.

A dashboard is computed from the analytics snapshot (the DuckDB file
:func:`ristra.reports.services.snapshot_refresh` writes after every import) with the
Ibis measures of :mod:`ristra.analytics.measures`, and every number goes through
:mod:`ristra.reports.published` (and so through :mod:`ristra.analytics.suppression`)
before anything renders it.  The same :class:`~ristra.reports.published.Report` feeds the
page, the CSV / XLSX / PDF / JSON downloads and the ``ristra report`` command.

Decisions
---------
* **Populations** (:data:`POPULATIONS`) are defined by the spells people hold: students
  (enrollment), residents and fellows (GME appointment), faculty (faculty appointment),
  senior administrative staff (leadership or staff appointments flagged senior), staff
  (staff appointment).  Applicants are counted per admissions cycle instead.  Events
  (promotions, separations) count only for people who held one of the population's
  spells, so a staff separation never appears among faculty.
* **Dimensions**: an exclusive counting convention (IPEDS, SPD 15 with "Multiracial and/or
  Multiethnic", AAMC alone, OMB 1997), sex, or one school-defined category (yes / no /
  unknown) in the version chosen.  Unknown and declined are always a group, never dropped.
* **Parity** compares a group's share *among people whose answer is known* with the
  benchmark population's share of the same code (the benchmark has no "unknown").  A
  parity row is hidden when the group's count is hidden.
* **Retention and time to promotion** are published at checkpoints (1, 3, 5 and 10
  years): an estimate is hidden when fewer than ``min_denominator`` people were still
  followed at that time.
* Results are cached per snapshot file and filters; a refreshed snapshot clears the cache.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import math
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from importlib.metadata import version
from pathlib import Path
from typing import Any

import altair as alt
import ibis
import polars as pl
from django.conf import settings
from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from ibis.backends import BaseBackend
from ibis.expr.types import Table

from ristra.analytics import conventions as conv
from ristra.analytics import measures as m
from ristra.analytics import suppression as sup
from ristra.analytics.benchmarks import BenchmarkError, benchmark_share
from ristra.reports import published as pub
from ristra.reports.published import Chart, Column, PublishedTable, Report

# ------------------------------------------------------------------------------ populations


@dataclass(frozen=True)
class FlowSpec:
    kind: str
    label: Any


@dataclass(frozen=True)
class CurveSpec:
    key: str
    title: Any
    start_kind: str
    event_kind: str
    horizon_years: float
    #: True: the curve shows the share *without* the event (retention); False: with it.
    remaining: bool


@dataclass(frozen=True)
class PopulationSpec:
    key: str
    label: Any
    spells: tuple[str, ...]
    flows: tuple[FlowSpec, ...]
    curves: tuple[CurveSpec, ...] = ()
    senior_only: bool = False
    funnel: bool = False
    by_unit: bool = True
    by_rank: bool = False


POPULATIONS: dict[str, PopulationSpec] = {
    p.key: p
    for p in (
        PopulationSpec(
            "applicants",
            gettext_lazy("Applicants"),
            spells=(),
            flows=(
                FlowSpec("application", gettext_lazy("Applicants")),
                FlowSpec("offer", gettext_lazy("Offers made")),
                FlowSpec("offer_declined", gettext_lazy("Offers declined")),
                FlowSpec("matriculation", gettext_lazy("Entrants")),
            ),
            funnel=True,
            by_unit=False,
        ),
        PopulationSpec(
            "students",
            gettext_lazy("Students"),
            spells=("enrollment",),
            flows=(
                FlowSpec("matriculation", gettext_lazy("Entrants")),
                FlowSpec("graduation", gettext_lazy("Graduates")),
            ),
            curves=(
                CurveSpec(
                    "graduation",
                    gettext_lazy("Time to graduation"),
                    "enrollment",
                    "graduation",
                    8,
                    remaining=False,
                ),
            ),
        ),
        PopulationSpec(
            "residents",
            gettext_lazy("Residents and fellows"),
            spells=("gme_appointment",),
            flows=(FlowSpec("gme_appointment", gettext_lazy("Appointments begun")),),
        ),
        PopulationSpec(
            "faculty",
            gettext_lazy("Faculty"),
            spells=("faculty_appointment",),
            flows=(
                FlowSpec("faculty_appointment", gettext_lazy("Hires")),
                FlowSpec("promotion", gettext_lazy("Promotions")),
                FlowSpec("separation", gettext_lazy("Separations")),
            ),
            curves=(
                CurveSpec(
                    "retention",
                    gettext_lazy("Retention"),
                    "faculty_appointment",
                    "separation",
                    10,
                    remaining=True,
                ),
                CurveSpec(
                    "promotion",
                    gettext_lazy("Time to promotion"),
                    "faculty_appointment",
                    "promotion",
                    10,
                    remaining=False,
                ),
            ),
            by_rank=True,
        ),
        PopulationSpec(
            "senior_admin",
            gettext_lazy("Senior administrative staff"),
            spells=("leadership_appointment", "staff_appointment"),
            flows=(
                FlowSpec("leadership_appointment", gettext_lazy("Appointments begun")),
                FlowSpec("separation", gettext_lazy("Separations")),
            ),
            senior_only=True,
        ),
        PopulationSpec(
            "staff",
            gettext_lazy("Staff"),
            spells=("staff_appointment",),
            flows=(
                FlowSpec("staff_appointment", gettext_lazy("Hires")),
                FlowSpec("separation", gettext_lazy("Separations")),
            ),
            curves=(
                CurveSpec(
                    "retention",
                    gettext_lazy("Retention"),
                    "staff_appointment",
                    "separation",
                    10,
                    remaining=True,
                ),
            ),
        ),
    )
}

RANK_LABELS: dict[str, Any] = {
    "instructor": gettext_lazy("Instructor"),
    "assistant_professor": gettext_lazy("Assistant Professor"),
    "associate_professor": gettext_lazy("Associate Professor"),
    "professor": gettext_lazy("Professor"),
    "other": gettext_lazy("Other"),
    "": gettext_lazy("No rank recorded"),
}
SEX_LABELS: dict[str, Any] = {
    "female": gettext_lazy("Female"),
    "male": gettext_lazy("Male"),
    "intersex": gettext_lazy("Intersex"),
    "unknown": gettext_lazy("Unknown or declined"),
}
YES_NO_LABELS: dict[str, Any] = {
    "yes": gettext_lazy("Yes"),
    "no": gettext_lazy("No"),
    "unknown": gettext_lazy("Unknown or declined"),
}
#: Conventions offered as a dashboard dimension (exclusive ones; see the snapshot).
CONVENTION_DIMENSIONS: tuple[str, ...] = (
    "ipeds",
    "spd15_multiracial",
    "spd15_alone",
    "aamc_alone",
    "omb1997_alone",
    "omb1997_ethnicity",
)
CHECKPOINTS: tuple[int, ...] = (1, 3, 5, 10)
SCHOOL_PREFIX = "school:"
UNKNOWN = "unknown"


# ------------------------------------------------------------------------------ filters


@dataclass(frozen=True)
class Filters:
    population: str
    as_of: dt.date
    first_year: int
    last_year: int
    dimension: str = "ipeds"
    unit: str = ""
    #: Date whose category definitions are used (None: those of the snapshot).
    version: dt.date | None = None
    min_cell: int = 11

    @property
    def years(self) -> range:
        return range(self.first_year, self.last_year + 1)

    @property
    def policy(self) -> sup.SuppressionPolicy:
        return sup.SuppressionPolicy(min_count=self.min_cell, min_denominator=self.min_cell)


def academic_year_of(day: dt.date) -> int:
    return day.year if day.month >= 7 else day.year - 1


def default_filters(population: str, *, snapshot: SnapshotSource | None = None) -> Filters:
    """The most recent census date (October 1) the snapshot covers, and ten years."""
    today = snapshot.created.date() if snapshot is not None else dt.date.today()  # noqa: DTZ011
    census = dt.date(today.year, 10, 1)
    if census > today:
        census = dt.date(today.year - 1, 10, 1)
    last = academic_year_of(census)
    return Filters(
        population=population,
        as_of=census,
        first_year=last - 9,
        last_year=last,
        min_cell=settings.RISTRA_MIN_CELL,
    )


# ------------------------------------------------------------------------------ snapshot


class NoSnapshot(Exception):
    """No snapshot has been written yet (nothing imported, or the refresh failed)."""


@dataclass
class SnapshotSource:
    """One open, read-only snapshot file and what it holds."""

    path: Path
    mtime: float
    backend: BaseBackend
    created: dt.datetime
    category_date: dt.date | None
    persons: int
    #: The file holds the per-person tables (snapshots written before they existed do not).
    person_tables: bool = False
    _tables: dict[str, Table] = field(default_factory=dict, init=False, repr=False, compare=False)

    def table(self, name: str) -> Table:
        """The snapshot's table ``name`` (looked up once: the file is read-only)."""
        table = self._tables.get(name)
        if table is None:
            table = self._tables[name] = self.backend.table(name)
        return table

    def run(self, expr: Table | m.Query) -> pl.DataFrame:
        """Execute on a cursor of its own: sections of a dashboard run side by side."""
        return m.run(expr, self.backend, own_cursor=True)


_sources: dict[str, SnapshotSource] = {}
_sources_lock = threading.Lock()


def open_snapshot(path: Path | None = None) -> SnapshotSource:
    """The snapshot at ``path`` (default: settings), reopened when the file changes."""
    path = Path(path or settings.RISTRA_SNAPSHOT_PATH)
    try:
        mtime = path.stat().st_mtime
    except FileNotFoundError:
        raise NoSnapshot(str(path)) from None
    key = str(path)
    with _sources_lock:
        source = _sources.get(key)
        if source is not None and source.mtime == mtime:
            return source
        if source is not None:
            source.backend.disconnect()
        backend = m.duckdb_backend(str(path), read_only=True)
        meta = m.run(backend.table("meta"), backend).row(0, named=True)
        raw: Any = getattr(backend, "con")  # noqa: B009 - the DuckDB connection
        tables = {row[0] for row in raw.sql("SHOW TABLES").fetchall()}
        source = SnapshotSource(
            path=path,
            mtime=mtime,
            backend=backend,
            created=meta["created_at"].replace(tzinfo=dt.UTC),
            category_date=meta.get("category_date"),
            persons=int(meta["persons"]),
            person_tables=set(m.PERSON_TABLES) <= tables,
        )
        _sources[key] = source
        _memory.clear()
        return source


def forget_cached() -> None:
    """Close snapshot connections and drop cached results (after a refresh)."""
    with _sources_lock:
        for source in _sources.values():
            source.backend.disconnect()
        _sources.clear()
        _memory.clear()
        m.clear_caches()


# ------------------------------------------------------------------------------ choices


def dimension_choices(source: SnapshotSource | None, population: str) -> list[tuple[str, str]]:
    """(value, label) of every dimension the dashboards can count by."""
    choices = [(name, conv.get_convention(name).label) for name in CONVENTION_DIMENSIONS]
    choices.append(("sex", str(_("Sex"))))
    if source is not None:
        for key, label in school_category_labels(population).items():
            choices.append((SCHOOL_PREFIX + key, label))
    return choices


def school_category_labels(population: str) -> dict[str, str]:
    from ristra.reports.models import Category

    labels: dict[str, str] = {}
    for category in Category.objects.filter(population__in=[population, "*"]).order_by(
        "key", "-version"
    ):
        labels.setdefault(category.key, category.label)
    return labels


def group_labels(dimension: str) -> dict[str, str]:
    if dimension == "sex":
        return {k: str(v) for k, v in SEX_LABELS.items()}
    if dimension.startswith(SCHOOL_PREFIX):
        return {k: str(v) for k, v in YES_NO_LABELS.items()}
    convention = conv.get_convention(dimension)
    labels = dict(convention.labels)
    labels[UNKNOWN] = str(_("Unknown or declined"))
    return labels


def group_order(dimension: str) -> list[str]:
    labels = group_labels(dimension)
    order = [g for g in labels if g != UNKNOWN]
    return [*order, UNKNOWN]


def dimension_label(dimension: str, population: str) -> str:
    for value, label in dimension_choices(None, population):
        if value == dimension:
            return label
    if dimension.startswith(SCHOOL_PREFIX):
        key = dimension.removeprefix(SCHOOL_PREFIX)
        return school_category_labels(population).get(key, key)
    return dimension


def unit_names() -> dict[str, str]:
    from ristra.people.models import OrgUnit

    return dict(OrgUnit.objects.values_list("code", "name"))


def unit_choices(source: SnapshotSource, population: str) -> list[str]:
    return list(_unit_choices(str(source.path), source.mtime, population))


@functools.lru_cache(maxsize=32)
def _unit_choices(path: str, mtime: float, population: str) -> tuple[str, ...]:
    source = _sources.get(path) or open_snapshot(Path(path))
    spec = POPULATIONS[population]
    if not spec.spells:
        return ()
    stages = _population_stages(source, spec)
    spells = stages.filter(stages.kind.isin(list(spec.spells)) & stages.unit.notnull())
    frame = source.run(spells.select("unit").distinct().order_by("unit"))
    return tuple(u for u in frame["unit"].to_list() if u)


# ------------------------------------------------------------------------------ inputs


def column_name(dimension: str) -> str:
    """The dimension as the measures see it (an identifier: 'school:rural' -> 'school__rural')."""
    return dimension.replace(":", "__")


def _population_stages(source: SnapshotSource, spec: PopulationSpec, unit: str = "") -> Table:
    stages = source.table("stages")
    if unit:
        stages = stages.filter(stages.unit == unit)
    if not spec.spells:
        return stages
    spells = stages.filter(stages.kind.isin(list(spec.spells)))
    if spec.senior_only:
        spells = spells.filter(spells.senior_administrative)
    members = spells.select("person_id").distinct()
    if spec.senior_only:
        others = stages.filter(~stages.kind.isin(list(m.SPELL_KINDS)))
        kept = spells.union(others.semi_join(members, "person_id"))
        return kept
    return stages.semi_join(members, "person_id")


def _groups(source: SnapshotSource, filters: Filters) -> Table:
    """person_id, dimension, group for the chosen dimension (school categories included)."""
    if not filters.dimension.startswith(SCHOOL_PREFIX):
        groups = source.table("groups")
        return groups.filter(groups.dimension == filters.dimension)
    key = filters.dimension.removeprefix(SCHOOL_PREFIX)
    on = filters.version or source.category_date or filters.as_of
    if filters.version is None or filters.version == source.category_date:
        school = source.table("school_categories")
    else:
        school = ibis.memtable(_school_categories_on(source.path, source.mtime, filters.version))
    population = _rows_for(key, filters.population, on)
    rows = school.filter((school.population == population) & (school.category == key))
    return rows.select(
        "person_id", dimension=ibis.literal(column_name(filters.dimension)), group=rows.value
    )


def _rows_for(key: str, population: str, on: dt.date) -> str:
    """Which rows of ``school_categories`` hold ``key`` for ``population`` (or "*")."""
    from ristra.people.snapshot import own_population
    from ristra.reports.services import category_set

    cats = category_set()
    return "*" if cats is None else own_population(cats, key, population, on)


@functools.lru_cache(maxsize=8)
def _school_categories_on(path: Path, mtime: float, on: dt.date) -> pl.DataFrame:
    """School categories re-evaluated with the definitions in effect on ``on``."""
    import duckdb

    from ristra.people.snapshot import attributes_frame, school_categories_frame
    from ristra.reports.services import category_set

    with duckdb.connect(str(path), read_only=True) as con:
        answers = pl.DataFrame(pl.from_arrow(con.sql("SELECT * FROM answers").to_arrow_table()))
        persons = pl.DataFrame(
            pl.from_arrow(
                con.sql("SELECT DISTINCT person_id FROM groups ORDER BY person_id").to_arrow_table()
            )
        ).get_column("person_id")
    attributes = attributes_frame(answers, persons)
    return school_categories_frame(attributes, category_set(), on)


# ------------------------------------------------------------------------------ building


def _fmt_date(day: dt.date) -> str:
    return formats.date_format(day, "DATE_FORMAT")


def _pct(value: float | None) -> str:
    return "*" if value is None else f"{value * 100:.1f}%"


def _bar_chart(
    rows: Sequence[tuple[str, float | None]], *, title: str, description: str
) -> Chart | None:
    data = [{"group": label, "share": share} for label, share in rows if isinstance(share, float)]
    if not data:
        return None
    chart = (
        alt.Chart(alt.Data(values=data))
        .mark_bar()
        .encode(
            x=alt.X("share:Q", axis=alt.Axis(format="%", title=str(_("Share")))),
            y=alt.Y("group:N", sort=None, title=None),
            tooltip=[alt.Tooltip("group:N"), alt.Tooltip("share:Q", format=".1%")],
        )
        .properties(width="container", height=max(60, 22 * len(data)), description=title)
    )
    return Chart(spec=chart.to_dict(validate=False), description=description)


def _line_chart(
    data: list[dict[str, Any]], *, x: str, x_title: str, y_title: str, title: str, description: str
) -> Chart | None:
    if not data:
        return None
    chart = (
        alt.Chart(alt.Data(values=data))
        .mark_line(point=True, interpolate="step-after" if x == "years" else "linear")
        .encode(
            x=alt.X(f"{x}:{'Q' if x == 'years' else 'O'}", title=x_title),
            y=alt.Y("value:Q", axis=alt.Axis(format="%"), title=y_title),
            color=alt.Color("group:N", title=None, legend=alt.Legend(orient="bottom", columns=2)),
            strokeDash=alt.StrokeDash("group:N", legend=None),
            tooltip=[
                alt.Tooltip("group:N"),
                alt.Tooltip(f"{x}:{'Q' if x == 'years' else 'O'}"),
                alt.Tooltip("value:Q", format=".1%"),
            ],
        )
        .properties(width="container", height=240, description=title)
    )
    return Chart(spec=chart.to_dict(validate=False), description=description)


@dataclass(frozen=True)
class People:
    """The snapshot's per-person tables, for measures that can read them (see _people)."""

    kinds: Table
    years: Table
    domains: Table


@dataclass(frozen=True)
class Context:
    source: SnapshotSource
    filters: Filters
    spec: PopulationSpec
    stages: Table
    groups: Table
    labels: dict[str, str]
    order: list[str]
    population_label: str
    dimension_label: str
    people: People | None = None

    def groups_with_sex(self) -> Table:
        """The chosen dimension's groups together with sex (for rank x sex x group)."""
        groups = self.source.table("groups")
        sex = groups.filter(groups.dimension == "sex").select("person_id", "dimension", "group")
        return sex.union(self.groups.select("person_id", "dimension", "group"))


def _context(source: SnapshotSource, filters: Filters) -> Context:
    spec = POPULATIONS[filters.population]
    return Context(
        source=source,
        filters=filters,
        spec=spec,
        stages=_population_stages(source, spec, filters.unit),
        groups=_groups(source, filters),
        labels=group_labels(filters.dimension),
        order=group_order(filters.dimension),
        population_label=str(spec.label),
        dimension_label=dimension_label(filters.dimension, filters.population),
        people=_people(source, spec, filters),
    )


def _people(source: SnapshotSource, spec: PopulationSpec, filters: Filters) -> People | None:
    """The per-person tables when they can answer for these filters, else None.

    They hold whole people (no unit, no senior flag) and the dimensions of ``groups``, so a
    unit filter, the senior-only population and school-defined categories (versioned per
    population) are counted from the spells instead. Events count only for the
    population's members, as in ``_population_stages``.
    """
    if not source.person_tables or filters.unit or spec.senior_only:
        return None
    if filters.dimension.startswith(SCHOOL_PREFIX):
        return None
    kinds, years, domains = (source.table(name) for name in m.PERSON_TABLES)
    if m.group_column(column_name(filters.dimension)) not in kinds.columns:
        return None
    if spec.spells:
        members = kinds.filter(kinds.kind.isin(list(spec.spells))).select("person_id")
        years = years.semi_join(members, "person_id")
    return People(kinds=kinds, years=years, domains=domains)


def _composition(ctx: Context, dates: Sequence[dt.date]) -> Table | m.Query:
    """Composition on ``dates``: from the per-person tables on census dates, else spells."""
    dimension = column_name(ctx.filters.dimension)
    if ctx.people is not None and m.census_calendar_covers(dates):
        return m.composition_people(
            ctx.people.kinds,
            ctx.people.domains,
            kinds=ctx.spec.spells,
            dates=dates,
            dimension=dimension,
        )
    return m.composition(
        ctx.stages, ctx.groups, kinds=ctx.spec.spells, dates=dates, dimension=dimension
    )


def _ordered(frame: pl.DataFrame, order: list[str], column: str = "group") -> list[str]:
    present = set(frame[column].to_list()) if frame.height else set()
    extra = sorted(present - set(order))
    return [*order, *extra]


def _composition_section(ctx: Context) -> tuple[PublishedTable, dict[str, int | None]]:
    f = ctx.filters
    frame = ctx.source.run(_composition(ctx, [f.as_of]))
    counts = {g: 0 for g in ctx.order}
    for row in frame.iter_rows(named=True):
        counts[row["group"]] = counts.get(row["group"], 0) + int(row["count"])
    total = sum(counts.values())
    published = sup.suppress_counts(counts, total, policy=f.policy)
    shares = {
        g: pub.estimate(v / total if total and v is not None else None, total, f.policy)
        for g, v in published.values.items()
    }
    known = [
        (g, s) for g, s in shares.items() if g != UNKNOWN and s is not None and published.values[g]
    ]
    largest = max(known, key=lambda item: item[1], default=None)
    date = _fmt_date(f.as_of)
    if published.total is None:
        summary = _("On %(date)s there were too few %(population)s to publish.") % {
            "date": date,
            "population": ctx.population_label.lower(),
        }
    else:
        summary = _("On %(date)s there were %(total)s %(population)s.") % {
            "date": date,
            "total": f"{published.total:,}",
            "population": ctx.population_label.lower(),
        }
        if largest is not None:
            summary += " " + _("The largest group by %(dimension)s was %(group)s (%(share)s).") % {
                "dimension": ctx.dimension_label,
                "group": ctx.labels.get(largest[0], largest[0]),
                "share": _pct(largest[1]),
            }
        unknown_share = shares.get(UNKNOWN)
        if unknown_share is not None:
            summary += " " + _("%(share)s gave no answer or declined.") % {
                "share": _pct(unknown_share)
            }
    chart = _bar_chart(
        [(ctx.labels.get(g, g), s) for g, s in shares.items()],
        title=_("%(population)s by %(dimension)s") % _names(ctx),
        description=summary,
    )
    table = pub.breakdown(
        published,
        key="composition",
        title=_("%(population)s by %(dimension)s on %(date)s") % {**_names(ctx), "date": date},
        header=ctx.dimension_label,
        labels=ctx.labels,
        summary=summary,
        chart=chart,
        drill=[{"group": g} for g in published.values],
    )
    return table, dict(published.values) | {"__total__": published.total}


def _names(ctx: Context) -> dict[str, str]:
    return {"population": ctx.population_label, "dimension": ctx.dimension_label}


def _cross(
    ctx: Context,
    frame: pl.DataFrame,
    *,
    row_key: str,
    row_labels: Callable[[Any], str],
    rows: Sequence[Any],
    key: str,
    title: str,
    row_header: str,
    summary: Callable[[sup.SuppressedTable, list[str]], str],
    chart: Callable[[sup.SuppressedTable, list[str], list[str]], Chart | None] | None = None,
    count_column: str = "count",
    percent: bool = False,
) -> PublishedTable:
    cells: dict[tuple[Any, str], int] = {}
    for r in frame.iter_rows(named=True):
        cells[(r[row_key], r["group"])] = cells.get((r[row_key], r["group"]), 0) + int(
            r[count_column]
        )
    groups = _ordered(frame, ctx.order)
    matrix = [[cells.get((row, g), 0) for g in groups] for row in rows]
    table = sup.suppress_table(matrix, policy=ctx.filters.policy)
    labels = [row_labels(row) for row in rows]
    column_labels = [ctx.labels.get(g, g) for g in groups]
    return pub.cross_table(
        table,
        key=key,
        title=title,
        row_header=row_header,
        row_labels=labels,
        column_labels=column_labels,
        summary=summary(table, labels),
        chart=chart(table, labels, column_labels) if chart else None,
        percent_of="row" if percent else None,
    )


def _share_lines(
    table: sup.SuppressedTable, row_names: list[str], column_names: list[str]
) -> list[dict[str, Any]]:
    rates = sup.table_rates(table, of="row")
    data = []
    for i, name in enumerate(row_names):
        for j, group in enumerate(column_names):
            value = rates.values[i][j]
            if value is not None:
                data.append({"x": name, "group": group, "value": value})
    return data


def _trend_section(ctx: Context) -> PublishedTable:
    f = ctx.filters
    dates = [dt.date(y, f.as_of.month, f.as_of.day) for y in _calendar_years(f)]
    frame = ctx.source.run(_composition(ctx, dates))
    frame = frame.with_columns(pl.col("as_of").cast(pl.Date))

    def summary(table: sup.SuppressedTable, labels: list[str]) -> str:
        totals = table.row_totals or []
        first, last = (totals[0], totals[-1]) if totals else (None, None)
        return _(
            "Headcount of %(population)s on %(day)s each year, by %(dimension)s: "
            "%(first)s in %(y1)s and %(last)s in %(y2)s."
        ) % {
            **_names(ctx),
            "population": ctx.population_label.lower(),
            "day": formats.date_format(f.as_of, "MONTH_DAY_FORMAT"),
            "first": sup.format_cell(first),
            "last": sup.format_cell(last),
            "y1": labels[0] if labels else "",
            "y2": labels[-1] if labels else "",
        }

    def chart(table: sup.SuppressedTable, rows: list[str], columns: list[str]) -> Chart | None:
        data = [
            {"year": d["x"], "group": d["group"], "value": d["value"]}
            for d in _share_lines(table, rows, columns)
        ]
        return _line_chart(
            data,
            x="year",
            x_title=_("Year"),
            y_title=_("Share"),
            title=_("Share of %(population)s by %(dimension)s, by year") % _names(ctx),
            description=summary(table, rows),
        )

    return _cross(
        ctx,
        frame,
        row_key="as_of",
        row_labels=lambda d: str(d.year),
        rows=dates,
        key="trend",
        title=_("%(population)s by %(dimension)s, year by year") % _names(ctx),
        row_header=_("Year"),
        summary=summary,
        chart=chart,
        percent=True,
    )


def _calendar_years(f: Filters) -> list[int]:
    # Census dates fall in the academic years chosen (July-December: the same year).
    offset = 0 if f.as_of.month >= 7 else 1
    return [y + offset for y in f.years]


def _unit_section(ctx: Context) -> PublishedTable | None:
    f = ctx.filters
    frame = ctx.source.run(
        m.composition(
            ctx.stages,
            ctx.groups,
            kinds=ctx.spec.spells,
            dates=[f.as_of],
            dimension=column_name(f.dimension),
            by=("unit",),
        )
    )
    frame = frame.filter(pl.col("unit").is_not_null())
    units = sorted(set(frame["unit"].to_list()))
    if len(units) < 2:
        return None

    def summary(table: sup.SuppressedTable, labels: list[str]) -> str:
        return _("%(population)s in %(n)d units on %(date)s, by %(dimension)s.") % {
            **_names(ctx),
            "n": len(labels),
            "date": _fmt_date(f.as_of),
        }

    names = unit_names()
    return _cross(
        ctx,
        frame,
        row_key="unit",
        row_labels=lambda code: names.get(code, code),
        rows=units,
        key="by_unit",
        title=_("%(population)s by unit and %(dimension)s") % _names(ctx),
        row_header=_("Unit"),
        summary=summary,
    )


def _flows_query(ctx: Context) -> Table | m.Query:
    f = ctx.filters
    kinds = [flow.kind for flow in ctx.spec.flows]
    dimension = column_name(f.dimension)
    if ctx.people is not None:
        return m.flows_people(
            ctx.people.years, ctx.people.domains, kinds=kinds, years=f.years, dimension=dimension
        )
    return m.flows_by(ctx.stages, ctx.groups, kinds=kinds, years=f.years, dimension=dimension)


def _flow_sections(ctx: Context) -> list[PublishedTable]:
    f = ctx.filters
    frame = ctx.source.run(_flows_query(ctx))
    sections = []
    years = list(f.years)
    for flow in ctx.spec.flows:
        part = frame.filter(pl.col("kind") == flow.kind)
        label = str(flow.label)

        def summary(table: sup.SuppressedTable, labels: list[str], label: str = label) -> str:
            totals = table.row_totals or []
            return _("%(flow)s per academic year: %(first)s in %(y1)s and %(last)s in %(y2)s.") % {
                "flow": label,
                "first": sup.format_cell(totals[0] if totals else None),
                "last": sup.format_cell(totals[-1] if totals else None),
                "y1": labels[0] if labels else "",
                "y2": labels[-1] if labels else "",
            }

        sections.append(
            _cross(
                ctx,
                part,
                row_key="year",
                row_labels=_year_label,
                rows=years,
                key=f"flow_{flow.kind}",
                title=_("%(flow)s by %(dimension)s, per academic year")
                % {"flow": label, "dimension": ctx.dimension_label},
                row_header=_("Academic year"),
                summary=summary,
                count_column="people",
            )
        )
    return sections


def _year_label(year: int) -> str:
    return f"{year}–{str(year + 1)[-2:]}"


def _funnel_query(ctx: Context) -> Table | m.Query:
    """The admissions funnel of the last academic year's cycle."""
    cycle, dimension = ctx.filters.last_year, column_name(ctx.filters.dimension)
    if ctx.people is not None:
        return m.funnel_people(
            ctx.people.years, ctx.people.domains, cycle=cycle, dimension=dimension
        )
    return m.funnel_by(ctx.stages, ctx.groups, cycle=cycle, dimension=dimension)


def _funnel_section(ctx: Context) -> list[PublishedTable]:
    f = ctx.filters
    cycle = f.last_year
    frame = ctx.source.run(_funnel_query(ctx))
    steps = list(m.FUNNEL_STEPS)
    step_labels = [
        _("Applicants"),
        _("Interviewed"),
        _("Offered"),
        _("Accepted an offer"),
        _("Matriculated"),
    ]
    by_group = {r["group"]: r for r in frame.iter_rows(named=True)}
    groups = _ordered(frame, ctx.order)
    matrix = [[int(by_group.get(g, {}).get(s, 0) or 0) for s in steps] for g in groups]
    # The steps are nested, not a partition: no row totals; the columns add up.
    table = sup.suppress_table(matrix, policy=f.policy, row_totals=False, column_totals=True)
    labels = [ctx.labels.get(g, g) for g in groups]
    totals = table.column_totals or []
    summary = _(
        "In the %(cycle)s cycle, %(applicants)s applied and %(matriculated)s matriculated."
    ) % {
        "cycle": _year_label(cycle),
        "applicants": sup.format_cell(totals[0] if totals else None),
        "matriculated": sup.format_cell(totals[-1] if totals else None),
    }
    counts = pub.cross_table(
        table,
        key="funnel",
        title=_("Admissions funnel by %(dimension)s, %(cycle)s cycle")
        % {"dimension": ctx.dimension_label, "cycle": _year_label(cycle)},
        row_header=ctx.dimension_label,
        row_labels=labels,
        column_labels=step_labels,
        summary=summary,
        percent_of=None,
    )
    # Conversion: each step over the step before, from published numbers only.
    rows = []
    chart_data = []
    for i, label in enumerate([*labels, _("Total")]):
        values = table.values[i] if i < len(labels) else table.column_totals or []
        row: list[pub.Cell] = [label]
        for k in range(1, len(steps)):
            rate = pub._rate(values[k], values[k - 1], f.policy)  # noqa: SLF001
            row.append(rate)
            if isinstance(rate, float) and i < len(labels):
                chart_data.append({"x": step_labels[k], "group": label, "value": rate})
        rows.append(row)
    columns = [Column("label", ctx.dimension_label, "label")] + [
        Column(
            f"r{k}",
            _("%(step)s of %(previous)s")
            % {"step": step_labels[k], "previous": step_labels[k - 1]},
            "percent",
        )
        for k in range(1, len(steps))
    ]
    rates = pub.measured_table(
        key="funnel_rates",
        title=_("Conversion from one step to the next, %(cycle)s cycle")
        % {"cycle": _year_label(cycle)},
        columns=columns,
        rows=rows,
        summary=_(
            "Each step as a share of the step before it; hidden where a count is hidden "
            "or fewer than %(n)d people took the step before."
        )
        % {"n": f.min_cell},
        policy=f.policy,
        chart=_line_chart(
            [{"year": d["x"], "group": d["group"], "value": d["value"]} for d in chart_data],
            x="year",
            x_title=_("Step"),
            y_title=_("Conversion"),
            title=_("Conversion by step"),
            description=summary,
        ),
    )
    return [counts, rates]


def _curve_query(ctx: Context, curve: CurveSpec) -> Table | m.Query:
    """The Kaplan-Meier measure of ``curve`` (from the per-person tables when they answer)."""
    arguments: dict[str, Any] = {
        "start_kind": curve.start_kind,
        "event_kind": curve.event_kind,
        "dimension": column_name(ctx.filters.dimension),
        "horizon_years": curve.horizon_years,
        "as_of": ctx.filters.as_of,
    }
    if ctx.people is not None:
        return m.kaplan_meier_people(ctx.people.kinds, ctx.stages, **arguments)
    return m.kaplan_meier_by(ctx.stages, ctx.groups, **arguments)


def _curve_sections(ctx: Context) -> list[PublishedTable]:
    f = ctx.filters
    sections = []
    for curve in ctx.spec.curves:
        query = _curve_query(ctx, curve)
        frame = ctx.source.run(query)
        if isinstance(query, m.Query):  # the people at risk by time: the curve in polars
            frame = m.km_curve(frame)
        frame = m.km_confidence_band(frame) if frame.height else frame
        checkpoints = [c for c in CHECKPOINTS if c <= curve.horizon_years]
        rows = []
        chart_data = []
        for group in _ordered(frame, ctx.order):
            part = frame.filter(pl.col("group") == group).sort("time_days")
            label = ctx.labels.get(group, group)
            followed = int(part["n_at_risk"][0]) if part.height else 0
            row: list[pub.Cell] = [label, pub.base_count(followed, f.policy)]
            for years in checkpoints:
                value, low, high, at_risk = curve_at(part, years)
                if curve.remaining is False and value is not None:
                    value, low, high = 1 - value, 1 - high, 1 - low
                shown = pub.estimate(value, at_risk, f.policy)
                row.append(shown)
                row.append(
                    pub.NOT_APPLICABLE
                    if shown is None and value is None
                    else (None if shown is None else f"{_pct(low)}–{_pct(high)}")
                )
                if shown is not None:
                    chart_data.append({"years": years, "group": label, "value": shown})
            rows.append(row)
        columns = [
            Column("label", ctx.dimension_label, "label"),
            Column("followed", _("People followed"), "count"),
        ]
        for years in checkpoints:
            columns.append(Column(f"y{years}", _("At %(n)d years") % {"n": years}, "percent"))
            columns.append(
                Column(f"ci{years}", _("95%% interval, %(n)d years") % {"n": years}, "text")
            )
        what = _("still here") if curve.remaining else _("reached the event")
        summary = _(
            "%(title)s by %(dimension)s (Kaplan-Meier estimate; people still employed or "
            "enrolled on %(date)s are counted until then): the share %(what)s after 1, 3, 5 "
            "and 10 years."
        ) % {
            "title": str(curve.title),
            "dimension": ctx.dimension_label,
            "date": _fmt_date(f.as_of),
            "what": what,
        }
        sections.append(
            pub.measured_table(
                key=f"curve_{curve.key}",
                title=_("%(title)s by %(dimension)s")
                % {"title": str(curve.title), "dimension": ctx.dimension_label},
                columns=columns,
                rows=rows,
                summary=summary,
                policy=f.policy,
                notes=(
                    _(
                        "An estimate is hidden when fewer than %(n)d people were still followed "
                        "at that time."
                    )
                    % {"n": f.min_cell},
                ),
                chart=_line_chart(
                    chart_data,
                    x="years",
                    x_title=_("Years since start"),
                    y_title=what,
                    title=str(curve.title),
                    description=summary,
                ),
            )
        )
    return sections


def curve_at(part: pl.DataFrame, years: int) -> tuple[float | None, float, float, int]:
    """Survival at ``years`` (the last step at or before it) and the people at risk then."""
    if not part.height:
        return None, math.nan, math.nan, 0
    days = math.floor(years * 365.25)
    before = part.filter(pl.col("time_days") <= days)
    after = part.filter(pl.col("time_days") > days)
    at_risk = int(after["n_at_risk"][0]) if after.height else 0
    if not before.height:
        return 1.0, 1.0, 1.0, int(part["n_at_risk"][0])
    last = before.row(-1, named=True)
    return float(last["survival"]), float(last["low"]), float(last["high"]), at_risk


def _intersection_section(ctx: Context) -> PublishedTable | None:
    f = ctx.filters
    if f.dimension == "sex":
        return None
    frame = ctx.source.run(
        m.intersection_by(
            ctx.stages,
            ctx.groups_with_sex(),
            kinds=ctx.spec.spells,
            as_of=f.as_of,
            dimensions=("sex", column_name(f.dimension)),
            by=("rank",),
        )
    )
    frame = frame.rename({column_name(f.dimension): "group"})
    ranks = [r for r in RANK_LABELS if r in set(frame["rank"].fill_null("").to_list())]
    sexes = [s for s in SEX_LABELS if s in set(frame["sex"].to_list())]
    frame = frame.with_columns(
        pl.concat_str([pl.col("rank").fill_null(""), pl.col("sex")], separator="|").alias("row")
    )
    rows = [f"{r}|{s}" for r in ranks for s in sexes]

    def label(row: str) -> str:
        rank, sex = row.split("|")
        return f"{RANK_LABELS[rank]} · {SEX_LABELS[sex]}"

    def summary(table: sup.SuppressedTable, labels: list[str]) -> str:
        return _("Faculty on %(date)s by rank, sex and %(dimension)s.") % {
            "date": _fmt_date(f.as_of),
            "dimension": ctx.dimension_label,
        }

    return _cross(
        ctx,
        frame,
        row_key="row",
        row_labels=label,
        rows=rows,
        key="intersection",
        title=_("Rank × sex × %(dimension)s") % {"dimension": ctx.dimension_label},
        row_header=_("Rank · sex"),
        summary=summary,
    )


BENCHMARK_DIMENSIONS = {
    "spd15_multiracial": "race_ethnicity_2024",
    "spd15_alone": "race_ethnicity_2024",
    "aamc_alone": "race_ethnicity_2024",
    "ipeds": "race_ethnicity_2024",
    "omb1997_ethnicity": "hispanic",
    "sex": "sex",
}


def _parity_section(ctx: Context, published: dict[str, int | None]) -> PublishedTable | None:
    from ristra.reports.models import Benchmark

    f = ctx.filters
    bench_dimension = BENCHMARK_DIMENSIONS.get(f.dimension, f.dimension.removeprefix(SCHOOL_PREFIX))
    benchmark = next(
        (b for b in Benchmark.objects.all() if bench_dimension in (b.dimensions or [])), None
    )
    if benchmark is None:
        return None
    table = benchmark.table()
    years = [y for y in table.years() if y <= f.as_of.year] or table.years()
    year = max(years)
    geography = table.geographies()[0]
    # The denominator is everyone whose answer is known, from published numbers only.
    total, unknown = published.get("__total__"), published.get(UNKNOWN, 0)
    any_hidden = total is None or unknown is None
    known_total = (total or 0) - (unknown or 0)
    rows = []
    notes: list[str] = []
    chart_data = []
    group_code = {"omb1997_ethnicity": {"hispanic": "yes", "not_hispanic": "no"}}.get(
        f.dimension, {}
    )
    for group in ctx.order:
        if group == UNKNOWN:
            continue
        label = ctx.labels.get(group, group)
        try:
            share = benchmark_share(
                table,
                geography=geography,
                year=year,
                dimension=bench_dimension,
                group=group_code.get(group, group),
            )
        except BenchmarkError:
            continue
        count = published.get(group)
        if count is None or any_hidden or share.share <= 0:
            rows.append([label, None, share.share, None, None, None])
            continue
        result = m.parity(count, known_total, share.share)
        verdict: str
        if result.too_few:
            verdict = _("too few to tell")
        elif result.high < 1:
            verdict = _("below the benchmark")
        elif result.low > 1:
            verdict = _("above the benchmark")
        else:
            verdict = _("no clear difference")
        ratio = None if result.too_few else result.ratio
        rows.append(
            [
                label,
                result.share,
                share.share,
                ratio,
                pub.NOT_APPLICABLE if ratio is None else f"{result.low:.2f}–{result.high:.2f}",
                verdict,
            ]
        )
        if ratio is not None:
            chart_data.append({"group": label, "share": ratio})
        notes = [share.describe()]
    if not rows:
        return None
    summary = _(
        "Representation ratio: each group's share of %(population)s whose answer is known, "
        "divided by its share of the %(geography)s %(year)s population (1 = parity), with a "
        "95%% exact interval."
    ) % {"population": ctx.population_label.lower(), "geography": geography, "year": year}
    return pub.measured_table(
        key="parity",
        title=_("Parity with %(benchmark)s") % {"benchmark": benchmark.name},
        columns=[
            Column("label", ctx.dimension_label, "label"),
            Column("share", _("Share (known answers)"), "percent"),
            Column("benchmark", _("Benchmark share"), "percent"),
            Column("ratio", _("Representation ratio"), "ratio"),
            # xgettext:no-python-format
            Column("interval", _("95% interval"), "text"),
            Column("reading", _("Reading"), "text"),
        ],
        rows=rows,
        summary=summary,
        policy=f.policy,
        notes=(*notes, _("Ratios are hidden when a group's count is hidden.")),
        chart=None,
    )


def _quality(ctx: Context, published: dict[str, int | None]) -> tuple[tuple[str, str], ...]:
    total = published.get("__total__")
    unknown = published.get(UNKNOWN)
    share = (
        _pct(unknown / total)
        if total and unknown is not None and total >= ctx.filters.min_cell
        else "*"
    )
    version = ctx.filters.version or ctx.source.category_date
    return (
        (_("Snapshot taken"), formats.date_format(ctx.source.created, "DATETIME_FORMAT")),
        (_("People in the record"), f"{ctx.source.persons:,}"),
        (_("Unknown or declined (%(dimension)s)") % {"dimension": ctx.dimension_label}, share),
        (_("Category definitions in effect on"), _fmt_date(version) if version else "–"),
    )


def _parameters(ctx: Context) -> tuple[tuple[str, str], ...]:
    f = ctx.filters
    return (
        (_("Population"), ctx.population_label),
        (_("Counted by"), ctx.dimension_label),
        (_("As of"), _fmt_date(f.as_of)),
        (_("Academic years"), f"{_year_label(f.first_year)} – {_year_label(f.last_year)}"),
        (_("Unit"), f.unit or _("All units")),
        (_("Smallest published count"), str(f.min_cell)),
    )


def _definitions(ctx: Context) -> tuple[tuple[str, str], ...]:
    from ristra.reports.services import category_set

    f = ctx.filters
    if f.dimension.startswith(SCHOOL_PREFIX):
        cats = category_set()
        if cats is None:
            return ()
        key = f.dimension.removeprefix(SCHOOL_PREFIX)
        on = f.version or ctx.source.category_date or f.as_of
        try:
            definition = cats.definition_for(key, f.population, on)
        except Exception:  # noqa: BLE001 - no version in effect: say so in the report
            return ((ctx.dimension_label, _("no version in effect")),)
        return (
            (
                f"{definition.label} (v{definition.version})",
                " ".join(definition.rule_text.split()),
            ),
        )
    if f.dimension == "sex":
        return ((_("Sex"), _("The latest self-identified answer; declined counts as unknown.")),)
    convention = conv.get_convention(f.dimension)
    return ((convention.label, convention.description),)


def people_in_cell(
    filters: Filters, group: str, *, source: SnapshotSource | None = None
) -> list[int]:
    """The person ids behind one composition cell (for analysts' audited drill-down)."""
    source = source or open_snapshot()
    ctx = _context(source, filters)
    stages = ctx.stages
    on = ibis.literal(filters.as_of, type="date")
    active = (
        stages.filter(
            stages.kind.isin(list(ctx.spec.spells))
            & (stages.start_date <= on)
            & (stages.end_date.isnull() | (stages.end_date > on))
        )
        .select("person_id")
        .distinct()
    )
    groups = ctx.groups
    joined = active.left_join(groups, active.person_id == groups.person_id)
    people = joined.select(active.person_id, group=groups.group.fill_null(UNKNOWN))
    frame = source.run(people.filter(people.group == group).select("person_id"))
    return sorted(frame["person_id"].to_list())


def build_dashboard(filters: Filters, *, source: SnapshotSource | None = None) -> Report:
    """Every section of one population's dashboard (cached per snapshot and filters)."""
    source = source or open_snapshot()
    return cached(source, ("dashboard", filters), lambda: _build(source, filters))


def translation_key() -> str:
    from django.utils import translation

    return translation.get_language() or "en"


#: Part of every cache key: a release that changes what a report holds bumps it.
CACHE_VERSION = f"{version('ristra')}/1"
_memory: dict[str, Report] = {}
_MEMORY_SIZE = 64


def cached(source: SnapshotSource, key: tuple[Any, ...], build: Callable[[], Report]) -> Report:
    """``build()`` once per snapshot file, key and language (memory, then the shared cache)."""
    from django.core.cache import caches

    digest = hashlib.sha256(
        repr((CACHE_VERSION, str(source.path), source.mtime, translation_key(), key)).encode()
    ).hexdigest()
    report = _memory.get(digest)
    if report is not None:
        return report
    shared = caches["reports"]
    report = shared.get(digest)
    if report is None:
        report = build()
        shared.set(digest, report)
    if len(_memory) >= _MEMORY_SIZE:
        _memory.pop(next(iter(_memory)))
    _memory[digest] = report
    return report


def warm(*, source: SnapshotSource | None = None) -> int:
    """Compute every population's default dashboard (after a refresh); returns how many."""
    source = source or open_snapshot()
    for population in POPULATIONS:
        build_dashboard(default_filters(population, snapshot=source), source=source)
    return len(POPULATIONS)


#: Any census date will do for the statements: they do not depend on dates or years.
_STATEMENT_DATE = dt.date(2020, 10, 1)


def dashboard_queries(backend: BaseBackend) -> list[m.Query]:
    """The queries of every dashboard the per-person tables answer, over ``backend``.

    For the snapshot refresh to compile their statements ahead of any request
    (:func:`ristra.people.snapshot.write_statements`): every population x every
    convention and sex, the same calls the sections make. A statement depends on the
    population and the dimension, not on dates, years or cycles, so one set of filters per
    pair covers every request; a unit filter, the senior staff, school categories and
    dates other than October 1 are counted over spells and compiled on use.
    """
    tables = {row[0] for row in getattr(backend, "con").sql("SHOW TABLES").fetchall()}  # noqa: B009
    source = SnapshotSource(
        path=Path(),
        mtime=0.0,
        backend=backend,
        created=dt.datetime.now(dt.UTC),
        category_date=None,
        persons=0,
        person_tables=set(m.PERSON_TABLES) <= tables,
    )
    queries: list[m.Query] = []
    for population, spec in POPULATIONS.items():
        for dimension in (*CONVENTION_DIMENSIONS, "sex"):
            filters = Filters(
                population=population,
                as_of=_STATEMENT_DATE,
                first_year=_STATEMENT_DATE.year - 9,
                last_year=_STATEMENT_DATE.year,
                dimension=dimension,
            )
            ctx = _context(source, filters)
            if ctx.people is None:
                continue
            found: list[Table | m.Query] = [_flows_query(ctx)]
            if spec.spells:
                found.append(_composition(ctx, [filters.as_of]))
            if spec.funnel:
                found.append(_funnel_query(ctx))
            found += [_curve_query(ctx, curve) for curve in spec.curves]
            queries += [q for q in found if isinstance(q, m.Query)]
    return queries


def _build(source: SnapshotSource, filters: Filters) -> Report:
    ctx = _context(source, filters)
    sections: list[PublishedTable] = []
    published: dict[str, int | None] = {}
    if ctx.spec.spells:
        composition, published = _composition_section(ctx)
        sections.append(composition)
        sections.append(_trend_section(ctx))
        if ctx.spec.by_unit and not filters.unit:
            unit = _unit_section(ctx)
            if unit is not None:
                sections.append(unit)
    if ctx.spec.funnel:
        sections += _funnel_section(ctx)
    sections += _flow_sections(ctx)
    sections += _curve_sections(ctx)
    if ctx.spec.by_rank:
        intersection = _intersection_section(ctx)
        if intersection is not None:
            sections.append(intersection)
    if published:
        parity = _parity_section(ctx, published)
        if parity is not None:
            sections.append(parity)
    return Report(
        key=f"dashboard-{filters.population}",
        title=_("%(population)s dashboard") % {"population": ctx.population_label},
        subtitle=_("Counted by %(dimension)s") % {"dimension": ctx.dimension_label},
        sections=tuple(sections),
        parameters=_parameters(ctx),
        definitions=_definitions(ctx),
        quality=_quality(ctx, published),
    )


def with_filters(filters: Filters, **changes: Any) -> Filters:
    return replace(filters, **changes)
