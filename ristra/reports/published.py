"""Published tables: the only shape in which a number leaves Ristra.

Every dashboard section, report table, export and API answer is a :class:`PublishedTable`.
The builders here are the only way to put counts into one, and each builder takes its
numbers from :mod:`ristra.analytics.suppression` (``suppress_table``, ``suppress_tables``,
``suppress_counts``, ``suppress_rate``).  A :class:`PublishedTable` also checks itself when
it is made: a count column holding a value from 1 to ``k - 1`` raises
:class:`UnsafeOutput`, so a mistake in a builder fails loudly instead of publishing.

Renderers (screen, CSV, XLSX, PDF, JSON) read only these objects, so the screen and every
download of one view show the same numbers.

Cells
-----
* ``str`` in ``label`` and ``text`` columns;
* ``int`` in ``count`` columns, ``float`` (a fraction, 0.25 = 25%) in ``percent``
  columns, ``float`` in ``ratio`` / ``number`` columns;
* :data:`HIDDEN` (``None``): suppressed; shown as the one marker ``*``;
* :data:`NOT_APPLICABLE`: nothing to show (a rate over zero people); shown as an en dash.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Literal, TypeAlias

from django.utils.translation import gettext as _

from ristra.analytics import suppression as sup

CellKind: TypeAlias = Literal["label", "count", "percent", "ratio", "number", "text"]
HIDDEN: Final = None
NOT_APPLICABLE: Final = "n/a"
Cell: TypeAlias = str | int | float | None
NUMERIC_KINDS: Final = frozenset({"count", "percent", "ratio", "number"})


class UnsafeOutput(ValueError):
    """A builder tried to publish a small count: a bug, never shown to a user."""


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    kind: CellKind


@dataclass(frozen=True)
class Chart:
    """A Vega-Lite spec (data inline, published values only) and its text alternative."""

    spec: dict[str, Any]
    description: str


@dataclass(frozen=True)
class PublishedTable:
    key: str
    title: str
    columns: tuple[Column, ...]
    rows: tuple[tuple[Cell, ...], ...]
    summary: str
    policy: sup.SuppressionPolicy
    notes: tuple[str, ...] = ()
    chart: Chart | None = None
    #: Indexes of rows that are totals (styled and exported as such).
    total_rows: frozenset[int] = field(default_factory=frozenset)
    #: Opaque keys per row for analysts' drill-down (None: no drill-down for that row).
    drill: tuple[Mapping[str, str] | None, ...] = ()

    def __post_init__(self) -> None:
        for number, row in enumerate(self.rows):
            if len(row) != len(self.columns):
                raise UnsafeOutput(
                    f"{self.key}: row {number} has {len(row)} cells for {len(self.columns)} columns"
                )
            for column, cell in zip(self.columns, row, strict=True):
                if (
                    column.kind == "count"
                    and isinstance(cell, int)
                    and not isinstance(cell, bool)
                    and self.policy.is_sensitive(cell)
                ):
                    raise UnsafeOutput(
                        f"{self.key}: count {cell} in column {column.key!r} would be published"
                    )

    def column_index(self, key: str) -> int:
        for i, column in enumerate(self.columns):
            if column.key == key:
                return i
        raise KeyError(key)

    def hidden_count(self) -> int:
        return sum(
            1
            for row in self.rows
            for column, cell in zip(self.columns, row, strict=True)
            if column.kind in NUMERIC_KINDS and cell is HIDDEN
        )


@dataclass(frozen=True)
class Report:
    """A titled set of published tables with what is needed to read them."""

    key: str
    title: str
    sections: tuple[PublishedTable, ...]
    #: (label, value) of the choices that made the report (year, population, ...).
    parameters: tuple[tuple[str, str], ...] = ()
    #: Definitions used (category label -> rule text, convention -> description, ...).
    definitions: tuple[tuple[str, str], ...] = ()
    #: Data-quality indicators (label, value), e.g. share unknown, snapshot date.
    quality: tuple[tuple[str, str], ...] = ()
    notes: tuple[str, ...] = ()
    #: Headings of narrative sections the office writes (the annual report's blanks).
    narrative: tuple[str, ...] = ()
    subtitle: str = ""

    def suppression_notes(self) -> list[str]:
        policy = self.sections[0].policy if self.sections else sup.DEFAULT_POLICY
        hidden = sum(section.hidden_count() for section in self.sections)
        return [
            _(
                "Counts %(range)s are hidden (shown as *) to protect privacy, and enough "
                "other numbers are hidden that no hidden count can be worked out from the "
                "totals; zero is shown."
            )
            % {"range": policy.range_text()},
            _("Percentages are hidden when their denominator is below %(n)d.")
            % {"n": policy.min_denominator},
            _("%(n)d numbers are hidden in this report.") % {"n": hidden},
        ]


# ------------------------------------------------------------------------------ builders
def _rate(
    numerator: int | None, denominator: int | None, policy: sup.SuppressionPolicy
) -> float | str | None:
    """A published rate from published numbers only (None hides it)."""
    if numerator is None or denominator is None:
        return HIDDEN
    if denominator == 0:
        return NOT_APPLICABLE
    return sup.suppress_rate(numerator, denominator, policy=policy, protect_complement=False)


def cross_table(
    table: sup.SuppressedTable,
    *,
    key: str,
    title: str,
    row_header: str,
    row_labels: Sequence[str],
    column_labels: Sequence[str],
    summary: str,
    percent_of: Literal["row", "column"] | None = "row",
    total_label: str | None = None,
    row_total_label: str | None = None,
    chart: Chart | None = None,
    drill: Sequence[Mapping[str, str] | None] = (),
    notes: Sequence[str] = (),
) -> PublishedTable:
    """A suppressed rows x columns table, with its totals and (optionally) percentages.

    Percentages come from :func:`ristra.analytics.suppression.table_rates`, i.e. from the
    published numbers only.
    """
    policy = table.policy
    total_label = total_label or _("Total")
    row_total_label = row_total_label or _("Total")
    columns = [Column("label", row_header, "label")]
    columns += [Column(f"c{j}", label, "count") for j, label in enumerate(column_labels)]
    if table.row_totals is not None:
        columns.append(Column("total", row_total_label, "count"))
    rates = sup.table_rates(table, of=percent_of) if percent_of else None
    if rates is not None:
        columns += [
            Column(f"p{j}", _("%% %(group)s") % {"group": label}, "percent")
            for j, label in enumerate(column_labels)
        ]
    rows: list[tuple[Cell, ...]] = []
    for i, label in enumerate(row_labels):
        row: list[Cell] = [label, *table.values[i]]
        if table.row_totals is not None:
            row.append(table.row_totals[i])
        if rates is not None:
            row += list(rates.values[i])
        rows.append(tuple(row))
    total_rows: set[int] = set()
    if table.column_totals is not None:
        row = [total_label, *table.column_totals]
        if table.row_totals is not None:
            row.append(table.grand_total if table.has_grand_total else NOT_APPLICABLE)
        if rates is not None:
            if percent_of == "row" and table.has_grand_total:
                row += [_rate(value, table.grand_total, policy) for value in table.column_totals]
            else:
                row += [NOT_APPLICABLE] * len(column_labels)
        total_rows.add(len(rows))
        rows.append(tuple(row))
    return PublishedTable(
        key=key,
        title=title,
        columns=tuple(columns),
        rows=tuple(rows),
        summary=summary,
        policy=policy,
        notes=tuple([*notes, *table.notes]),
        chart=chart,
        total_rows=frozenset(total_rows),
        drill=tuple(drill),
    )


def breakdown(
    counts: sup.SuppressedCounts,
    *,
    key: str,
    title: str,
    header: str,
    labels: Mapping[str, str],
    summary: str,
    total_label: str | None = None,
    chart: Chart | None = None,
    drill: Sequence[Mapping[str, str] | None] = (),
    notes: Sequence[str] = (),
) -> PublishedTable:
    """A 1-D breakdown (count and share of the total) from ``suppress_counts``."""
    policy = counts.policy
    columns = (
        Column("label", header, "label"),
        Column("count", _("Count"), "count"),
        Column("share", _("Share"), "percent"),
    )
    rows: list[tuple[Cell, ...]] = []
    for code, value in counts.values.items():
        share = _rate(value, counts.total, policy) if counts.has_total else NOT_APPLICABLE
        rows.append((labels.get(code, code), value, share))
    total_rows: set[int] = set()
    if counts.has_total:
        total_rows.add(len(rows))
        rows.append((total_label or _("Total"), counts.total, NOT_APPLICABLE))
    return PublishedTable(
        key=key,
        title=title,
        columns=columns,
        rows=tuple(rows),
        summary=summary,
        policy=policy,
        notes=tuple([*notes, *counts.notes]),
        chart=chart,
        total_rows=frozenset(total_rows),
        drill=tuple(drill),
    )


def measured_table(
    *,
    key: str,
    title: str,
    columns: Sequence[Column],
    rows: Sequence[Sequence[Cell]],
    summary: str,
    policy: sup.SuppressionPolicy,
    notes: Sequence[str] = (),
    chart: Chart | None = None,
) -> PublishedTable:
    """Rates and statistics (no raw counts except denominators already checked).

    The caller hides every estimate whose denominator is below ``min_denominator`` (see
    :func:`estimate`); count columns are checked like everywhere else.
    """
    return PublishedTable(
        key=key,
        title=title,
        columns=tuple(columns),
        rows=tuple(tuple(r) for r in rows),
        summary=summary,
        policy=policy,
        notes=tuple(notes),
        chart=chart,
    )


def estimate(value: float | None, base: int, policy: sup.SuppressionPolicy) -> float | None:
    """An estimate over ``base`` people, hidden when ``base`` is too small to publish."""
    if value is None or base < max(policy.min_denominator, 1):
        return HIDDEN
    return value


def base_count(value: int, policy: sup.SuppressionPolicy) -> int | None:
    """A denominator shown beside an estimate: hidden when small."""
    return HIDDEN if policy.is_sensitive(value) else value


def format_cell(cell: Cell, kind: CellKind) -> str:
    """The text of a cell, the same on screen and in every export."""
    if cell is HIDDEN:
        return sup.SUPPRESSED_MARKER
    if cell == NOT_APPLICABLE:
        return "–"
    if kind == "count" and isinstance(cell, int):
        return f"{cell:,}"
    if kind == "percent" and isinstance(cell, float | int):
        return f"{cell * 100:.1f}%"
    if kind in ("ratio", "number") and isinstance(cell, float | int):
        return f"{cell:.2f}"
    return str(cell)
