"""Fast, plain inserts for the import path.

Django's ``bulk_create`` builds a model instance per row, which caps an import at a few
thousand rows a second. Imports write hundreds of thousands of rows, so they go through
``executemany`` on the table directly, inside the caller's transaction. Primary keys are
allocated up front so the caller can link rows without reading them back.
"""

from __future__ import annotations

import queue
import sqlite3
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import chain
from typing import Any

import polars as pl
from django.db import DEFAULT_DB_ALIAS, connection, connections, models
from django.db.backends.base.base import BaseDatabaseWrapper


class IdAllocator:
    """Primary keys for a model's new rows, reserved inside the write transaction.

    PostgreSQL hands them out from the table's sequence. On SQLite the IMMEDIATE
    transaction holds the write lock, so once the largest key is read the next ones are
    counted here: later calls need not wait for earlier inserts to be written. The first
    call must come after every earlier insert into the table is written (``primed`` tells
    whether it has happened).
    """

    def __init__(self, model: type[models.Model]) -> None:
        self.model = model
        self.next: int | None = None

    @property
    def primed(self) -> bool:
        return self.next is not None or connection.vendor == "postgresql"

    def take(self, count: int) -> list[int]:
        if count <= 0:
            return []
        table = self.model._meta.db_table
        pk_column = self.model._meta.pk.column  # type: ignore[union-attr]
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(
                    "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                    [table, pk_column, count],
                )
                return [row[0] for row in cursor.fetchall()]
            if self.next is None:
                quoted = connection.ops.quote_name(table)
                cursor.execute(f"SELECT COALESCE(MAX({pk_column}), 0) FROM {quoted}")  # noqa: S608
                self.next = int(cursor.fetchone()[0]) + 1
        start, self.next = self.next, self.next + count
        return list(range(start, start + count))


def insert_rows(
    model: type[models.Model],
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]] | pl.DataFrame,
    *,
    chunk: int = 20_000,
) -> int:
    """Write ``rows`` (tuples in ``columns`` order, or a frame of those columns) into the
    model's table.

    PostgreSQL gets one COPY; SQLite gets ``executemany`` in chunks. A frame's rows go
    straight from polars to the driver, without a Python loop over them.
    """
    return _insert(connection, model, columns, rows, chunk=chunk)


def _sqlite_literal(value: Any) -> str | None:
    """``value`` as an SQLite literal, if simple (the statement goes to the driver as is)."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str) and "\x00" not in value:
        return "'" + value.replace("'", "''") + "'"
    return None


def _constants(frame: pl.DataFrame) -> dict[str, str]:
    """Columns holding one value in every row, as SQL literals (at least one column left)."""
    out: dict[str, str] = {}
    if frame.height < 2:
        return out
    for name in frame.columns[1:]:
        column = frame.get_column(name)
        nulls = column.null_count()
        if nulls == frame.height:
            out[name] = "NULL"
            continue
        simple = column.dtype in (pl.String, pl.Boolean) or column.dtype.is_integer()
        first = column.item(0)
        if simple and not nulls and first == column.item(-1) and column.n_unique() == 1:
            literal = _sqlite_literal(first)
            if literal is not None:
                out[name] = literal
    return out


def _insert(
    conn: BaseDatabaseWrapper,
    model: type[models.Model],
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]] | pl.DataFrame,
    *,
    chunk: int = 20_000,
) -> int:
    table = conn.ops.quote_name(model._meta.db_table)
    cols = ", ".join(conn.ops.quote_name(c) for c in columns)
    if isinstance(rows, pl.DataFrame):
        if not rows.height:
            return 0
        if rows.width != len(columns):
            raise ValueError(f"{rows.width} frame columns for {len(columns)} table columns")
    total = 0
    with conn.cursor() as cursor:
        if conn.vendor == "postgresql":
            # COPY streams rows in one command: several times faster than INSERTs.
            source = rows.iter_rows() if isinstance(rows, pl.DataFrame) else rows
            with (
                conn.wrap_database_errors,
                cursor.cursor.copy(f"COPY {table} ({cols}) FROM STDIN") as copy,
            ):
                for row in source:
                    copy.write_row(row)
                    total += 1
            return total
        if isinstance(rows, pl.DataFrame):
            statement, params = _sqlite_statement(conn, model, columns, rows)
            _execute(conn, model, statement, params)
            return rows.height
        marks = ", ".join(["%s"] * len(columns))
        sql = f"INSERT INTO {table} ({cols}) VALUES ({marks})"  # noqa: S608
        buffer: list[Sequence[Any]] = []
        for row in rows:
            buffer.append(row)
            if len(buffer) >= chunk:
                cursor.executemany(sql, buffer)
                total += len(buffer)
                buffer = []
        if buffer:
            cursor.executemany(sql, buffer)
            total += len(buffer)
    return total


@dataclass(frozen=True)
class _SqliteInsert:
    """An INSERT of up to ``per`` rows per statement: ``head`` + ``row`` repeated (qmark)."""

    head: str
    row: str
    width: int  # parameters per row (at least one)
    per: int

    def sql(self, rows: int) -> str:
        return self.head + ", ".join([self.row] * rows)


# Rows per INSERT statement on SQLite. One statement of a few hundred rows costs less than
# half of what as many single-row executions (executemany) cost: the statement is set up,
# stepped and reset once, and the table's AUTOINCREMENT counter is read and written once.
ROWS_PER_STATEMENT = 500

# Values the planning thread may queue ahead of the SQLite writer (about two 20,000-row
# chunks of a wide export): enough to keep the writer busy, small enough for memory.
MAX_PENDING_VALUES = 1_500_000


def _sqlite_statement(
    conn: BaseDatabaseWrapper, model: type[models.Model], columns: Sequence[str], rows: pl.DataFrame
) -> tuple[_SqliteInsert, list[list[Any]]]:
    """The INSERT for a frame's rows, and its parameters: one flat list per statement.

    Values shared by every row (the batch, the source, empty fields) are written into the
    statement once instead of being converted and bound for each row.
    """
    constants = _constants(rows)
    names = dict(zip(rows.columns, columns, strict=True))
    varying = [c for c in rows.columns if c not in constants]
    targets = [names[c] for c in varying] + [names[c] for c in constants]
    values = ["?"] * len(varying) + list(constants.values())
    conn.ensure_connection()
    limit = conn.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    per = max(1, min(ROWS_PER_STATEMENT, limit // max(1, len(varying))))
    statement = _SqliteInsert(
        head=(
            f"INSERT INTO {conn.ops.quote_name(model._meta.db_table)}"  # noqa: S608
            f" ({', '.join(conn.ops.quote_name(c) for c in targets)}) VALUES "
        ),
        row=f"({', '.join(values)})",
        width=len(varying),
        per=per,
    )
    frame = rows.select(varying)
    params = [
        list(chain.from_iterable(frame.slice(start, per).rows()))
        for start in range(0, frame.height, per)
    ]
    return statement, params


def _execute(
    conn: BaseDatabaseWrapper,
    model: type[models.Model],
    sql: _SqliteInsert,
    params: list[list[Any]],
) -> None:
    """Run the multi-row INSERTs, straight through the SQLite driver.

    The connection and its transaction are Django's; only Django's per-statement
    placeholder rewriting is skipped. Driver errors become Django's, as through a cursor.
    """
    full = sql.sql(sql.per)  # the same text each time: the driver reuses the compiled statement
    with conn.wrap_database_errors:
        cursor = conn.connection.cursor()
        try:
            for values in params:
                rows = len(values) // sql.width
                cursor.execute(full if rows == sql.per else sql.sql(rows), values)
        finally:
            cursor.close()


class BackgroundInserts:
    """Inserts written by a second thread while the caller goes on planning (SQLite).

    SQLite does its part of an insert without holding Python's GIL, so on a machine with
    two cores the writing of one chunk overlaps the planning of the next. The inserts run
    in the caller's transaction, on its connection (SQLite connections are serialised, so
    the caller may read other tables meanwhile), in the order they were added. Before the
    caller reads a table it calls ``wait(model)``, so what it reads includes every insert
    added before; ``wait()`` without a model waits for all of them, and must come before
    the transaction ends. On PostgreSQL each insert is written at once.

    The caller may run ahead of the writer by at most ``max_pending`` queued values:
    ``add`` blocks until the writer has caught up that far, so the memory held by queued
    parameters stays bounded whatever the size of the file.
    """

    def __init__(self, *, max_pending: int | None = None) -> None:
        self.conn: BaseDatabaseWrapper = connections[DEFAULT_DB_ALIAS]
        self.jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self.max_pending = MAX_PENDING_VALUES if max_pending is None else max_pending
        self.pending = 0  # values (cells) queued and not yet written
        self.room = threading.Condition()
        self.last: dict[type[models.Model], threading.Event] = {}
        self.thread: threading.Thread | None = None
        self.error: BaseException | None = None
        self.failed = False

    def add(self, model: type[models.Model], columns: Sequence[str], rows: pl.DataFrame) -> None:
        if self.conn.vendor != "sqlite":
            _insert(self.conn, model, columns, rows)
            return
        if not rows.height:
            return
        if self.thread is None:
            self.conn.inc_thread_sharing()
            self.thread = threading.Thread(target=self._write, daemon=True)
            self.thread.start()
        # The writer turns the frame into statements: most of the planning thread's time is
        # spent in polars, which lets go of the GIL, so the two overlap.
        size = rows.height * rows.width
        with self.room:
            self.room.wait_for(lambda: not self.pending or self.pending + size <= self.max_pending)
            self.pending += size
        done = threading.Event()
        self.last[model] = done
        self.jobs.put(_Job(model, list(columns), rows, done, size))

    def _write(self) -> None:
        while (job := self.jobs.get()) is not None:
            try:
                if not self.failed:  # after a failure the transaction is rolled back
                    sql, params = _sqlite_statement(self.conn, job.model, job.columns, job.rows)
                    _execute(self.conn, job.model, sql, params)
            except BaseException as exc:  # handed to the caller by wait()
                self.error, self.failed = exc, True
            finally:
                job.done.set()
                with self.room:
                    self.pending -= job.size
                    self.room.notify_all()

    def wait(self, model: type[models.Model] | None = None) -> None:
        """Block until the inserts added so far (into ``model``'s table) are written."""
        if model is not None:
            done = self.last.get(model)
            if done is not None:
                done.wait()
        elif self.thread is not None:
            self.jobs.put(None)
            self.thread.join()
            self.thread = None
            self.last = {}
            self.conn.dec_thread_sharing()
        if self.error is not None:
            error, self.error = self.error, None
            raise error


@dataclass
class _Job:
    model: type[models.Model]
    columns: list[str]
    rows: pl.DataFrame
    done: threading.Event
    size: int  # values (cells) queued


def chunked(values: Sequence[Any], size: int = 5000) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def fetch_all(
    model: type[models.Model], columns: Sequence[str], where_column: str, value: Any, *, limit: int
) -> list[tuple[Any, ...]] | None:
    """SELECT ``columns`` WHERE ``where_column`` = ``value``: the rows, or None if more than
    ``limit`` (then the caller looks rows up by value instead)."""
    table = connection.ops.quote_name(model._meta.db_table)
    select = ", ".join(connection.ops.quote_name(c) for c in columns)
    where = connection.ops.quote_name(where_column)
    sql = f"SELECT {select} FROM {table} WHERE {where} = %s LIMIT %s"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, [value, limit + 1])
        rows = cursor.fetchall()
    return None if len(rows) > limit else rows


def fetch_in(
    model: type[models.Model],
    columns: Sequence[str],
    where_column: str,
    values: Sequence[Any],
    *,
    extra_where: str = "",
    extra_params: Sequence[Any] = (),
    order_by: str = "",
    size: int = 5000,
) -> list[tuple[Any, ...]]:
    """SELECT ``columns`` FROM the model's table WHERE ``where_column`` IN ``values``.

    Plain SQL without Django's per-value and per-row conversions, for the import path.
    Columns named ``codes`` (JSON) come back as their text.
    """
    if not values:
        return []
    table = connection.ops.quote_name(model._meta.db_table)
    pg = connection.vendor == "postgresql"

    def column(name: str) -> str:
        quoted = connection.ops.quote_name(name)
        return f"{quoted}::text" if pg and name == "codes" else quoted

    select = ", ".join(column(c) for c in columns)
    where = connection.ops.quote_name(where_column)
    out: list[tuple[Any, ...]] = []
    with connection.cursor() as cursor:
        for part in chunked(list(values), size):
            marks = ", ".join(["%s"] * len(part))
            sql = f"SELECT {select} FROM {table} WHERE {where} IN ({marks})"  # noqa: S608
            if extra_where:
                sql += f" AND {extra_where}"
            if order_by:
                sql += f" ORDER BY {order_by}"
            cursor.execute(sql, [*part, *extra_params])
            out.extend(cursor.fetchall())
    return out
