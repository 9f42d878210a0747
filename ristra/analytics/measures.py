"""Measures over a snapshot, written once as Ibis expressions.

The same expressions run on DuckDB (the default engine, in process, over a snapshot file)
and unchanged on PostgreSQL, Spark, Trino or BigQuery. Every measure returns *raw* counts:
disclosure control (:mod:`ristra.analytics.suppression`) is applied downstream, never here.

Input: a snapshot in plain tables (the Django side exports them, :mod:`ristra.people.snapshot`).

``stages`` -- one row per dated event or spell of a person (``people.Stage``):

=====================  =========  ==========================================================
column                 type       meaning
=====================  =========  ==========================================================
person_id              int64      the person
kind                   string     one of :data:`STAGE_KINDS`
start_date             date       start of a spell, or the date of an event
end_date               date       end of a spell (null: still running; events: null).
                                  A spell is active on ``d`` when
                                  ``start_date <= d and (end_date is null or end_date > d)``
academic_year          int64      cycle of admissions stages (null elsewhere allowed)
unit                   string     org unit code (nullable)
rank                   string     faculty rank (may be empty)
outcome                string     offer outcome ('accepted', 'declined', ...; may be empty)
senior_administrative  boolean    senior administrative post
=====================  =========  ==========================================================

``categories`` -- one row per person per category key, already evaluated by the category
layer (school-defined rules, counting conventions):

=========  ======  ===============================================================
person_id  int64   the person
category   string  the key, e.g. 'women', 'rural', 'urim', or a convention group
value      string  'yes' | 'no' | 'unknown'
=========  ======  ===============================================================

``groups`` -- one row per person per *dimension*, an exclusive way of counting
(:data:`GROUPS_SCHEMA`), read by the ``*_by`` measures and :func:`composition`:

=========  ======  ===============================================================
person_id  int64   the person
dimension  string  e.g. 'ipeds' (black, hispanic, ..., unknown) or 'sex'
group      string  the person's one group in the dimension
=========  ======  ===============================================================

:func:`category_groups` turns keys of ``categories`` into dimensions of this shape.

Decisions, stated once:

* **Unknown is a value, never dropped.** A person with no row for the key, a null value,
  a value other than 'yes'/'no', or conflicting rows for the same key counts as
  'unknown'. Shares use every person as the denominator (``share``); ``share_of_known``
  excludes the unknowns and is reported next to it, never instead of it.
* **Zero cells are returned**: every measure reports all three values (and every
  requested year or date) even when the count is zero, so tables have a fixed shape.
* **Academic year** Y runs from Y-07-01 to (Y+1)-06-30, so 2024-06-30 is in year 2023 and
  2024-07-01 in year 2024. Admissions stages (application, interview, offer,
  matriculation) use their ``academic_year`` (the cycle) instead; an admissions row
  without a cycle is in no year.
* **A person counts once** per cell of a headcount (two concurrent appointments are one
  person); a person active in two units counts once in each unit.
* ``too_few`` rules for the statistics are documented on :func:`parity` and
  :func:`compare_groups`: the UI says "too few to tell" instead of a number.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import math
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as package_version
from pathlib import Path
from typing import Any, Final, ParamSpec

import ibis
import ibis.expr.datashape as ds
import ibis.expr.datatypes as idt
import ibis.expr.operations as ops
import polars as pl
import sqlglot
import sqlglot.expressions as sge
from ibis.backends import BaseBackend
from ibis.expr.types import BooleanValue, Table, Value
from scipy import stats

__all__ = [
    "ADMISSIONS_KINDS",
    "CATEGORIES_SCHEMA",
    "FLOW_KINDS",
    "FUNNEL_STEPS",
    "GROUPS_SCHEMA",
    "GroupComparison",
    "Parity",
    "Query",
    "STATEMENTS_TABLE",
    "SPELL_KINDS",
    "STAGES_SCHEMA",
    "STAGE_KINDS",
    "VALUES",
    "census_dates",
    "category_groups",
    "clear_caches",
    "compare_groups",
    "compile_statements",
    "composition",
    "connect_postgres",
    "duckdb_backend",
    "flows",
    "flows_by",
    "funnel",
    "funnel_by",
    "headcount",
    "intersection",
    "intersection_by",
    "kaplan_meier",
    "kaplan_meier_by",
    "km_confidence_band",
    "parity",
    "run",
    "run_all",
    "statement_counts",
    "trend",
]

STAGES_SCHEMA: Final = ibis.schema(
    {
        "person_id": "int64",
        "kind": "string",
        "start_date": "date",
        "end_date": "date",
        "academic_year": "int64",
        "unit": "string",
        "rank": "string",
        "outcome": "string",
        "senior_administrative": "boolean",
    }
)
CATEGORIES_SCHEMA: Final = ibis.schema(
    {"person_id": "int64", "category": "string", "value": "string"}
)
GROUPS_SCHEMA: Final = ibis.schema({"person_id": "int64", "dimension": "string", "group": "string"})

# Mirrors people.models.StageKind / SPELL_KINDS (this package never imports Django).
STAGE_KINDS: Final = (
    "application",
    "interview",
    "offer",
    "matriculation",
    "enrollment",
    "graduation",
    "gme_appointment",
    "faculty_appointment",
    "staff_appointment",
    "leadership_appointment",
    "promotion",
    "separation",
)
SPELL_KINDS: Final = frozenset(
    {
        "enrollment",
        "gme_appointment",
        "faculty_appointment",
        "staff_appointment",
        "leadership_appointment",
    }
)
ADMISSIONS_KINDS: Final = ("application", "interview", "offer", "matriculation")

# Flow kinds: every stage kind (a spell counts at its start: an appointment's start is a
# hire) plus offers by outcome.
FLOW_KINDS: Final = (*STAGE_KINDS, "offer_accepted", "offer_declined")

VALUES: Final = ("yes", "no", "unknown")
UNKNOWN: Final = "unknown"
BY_COLUMNS: Final = ("unit", "rank", "kind", "senior_administrative")
_RESERVED: Final = frozenset(
    {
        "person_id",
        "value",
        "value_order",
        "count",
        "total",
        "known",
        "share",
        "share_of_known",
        "as_of",
        "year",
    }
)
_DAYS_PER_YEAR: Final = 365.25
P = ParamSpec("P")


# --------------------------------------------------------------------------- backends


def duckdb_backend(path: str | None = None, *, read_only: bool = False) -> BaseBackend:
    """An in-process DuckDB connection (in memory, or over a snapshot file)."""
    if path is None:
        return ibis.duckdb.connect()
    return ibis.duckdb.connect(path, read_only=read_only)


def connect_postgres(url: str) -> BaseBackend:
    """A PostgreSQL connection from a URL such as ``postgresql://user@host:5432/db``."""
    return ibis.connect(url)


def run(expr: Table | Query, backend: BaseBackend, *, own_cursor: bool = False) -> pl.DataFrame:
    """Execute ``expr`` (an Ibis table or a :class:`Query`) on ``backend``; a polars frame.

    ``own_cursor``: on DuckDB, run on a cursor of its own, so that several threads can
    query one connection at once (DuckDB releases the GIL while it executes).

    On DuckDB the SQL compiled for an expression is kept (:data:`QUERY_CACHE_SIZE` of
    them) and reused for an equal expression: a dashboard asks for the same measures of
    the same snapshot every time, and compiling them costs more than DuckDB's work. An
    expression over an in-memory table is compiled every time (the table is registered
    with the backend as it runs). A :class:`Query` runs its statement, with its values
    bound (see :class:`Query`).
    """
    if backend.name != "duckdb":
        target = expr.expr() if isinstance(expr, Query) else expr
        result: pl.DataFrame = backend.to_polars(target)
        return result
    connection: Any = getattr(backend, "con")  # noqa: B009 - the raw DuckDB connection
    if not own_cursor:
        return _run_duckdb(expr, backend, connection)
    cursor = connection.cursor()
    try:
        return _run_duckdb(expr, backend, cursor)
    finally:
        cursor.close()


def run_all(
    exprs: Mapping[str, Table | Query], backend: BaseBackend, *, workers: int = 4
) -> dict[str, pl.DataFrame]:
    """Execute independent measures (a dashboard's set) and return their frames by name.

    On DuckDB they run concurrently, each on its own cursor of the one connection (the
    same database, read-only snapshot or not): DuckDB releases the GIL while it executes,
    so one query runs while the next is compiled and several run side by side. Other
    backends run them one after the other. Results equal ``run`` on each expression.
    """
    if backend.name != "duckdb" or workers < 2 or len(exprs) < 2:
        return {name: run(expr, backend) for name, expr in exprs.items()}
    connection: Any = getattr(backend, "con")  # noqa: B009 - the raw DuckDB connection

    def one(expr: Table | Query) -> pl.DataFrame:
        cursor = connection.cursor()
        try:
            return _run_duckdb(expr, backend, cursor)
        finally:
            cursor.close()

    with ThreadPoolExecutor(max_workers=min(workers, len(exprs))) as pool:
        futures = {name: pool.submit(one, expr) for name, expr in exprs.items()}
        return {name: future.result() for name, future in futures.items()}


QUERY_CACHE_SIZE: Final = 512
MEASURE_CACHE_SIZE: Final = 512


class _Lru:
    """A small thread-safe least-recently-used mapping."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._items: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> Any:
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value

    def put(self, key: Hashable, value: Any) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self._size:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


_compiled = _Lru(QUERY_CACHE_SIZE)  # (dialect, expression) -> SQL text
_built = _Lru(MEASURE_CACHE_SIZE)  # (measure, arguments) -> expression


def clear_caches() -> None:
    """Forget everything kept in this process: the compiled SQL, the built measure
    expressions, the statements read from snapshots, the tables' keys, the statement
    stamp and the statement compilers (all are rebuilt, read again or compiled on use)."""
    _compiled.clear()
    _built.clear()
    _statements.clear()
    _table_keys.clear()
    _compilers.clear()
    statement_stamp.cache_clear()
    with _stored_lock:
        _stored.clear()


def _run_duckdb(expr: Table | Query, backend: BaseBackend, connection: Any) -> pl.DataFrame:
    """``backend.to_polars(expr)`` executed on ``connection`` (the backend's or a cursor)."""
    from ibis.backends.duckdb.converter import DuckDBPyArrowData

    if isinstance(expr, Query):
        return _run_statement(expr, backend, connection)
    key = ("duckdb", expr.op())
    sql: str | None = _compiled.get(key)
    if sql is None:
        if expr.op().find(ops.InMemoryTable):
            # Registers the in-memory tables on this backend's connection as it runs.
            runner = backend if connection is getattr(backend, "con") else None  # noqa: B009
            result: pl.DataFrame = (runner or ibis.duckdb.from_connection(connection)).to_polars(
                expr
            )
            return result
        sql = str(backend.compile(expr))
        _compiled.put(key, sql)
    table = connection.sql(sql).to_arrow_table()
    converted = expr.__pyarrow_result__(table, data_mapper=DuckDBPyArrowData)
    frame: pl.DataFrame = expr.__polars_result__(pl.from_arrow(converted))
    return frame


# --------------------------------------------------------------------------- statements
#
# A measure the dashboards run on every request is a :class:`Query`: its SQL depends
# only on the *shape* of the request (the measure, the snapshot tables it reads and their
# schemas, the dimension, the kinds of a population), never on the values a user picks
# (dates, years, cycle). Those are named placeholders in one compiled *statement*, bound
# when it runs. So one statement per shape serves every filter value, and the snapshot
# refresh compiles the dashboards' statements ahead of any request and stores their SQL
# in the snapshot (:data:`STATEMENTS_TABLE`, :func:`compile_statements`): a process's
# first request reads prepared SQL instead of building and compiling Ibis expressions.
# A stored statement is used only when its key (which includes the tables' schemas) and
# its stamp (:func:`statement_stamp`: this module's source, Ristra, Ibis, sqlglot and
# DuckDB versions) match; otherwise the statement is compiled again from the expression.

#: The snapshot table holding compiled statements (engine, key, stamp, measure, sql, schema).
STATEMENTS_TABLE: Final = "measure_statements"
STATEMENTS_SCHEMA: Final = {
    "engine": pl.String,
    "key": pl.String,
    "stamp": pl.String,
    "measure": pl.String,
    "sql": pl.String,
    "schema": pl.String,
}


class _Bound(ops.Value):  # type: ignore[misc]
    """A value bound when a statement runs: a named placeholder in its SQL."""

    name: str
    dtype: idt.DataType
    shape = ds.scalar


@dataclass(frozen=True, eq=False)
class Query:
    """One measure ready to run: its statement's key, and the values bound to it.

    ``build`` is the measure's one Ibis expression, given its values as Ibis scalars:
    :meth:`expr` passes literals (an ordinary expression, for any engine: PostgreSQL runs
    exactly this) and :meth:`statement` passes named placeholders (the statement compiled
    once per ``key``). ``key`` is None when a table has no stable description (an
    in-memory table): such a query is compiled from :meth:`expr` when it runs.
    """

    measure: str
    key: str | None
    values: tuple[tuple[str, str, Any], ...]
    build: Callable[[Mapping[str, Value]], Table]

    def expr(self) -> Table:
        """The measure with its values as literals."""
        return self.build(
            {name: ibis.literal(value, type=dtype) for name, dtype, value in self.values}
        )

    def statement(self) -> Table:
        """The measure with its values as placeholders (``$name`` in the SQL)."""
        return self.build(
            {name: _Bound(name, idt.dtype(dtype)).to_expr() for name, dtype, _ in self.values}
        )

    def parameters(self) -> dict[str, Any]:
        """The values to bind, by placeholder name."""
        return {name: value for name, _, value in self.values}


@dataclass(frozen=True)
class _Prepared:
    sql: str
    schema: Any  # the result's ibis Schema, to convert the Arrow result as Ibis does


STATEMENT_CACHE_SIZE: Final = 512
_statements = _Lru(STATEMENT_CACHE_SIZE)  # (engine, key) -> _Prepared
_table_keys = _Lru(STATEMENT_CACHE_SIZE)  # table node -> its description
_stored: weakref.WeakKeyDictionary[BaseBackend, bool] = weakref.WeakKeyDictionary()
_stored_lock = threading.Lock()
_counts_lock = threading.Lock()
_counts = {"compiled": 0, "read": 0, "reused": 0}


def statement_counts() -> dict[str, int]:
    """Statements this process has compiled, read from a snapshot, and reused from memory."""
    with _counts_lock:
        return dict(_counts)


def _count(what: str) -> None:
    with _counts_lock:
        _counts[what] += 1


def _version(package: str) -> str:
    try:
        return package_version(package)
    except PackageNotFoundError:  # pragma: no cover - a checkout that is not installed
        return "?"


@functools.cache
def statement_stamp() -> str:
    """What a compiled statement depends on besides its key: this module's code and the
    versions of Ristra and of the libraries that compile and run it."""
    source = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:16]
    libraries = " ".join(f"{p} {_version(p)}" for p in ("ristra", "ibis-framework", "sqlglot"))
    return f"measures {source} {libraries} duckdb {_version('duckdb')}"


def _describe(value: Any) -> Any:
    """A JSON-able description of an Ibis node graph, the same in every process.

    Snapshot tables are described by name and schema (not by connection), so a statement
    serves any connection to a snapshot with those tables. Raises TypeError for what has
    no stable description (an in-memory table, an unknown value).
    """
    if isinstance(value, ops.DatabaseTable):
        namespace = value.namespace
        return [
            "table",
            value.name,
            namespace.catalog,
            namespace.database,
            [[name, str(dtype)] for name, dtype in value.schema.items()],
        ]
    if isinstance(value, ops.InMemoryTable):
        raise TypeError("an in-memory table has no stable description")
    if isinstance(value, ops.Node):
        return [type(value).__name__, *(_describe(arg) for arg in value.__args__)]
    if value is None or isinstance(value, str | bool | int | float):
        return value
    if isinstance(value, tuple | list):
        return [_describe(v) for v in value]
    if isinstance(value, Mapping):
        return [[str(k), _describe(v)] for k, v in value.items()]
    if isinstance(value, idt.DataType):
        return str(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    raise TypeError(f"no stable description for {type(value).__name__}")


def _table_key(table: Table) -> Any:
    node = table.op()
    described = _table_keys.get(node)
    if described is None:
        described = _describe(node)
        _table_keys.put(node, described)
    return described


def _query(
    measure: str,
    build: Callable[[Mapping[str, Value]], Table],
    *,
    tables: Sequence[Table],
    shape: Mapping[str, Any],
    values: Mapping[str, tuple[str, Any]],
) -> Query:
    """A :class:`Query` of ``measure``: ``shape`` and ``tables`` make the key, ``values``
    (name -> (Ibis type, value)) are bound."""
    bound = tuple((name, dtype, value) for name, (dtype, value) in values.items())
    try:
        described = [
            measure,
            [_table_key(t) for t in tables],
            [[k, _describe(v)] for k, v in shape.items()],
            [[name, dtype] for name, dtype, _ in bound],
        ]
    except TypeError:
        return Query(measure, None, bound, build)
    key = hashlib.sha256(json.dumps(described, separators=(",", ":")).encode()).hexdigest()
    return Query(measure, key, bound, build)


_compilers: dict[str, Any] = {}


def _binding_compiler(backend: BaseBackend) -> Any:
    """The backend's SQL compiler, also writing :class:`_Bound` as ``CAST($name AS type)``."""
    compiler = _compilers.get(backend.name)
    if compiler is None:
        base: Any = type(getattr(backend, "compiler"))  # noqa: B009

        class Binding(base):  # type: ignore[misc]
            def visit__Bound(self, op: _Bound, *, name: str, dtype: idt.DataType) -> Any:
                return self.cast(sge.Placeholder(this=name), dtype)

        compiler = _compilers[backend.name] = Binding()
    return compiler


def _compile(query: Query, backend: BaseBackend) -> _Prepared:
    expr = query.statement()
    compiler = _binding_compiler(backend)
    tree = compiler.to_sqlglot(expr)
    sql = tree.sql(dialect=backend.dialect, unsupported_level=sqlglot.ErrorLevel.RAISE)
    _count("compiled")
    return _Prepared(sql, expr.schema())


def _schema_text(schema: Any) -> str:
    return json.dumps([[name, str(dtype)] for name, dtype in schema.items()])


def _schema_from(text: str) -> Any:
    return ibis.schema({name: idt.dtype(dtype) for name, dtype in json.loads(text)})


def compile_statements(queries: Iterable[Query], backend: BaseBackend) -> pl.DataFrame:
    """The rows of :data:`STATEMENTS_TABLE` for ``queries`` (each distinct key once).

    Written into a snapshot when it is refreshed, so that no process compiles them on a
    request. Queries without a stable key are left out. A statement this process already
    holds for the same key is reused (the key covers the measure and the tables' schemas),
    so a worker's later refreshes compile only what changed shape.
    """
    rows: dict[str, dict[str, str]] = {}
    for query in queries:
        if query.key is None or query.key in rows:
            continue
        cache_key = (backend.name, query.key)
        prepared: _Prepared | None = _statements.get(cache_key)
        if prepared is None:
            prepared = _compile(query, backend)
            _statements.put(cache_key, prepared)
        rows[query.key] = {
            "engine": backend.name,
            "key": query.key,
            "stamp": statement_stamp(),
            "measure": query.measure,
            "sql": prepared.sql,
            "schema": _schema_text(prepared.schema),
        }
    return pl.DataFrame(list(rows.values()), schema=STATEMENTS_SCHEMA)


def _read_stored(query: Query, backend: BaseBackend, connection: Any) -> _Prepared | None:
    """The statement stored in the snapshot for ``query`` (None: absent or stale)."""
    import duckdb

    with _stored_lock:
        present = _stored.get(backend)
    if present is False:
        return None
    try:
        rows = connection.sql(
            f'SELECT "sql", "schema" FROM "{STATEMENTS_TABLE}" '  # noqa: S608 - a constant
            'WHERE "engine" = ? AND "key" = ? AND "stamp" = ?',
            params=[backend.name, query.key, statement_stamp()],
        ).fetchall()
    except duckdb.CatalogException:  # a snapshot written before statements were stored
        with _stored_lock:
            _stored[backend] = False
        return None
    with _stored_lock:
        _stored[backend] = True
    if not rows:
        return None
    _count("read")
    sql, schema = rows[0]
    return _Prepared(sql, _schema_from(schema))


def _run_statement(query: Query, backend: BaseBackend, connection: Any) -> pl.DataFrame:
    """Run ``query``'s statement on DuckDB: kept in memory, else stored in the snapshot,
    else compiled now (and kept)."""
    from ibis.backends.duckdb.converter import DuckDBPyArrowData
    from ibis.formats.polars import PolarsData

    if query.key is None:
        return _run_duckdb(query.expr(), backend, connection)
    cache_key = (backend.name, query.key)
    prepared: _Prepared | None = _statements.get(cache_key)
    if prepared is not None:
        _count("reused")
    else:
        prepared = _read_stored(query, backend, connection) or _compile(query, backend)
        _statements.put(cache_key, prepared)
    table = connection.sql(prepared.sql, params=query.parameters()).to_arrow_table()
    converted = DuckDBPyArrowData.convert_table(table, prepared.schema)
    frame: pl.DataFrame = PolarsData.convert_table(pl.from_arrow(converted), prepared.schema)
    return frame


def _argument_key(value: Any) -> tuple[Hashable, Any]:
    """(a hashable description of ``value``, the value to pass on: iterables as tuples).

    A table is described by its expression and the connections it reads from, so the
    same measure over a reopened snapshot is built anew. Raises TypeError for a value
    that has no stable description.
    """
    if isinstance(value, Table):
        node = value.op()
        sources = tuple(id(t.source) for t in node.find(ops.DatabaseTable))
        return ("table", node, sources), value
    if value is None or isinstance(value, str | int | float | dt.date | range):
        return (type(value).__name__, value), value
    if isinstance(value, Iterable):
        items = tuple(value)
        return ("items", tuple(_argument_key(v)[0] for v in items)), items
    raise TypeError(f"no stable key for {type(value).__name__}")


def _memoized(build: Callable[P, Table]) -> Callable[P, Table]:
    """``build`` with its expressions kept by arguments (:data:`MEASURE_CACHE_SIZE`).

    Expressions are immutable values, so an equal call returns the same expression, and
    :func:`run` finds its compiled SQL without building or compiling anything.
    """

    @functools.wraps(build)
    def cached(*args: P.args, **kwargs: P.kwargs) -> Table:
        try:
            described = [_argument_key(a) for a in args]
            named = {k: _argument_key(v) for k, v in kwargs.items()}
        except TypeError:
            return build(*args, **kwargs)
        key = (
            build.__name__,
            tuple(k for k, _ in described),
            tuple(sorted((name, k) for name, (k, _) in named.items())),
        )
        expr: Table | None = _built.get(key)
        if expr is None:
            call_args: Any = [v for _, v in described]
            call_kwargs: Any = {name: v for name, (_, v) in named.items()}
            expr = build(*call_args, **call_kwargs)
            _built.put(key, expr)
        return expr

    return cached


# --------------------------------------------------------------------------- helpers


def _check_kinds(kinds: Iterable[str], allowed: Iterable[str], what: str) -> list[str]:
    chosen = list(kinds)
    allowed_set = set(allowed)
    if not chosen:
        raise ValueError(f"{what}: no kinds given")
    unknown = [k for k in chosen if k not in allowed_set]
    if unknown:
        raise ValueError(f"{what}: unsupported kinds {unknown}; allowed: {sorted(allowed_set)}")
    return chosen


def _check_by(by: Sequence[str]) -> list[str]:
    cols = list(by)
    bad = [c for c in cols if c not in BY_COLUMNS]
    if bad:
        raise ValueError(f"cannot break down by {bad}; allowed: {list(BY_COLUMNS)}")
    if len(set(cols)) != len(cols):
        raise ValueError(f"repeated breakdown columns: {cols}")
    return cols


def _constant_table(columns: Mapping[str, tuple[Sequence[Any], str]], index: str = "") -> Table:
    """A small constant table: each column from its (values, type), and ``index`` (0, 1, ...).

    Written as literals in the query (an unnested array of positions), not as an in-memory
    table that must be registered with the backend before each execution: the SQL of a
    measure then depends only on its arguments and the snapshot's tables, so it can be
    compiled once and reused (:func:`run`).
    """
    length = len(next(iter(columns.values()))[0])
    positions = ibis.literal(list(range(length)), type="array<int64>").unnest()
    table = positions.name("position").as_table()
    at = table.position
    picked = {
        name: ibis.cases(*[(at == i, ibis.literal(v, type=dtype)) for i, v in enumerate(values)])
        for name, (values, dtype) in columns.items()
    }
    return table.select(**picked, **({index: at} if index else {}))


def _values_table(column: str = "value") -> Table:
    return _constant_table({column: (VALUES, "string")}, index=f"{column}_order")


def _category_values(categories: Table, key: str) -> Table:
    """One row per person who has rows for ``key``: person_id, value (yes/no/unknown)."""
    rows = categories.filter(categories.category == key)
    per_person = rows.group_by("person_id").agg(
        n_values=rows.value.nunique(), any_value=rows.value.max()
    )
    clean = (per_person.n_values == 1) & per_person.any_value.isin(["yes", "no"])
    return per_person.select("person_id", value=ibis.ifelse(clean, per_person.any_value, UNKNOWN))


def _with_category(population: Table, categories: Table, key: str, column: str = "value") -> Table:
    """``population`` with a ``column`` holding the person's value for ``key``."""
    values = _category_values(categories, key)
    joined = population.left_join(values, population.person_id == values.person_id)
    kept = [population[c] for c in population.columns]
    return joined.select(*kept, **{column: values.value.fill_null(UNKNOWN)})


def _ratio(numerator: Value, denominator: Value) -> Value:
    """numerator / denominator as float64; null when the denominator is 0."""
    return numerator.cast("float64") / denominator.cast("float64").nullif(0.0)


def _indicator(condition: BooleanValue) -> Value:
    """1 where ``condition`` holds, else 0 (PostgreSQL cannot cast boolean to bigint)."""
    return ibis.ifelse(condition, 1, 0).cast("int64")


def _null_safe_equal(left: Table, right: Table, columns: Sequence[str]) -> list[BooleanValue]:
    return [left[c].identical_to(right[c]) for c in columns]


def _academic_year(stages: Table) -> Value:
    """The academic year of each row: the cycle for admissions stages, else by date."""
    d = stages.start_date
    by_date = ibis.ifelse(d.month() >= 7, d.year(), d.year() - 1).cast("int64")
    return ibis.ifelse(
        stages.kind.isin(list(ADMISSIONS_KINDS)),
        stages.academic_year.cast("int64"),
        by_date,
    )


def _in_years(year: Value, years: range) -> BooleanValue:
    """``year in years``; a range of step 1 as a BETWEEN (an IN list is a join on DuckDB)."""
    if isinstance(years, range) and years.step == 1:
        return year.between(years.start, years.stop - 1)
    return year.isin(list(years))


def _covers(stages: Table, on: Value) -> BooleanValue:
    """The spell is active on ``on`` (the end date is exclusive; null: still running)."""
    return (stages.start_date <= on) & (stages.end_date.isnull() | (stages.end_date > on))


def _active(stages: Table, kinds: Sequence[str], on: Value) -> BooleanValue:
    return stages.kind.isin(list(kinds)) & _covers(stages, on)


def _share_table(population: Table, group_cols: Sequence[str], groups: Table) -> Table:
    """Counts by (groups x value) with shares, zero-filled.

    ``population`` has one row per person per group with a ``value`` column; ``groups``
    has ``group_cols``, ``total`` and ``known`` (one row per group to report).
    """
    cols = list(group_cols)
    counts = population.group_by([*cols, "value"]).agg(count=population.count())
    values = _values_table()
    grid = groups.cross_join(values)
    joined = grid.left_join(
        counts,
        [*_null_safe_equal(grid, counts, cols), grid.value == counts.value],
    )
    count = counts["count"].fill_null(0)
    out = joined.select(
        *[grid[c] for c in cols],
        grid.value,
        grid.value_order,
        count=count,
        total=grid.total,
        share=_ratio(count, grid.total),
        share_of_known=ibis.ifelse(grid.value == UNKNOWN, ibis.null(), _ratio(count, grid.known)),
    )
    return out.order_by([*cols, "value_order"]).drop("value_order")


def _group_totals(population: Table, group_cols: Sequence[str]) -> Table:
    known = _indicator(population.value != UNKNOWN)
    if group_cols:
        return population.group_by(list(group_cols)).agg(
            total=population.count(), known=known.sum()
        )
    return population.agg(total=population.count(), known=known.sum().fill_null(0))


# --------------------------------------------------------------------------- 1 headcount


@_memoized
def headcount(
    stages: Table,
    categories: Table,
    *,
    kinds: Iterable[str],
    as_of: dt.date,
    category: str,
    by: Sequence[str] = (),
) -> Table:
    """People with an active spell of ``kinds`` on ``as_of``, by category value.

    Columns: ``*by, value, count, total, share, share_of_known``. A person counts once per
    ``by`` group however many spells they hold. ``total`` includes the unknowns; with no
    ``by`` there is always one row per value, even for an empty population.
    """
    chosen = _check_kinds(kinds, SPELL_KINDS, "headcount")
    cols = _check_by(by)
    on = ibis.literal(as_of, type="date")
    active = stages.filter(_active(stages, chosen, on))
    population = _with_category(active.select("person_id", *cols).distinct(), categories, category)
    return _share_table(population, cols, _group_totals(population, cols))


# --------------------------------------------------------------------------- 7 trend


def census_dates(years: Iterable[int], *, month: int = 10, day: int = 1) -> list[dt.date]:
    """One census date per year (by default October 1, the usual faculty census)."""
    return [dt.date(y, month, day) for y in years]


@_memoized
def trend(
    stages: Table,
    categories: Table,
    *,
    kinds: Iterable[str],
    dates: Sequence[dt.date],
    category: str,
    by: Sequence[str] = (),
) -> Table:
    """:func:`headcount` on each of ``dates`` in one query (a join against a dates table).

    Columns: ``as_of, *by, value, count, total, share, share_of_known``. With no ``by``,
    every date is reported (count 0 and null shares when nobody was active).
    """
    chosen = _check_kinds(kinds, SPELL_KINDS, "trend")
    cols = _check_by(by)
    if not dates:
        raise ValueError("trend: no dates given")
    date_table = _constant_table({"as_of": (sorted(set(dates)), "date")})
    spells = stages.filter(stages.kind.isin(chosen))
    joined = spells.join(
        date_table,
        [
            spells.start_date <= date_table.as_of,
            spells.end_date.isnull() | (spells.end_date > date_table.as_of),
        ],
    )
    people = joined.select(date_table.as_of, spells.person_id, *[spells[c] for c in cols])
    population = _with_category(people.distinct(), categories, category)
    group_cols = ["as_of", *cols]
    totals = _group_totals(population, group_cols)
    if not cols:
        filled = date_table.left_join(totals, date_table.as_of == totals.as_of)
        totals = filled.select(
            date_table.as_of,
            total=totals.total.fill_null(0),
            known=totals.known.fill_null(0),
        )
    return _share_table(population, group_cols, totals)


# --------------------------------------------------------------------------- 8 intersection


@_memoized
def intersection(
    stages: Table,
    categories: Table,
    *,
    kinds: Iterable[str],
    as_of: dt.date,
    category_keys: Sequence[str],
    by: Sequence[str] = (),
) -> Table:
    """Headcount for every combination of several categories (e.g. rank x women x urim).

    Columns: ``*by, *category_keys`` (each yes/no/unknown), ``count, total, share``
    (share of the ``by`` group). All 3**k combinations are reported for each group.
    """
    chosen = _check_kinds(kinds, SPELL_KINDS, "intersection")
    cols = _check_by(by)
    keys = list(category_keys)
    if not keys:
        raise ValueError("intersection: no category keys given")
    bad = [k for k in keys if not k.isidentifier() or k in _RESERVED or k in BY_COLUMNS]
    if bad or len(set(keys)) != len(keys):
        raise ValueError(f"intersection: unusable or repeated category keys {keys}")
    on = ibis.literal(as_of, type="date")
    active = stages.filter(_active(stages, chosen, on))
    population = active.select("person_id", *cols).distinct()
    for key in keys:
        population = _with_category(population, categories, key, column=key)
    counts = population.group_by([*cols, *keys]).agg(count=population.count())
    if cols:
        groups = population.group_by(cols).agg(total=population.count())
    else:
        groups = population.agg(total=population.count())
    grid = groups
    for key in keys:
        grid = grid.cross_join(_values_table(key))
    joined = grid.left_join(
        counts,
        [*_null_safe_equal(grid, counts, cols), *[grid[k] == counts[k] for k in keys]],
    )
    count = counts["count"].fill_null(0)
    out = joined.select(
        *[grid[c] for c in cols],
        *[grid[k] for k in keys],
        *[grid[f"{k}_order"] for k in keys],
        count=count,
        total=grid.total,
        share=_ratio(count, grid.total),
    )
    return out.order_by([*cols, *[f"{k}_order" for k in keys]]).drop(*[f"{k}_order" for k in keys])


# --------------------------------------------------------------------------- 2 flows


@_memoized
def flows(
    stages: Table,
    categories: Table,
    *,
    kind: str,
    category: str,
    years: range,
) -> Table:
    """Events of ``kind`` per academic year by category value.

    ``kind`` is a stage kind (a spell counts at its start, so ``faculty_appointment``
    gives hires) or ``offer_accepted`` / ``offer_declined`` (offers by outcome;
    ``offer`` is every offer made). Columns: ``year, value, events, people`` where
    ``people`` counts distinct persons. Every year of ``years`` x value is reported.
    """
    _check_kinds([kind], FLOW_KINDS, "flows")
    year_list = list(years)
    if not year_list:
        raise ValueError("flows: no years given")
    if kind in ("offer_accepted", "offer_declined"):
        wanted = kind.removeprefix("offer_")
        rows = stages.filter(
            (stages.kind == "offer") & (stages.outcome.fill_null("").lower() == wanted)
        )
    else:
        rows = stages.filter(stages.kind == kind)
    dated = rows.select("person_id", year=_academic_year(rows))
    dated = dated.filter(dated.year.isin(year_list))
    events = _with_category(dated, categories, category)
    agg = events.group_by(["year", "value"]).agg(
        events=events.count(), people=events.person_id.nunique()
    )
    year_table = _constant_table({"year": (year_list, "int64")})
    values = _values_table()
    grid = year_table.cross_join(values)
    joined = grid.left_join(agg, [grid.year == agg.year, grid.value == agg.value])
    out = joined.select(
        grid.year,
        grid.value,
        grid.value_order,
        events=agg.events.fill_null(0),
        people=agg.people.fill_null(0),
    )
    return out.order_by(["year", "value_order"]).drop("value_order")


# --------------------------------------------------------------------------- 3 funnel

FUNNEL_STEPS: Final = ("applicants", "interviewed", "offered", "accepted", "matriculated")


def _funnel_people(stages: Table, cycle: int) -> Table:
    """One row per person with an admissions stage in ``cycle``: a 0/1 column per step."""
    rows = stages.filter(stages.kind.isin(list(ADMISSIONS_KINDS)) & (stages.academic_year == cycle))
    accepted = (rows.kind == "offer") & (rows.outcome.fill_null("").lower() == "accepted")
    flags: dict[str, BooleanValue] = {
        "applicants": rows.kind == "application",
        "interviewed": rows.kind == "interview",
        "offered": rows.kind == "offer",
        "accepted": accepted,
        "matriculated": rows.kind == "matriculation",
    }
    return rows.group_by("person_id").agg(
        **{step: _indicator(flag).max() for step, flag in flags.items()}
    )


@_memoized
def funnel(stages: Table, categories: Table, *, cycle: int, category: str) -> Table:
    """The admissions funnel of one cycle by category value.

    Columns: ``value, applicants, interviewed, offered, accepted, matriculated`` (distinct
    persons with that stage in the cycle; accepted = an offer with outcome 'accepted')
    and ``rate_interviewed, rate_offered, rate_accepted, rate_matriculated``: each step
    divided by the step before it (null when that step is 0). Steps are counted
    independently from the records, so a rate above 1 signals missing earlier records.
    """
    people = _with_category(_funnel_people(stages, cycle), categories, category)
    agg = people.group_by("value").agg(**{step: people[step].sum() for step in FUNNEL_STEPS})
    values = _values_table()
    joined = values.left_join(agg, values.value == agg.value)
    counts = {step: agg[step].fill_null(0) for step in FUNNEL_STEPS}
    rates = {
        f"rate_{step}": _ratio(counts[step], counts[prev])
        for prev, step in zip(FUNNEL_STEPS, FUNNEL_STEPS[1:], strict=False)
    }
    out = joined.select(values.value, values.value_order, **counts, **rates)
    return out.order_by("value_order").drop("value_order")


# --------------------------------------------------------------------------- 4 Kaplan-Meier


@_memoized
def kaplan_meier(
    stages: Table,
    categories: Table,
    *,
    start_kind: str,
    event_kind: str,
    category: str,
    horizon_years: float,
    as_of: dt.date,
) -> Table:
    """Kaplan-Meier survival (time to ``event_kind`` from ``start_kind``) by category value.

    Per person: origin = the earliest ``start_kind`` start on or before ``as_of``; the
    event = the first ``event_kind`` dated on or after the origin and on or before
    ``as_of``. Without an event a person is right-censored at the end of observation:
    the snapshot date ``as_of``, or the last end of their ``start_kind`` spells if all of
    them ended before it (someone who left without promotion is no longer at risk of
    one; gaps between spells are ignored). Times beyond the horizon, floor(horizon_years *
    365.25) days, are censored at the horizon. Times are whole days (``time_days``;
    ``time_years`` = days / 365.25).

    One row per value and distinct time (event or censoring): ``n_at_risk`` (time >=
    t), ``events``, ``censored`` (events before censorings at tied times),
    ``survival`` = prod(1 - d/n) computed as exp(sum(ln(1 - d/n))) with a guard that
    makes it 0 from the first time where d == n, ``greenwood`` = sum d/(n(n-d)) and
    ``variance`` = survival**2 * greenwood (Greenwood). :func:`km_confidence_band`
    finishes the confidence interval in polars.

    Example: retention = (faculty_appointment, separation); time to promotion =
    (faculty_appointment, promotion).
    """
    persons = _km_times(
        stages,
        start_kind=start_kind,
        event_kind=event_kind,
        horizon_years=horizon_years,
        as_of=as_of,
        what="kaplan_meier",
    )
    return _km_curve(_with_category(persons, categories, category), "value", _values_table())


def _km_times(
    stages: Table,
    *,
    start_kind: str,
    event_kind: str,
    horizon_years: float,
    as_of: dt.date,
    what: str,
) -> Table:
    """``person_id, time_days, event`` (0/1): one row per person at risk (see kaplan_meier)."""
    horizon = _km_horizon(start_kind, event_kind, horizon_years, what)
    return _km_person_times(
        stages,
        start_kind=start_kind,
        event_kind=event_kind,
        horizon=ibis.literal(horizon, type="int64"),
        snapshot=ibis.literal(as_of, type="date"),
    )


def _km_horizon(start_kind: str, event_kind: str, horizon_years: float, what: str) -> int:
    """The horizon in whole days, after checking the arguments of a Kaplan-Meier measure."""
    _check_kinds([start_kind], SPELL_KINDS, f"{what} start")
    _check_kinds([event_kind], STAGE_KINDS, f"{what} event")
    if not horizon_years > 0:
        raise ValueError(f"{what}: horizon_years must be positive")
    return math.floor(horizon_years * _DAYS_PER_YEAR)


def _km_person_times(
    stages: Table, *, start_kind: str, event_kind: str, horizon: Value, snapshot: Value
) -> Table:
    """:func:`_km_times` with the horizon (days) and the snapshot date as Ibis values."""
    starts = stages.filter((stages.kind == start_kind) & (stages.start_date <= snapshot))
    seen_until = ibis.least(starts.end_date.fill_null(snapshot), snapshot)
    origin = starts.group_by("person_id").agg(
        origin=starts.start_date.min(), observed_until=seen_until.max()
    )
    ev = stages.filter((stages.kind == event_kind) & (stages.start_date <= snapshot))
    matched = origin.join(ev, [origin.person_id == ev.person_id, ev.start_date >= origin.origin])
    first_event = matched.group_by(origin.person_id).agg(event_date=ev.start_date.min())
    persons = origin.left_join(first_event, origin.person_id == first_event.person_id)
    persons = persons.select(
        origin.person_id,
        event_days=first_event.event_date.delta(origin.origin, unit="day"),
        censor_days=origin.observed_until.delta(origin.origin, unit="day"),
    )
    has_event = persons.event_days.notnull() & (persons.event_days <= horizon)
    return persons.select(
        "person_id",
        time_days=ibis.ifelse(
            has_event, persons.event_days, ibis.least(persons.censor_days, horizon)
        ).cast("int64"),
        event=_indicator(has_event),
    )


def _km_curve(persons: Table, column: str, order: Table | None) -> Table:
    """The Kaplan-Meier table per ``column`` of ``persons`` (``person_id, time_days, event``).

    ``order`` has ``column`` and ``{column}_order``: the labels to report and their order
    (persons whose label is not in it are left out). Without it every label is reported,
    alphabetically with ``unknown`` last.
    """
    at_time = persons.group_by([column, "time_days"]).agg(
        events=persons.event.sum(), leaving=persons.count()
    )
    later_first = ibis.window(
        group_by=column, order_by=ibis.desc("time_days"), preceding=None, following=0
    )
    at_time = at_time.mutate(n_at_risk=at_time.leaving.sum().over(later_first))
    n = at_time.n_at_risk.cast("float64")
    d = at_time.events.cast("float64")
    below = at_time.events < at_time.n_at_risk
    # ln(1 - d/n) and d/(n(n-d)) are only defined for d < n; d == n is flagged instead.
    safe_n_minus_d = ibis.ifelse(below, n - d, 1.0)
    at_time = at_time.mutate(
        log_term=ibis.ifelse(below, (safe_n_minus_d / n).ln(), 0.0),
        gw_term=ibis.ifelse(below, d / (n * safe_n_minus_d), 0.0),
        wiped_out=_indicator(~below),
    )
    so_far = ibis.window(group_by=column, order_by="time_days", preceding=None, following=0)
    at_time = at_time.mutate(
        cum_log=at_time.log_term.sum().over(so_far),
        greenwood=at_time.gw_term.sum().over(so_far),
        ever_wiped=at_time.wiped_out.max().over(so_far),
    )
    survival = ibis.ifelse(at_time.ever_wiped > 0, 0.0, at_time.cum_log.exp())
    rank = f"{column}_order"
    if order is None:
        at_time = at_time.mutate(**{rank: _indicator(at_time[column] == UNKNOWN)})
        ranked, rank_value = at_time, at_time[rank]
    else:
        ranked = at_time.join(order, at_time[column] == order[column])
        rank_value = order[rank]
    out = ranked.select(
        at_time[column],
        rank_value,
        at_time.time_days,
        time_years=at_time.time_days.cast("float64") / _DAYS_PER_YEAR,
        n_at_risk=at_time.n_at_risk,
        events=at_time.events,
        censored=at_time.leaving - at_time.events,
        survival=survival,
        greenwood=at_time.greenwood,
        variance=survival * survival * at_time.greenwood,
    )
    return out.order_by([rank, column, "time_days"]).drop(rank)


def km_confidence_band(curve: pl.DataFrame, *, confidence: float = 0.95) -> pl.DataFrame:
    """Add ``low``/``high`` to an executed :func:`kaplan_meier` curve.

    Log-log interval (Kalbfleisch-Prentice, the default of most survival software): it
    stays inside [0, 1], unlike the plain S +/- z*sqrt(variance). Where survival is 1
    (no events yet) or 0, the interval collapses to that value.
    """
    if not 0 < confidence < 1:
        raise ValueError("confidence must be between 0 and 1")
    z = float(stats.norm.ppf(0.5 + confidence / 2))
    s = pl.col("survival")
    log_s = s.log()
    inner = s > 0.0
    inner &= s < 1.0
    se = pl.col("greenwood").sqrt() / log_s.abs()
    low = pl.when(inner).then(s.pow((z * se).exp())).otherwise(s)
    high = pl.when(inner).then(s.pow((-z * se).exp())).otherwise(s)
    return curve.with_columns(low=low, high=high)


# --------------------------------------------------------------------------- 9 by group
#
# Measures over an exclusive ``groups`` table (:data:`GROUPS_SCHEMA`): one row per person
# per *dimension* (a way of counting everyone exactly once, e.g. ``ipeds`` or ``sex``)
# giving the person's ``group`` in it. A whole distribution is then one query.
#
# **Which groups are reported (the zero cells).** For a dimension, the reported groups
# are the distinct ``group`` values that occur in ``groups`` for that dimension (in the
# whole table, whoever is in the population), plus ``unknown`` always. A person with no
# row for the dimension, or a null group, counts as ``unknown``. Groups are ordered
# alphabetically with ``unknown`` last. Every such group is reported, with count 0 where
# nobody is in it. The table must hold at most one row per person per dimension (the
# snapshot writes exactly one); a person with two rows would be counted in both groups.

GROUP_COLUMNS: Final = frozenset({"group", "dimension", "kind", "as_of", "year", "count"})


@_memoized
def category_groups(categories: Table, keys: Sequence[str]) -> Table:
    """The ``categories`` of ``keys`` as a :data:`GROUPS_SCHEMA` table (group = value).

    Each key becomes a dimension named by the key whose groups are yes / no / unknown,
    with the rules of :func:`headcount` (conflicting, null or odd values are unknown), so a
    school-defined category can be passed, alone or ``union``-ed with the snapshot's
    ``groups``, to the measures below.
    """
    chosen = list(keys)
    if not chosen:
        raise ValueError("category_groups: no keys given")
    rows = categories.filter(categories.category.isin(chosen))
    # min == max: exactly one distinct non-null value (cheaper than a distinct count).
    per_person = rows.group_by(["person_id", "category"]).agg(
        low=rows.value.min(), high=rows.value.max()
    )
    clean = (per_person.low == per_person.high) & per_person.high.isin(["yes", "no"])
    return per_person.select(
        "person_id",
        dimension=per_person.category,
        group=ibis.ifelse(clean.fill_null(False), per_person.high, UNKNOWN),
    )


def _check_dimension(dimension: str, what: str) -> str:
    if not isinstance(dimension, str) or not dimension:
        raise ValueError(f"{what}: a dimension name is required")
    return dimension


def _dimension_rows(groups: Table, dimension: str) -> Table:
    return groups.filter(groups.dimension == dimension)


def _group_domain(groups: Table, dimension: str, column: str = "group") -> Table:
    """``column, {column}_order``: the groups reported for ``dimension`` (see above)."""
    rows = _dimension_rows(groups, dimension)
    observed = rows.select(**{column: rows["group"].fill_null(UNKNOWN)})
    always = _constant_table({column: ([UNKNOWN], "string")})
    domain = observed.union(always, distinct=True)
    return domain.select(column, **{f"{column}_order": _indicator(domain[column] == UNKNOWN)})


def _with_group(population: Table, groups: Table, dimension: str, column: str = "group") -> Table:
    """``population`` with a ``column`` holding the person's group in ``dimension``."""
    rows = _dimension_rows(groups, dimension)
    joined = population.left_join(rows, population.person_id == rows.person_id)
    kept = [population[c] for c in population.columns]
    return joined.select(*kept, **{column: rows["group"].fill_null(UNKNOWN)})


def _present(table: Table, cols: Sequence[str]) -> Table | None:
    """The distinct ``cols`` combinations of ``table`` (None without columns)."""
    return table.select(*cols).distinct() if cols else None


def _grid(present: Table | None, domains: Sequence[Table]) -> Table:
    grid = present
    for domain in domains:
        grid = domain if grid is None else grid.cross_join(domain)
    assert grid is not None  # noqa: S101 - at least one domain is always given
    return grid


def _pick(index: Value, columns: Sequence[Value]) -> Value:
    """``columns[index]`` for a small integer column ``index`` (a CASE expression)."""
    return ibis.cases(*[(index == i, col) for i, col in enumerate(columns)], else_=0)


@_memoized
def composition(
    stages: Table,
    groups: Table,
    *,
    kinds: Iterable[str],
    dates: Sequence[dt.date],
    dimension: str,
    by: Sequence[str] = (),
) -> Table:
    """Distinct people with an active spell of ``kinds`` on each of ``dates``, by group.

    Columns: ``as_of, *by, group, count``. One query for all dates: each spell is read
    once and flagged for every date it covers; a person counts once per date (and ``by``
    group) however many spells they hold. Reported cells: every date x every ``by``
    combination with at least one person on at least one of the dates x every group of
    ``dimension`` (the groups in ``groups`` plus ``unknown``), count 0 where empty. So
    with no ``by`` the table always has len(dates) x len(groups) rows.
    """
    chosen = _check_kinds(kinds, SPELL_KINDS, "composition")
    cols = _check_by(by)
    _check_dimension(dimension, "composition")
    days = sorted(set(dates))
    if not days:
        raise ValueError("composition: no dates given")
    first = ibis.literal(days[0], type="date")
    last = ibis.literal(days[-1], type="date")
    spells = stages.filter(
        stages.kind.isin(chosen)
        & (stages.start_date <= last)
        & (stages.end_date.isnull() | (stages.end_date > first))
    )
    # Each spell's dates as bits of integers (62 dates per mask), OR-ed per person: one
    # integer aggregate per person instead of one flag per date, and then a count per
    # (group, masks) -- a few hundred rows -- instead of one count per date.
    chunks = [days[i : i + _MASK_BITS] for i in range(0, len(days), _MASK_BITS)]
    masks = [f"mask_{k}" for k in range(len(chunks))]
    per_person = spells.group_by(["person_id", *cols]).agg(
        **{m: _cover_mask(spells, chunk).bit_or() for m, chunk in zip(masks, chunks, strict=True)}
    )
    people = _with_group(per_person, groups, dimension)
    counts = people.group_by([*cols, "group", *masks]).agg(n=people.count())
    date_table = _constant_table(
        {
            "as_of": (days, "date"),
            "chunk": ([i // _MASK_BITS for i in range(len(days))], "int64"),
            "bit": ([2 ** (i % _MASK_BITS) for i in range(len(days))], "int64"),
        }
    )
    long = counts.cross_join(date_table)
    on_day = long.filter((_pick(long.chunk, [long[m] for m in masks]) & long.bit) != 0)
    per_day = on_day.group_by(["as_of", *cols, "group"]).agg(count=on_day.n.sum())
    present = None
    if cols:  # the by combinations with someone on some date
        present = _present(per_day, cols)
    grid = _grid(present, [_group_domain(groups, dimension), date_table.select("as_of")])
    cells = grid.left_join(
        per_day,
        [
            *_null_safe_equal(grid, per_day, cols),
            grid["group"] == per_day["group"],
            grid.as_of == per_day.as_of,
        ],
    )
    out = cells.select(
        grid.as_of,
        *[grid[c] for c in cols],
        grid["group"],
        grid.group_order,
        count=per_day["count"].fill_null(0).cast("int64"),
    )
    return out.order_by(["as_of", *cols, "group_order", "group"]).drop("group_order")


_MASK_BITS: Final = 62  # dates per int64 mask (bit 63 is the sign)


def _cover_mask(spells: Table, days: Sequence[dt.date]) -> Value:
    """Bit i set when the spell is active on ``days[i]`` (``days`` sorted, at most 62).

    The covered dates are a run: from the first date on or after the start (``lo``) to the
    last date before the end (exclusive; null: still running), so the mask is
    2**hi - 2**lo with ``hi`` the first date on or after the end.
    """
    top = ibis.literal(2 ** len(days), type="int64")
    low = ibis.cases(
        *[
            (spells.start_date <= ibis.literal(d, type="date"), ibis.literal(2**i, type="int64"))
            for i, d in enumerate(days)
        ],
        else_=top,
    )
    high = ibis.cases(
        (spells.end_date.isnull(), top),
        *[
            (spells.end_date <= ibis.literal(d, type="date"), ibis.literal(2**i, type="int64"))
            for i, d in enumerate(days)
        ],
        else_=top,
    )
    return ibis.ifelse(high > low, high - low, 0).cast("int64")


@_memoized
def flows_by(
    stages: Table,
    groups: Table,
    *,
    kinds: Iterable[str],
    years: range,
    dimension: str,
) -> Table:
    """Distinct people per academic year with an event of each of ``kinds``, by group.

    ``kinds`` are :data:`FLOW_KINDS` (several in one query), with the year rule and the
    offer outcomes of :func:`flows`. Columns: ``year, kind, group, people``; every year x
    kind (in the order given) x group of ``dimension`` is reported, 0 where empty.
    """
    chosen = _check_kinds(kinds, FLOW_KINDS, "flows_by")
    if len(set(chosen)) != len(chosen):
        raise ValueError(f"flows_by: repeated kinds {chosen}")
    _check_dimension(dimension, "flows_by")
    year_list = list(years)
    if not year_list:
        raise ValueError("flows_by: no years given")
    read = sorted({"offer" if k.startswith("offer_") else k for k in chosen})
    rows = stages.filter(stages.kind.isin(read))
    dated = rows.select(
        "person_id",
        "kind",
        outcome=rows.outcome.fill_null("").lower(),
        year=_academic_year(rows),
    )
    dated = dated.filter(_in_years(dated.year, years))

    def happened(kind: str) -> BooleanValue:
        if kind in ("offer_accepted", "offer_declined"):
            return (dated.kind == "offer") & (dated.outcome == kind.removeprefix("offer_"))
        return dated.kind == kind

    flags = [f"kind_{i}" for i in range(len(chosen))]
    per_person = dated.group_by(["person_id", "year"]).agg(
        **{f: happened(k).any() for f, k in zip(flags, chosen, strict=True)}
    )
    people = _with_group(per_person, groups, dimension)
    counts = people.group_by(["year", "group"]).agg(
        **{f: people.count(where=people[f]) for f in flags}
    )
    year_table = _constant_table({"year": (year_list, "int64")})
    grid = year_table.cross_join(_group_domain(groups, dimension))
    cells = grid.left_join(
        counts, [grid.year == counts.year, grid["group"] == counts["group"]]
    ).select(
        grid.year,
        grid["group"],
        grid.group_order,
        **{f: counts[f].fill_null(0) for f in flags},
    )
    kind_table = _constant_table({"kind": (chosen, "string")}, index="kind_index")
    long = cells.cross_join(kind_table)
    out = long.select(
        "year",
        "kind",
        "group",
        "group_order",
        "kind_index",
        people=_pick(long.kind_index, [long[f] for f in flags]).cast("int64"),
    )
    return out.order_by(["year", "kind_index", "group_order", "group"]).drop(
        "group_order", "kind_index"
    )


@_memoized
def funnel_by(stages: Table, groups: Table, *, cycle: int, dimension: str) -> Table:
    """The admissions funnel of one cycle by group (the step rules of :func:`funnel`).

    Columns: ``group, applicants, interviewed, offered, accepted, matriculated``; every
    group of ``dimension`` is reported, 0 where empty.
    """
    _check_dimension(dimension, "funnel_by")
    people = _with_group(_funnel_people(stages, cycle), groups, dimension)
    agg = people.group_by("group").agg(**{step: people[step].sum() for step in FUNNEL_STEPS})
    domain = _group_domain(groups, dimension)
    joined = domain.left_join(agg, domain["group"] == agg["group"])
    out = joined.select(
        domain["group"],
        domain.group_order,
        **{step: agg[step].fill_null(0).cast("int64") for step in FUNNEL_STEPS},
    )
    return out.order_by(["group_order", "group"]).drop("group_order")


@_memoized
def kaplan_meier_by(
    stages: Table,
    groups: Table,
    *,
    start_kind: str,
    event_kind: str,
    dimension: str,
    horizon_years: float,
    as_of: dt.date,
) -> Table:
    """:func:`kaplan_meier` by the groups of ``dimension`` (same rules, same columns).

    Columns: ``group, time_days, time_years, n_at_risk, events, censored, survival,
    greenwood, variance``; one curve per group that has at least one person at risk
    (a survival curve has no zero cells), ordered like the other measures.
    """
    _check_dimension(dimension, "kaplan_meier_by")
    persons = _km_times(
        stages,
        start_kind=start_kind,
        event_kind=event_kind,
        horizon_years=horizon_years,
        as_of=as_of,
        what="kaplan_meier_by",
    )
    return _km_curve(_with_group(persons, groups, dimension), "group", None)


@_memoized
def intersection_by(
    stages: Table,
    groups: Table,
    *,
    kinds: Iterable[str],
    as_of: dt.date,
    dimensions: Sequence[str],
    by: Sequence[str] = (),
) -> Table:
    """Headcount on ``as_of`` for every combination of the groups of several dimensions.

    Columns: ``*by``, one column per dimension named by the dimension (its group), and
    ``count``. Reported cells: every ``by`` combination present among the active people x
    every combination of the groups of each dimension (see above), 0 where empty.
    """
    chosen = _check_kinds(kinds, SPELL_KINDS, "intersection_by")
    cols = _check_by(by)
    dims = list(dimensions)
    if not dims:
        raise ValueError("intersection_by: no dimensions given")
    reserved = _RESERVED | GROUP_COLUMNS | set(BY_COLUMNS)
    bad = [d for d in dims if not d.isidentifier() or d in reserved or d.endswith("_order")]
    if bad or len(set(dims)) != len(dims):
        raise ValueError(f"intersection_by: unusable or repeated dimensions {dims}")
    on = ibis.literal(as_of, type="date")
    active = stages.filter(_active(stages, chosen, on))
    population = active.select("person_id", *cols).distinct()
    for dim in dims:
        population = _with_group(population, groups, dim, column=dim)
    counts = population.group_by([*cols, *dims]).agg(count=population.count())
    grid = _grid(_present(counts, cols), [_group_domain(groups, d, column=d) for d in dims])
    joined = grid.left_join(
        counts, [*_null_safe_equal(grid, counts, cols), *[grid[d] == counts[d] for d in dims]]
    )
    ranks = [f"{d}_order" for d in dims]
    out = joined.select(
        *[grid[c] for c in cols],
        *[grid[d] for d in dims],
        *[grid[r] for r in ranks],
        count=counts["count"].fill_null(0).cast("int64"),
    )
    keys = [k for d, r in zip(dims, ranks, strict=True) for k in (r, d)]
    return out.order_by([*cols, *keys]).drop(*ranks)


# --------------------------------------------------------------------------- 5 parity

PARITY_MIN_TOTAL: Final = 30
PARITY_MIN_EXPECTED: Final = 5.0


@dataclass(frozen=True, slots=True)
class Parity:
    """Representation ratio (share / benchmark share) with its interval.

    When ``too_few`` is true the numbers are still given to analysts, but must not be
    shown as a finding: the UI says "too few to tell".
    """

    count: int
    total: int
    benchmark_share: float
    share: float
    ratio: float
    low: float
    high: float
    confidence: float
    too_few: bool


def parity(count: int, total: int, benchmark_share: float, *, confidence: float = 0.95) -> Parity:
    """Representation ratio = (count/total) / benchmark_share, Clopper-Pearson interval.

    The exact (Clopper-Pearson) interval for the share is divided by the benchmark share
    (the benchmark, e.g. a state or national population, is treated as known). It is
    conservative: coverage is at least ``confidence``, so it never overstates certainty.
    Its bounds are quantiles of beta distributions (``Beta(k, n-k+1)`` and
    ``Beta(k+1, n-k)``), computed directly rather than by root-finding on the binomial
    distribution (scipy's ``binomtest(...).proportion_ci``, which agrees to its tolerance,
    about 1e-5 relative, and takes 20 times longer).

    ``too_few`` rule: ``total < 30`` or expected count ``total * benchmark_share < 5``.
    """
    if total < 0 or count < 0 or count > total:
        raise ValueError("parity: need 0 <= count <= total")
    if not 0 < benchmark_share <= 1:
        raise ValueError("parity: benchmark_share must be in (0, 1]")
    if not 0 < confidence < 1:
        raise ValueError("parity: confidence must be between 0 and 1")
    too_few = total < PARITY_MIN_TOTAL or total * benchmark_share < PARITY_MIN_EXPECTED
    if total == 0:
        nan = math.nan
        return Parity(count, total, benchmark_share, nan, nan, 0.0, math.inf, confidence, True)
    share = count / total
    alpha = 1 - confidence
    low = float(stats.beta.ppf(alpha / 2, count, total - count + 1)) if count else 0.0
    high = float(stats.beta.ppf(1 - alpha / 2, count + 1, total - count)) if count < total else 1.0
    return Parity(
        count=count,
        total=total,
        benchmark_share=benchmark_share,
        share=share,
        ratio=share / benchmark_share,
        low=low / benchmark_share,
        high=high / benchmark_share,
        confidence=confidence,
        too_few=too_few,
    )


# --------------------------------------------------------------------------- 6 comparison

COMPARE_MIN_TOTAL: Final = 10
COMPARE_MIN_EXPECTED: Final = 1.0


@dataclass(frozen=True, slots=True)
class GroupComparison:
    """Share of group a minus share of group b, with Fisher's exact two-sided p-value."""

    a_share: float
    b_share: float
    difference: float
    p_value: float
    too_few: bool

    def significant(self, alpha: float = 0.05) -> bool:
        """True only for an informative comparison with p < alpha."""
        return not self.too_few and self.p_value < alpha


def compare_groups(a_count: int, a_total: int, b_count: int, b_total: int) -> GroupComparison:
    """Do two groups differ in the share having a trait? Fisher's exact test (two-sided).

    ``too_few`` rule: either group has fewer than 10 people, or the smallest expected
    cell of the 2x2 table (row total x column total / n) is below 1 -- the test then has
    next to no power, so "not significant" would be read as "no difference". An exact
    test is used throughout; nothing is approximated into significance.
    """
    for c, t in ((a_count, a_total), (b_count, b_total)):
        if t < 0 or c < 0 or c > t:
            raise ValueError("compare_groups: need 0 <= count <= total for both groups")
    if a_total == 0 or b_total == 0:
        nan = math.nan
        return GroupComparison(nan, nan, nan, 1.0, True)
    table = [[a_count, a_total - a_count], [b_count, b_total - b_count]]
    n = a_total + b_total
    with_trait = a_count + b_count
    expected = [r * c / n for r in (a_total, b_total) for c in (with_trait, n - with_trait)]
    too_few = min(a_total, b_total) < COMPARE_MIN_TOTAL or min(expected) < COMPARE_MIN_EXPECTED
    result: Any = stats.fisher_exact(table, alternative="two-sided")
    a_share = a_count / a_total
    b_share = b_count / b_total
    return GroupComparison(
        a_share=a_share,
        b_share=b_share,
        difference=a_share - b_share,
        p_value=float(result.pvalue),
        too_few=too_few,
    )


# --------------------------------------------------------------------------- 10 per person
#
# The snapshot is a derived store, rebuilt after every import, so it also holds tables
# computed once per refresh (:func:`person_tables`; ``ristra.people.snapshot`` writes them)
# that turn the dashboard measures into small aggregations over one row per person
# instead of a pass over spells and a join per dimension:
#
# ``person_kinds`` -- one row per person per spell kind they held:
#   ``person_id, kind``; ``census_mask`` (bit i set when a spell of that kind was active on
#   ``CENSUS_CALENDAR[i]``, October 1 of 1990 + i); ``first_start`` / ``last_start`` (the
#   earliest and latest start of those spells); ``last_end`` (the latest end, null when a
#   spell is still running); ``after:<stage kind>`` for every stage kind (the first date
#   of a stage of that kind on or after ``first_start``, null when none) and
#   ``group:<dimension>`` for every dimension (the person's group, ``unknown`` without one).
# ``person_years`` -- the distinct (person, kind, academic year) of every stage, with the
#   year rule of :func:`flows` (the cycle for admissions stages, rows without a year left
#   out) and the offer outcomes as kinds of their own (``offer_accepted`` and
#   ``offer_declined``), with the same ``group:<dimension>`` columns.
# ``dimension_groups`` -- ``dimension, group``: the groups each dimension reports (see
#   "Which groups are reported" above).
#
# The ``*_people`` measures read them and give exactly the results of the measures over
# ``stages`` and ``groups`` (the tests compare them on random data, on DuckDB and on
# PostgreSQL). :func:`composition_people` answers for dates of the census calendar only
# (:func:`census_calendar_covers`); the caller uses :func:`composition` for others.

CENSUS_FIRST_YEAR: Final = 1990
CENSUS_CALENDAR: Final = tuple(dt.date(CENSUS_FIRST_YEAR + i, 10, 1) for i in range(_MASK_BITS))
PERSON_TABLES: Final = ("person_kinds", "person_years", "dimension_groups")
_FUNNEL_KINDS: Final = {
    "applicants": "application",
    "interviewed": "interview",
    "offered": "offer",
    "accepted": "offer_accepted",
    "matriculated": "matriculation",
}
_CALENDAR_BIT: Final = {d: 2**i for i, d in enumerate(CENSUS_CALENDAR)}


def group_column(dimension: str) -> str:
    """The column of the per-person tables holding the person's group in ``dimension``."""
    return f"group:{dimension}"


def after_column(kind: str) -> str:
    """The column of ``person_kinds`` holding the first ``kind`` stage after the first start."""
    return f"after:{kind}"


def census_calendar_covers(dates: Iterable[dt.date]) -> bool:
    """True when every date is in :data:`CENSUS_CALENDAR` (``composition_people`` answers)."""
    days = list(dates)
    return bool(days) and all(d in _CALENDAR_BIT for d in days)


def person_tables(stages: Table, groups: Table, *, dimensions: Sequence[str]) -> dict[str, Table]:
    """The per-person tables (see above) of a snapshot's ``stages`` and ``groups``.

    ``groups`` (:data:`GROUPS_SCHEMA`, one row per person per dimension) may include
    school categories turned into dimensions by :func:`category_groups`. ``dimensions``
    are the dimensions to write as columns. Executed once per refresh, not per query.
    """
    dims = list(dict.fromkeys(dimensions))
    if dims:
        wide = groups.group_by("person_id").agg(
            **{group_column(d): groups.group.max(where=groups.dimension == d) for d in dims}
        )
    else:
        wide = groups.select("person_id").distinct()

    def with_groups(table: Table) -> Table:
        joined = table.left_join(wide, table.person_id == wide.person_id)
        return joined.select(
            *[table[c] for c in table.columns],
            **{group_column(d): wide[group_column(d)].fill_null(UNKNOWN) for d in dims},
        )

    spells = stages.filter(stages.kind.isin(sorted(SPELL_KINDS)))
    per_kind = spells.group_by(["person_id", "kind"]).agg(
        census_mask=_cover_mask(spells, CENSUS_CALENDAR).bit_or(),
        first_start=spells.start_date.min(),
        last_start=spells.start_date.max(),
        last_end=spells.end_date.max(),
        running=spells.end_date.isnull().any(),
    )
    firsts = per_kind.select("person_id", "kind", "first_start")
    events = stages.select(
        event_person=stages.person_id, event_kind=stages.kind, event_date=stages.start_date
    )
    later = firsts.join(
        events,
        [firsts.person_id == events.event_person, events.event_date >= firsts.first_start],
    )
    after = later.group_by(["person_id", "kind"]).agg(
        **{after_column(k): later.event_date.min(where=later.event_kind == k) for k in STAGE_KINDS}
    )
    kinds = per_kind.left_join(
        after, [per_kind.person_id == after.person_id, per_kind.kind == after.kind]
    ).select(
        per_kind.person_id,
        per_kind.kind,
        per_kind.census_mask,
        per_kind.first_start,
        per_kind.last_start,
        last_end=ibis.ifelse(per_kind.running, ibis.null("date"), per_kind.last_end),
        **{after_column(k): after[after_column(k)] for k in STAGE_KINDS},
    )

    year = _academic_year(stages)
    plain = stages.select("person_id", "kind", year=year)
    outcome = stages.outcome.fill_null("").lower()
    offers = stages.filter((stages.kind == "offer") & outcome.isin(["accepted", "declined"]))
    by_outcome = offers.select(
        "person_id",
        kind=ibis.literal("offer_") + offers.outcome.fill_null("").lower(),
        year=_academic_year(offers),
    )
    years = plain.union(by_outcome, distinct=True)
    years = years.filter(years.year.notnull())

    domain = groups.select("dimension", group=groups.group.fill_null(UNKNOWN))
    if dims:  # unknown is reported for every dimension, whether anyone is unknown or not
        unknown = _constant_table({"dimension": (dims, "string")})
        domain = domain.union(unknown.mutate(group=ibis.literal(UNKNOWN)), distinct=True)
    else:
        domain = domain.distinct()
    return {
        "person_kinds": with_groups(kinds).order_by(["kind", "person_id"]),
        "person_years": with_groups(years).order_by(["kind", "year", "person_id"]),
        "dimension_groups": domain.order_by(["dimension", "group"]),
    }


def _people_group(table: Table, dimension: str, what: str) -> str:
    _check_dimension(dimension, what)
    column = group_column(dimension)
    if column not in table.columns:
        raise ValueError(f"{what}: the snapshot has no per-person column for {dimension!r}")
    return column


def _domain(dimension_groups: Table, dimension: str) -> Table:
    """``group, group_order`` of ``dimension`` from ``dimension_groups`` (as _group_domain)."""
    rows = dimension_groups.filter(dimension_groups.dimension == dimension)
    return rows.select("group", group_order=_indicator(rows["group"] == UNKNOWN))


def composition_people(
    person_kinds: Table,
    dimension_groups: Table,
    *,
    kinds: Iterable[str],
    dates: Sequence[dt.date],
    dimension: str,
) -> Query:
    """:func:`composition` (no ``by``) from the per-person tables: same columns and rows.

    ``dates`` must be census dates (:func:`census_calendar_covers`). Each person's spells
    of a kind are one row with the bits of the census dates they cover, so this counts
    people per (group, bits of the dates asked) and expands the bits to dates. The dates
    are bound values of the statement (one statement serves every choice of dates).
    """
    chosen = _check_kinds(kinds, SPELL_KINDS, "composition_people")
    column = _people_group(person_kinds, dimension, "composition_people")
    days = sorted(set(dates))
    if not census_calendar_covers(days):
        raise ValueError(
            "composition_people: every date must be October 1 of "
            f"{CENSUS_FIRST_YEAR}-{CENSUS_CALENDAR[-1].year}; use composition for others"
        )

    def build(values: Mapping[str, Value]) -> Table:
        return _composition_people(
            person_kinds,
            dimension_groups,
            chosen=chosen,
            column=column,
            dimension=dimension,
            wanted=values["wanted"],
            dates=values["dates"],
        )

    return _query(
        "composition_people",
        build,
        tables=(person_kinds, dimension_groups),
        shape={"kinds": chosen, "dimension": dimension},
        values={
            "wanted": ("int64", sum(_CALENDAR_BIT[d] for d in days)),
            "dates": ("array<date>", days),
        },
    )


def _composition_people(
    person_kinds: Table,
    dimension_groups: Table,
    *,
    chosen: Sequence[str],
    column: str,
    dimension: str,
    wanted: Value,
    dates: Value,
) -> Table:
    rows = person_kinds.filter(person_kinds.kind.isin(list(chosen)))
    rows = rows.select("person_id", group=rows[column], mask=rows.census_mask & wanted)
    if len(chosen) > 1:  # a person with spells of two kinds on a date counts once
        rows = rows.group_by(["person_id", "group"]).agg(mask=rows.mask.bit_or())
    rows = rows.filter(rows.mask != 0)
    counts = rows.group_by(["group", "mask"]).agg(n=rows.count())
    # The dates as an unnested array, each with its bit: 2 ** (years since the first), a
    # power of two and so exact in floating point.
    dated = dates.unnest().name("as_of").as_table()
    offset = dated.as_of.year() - CENSUS_FIRST_YEAR
    date_table = dated.mutate(bit=(ibis.literal(2.0) ** offset).cast("int64"))
    grid = _domain(dimension_groups, dimension).cross_join(date_table)
    cells = grid.left_join(
        counts, [grid["group"] == counts["group"], (counts.mask & grid.bit) != 0]
    ).select(grid.as_of, grid["group"], grid.group_order, n=counts.n)
    per_day = cells.group_by(["as_of", "group", "group_order"]).agg(
        count=cells.n.sum().fill_null(0).cast("int64")
    )
    return per_day.order_by(["as_of", "group_order", "group"]).drop("group_order")


def flows_people(
    person_years: Table,
    dimension_groups: Table,
    *,
    kinds: Iterable[str],
    years: range,
    dimension: str,
) -> Query:
    """:func:`flows_by` from the per-person tables: same columns and rows.

    The years are bound values of the statement (one statement serves every range).
    """
    chosen = _check_kinds(kinds, FLOW_KINDS, "flows_people")
    if len(set(chosen)) != len(chosen):
        raise ValueError(f"flows_people: repeated kinds {chosen}")
    column = _people_group(person_years, dimension, "flows_people")
    year_list = list(years)
    if not year_list:
        raise ValueError("flows_people: no years given")

    def build(values: Mapping[str, Value]) -> Table:
        # Rows between the first and the last year; the grid of the years asked keeps
        # exactly those (a range with a step leaves the others out).
        rows = person_years.filter(
            person_years.kind.isin(chosen)
            & person_years.year.between(values["first_year"], values["last_year"])
        )
        counts = rows.group_by(["year", "kind", column]).agg(people=rows.count())
        year_table = values["years"].unnest().name("year").as_table()
        kind_table = _constant_table({"kind": (chosen, "string")}, index="kind_index")
        grid = year_table.cross_join(kind_table).cross_join(_domain(dimension_groups, dimension))
        cells = grid.left_join(
            counts,
            [
                grid.year == counts.year,
                grid.kind == counts.kind,
                grid["group"] == counts[column],
            ],
        )
        out = cells.select(
            grid.year,
            grid.kind,
            grid["group"],
            grid.group_order,
            grid.kind_index,
            people=counts.people.fill_null(0).cast("int64"),
        )
        return out.order_by(["year", "kind_index", "group_order", "group"]).drop(
            "group_order", "kind_index"
        )

    return _query(
        "flows_people",
        build,
        tables=(person_years, dimension_groups),
        shape={"kinds": chosen, "dimension": dimension},
        values={
            "years": ("array<int64>", year_list),
            "first_year": ("int64", min(year_list)),
            "last_year": ("int64", max(year_list)),
        },
    )


def funnel_people(
    person_years: Table, dimension_groups: Table, *, cycle: int, dimension: str
) -> Query:
    """:func:`funnel_by` from the per-person tables: same columns and rows.

    The cycle is a bound value of the statement.
    """
    column = _people_group(person_years, dimension, "funnel_people")

    def build(values: Mapping[str, Value]) -> Table:
        rows = person_years.filter(
            (person_years.year == values["cycle"])
            & person_years.kind.isin(list(_FUNNEL_KINDS.values()))
        )
        agg = rows.group_by(column).agg(
            **{step: rows.count(where=rows.kind == kind) for step, kind in _FUNNEL_KINDS.items()}
        )
        domain = _domain(dimension_groups, dimension)
        joined = domain.left_join(agg, domain["group"] == agg[column])
        out = joined.select(
            domain["group"],
            domain.group_order,
            **{step: agg[step].fill_null(0).cast("int64") for step in FUNNEL_STEPS},
        )
        return out.order_by(["group_order", "group"]).drop("group_order")

    return _query(
        "funnel_people",
        build,
        tables=(person_years, dimension_groups),
        shape={"dimension": dimension},
        values={"cycle": ("int64", int(cycle))},
    )


def kaplan_meier_people(
    person_kinds: Table,
    stages: Table,
    *,
    start_kind: str,
    event_kind: str,
    dimension: str,
    horizon_years: float,
    as_of: dt.date,
) -> Query:
    """The people at risk of :func:`kaplan_meier_by`, by group and time, from the per-person tables.

    Columns: ``group, time_days, events, leaving`` (people whose time is ``time_days``,
    with and without the event), one row per group and time, unordered. :func:`km_curve`
    turns the executed table into exactly the curve of :func:`kaplan_meier_by` (same
    columns, rows and order): the engine reduces the people to at most groups x horizon
    days rows, and the product-limit arithmetic over those rows (two running sums per
    group) is done in polars, like :func:`km_confidence_band`.

    A person whose spells of ``start_kind`` all began by ``as_of`` is read from
    ``person_kinds`` alone (origin, end of observation and first event are columns); the
    few with a spell beginning after ``as_of`` are computed from ``stages`` as
    :func:`kaplan_meier_by` does. ``as_of`` and the horizon are bound values of the
    statement.
    """
    _check_kinds([start_kind], SPELL_KINDS, "kaplan_meier_people start")
    _check_kinds([event_kind], STAGE_KINDS, "kaplan_meier_people event")
    column = _people_group(person_kinds, dimension, "kaplan_meier_people")
    horizon_days = _km_horizon(start_kind, event_kind, horizon_years, "kaplan_meier_people")

    def build(values: Mapping[str, Value]) -> Table:
        snapshot, horizon = values["as_of"], values["horizon_days"]
        rows = person_kinds.filter(
            (person_kinds.kind == start_kind) & (person_kinds.first_start <= snapshot)
        )
        settled = rows.filter(rows.last_start <= snapshot)
        event_date = settled[after_column(event_kind)]
        event_days = ibis.ifelse(
            event_date <= snapshot,
            event_date.delta(settled.first_start, unit="day"),
            ibis.null("int64"),
        )
        seen_until = ibis.least(settled.last_end.fill_null(snapshot), snapshot)
        censor_days = seen_until.delta(settled.first_start, unit="day")
        has_event = event_days.notnull() & (event_days <= horizon)
        fast = settled.select(
            "person_id",
            time_days=ibis.ifelse(has_event, event_days, ibis.least(censor_days, horizon)).cast(
                "int64"
            ),
            event=_indicator(has_event),
            group=settled[column],
        )
        pending = rows.filter(rows.last_start > snapshot).select("person_id", group=rows[column])
        slow_times = _km_person_times(
            stages.semi_join(pending, "person_id"),
            start_kind=start_kind,
            event_kind=event_kind,
            horizon=horizon,
            snapshot=snapshot,
        )
        slow = slow_times.join(pending, "person_id").select(
            "person_id", "time_days", "event", "group"
        )
        persons = fast.union(slow)
        return persons.group_by(["group", "time_days"]).agg(
            events=persons.event.sum().cast("int64"), leaving=persons.count()
        )

    return _query(
        "kaplan_meier_people",
        build,
        tables=(person_kinds, stages),
        shape={"start_kind": start_kind, "event_kind": event_kind, "dimension": dimension},
        values={"as_of": ("date", as_of), "horizon_days": ("int64", horizon_days)},
    )


def km_curve(at_time: pl.DataFrame) -> pl.DataFrame:
    """The Kaplan-Meier curve of an executed :func:`kaplan_meier_people` table.

    The same numbers, columns and order as :func:`kaplan_meier_by` (see
    :func:`kaplan_meier` for the definitions): groups alphabetically with ``unknown``
    last, times ascending; survival as exp of the running sum of ln(1 - d/n), 0 from the
    first time where every person at risk has the event.
    """
    frame = at_time.with_columns(
        pl.col("time_days").cast(pl.Int64),
        pl.col("events").cast(pl.Int64),
        pl.col("leaving").cast(pl.Int64),
        _last=(pl.col("group") == UNKNOWN),
    ).sort(["_last", "group", "time_days"])
    n_at_risk = pl.col("leaving").cum_sum(reverse=True).over("group")
    frame = frame.with_columns(n_at_risk=n_at_risk)
    n = pl.col("n_at_risk").cast(pl.Float64)
    d = pl.col("events").cast(pl.Float64)
    below = pl.col("events") < pl.col("n_at_risk")
    safe = pl.when(below).then(n - d).otherwise(1.0)
    frame = frame.with_columns(
        _log=pl.when(below).then((safe / n).log()).otherwise(0.0),
        _gw=pl.when(below).then(d / (n * safe)).otherwise(0.0),
        _wiped=~below,
    ).with_columns(
        _cum_log=pl.col("_log").cum_sum().over("group"),
        greenwood=pl.col("_gw").cum_sum().over("group"),
        _ever_wiped=pl.col("_wiped").cum_max().over("group"),
    )
    survival = pl.when(pl.col("_ever_wiped")).then(0.0).otherwise(pl.col("_cum_log").exp())
    return frame.select(
        "group",
        "time_days",
        time_years=pl.col("time_days").cast(pl.Float64) / _DAYS_PER_YEAR,
        n_at_risk="n_at_risk",
        events="events",
        censored=pl.col("leaving") - pl.col("events"),
        survival=survival,
        greenwood="greenwood",
        variance=survival * survival * pl.col("greenwood"),
    )
