"""The analytics snapshot: the person record, exported for the measures core.

The measures (:mod:`ristra.analytics.measures`) never read Django: they run over plain
tables.  This module is the one bridge.  :func:`snapshot_frames` reads the database in bulk
(plain SQL, no model instance per row) into polars frames and :func:`snapshot_write` stores
them in a DuckDB file that :func:`ristra.analytics.measures.duckdb_backend` opens.

Tables
------
``stages``
    Exactly :data:`~ristra.analytics.measures.STAGES_SCHEMA`; ``unit`` is the org unit
    *code* (null without a unit).  With ``as_of``, only stages that had begun by then
    (``start_date <= as_of``, as :meth:`StageQuerySet.as_of`) are exported, with their
    recorded end dates: a measure asked about a date up to ``as_of`` is unaffected.
``answers``
    ``person_id, dimension, codes (list[str]), declined, reported_on``: the *latest*
    answer per person and question (greatest ``reported_on``, then greatest id), among the
    answers reported on or before ``as_of`` (every answer when ``as_of`` is None).
``categories``
    Exactly :data:`~ristra.analytics.measures.CATEGORIES_SCHEMA`, one row per person (every
    person in the database, answered or not) per category key:

    * for each counting convention (default ``ipeds`` and
      ``spd15_alone_or_in_combination``) one key per group, ``f"{convention}:{group}"``,
      classified by :func:`ristra.analytics.conventions.classify_frame` from the latest
      ``hispanic``, ``race``, ``race_ethnicity_2024`` and ``citizenship`` answers.
      **Decision:** the convention's own ``unknown`` group is *not* a key.  A person the
      convention classifies as ``unknown`` gets the value ``"unknown"`` for every group
      of that convention (they cannot be counted in or out of any group); anyone else
      gets ``"yes"`` for each group they are classified in and ``"no"`` for the others.
      So under an exclusive convention such as IPEDS each person has exactly one
      ``"yes"``, or ``"unknown"`` everywhere; and ``headcount(category="ipeds:black")``
      reports the unknowns as its ``unknown`` value, as the measures expect.
    * optionally the school-defined categories of a
      :class:`~ristra.analytics.categories.CategorySet` in effect on ``on`` for
      ``population``, keyed by their own key, evaluated over a wide frame of the latest
      answers (code and text questions as strings -- ``"declined"`` when declined -- and
      ``race`` / ``race_ethnicity_2024`` as lists of codes).
``groups``
    ``person_id, dimension, group``: one row per person per *exclusive* way of counting,
    so a whole distribution is one query: each exclusive counting convention (``ipeds``,
    ``spd15_multiracial``, ...; group = the convention's code, ``unknown`` included) and
    ``sex`` (``female`` / ``male`` / ``intersex`` / ``unknown``: declined and unanswered
    are unknown).  Every person has exactly one row per dimension.
``school_categories``
    ``person_id, population, category, value``: every school-defined category in effect
    on ``on``, yes / no / unknown: rows with population ``*`` for the ``*`` versions, and
    rows for a population only for the categories it has a version of its own for (so a
    reader takes the population's rows where they exist, else the ``*`` rows).
``stage_details``
    ``person_id, kind, academic_year, program, round, gpa, mcat, reason``: the
    admissions and separation details the reports break down by (one row per stage of
    kind application, offer, matriculation or separation).
``person_kinds``, ``person_years``, ``dimension_groups`` (written by :func:`write_person_tables`)
    Per-person tables derived from ``stages``, ``groups`` and the school-defined keys of
    ``categories`` (:func:`ristra.analytics.measures.person_tables`): the dashboard
    measures read them instead of passing over every spell and joining the groups.
``measure_statements`` (written by :func:`write_statements`, when the refresh is given them)
    The dashboards' measure statements compiled to SQL at refresh
    (:func:`ristra.analytics.measures.compile_statements`): ``engine, key, stamp, measure,
    sql, schema``, so that a process's first dashboard request runs prepared SQL instead
    of building and compiling the Ibis expressions.  A statement whose key or stamp does
    not match (another schema, another Ristra version) is ignored and compiled again.
``meta`` (written by :func:`snapshot_write`)
    One row: ``created_at`` (UTC), ``as_of`` (null: no cut-off), the row count of each
    table, the number of persons and the conventions exported.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import ibis
import polars as pl
from django.db import connection
from ibis.backends import BaseBackend

from ristra.analytics import conventions as conv
from ristra.analytics import measures
from ristra.analytics.categories import (
    DEFAULT_ATTRIBUTES,
    POPULATIONS,
    CategoryError,
    CategorySet,
)
from ristra.analytics.importspec import DECLINED
from ristra.people.models import OrgUnit, Person, SelfIdentification, Stage
from ristra.people.responses import answer_rows

__all__ = [
    "ANSWERS_SCHEMA",
    "CATEGORIES_SCHEMA",
    "DEFAULT_CONVENTIONS",
    "STAGES_SCHEMA",
    "SnapshotFrames",
    "attributes_frame",
    "categories_frame",
    "groups_frame",
    "school_categories_frame",
    "snapshot_frames",
    "snapshot_write",
    "write_person_tables",
    "write_statements",
]

#: Polars twins of measures.STAGES_SCHEMA / CATEGORIES_SCHEMA (kept equal by the tests).
STAGES_SCHEMA: dict[str, pl.DataType] = {
    "person_id": pl.Int64(),
    "kind": pl.String(),
    "start_date": pl.Date(),
    "end_date": pl.Date(),
    "academic_year": pl.Int64(),
    "unit": pl.String(),
    "rank": pl.String(),
    "outcome": pl.String(),
    "senior_administrative": pl.Boolean(),
}
CATEGORIES_SCHEMA: dict[str, pl.DataType] = {
    "person_id": pl.Int64(),
    "category": pl.String(),
    "value": pl.String(),
}
ANSWERS_SCHEMA: dict[str, pl.DataType] = {
    "person_id": pl.Int64(),
    "dimension": pl.String(),
    "codes": pl.List(pl.String()),
    "declined": pl.Boolean(),
    "reported_on": pl.Date(),
}

DEFAULT_CONVENTIONS: tuple[str, ...] = ("ipeds", "spd15_alone_or_in_combination")
#: Exclusive conventions written to ``groups`` (one group per person).
GROUP_CONVENTIONS: tuple[str, ...] = tuple(
    name for name, c in conv.CONVENTIONS.items() if c.exclusive
)
SEX_GROUPS: tuple[str, ...] = ("female", "male", "intersex")
GROUPS_SCHEMA: dict[str, pl.DataType] = {
    "person_id": pl.Int64(),
    "dimension": pl.String(),
    "group": pl.String(),
}
SCHOOL_CATEGORIES_SCHEMA: dict[str, pl.DataType] = {
    "person_id": pl.Int64(),
    "population": pl.String(),
    "category": pl.String(),
    "value": pl.String(),
}
STAGE_DETAILS_SCHEMA: dict[str, pl.DataType] = {
    "person_id": pl.Int64(),
    "kind": pl.String(),
    "academic_year": pl.Int64(),
    "program": pl.String(),
    "round": pl.String(),
    "gpa": pl.Float64(),
    "mcat": pl.Int64(),
    "reason": pl.String(),
}
_DETAIL_KINDS = ("application", "offer", "matriculation", "separation")
#: Questions held as lists of codes in the attributes frame (the rest are strings).
_LIST_DIMENSIONS = frozenset({"race", "race_ethnicity_2024"})
#: classify_frame column -> SelfIdentification.dimension.
_CONVENTION_INPUTS: dict[str, str] = conv.DIMENSIONS


@dataclass(frozen=True)
class SnapshotFrames:
    """The exported tables, as polars frames."""

    stages: pl.DataFrame
    answers: pl.DataFrame
    categories: pl.DataFrame
    groups: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=GROUPS_SCHEMA))
    school_categories: pl.DataFrame = field(
        default_factory=lambda: pl.DataFrame(schema=SCHOOL_CATEGORIES_SCHEMA)
    )
    stage_details: pl.DataFrame = field(
        default_factory=lambda: pl.DataFrame(schema=STAGE_DETAILS_SCHEMA)
    )
    as_of: dt.date | None = None
    persons: int = 0
    conventions: tuple[str, ...] = field(default=DEFAULT_CONVENTIONS)
    #: The date the school-defined categories were evaluated on (their version).
    category_date: dt.date | None = None

    def counts(self) -> dict[str, int]:
        return {
            "stages": self.stages.height,
            "answers": self.answers.height,
            "categories": self.categories.height,
            "groups": self.groups.height,
            "school_categories": self.school_categories.height,
            "stage_details": self.stage_details.height,
        }


# ------------------------------------------------------------------------------- reading
def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def _fetch(sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, list(params))
        return cursor.fetchall()


#: Rows turned into a polars frame at a time (bounds the Python objects alive at once).
FETCH_CHUNK = 100_000


def _fetch_frame(
    sql: str, params: Sequence[Any], schema: Sequence[tuple[str, Any]]
) -> pl.DataFrame:
    """The rows of ``sql`` as one frame, built chunk by chunk (``None`` types: inferred)."""
    parts: list[pl.DataFrame] = []
    with connection.cursor() as cursor:
        cursor.execute(sql, list(params))
        while rows := cursor.fetchmany(FETCH_CHUNK):
            parts.append(pl.DataFrame(rows, schema=list(schema), orient="row"))
    if not parts:
        return pl.DataFrame()
    return pl.concat(parts, how="vertical_relaxed")


def _as_date(frame: pl.DataFrame, *columns: str) -> pl.DataFrame:
    """Dates come back as ``date`` (PostgreSQL, Django's SQLite converters) or as text."""
    fixes = [
        pl.col(c).str.to_date("%Y-%m-%d") if frame.schema[c] == pl.String else pl.col(c)
        for c in columns
    ]
    return frame.with_columns(fixes)


def _read_stages(as_of: dt.date | None) -> pl.DataFrame:
    stage = _q(Stage._meta.db_table)
    unit = _q(OrgUnit._meta.db_table)
    sql = (
        f"SELECT s.{_q('person_id')}, s.{_q('kind')}, s.{_q('start_date')}, "  # noqa: S608
        f"s.{_q('end_date')}, s.{_q('academic_year')}, u.{_q('code')}, s.{_q('rank')}, "
        f"s.{_q('outcome')}, s.{_q('senior_administrative')} "
        f"FROM {stage} s LEFT JOIN {unit} u ON u.{_q('id')} = s.{_q('org_unit_id')}"
    )
    params: list[Any] = []
    if as_of is not None:
        sql += f" WHERE s.{_q('start_date')} <= %s"
        params.append(as_of)
    sql += f" ORDER BY s.{_q('person_id')}, s.{_q('start_date')}, s.{_q('id')}"
    rows = _fetch(sql, params)
    if not rows:
        return pl.DataFrame(schema=STAGES_SCHEMA)
    # Dates may come back as text (see _as_date): let polars infer them, then cast.
    frame = pl.DataFrame(
        rows,
        schema=[(n, None if t == pl.Date else t) for n, t in STAGES_SCHEMA.items()],
        orient="row",
    )
    frame = _as_date(frame, "start_date", "end_date")
    return frame.select(pl.col(name).cast(dtype) for name, dtype in STAGES_SCHEMA.items())


def _read_stage_details(as_of: dt.date | None) -> pl.DataFrame:
    stage = _q(Stage._meta.db_table)
    kinds = ", ".join(["%s"] * len(_DETAIL_KINDS))
    sql = (
        f"SELECT {_q('person_id')}, {_q('kind')}, {_q('academic_year')}, "  # noqa: S608
        f"{_q('program')}, {_q('round')}, {_q('gpa')}, {_q('mcat')}, {_q('reason')} "
        f"FROM {stage} WHERE {_q('kind')} IN ({kinds})"
    )
    params: list[Any] = list(_DETAIL_KINDS)
    if as_of is not None:
        sql += f" AND {_q('start_date')} <= %s"
        params.append(as_of)
    rows = _fetch(sql, params)
    if not rows:
        return pl.DataFrame(schema=STAGE_DETAILS_SCHEMA)
    frame = pl.DataFrame(
        [(*r[:5], None if r[5] is None else float(r[5]), *r[6:]) for r in rows],
        schema=STAGE_DETAILS_SCHEMA,
        orient="row",
    )
    return frame


def _read_answers(as_of: dt.date | None) -> pl.DataFrame:
    """The latest answer per person and dimension (by reported_on, then response id).

    The responses cross into Python a chunk at a time with their answers as JSON text;
    polars decodes them into one row per answer and keeps the latest per question.
    """
    table = _q(SelfIdentification._meta.db_table)
    answers = _q("answers") + ("::text" if connection.vendor == "postgresql" else "")
    where = ""
    params: list[Any] = []
    if as_of is not None:
        where = f" WHERE {_q('reported_on')} <= %s"
        params.append(as_of)
    sql = (
        f"SELECT {_q('id')}, {_q('person_id')}, {_q('reported_on')}, {answers} "  # noqa: S608
        f"FROM {table}{where}"
    )
    frame = _fetch_frame(
        sql,
        params,
        [("id", pl.Int64), ("person_id", pl.Int64), ("reported_on", None), ("answers", pl.String)],
    )
    if not frame.height:
        return pl.DataFrame(schema=ANSWERS_SCHEMA)
    frame = _as_date(frame, "reported_on")
    return (
        answer_rows(frame)
        .sort("person_id", "dimension", "reported_on", "id", descending=[False, False, True, True])
        .unique(["person_id", "dimension"], keep="first", maintain_order=True)
        .select(pl.col(name).cast(dtype) for name, dtype in ANSWERS_SCHEMA.items())
    )


def _read_person_ids() -> pl.Series:
    table = _q(Person._meta.db_table)
    rows = _fetch(f"SELECT {_q('id')} FROM {table} ORDER BY {_q('id')}", [])  # noqa: S608
    return pl.Series("person_id", [r[0] for r in rows], dtype=pl.Int64)


# ------------------------------------------------------------------------------ deriving
def attributes_frame(answers: pl.DataFrame, person_ids: pl.Series) -> pl.DataFrame:
    """One row per person, one column per self-identification question.

    List questions (``race``, ``race_ethnicity_2024``) hold their codes (``["declined"]``
    when declined); the others hold one string (the first code, ``"declined"`` when
    declined, null when unanswered).  Every question of the default attributes is a
    column, answered by anyone or not, so rules always find their attribute.
    """
    base = pl.DataFrame({"person_id": person_ids.cast(pl.Int64)})
    codes = pl.when(pl.col("declined")).then(pl.lit([DECLINED])).otherwise(pl.col("codes"))
    prepared = answers.select(
        "person_id",
        "dimension",
        codes.alias("list"),
        pl.when(pl.col("declined"))
        .then(pl.lit(DECLINED))
        .otherwise(pl.col("codes").list.first())
        .alias("one"),
    )
    columns: list[pl.DataFrame] = []
    dimensions = list(DEFAULT_ATTRIBUTES)
    for dimension in dimensions:
        wanted = "list" if dimension in _LIST_DIMENSIONS else "one"
        part = prepared.filter(pl.col("dimension") == dimension).select(
            "person_id", pl.col(wanted).alias(dimension)
        )
        columns.append(part)
    out = base
    for part in columns:
        out = out.join(part, on="person_id", how="left", maintain_order="left")
    casts = [
        pl.col(d).cast(pl.List(pl.String) if d in _LIST_DIMENSIONS else pl.String)
        for d in dimensions
    ]
    return out.with_columns(casts).with_columns(
        # An empty list is no answer, as classify_frame and the rules read it.
        pl.when(pl.col(d).list.len() == 0).then(None).otherwise(pl.col(d)).alias(d)
        for d in _LIST_DIMENSIONS
    )


def _convention_rows(attributes: pl.DataFrame, convention: str) -> pl.DataFrame:
    rule = conv.get_convention(convention)
    inputs = attributes.select(
        "person_id",
        *(pl.col(dimension).alias(column) for column, dimension in _CONVENTION_INPUTS.items()),
    )
    classified = conv.classify_frame(inputs, convention)
    unknown = classified.filter(pl.col("category") == conv.UNKNOWN).select("person_id").unique()
    groups = pl.DataFrame(
        {"group": [g for g in rule.codes if g != conv.UNKNOWN]}, schema={"group": pl.String}
    )
    yes = classified.filter(pl.col("category") != conv.UNKNOWN).select(
        "person_id", pl.col("category").alias("group"), pl.lit("yes").alias("hit")
    )
    grid = attributes.select("person_id").join(groups, how="cross")
    return (
        grid.join(yes, on=["person_id", "group"], how="left", maintain_order="left")
        .join(
            unknown.with_columns(pl.lit(True).alias("is_unknown")),
            on="person_id",
            how="left",
            maintain_order="left",
        )
        .select(
            pl.col("person_id").cast(pl.Int64),
            (pl.lit(f"{convention}:") + pl.col("group")).alias("category"),
            pl.when(pl.col("is_unknown"))
            .then(pl.lit("unknown"))
            .otherwise(pl.col("hit").fill_null("no"))
            .alias("value"),
        )
    )


def categories_frame(
    attributes: pl.DataFrame,
    *,
    conventions: Sequence[str] = DEFAULT_CONVENTIONS,
    category_set: CategorySet | None = None,
    population: str = "*",
    on: dt.date | None = None,
) -> pl.DataFrame:
    """Long ``person_id, category, value`` rows (see the module docstring)."""
    parts = [_convention_rows(attributes, name) for name in conventions]
    if category_set is not None:
        if on is None:
            raise ValueError("school-defined categories need the date 'on' they are evaluated")
        wide = category_set.evaluate_frame(attributes, on, population)
        if wide.width:
            keyed = pl.concat([attributes.select("person_id"), wide], how="horizontal")
            parts.append(
                keyed.unpivot(index="person_id", variable_name="category", value_name="value")
            )
    if not parts:
        return pl.DataFrame(schema=CATEGORIES_SCHEMA)
    return pl.concat(
        [p.select(pl.col(n).cast(t) for n, t in CATEGORIES_SCHEMA.items()) for p in parts]
    )


def groups_frame(
    attributes: pl.DataFrame, *, conventions: Sequence[str] = GROUP_CONVENTIONS
) -> pl.DataFrame:
    """``person_id, dimension, group``: exactly one group per person per dimension."""
    parts: list[pl.DataFrame] = []
    inputs = attributes.select(
        "person_id",
        *(pl.col(dimension).alias(column) for column, dimension in _CONVENTION_INPUTS.items()),
    )
    for name in conventions:
        if not conv.get_convention(name).exclusive:
            raise ValueError(f"{name} counts a person in several groups; it cannot be a group")
        classified = conv.classify_frame(inputs, name)
        parts.append(
            classified.select(
                "person_id", pl.lit(name).alias("dimension"), pl.col("category").alias("group")
            )
        )
    sex = pl.col("sex")
    parts.append(
        attributes.select(
            "person_id",
            pl.lit("sex").alias("dimension"),
            pl.when(sex.is_in(list(SEX_GROUPS)))
            .then(sex)
            .otherwise(pl.lit("unknown"))
            .alias("group"),
        )
    )
    return pl.concat([p.select(pl.col(n).cast(t) for n, t in GROUPS_SCHEMA.items()) for p in parts])


def own_population(category_set: CategorySet, key: str, population: str, on: dt.date) -> str:
    """``population`` when it has its own version of ``key`` in effect on ``on``, else "*"."""
    try:
        return category_set.definition_for(key, population, on).population
    except CategoryError:
        return "*"


def school_categories_frame(
    attributes: pl.DataFrame, category_set: CategorySet | None, on: dt.date
) -> pl.DataFrame:
    """School-defined categories in effect on ``on``: once with the ``*`` versions, and
    again for each population that has a version of its own (see :func:`own_population`)."""
    parts: list[pl.DataFrame] = []
    if category_set is not None:
        for population in POPULATIONS:
            wide = category_set.evaluate_frame(attributes, on, population)
            own = [
                key
                for key in wide.columns
                if own_population(category_set, key, population, on) == population
            ]
            if not own:
                continue
            keyed = pl.concat([attributes.select("person_id"), wide.select(own)], how="horizontal")
            parts.append(
                keyed.unpivot(
                    index="person_id", variable_name="category", value_name="value"
                ).with_columns(pl.lit(population).alias("population"))
            )
    if not parts:
        return pl.DataFrame(schema=SCHOOL_CATEGORIES_SCHEMA)
    return pl.concat(
        [p.select(pl.col(n).cast(t) for n, t in SCHOOL_CATEGORIES_SCHEMA.items()) for p in parts]
    )


def snapshot_frames(
    *,
    as_of: dt.date | None = None,
    conventions: Sequence[str] = DEFAULT_CONVENTIONS,
    category_set: CategorySet | None = None,
    population: str = "*",
    on: dt.date | None = None,
) -> SnapshotFrames:
    """Read the person record into the snapshot frames (see the module docstring).

    ``on`` defaults to ``as_of`` (else today) for school-defined categories.
    """
    for name in conventions:
        conv.get_convention(name)  # a misspelt convention fails before any reading
    stages = _read_stages(as_of)
    answers = _read_answers(as_of)
    person_ids = _read_person_ids()
    attributes = attributes_frame(answers, person_ids)
    when = on or as_of or dt.date.today()  # noqa: DTZ011 - a calendar date, not a moment
    categories = categories_frame(
        attributes,
        conventions=conventions,
        category_set=category_set,
        population=population,
        on=when,
    )
    return SnapshotFrames(
        stages=stages,
        answers=answers,
        categories=categories,
        groups=groups_frame(attributes),
        school_categories=school_categories_frame(attributes, category_set, when),
        stage_details=_read_stage_details(as_of),
        as_of=as_of,
        persons=person_ids.len(),
        conventions=tuple(conventions),
        category_date=when,
    )


# ------------------------------------------------------------------------------- writing
#: What the refresh compiles ahead of requests: the queries of a snapshot's dashboards.
StatementSource = Callable[[BaseBackend], Iterable[measures.Query]]


def snapshot_write(
    path: Path, frames: SnapshotFrames, *, statements: StatementSource | None = None
) -> Path:
    """Write ``frames`` into the DuckDB file ``path``, atomically; return the path.

    ``statements``: the queries whose statements to compile and store in the snapshot
    (:func:`write_statements`), e.g. :func:`ristra.reports.dashboards.dashboard_queries`.

    The database is written to a temporary file next to ``path``, checkpointed and closed,
    then moved over ``path`` with :func:`os.replace`: a reader sees the old snapshot or the
    new one, never half of one.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    counts = frames.counts()
    meta = pl.DataFrame(
        {
            "created_at": [dt.datetime.now(dt.UTC).replace(tzinfo=None)],
            "as_of": [frames.as_of],
            "stages_rows": [counts["stages"]],
            "answers_rows": [counts["answers"]],
            "categories_rows": [counts["categories"]],
            "category_date": [frames.category_date],
            "persons": [frames.persons],
            "conventions": [",".join(frames.conventions)],
        },
        schema={
            "created_at": pl.Datetime("us"),
            "as_of": pl.Date,
            "stages_rows": pl.Int64,
            "answers_rows": pl.Int64,
            "categories_rows": pl.Int64,
            "category_date": pl.Date,
            "persons": pl.Int64,
            "conventions": pl.String,
        },
    )
    tables = {
        "stages": frames.stages,
        "answers": frames.answers,
        "categories": frames.categories,
        "groups": frames.groups,
        "school_categories": frames.school_categories,
        "stage_details": frames.stage_details,
        "meta": meta,
    }
    try:
        con = duckdb.connect(str(temporary))
        try:
            for name, frame in tables.items():
                con.register("__frame", frame)
                # Fixed table names, never user input.
                con.execute(f'CREATE TABLE "{name}" AS SELECT * FROM __frame')  # noqa: S608
                con.unregister("__frame")
            write_person_tables(con)
            if statements is not None:
                write_statements(con, statements)
            con.execute("CHECKPOINT")
        finally:
            con.close()
        os.replace(temporary, path)
    except BaseException:
        for leftover in (temporary, temporary.with_name(temporary.name + ".wal")):
            leftover.unlink(missing_ok=True)
        raise
    return path


def write_person_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Derive the per-person tables from the ``stages``, ``groups`` and ``categories`` in ``con``.

    Dimensions: every dimension of ``groups``, and every school-defined key of
    ``categories`` (a key without ``:``; the convention keys are ``convention:group``) that
    is not already one, turned into yes / no / unknown groups by
    :func:`~ristra.analytics.measures.category_groups`.  Run by :func:`snapshot_write`
    after the base tables, inside the same temporary file.
    """
    backend = ibis.duckdb.from_connection(con)
    groups = backend.table("groups")
    dimensions = [r[0] for r in con.sql('SELECT DISTINCT dimension FROM "groups"').fetchall()]
    rows = con.sql("SELECT DISTINCT category FROM categories WHERE category NOT LIKE '%:%'")
    keys = sorted({r[0] for r in rows.fetchall()} - set(dimensions))
    if keys:
        school = measures.category_groups(backend.table("categories"), keys)
        groups = groups.union(school)
    derived = measures.person_tables(
        backend.table("stages"), groups, dimensions=sorted(dimensions) + keys
    )
    for name, expr in derived.items():
        # Fixed table names; the query is compiled from the expression, no user input.
        con.execute(f'CREATE TABLE "{name}" AS {backend.compile(expr)}')


def write_statements(con: duckdb.DuckDBPyConnection, statements: StatementSource) -> int:
    """Compile the statements of ``statements(backend)`` over the snapshot in ``con`` and
    store their SQL in ``measure_statements`` (replacing what it held); return how many.

    Run by :func:`snapshot_write` after the per-person tables, inside the same temporary
    file, so the keys hold the schemas of the tables as written.
    """
    backend = ibis.duckdb.from_connection(con)
    rows = measures.compile_statements(statements(backend), backend)
    con.register("__frame", rows)
    table = measures.STATEMENTS_TABLE  # a fixed name, never user input
    con.execute(f'CREATE OR REPLACE TABLE "{table}" AS SELECT * FROM __frame')  # noqa: S608
    con.unregister("__frame")
    return rows.height
