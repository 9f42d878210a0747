"""Fast, plain inserts for the import path.

Django's ``bulk_create`` builds a model instance per row, which caps an import at a few
thousand rows a second. Imports write hundreds of thousands of rows, so they go through
``executemany`` on the table directly, inside the caller's transaction. Primary keys are
allocated up front so the caller can link rows without reading them back.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.db import connection, models


def allocate_ids(model: type[models.Model], count: int) -> list[int]:
    """Reserve ``count`` primary keys for ``model`` (call inside the write transaction)."""
    if count <= 0:
        return []
    table = model._meta.db_table
    pk_column = model._meta.pk.column  # type: ignore[union-attr]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [table, pk_column, count],
            )
            return [row[0] for row in cursor.fetchall()]
        # SQLite: the IMMEDIATE transaction holds the write lock, so max(id) is stable.
        quoted = connection.ops.quote_name(table)
        cursor.execute(f"SELECT COALESCE(MAX({pk_column}), 0) FROM {quoted}")  # noqa: S608
        start = int(cursor.fetchone()[0]) + 1
        return list(range(start, start + count))


def insert_rows(
    model: type[models.Model],
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    chunk: int = 20_000,
) -> int:
    """Write ``rows`` (tuples in ``columns`` order) into the model's table.

    PostgreSQL gets one COPY; SQLite gets ``executemany`` in chunks.
    """
    table = connection.ops.quote_name(model._meta.db_table)
    cols = ", ".join(connection.ops.quote_name(c) for c in columns)
    total = 0
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # COPY streams rows in one command: several times faster than INSERTs.
            with cursor.cursor.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
                    total += 1
            return total
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


def chunked(values: Sequence[Any], size: int = 5000) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


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
