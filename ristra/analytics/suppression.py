"""Small-cell disclosure control for published counts.

Every aggregate Ristra publishes (tables of counts with totals, 1-D breakdowns,
rates and percentages) goes through this module.  Plain Python: no Django.

Rules (DOMAIN.md section 5)
---------------------------
* **Primary suppression.**  A count from 1 to ``min_count - 1`` is hidden
  (reason ``"primary"``).  Zero is shown unless ``show_zero`` is false, in
  which case zero is treated like a small count.  Totals follow the same rule.
* **Complementary suppression.**  Further counts (cells or totals) are hidden
  (reason ``"complementary"``) so that no hidden count can be worked out, or
  narrowed down, from the published cells and totals.
* **Rates.**  A rate whose denominator is below ``min_denominator`` is hidden
  (reason ``"small_denominator"``); so is a rate whose numerator or
  denominator is hidden, because the published rate together with the other
  published number would give the hidden one back.

The guarantee
-------------
Call a count *sensitive* when :meth:`SuppressionPolicy.is_sensitive` says so
(1 to ``k - 1`` with ``k = min_count``; also 0 when ``show_zero`` is false).
Consider an attacker who knows every published number, the structure of the
tables (cells add up to their row and column totals, totals add up to the
grand total, tables linked by rows share the same row totals and grand
total, a 1-D breakdown adds up to its total) and that counts are non-negative
integers.  The attacker does *not* know which hidden count was hidden for
which reason.  Then, after :func:`suppress_table`, :func:`suppress_tables`
or :func:`suppress_counts`:

1. no published count is sensitive;
2. for every hidden sensitive count, its smallest and largest possible
   integer values are at least ``k - 1`` apart (``max - min >= k - 1``); for
   single tables, 1-D breakdowns and two linked tables every integer in
   between is possible too, so the attacker cannot narrow it to fewer than
   ``k`` possibilities;
3. every other hidden count can take at least two values (``max - min >= 1``):
   no hidden number can be recovered exactly.

The minimum and maximum are those of the exact integer program.  Single
tables, 1-D breakdowns and two linked tables are circulations in a small
graph (each number is the flow on an arc, each relation says what flows into
a node flows out), so the linear relaxation has the same optimum, and the
suppression code finds it by maximum flow from the true values; with three or
more linked tables it solves integer programs.
:func:`check_no_disclosure` recomputes these intervals independently of the
suppression code (integer programs with scipy/HiGHS) and reports any breach;
the tests run it on random tables, and other modules can run it on their
outputs.

How it works: primary suppression; then the classic heuristic (every
relation - a row, a column, the totals - that contains exactly one hidden
number gets a second one: the smallest non-zero published number of that
relation, preferring a number that also completes another such relation, and
preferring cells to totals), repeated to a fixed point; then an audit that
computes each hidden count's interval (by maximum flow or integer programming,
as above) and, while some interval is too narrow, hides one more published
number near it (the one that widens it most at the least cost, followed by
the fixed-point heuristic again).  Hiding more never narrows an interval, and
hiding every non-zero number always satisfies the guarantee, so the procedure
always ends with the guarantee met.  Zeros are never hidden as complementary cells (they protect
nothing); a lone hidden cell in a row of zeros is protected by hiding the
total.

Limits
------
* Suppression is heuristic: the pattern is safe but not guaranteed minimal.
* Tables must be additive: the cells of a row partition the row total.
  Overlapping categories (race "alone or in combination") are not modelled;
  publish them without totals, or as separate 1-D breakdowns with
  ``total=None``.
* Linked tables: only tables sharing the same row dimension (same row totals
  and grand total) or the same column dimension.  Nested or hierarchical
  tables (a sex table and a sex-by-race table whose sub-totals nest),
  overlapping reports, or successive releases over time (differencing) are
  not covered; suppress such outputs together or keep their margins apart.
* Display one marker for every hidden count (:func:`format_cell`): showing
  the reason per cell tells the attacker that a cell is small.  The notes only
  give how many counts were hidden for each reason.
* The row and column totals are the sums of the cells given.
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal, TypeVar

import numpy as np
from scipy.optimize import linprog

PRIMARY = "primary"
COMPLEMENTARY = "complementary"
SMALL_DENOMINATOR = "small_denominator"
SUPPRESSED_MARKER = "*"

Linked = Literal["rows", "columns", "none"]
RateOf = Literal["row", "column", "total"]

# Internal status of a number that is part of the structure but not displayed
# at all (a row total when ``row_totals=False``): unknown to the attacker.
_UNPUBLISHED = "_unpublished"


@dataclass(frozen=True)
class SuppressionPolicy:
    """Thresholds for small-cell suppression.

    ``min_count``: counts from 1 to ``min_count - 1`` are hidden (and a hidden
    count can always take at least ``min_count`` values).  ``min_denominator``:
    rates whose denominator is below it are hidden.  ``show_zero``: zero counts
    are shown; when false they are treated like small counts.
    """

    min_count: int = 11
    min_denominator: int = 11
    show_zero: bool = True

    def __post_init__(self) -> None:
        if self.min_count < 1:
            raise ValueError("min_count must be at least 1")
        if self.min_denominator < 0:
            raise ValueError("min_denominator must not be negative")

    def is_sensitive(self, value: int) -> bool:
        """Whether a count must not be published (primary suppression)."""
        return 0 < value < self.min_count or (value == 0 and not self.show_zero)

    @property
    def protection_width(self) -> int:
        """Minimum ``max - min`` of the feasible values of a hidden sensitive count."""
        return max(self.min_count - 1, 1)

    def range_text(self) -> str:
        low = 1 if self.show_zero else 0
        high = self.min_count - 1
        if high <= low:
            return f"of {low}"
        return f"from {low} to {high}"


DEFAULT_POLICY = SuppressionPolicy()


@dataclass(frozen=True)
class SuppressedTable:
    """A table of counts ready to publish.

    ``values`` has the shape of the input; ``None`` marks a hidden cell and
    ``reasons`` says why (``"primary"`` or ``"complementary"``).  Totals that
    were not requested are ``None`` as a whole (``row_totals is None``); a
    hidden total is ``None`` inside its list.  ``has_grand_total`` tells a
    hidden grand total (``grand_total is None``) from an absent one.
    """

    values: list[list[int | None]]
    reasons: list[list[str | None]]
    row_totals: list[int | None] | None
    row_total_reasons: list[str | None] | None
    column_totals: list[int | None] | None
    column_total_reasons: list[str | None] | None
    grand_total: int | None
    grand_total_reason: str | None
    has_grand_total: bool
    notes: list[str]
    policy: SuppressionPolicy

    @property
    def n_rows(self) -> int:
        return len(self.values)

    @property
    def n_columns(self) -> int:
        return len(self.values[0]) if self.values else 0

    def hidden_cells(self) -> list[tuple[int, int]]:
        """(row, column) of every hidden cell, row by row."""
        return [
            (i, j)
            for i, row in enumerate(self.values)
            for j, value in enumerate(row)
            if value is None
        ]


@dataclass(frozen=True)
class SuppressedCounts:
    """A 1-D breakdown (a bar chart) ready to publish."""

    values: dict[str, int | None]
    reasons: dict[str, str | None]
    total: int | None
    total_reason: str | None
    has_total: bool
    notes: list[str]
    policy: SuppressionPolicy


@dataclass(frozen=True)
class RateTable:
    """Rates (fractions from 0 to 1) computed from a published table."""

    values: list[list[float | None]]
    reasons: list[list[str | None]]


@dataclass(frozen=True)
class HiddenInterval:
    """Values a hidden count can take given everything published."""

    label: str
    value: int
    low: int
    high: int | None  # None: above the sum of every number (no upper limit that matters)

    @property
    def width(self) -> float:
        return float("inf") if self.high is None else float(self.high - self.low)


# --------------------------------------------------------------------------- problem
@dataclass
class _Item:
    value: int
    displayed: bool
    is_total: bool
    label: str


class _Problem:
    """Numbers of one publication and the additive relations between them.

    Each relation is a tuple ``(total, member, member, ...)`` meaning
    ``total = sum(members)``.

    Optionally the same relations as a circulation: ``nodes`` nodes and, for
    every number, an arc ``(tail, head)`` carrying it, such that each relation
    (up to relations implied by the others) says that the flow into one node
    equals the flow out of it.  Single tables, 1-D breakdowns and two linked
    tables have one; the engine then computes intervals by maximum flow.
    """

    def __init__(self, *, network: bool = True, nodes: int = 0) -> None:
        self.items: list[_Item] = []
        self.relations: list[tuple[int, ...]] = []
        self.relations_of: list[list[int]] = []
        # True when the relation matrix is a network matrix (LP bounds are integral).
        self.network = network
        self.nodes = nodes
        self.arcs: list[tuple[int, int] | None] = []

    def add(
        self,
        value: int,
        *,
        displayed: bool,
        is_total: bool,
        label: str,
        arc: tuple[int, int] | None = None,
    ) -> int:
        self.items.append(_Item(value, displayed, is_total, label))
        self.relations_of.append([])
        self.arcs.append(arc)
        return len(self.items) - 1

    @property
    def is_circulation(self) -> bool:
        return self.nodes > 0 and all(arc is not None for arc in self.arcs)

    def relate(self, total: int, members: Sequence[int]) -> None:
        self.relations.append((total, *members))
        for item in {total, *members}:
            self.relations_of[item].append(len(self.relations) - 1)

    @property
    def everything(self) -> int:
        """The sum of all numbers: no count limited by published numbers exceeds it."""
        return sum(item.value for item in self.items)

    @property
    def cap(self) -> int:
        """An upper bound for every variable, far above any limit that matters."""
        return 2 * self.everything + 1000


class _Bounds:
    """Feasible minimum and maximum of hidden numbers, for one hidden set."""

    def __init__(self, problem: _Problem, hidden: Sequence[bool], *, integral: bool) -> None:
        self.problem = problem
        self.integral = integral
        self.column = {item: n for n, item in enumerate(i for i, h in enumerate(hidden) if h)}
        rows: list[np.ndarray] = []
        rhs: list[float] = []
        for relation in problem.relations:
            row = np.zeros(len(self.column))
            constant = 0
            used = False
            for position, item in enumerate(relation):
                sign = 1 if position == 0 else -1
                if hidden[item]:
                    row[self.column[item]] += sign
                    used = True
                else:
                    constant += sign * problem.items[item].value
            if used:
                rows.append(row)
                rhs.append(-constant)
        self.a_eq = np.array(rows) if rows else None
        self.b_eq = np.array(rhs) if rows else None

    def _optimum(self, item: int, sign: int) -> int:
        n = len(self.column)
        objective = np.zeros(n)
        objective[self.column[item]] = sign
        result = linprog(
            objective,
            A_eq=self.a_eq,
            b_eq=self.b_eq,
            bounds=(0, self.problem.cap),
            method="highs",
            integrality=np.ones(n) if self.integral else None,
            options={"mip_rel_gap": 0.0} if self.integral else None,
        )
        if result.status != 0:  # the true values are always feasible
            raise RuntimeError(f"bound computation failed: {result.message}")
        return round(sign * float(result.fun))

    def low(self, item: int) -> int:
        return self._optimum(item, 1)

    def high(self, item: int) -> int:
        return self._optimum(item, -1)

    def width(self, item: int, limit: int) -> int:
        """``max - min`` of a hidden number, or ``limit`` if that is smaller."""
        return min(self.high(item) - self.low(item), limit)

    def meets(self, item: int, need: int) -> bool:
        value = self.problem.items[item].value
        high = self.high(item)
        if high - value >= need:
            return True
        return high - self.low(item) >= need

    def interval(self, item: int) -> HiddenInterval:
        high = self.high(item)
        entry = self.problem.items[item]
        return HiddenInterval(
            label=entry.label,
            value=entry.value,
            low=self.low(item),
            high=None if high > self.problem.everything else high,
        )


class _FlowBounds:
    """The bounds of :class:`_Bounds` for a circulation, by maximum flow.

    The feasible values of the hidden numbers are the circulations that keep
    every published arc at its value and every hidden arc between 0 and
    ``cap``.  Starting from the true values, a hidden number on arc ``u -> v``
    can grow by exactly the maximum flow from ``v`` to ``u`` in the residual
    graph without that arc (each hidden arc can carry ``cap - value`` more
    forward and ``value`` back), and shrink by the maximum flow from ``u`` to
    ``v``: the same optimum as the linear program, and integral.  Only as many
    units as the guarantee needs are pushed.
    """

    def __init__(self, problem: _Problem, hidden: Sequence[bool]) -> None:
        self.problem = problem
        self.cap = cap = problem.cap
        # Arc 2n carries item forward, arc 2n + 1 back; ``a ^ 1`` is the reverse of ``a``.
        self.head: list[int] = []
        self.item_of: list[int] = []
        self.capacity: list[int] = []
        self.out: list[list[int]] = [[] for _ in range(problem.nodes)]
        for item, is_hidden in enumerate(hidden):
            arc = problem.arcs[item]
            if not is_hidden or arc is None:
                continue
            tail, head = arc
            value = problem.items[item].value
            for start, end, room in ((tail, head, cap - value), (head, tail, value)):
                self.out[start].append(len(self.head))
                self.head.append(end)
                self.item_of.append(item)
                self.capacity.append(room)

    def _flow(self, source: int, sink: int, without: int, limit: int) -> int:
        """Maximum flow from ``source`` to ``sink`` avoiding item ``without``, up to ``limit``."""
        head, item_of, out = self.head, self.item_of, self.out
        residual = list(self.capacity)
        flow = 0
        while flow < limit:
            via = [-1] * self.problem.nodes  # the arc a shortest path reaches each node by
            seen = [False] * self.problem.nodes
            seen[source] = True
            queue = [source]
            for node in queue:
                if seen[sink]:
                    break
                for arc in out[node]:
                    end = head[arc]
                    if not seen[end] and residual[arc] > 0 and item_of[arc] != without:
                        seen[end] = True
                        via[end] = arc
                        queue.append(end)
            if not seen[sink]:
                break
            push = limit - flow
            node = sink
            while node != source:
                arc = via[node]
                push = min(push, residual[arc])
                node = head[arc ^ 1]
            node = sink
            while node != source:
                arc = via[node]
                residual[arc] -= push
                residual[arc ^ 1] += push
                node = head[arc ^ 1]
            flow += push
        return flow

    def width(self, item: int, limit: int) -> int:
        """``max - min`` of a hidden number, or ``limit`` if that is smaller."""
        arc = self.problem.arcs[item]
        assert arc is not None
        tail, head = arc
        value = self.problem.items[item].value
        up = self._flow(head, tail, item, min(limit, self.cap - value))
        down = self._flow(tail, head, item, min(limit - up, value))
        return up + down

    def meets(self, item: int, need: int) -> bool:
        return self.width(item, need) >= need


# --------------------------------------------------------------------------- engine
class _Engine:
    def __init__(self, problem: _Problem, policy: SuppressionPolicy) -> None:
        self.problem = problem
        self.policy = policy
        self.integral = not problem.network
        items = problem.items
        self.unpublished = [not item.displayed for item in items]
        self.primary = [item.displayed and policy.is_sensitive(item.value) for item in items]

    def need(self, item: int) -> int:
        return self.policy.protection_width if self.primary[item] else 1

    def bounds(self, hidden: Sequence[bool]) -> _Bounds | _FlowBounds:
        if self.problem.is_circulation:
            return _FlowBounds(self.problem, hidden)
        return _Bounds(self.problem, hidden, integral=self.integral)

    def run(self) -> list[str | None]:
        hidden = [u or p for u, p in zip(self.unpublished, self.primary, strict=True)]
        if any(self.primary):
            self.close(hidden)
            self.repair(hidden)
        status: list[str | None] = []
        for n, is_hidden in enumerate(hidden):
            if self.unpublished[n]:
                status.append(_UNPUBLISHED)
            elif self.primary[n]:
                status.append(PRIMARY)
            elif is_hidden:
                status.append(COMPLEMENTARY)
            else:
                status.append(None)
        return status

    # -- the classic heuristic: no relation with exactly one hidden number
    def _lonely(self, relation: int, hidden: Sequence[bool]) -> int | None:
        """The single hidden number of a relation, if it has exactly one."""
        found: int | None = None
        for item in self.problem.relations[relation]:
            if hidden[item]:
                if found is not None and found != item:
                    return None
                found = item
        if found is None or self.unpublished[found]:
            return None
        return found

    def close(self, hidden: list[bool]) -> list[int]:
        """Hide numbers until no relation has exactly one hidden number."""
        added: list[int] = []
        items = self.problem.items
        changed = True
        while changed:
            changed = False
            for relation, members in enumerate(self.problem.relations):
                if self._lonely(relation, hidden) is None:
                    continue
                candidates = sorted({m for m in members if not hidden[m] and items[m].value > 0})
                if not candidates:
                    continue

                def key(candidate: int, relation: int = relation) -> tuple[int, bool, int, int]:
                    helps = sum(
                        1
                        for other in self.problem.relations_of[candidate]
                        if other != relation and self._lonely(other, hidden) is not None
                    )
                    entry = items[candidate]
                    return (-helps, entry.is_total, entry.value, candidate)

                choice = min(candidates, key=key)
                hidden[choice] = True
                added.append(choice)
                changed = True
        return added

    # -- the audit: widen every interval that is too narrow
    def repair(self, hidden: list[bool]) -> None:
        verified: set[int] = set()
        while True:
            bounds = self.bounds(hidden)
            failing: int | None = None
            for item, is_hidden in enumerate(hidden):
                if not is_hidden or self.unpublished[item] or item in verified:
                    continue
                if bounds.meets(item, self.need(item)):
                    verified.add(item)  # hiding more never narrows an interval
                else:
                    failing = item
                    break
            if failing is None:
                return
            self.widen(hidden, failing, bounds.width(failing, self.need(failing)))

    def widen(self, hidden: list[bool], item: int, width: int) -> None:
        items = self.problem.items
        need = self.need(item)
        near = sorted(
            {
                m
                for relation in self.problem.relations_of[item]
                for m in self.problem.relations[relation]
                if not hidden[m] and items[m].value > 0
            }
        )
        near_set = set(near)
        far = [
            m
            for m in range(len(items))
            if not hidden[m] and items[m].value > 0 and m not in near_set
        ]
        for group in (near, far):
            best: tuple[tuple[int, int, int, int, int], list[bool]] | None = None
            for candidate in group:
                trial = list(hidden)
                trial[candidate] = True
                added = [candidate, *self.close(trial)]
                new_width = self.bounds(trial).width(item, need)
                if new_width <= width:
                    continue
                key = (
                    -min(new_width, need),
                    len(added),
                    sum(1 for m in added if items[m].is_total),
                    sum(items[m].value for m in added),
                    candidate,
                )
                if best is None or key < best[0]:
                    best = (key, trial)
            if best is not None:
                hidden[:] = best[1]
                return
        # No single addition helps: hide every non-zero number near it, then everything.
        trial = list(hidden)
        for m in near:
            trial[m] = True
        self.close(trial)
        if near and self.bounds(trial).width(item, need) > width:
            hidden[:] = trial
            return
        for m in far + near:
            hidden[m] = True


# --------------------------------------------------------------------------- input checks
def _count(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"counts must be integers, got {value!r}")
    number = int(value)
    if number < 0:
        raise ValueError(f"counts must not be negative, got {number}")
    return int(number)


def _matrix(counts: Sequence[Sequence[int]]) -> list[list[int]]:
    rows = [[_count(v) for v in row] for row in counts]
    if rows and any(len(row) != len(rows[0]) for row in rows):
        raise ValueError("every row of the table must have the same number of cells")
    return rows


_T = TypeVar("_T")


def _transpose(matrix: Sequence[Sequence[_T]]) -> list[list[_T]]:
    return [list(column) for column in zip(*matrix, strict=True)] if matrix else []


# --------------------------------------------------------------------------- tables
@dataclass(frozen=True)
class _Layout:
    cells: list[list[list[int]]]  # [table][row][column]
    rows: list[int]
    columns: list[list[int]]  # [table][column]
    grand: int


def _build(
    tables: Sequence[list[list[int]]],
    *,
    row_totals: bool,
    column_totals: bool,
    grand_total: bool,
    shown: Sequence[Sequence[Sequence[bool]]] | None = None,
) -> tuple[_Problem, _Layout]:
    """Tables that share their row totals (one table is the simple case)."""
    first = tables[0]
    n_rows = len(first)
    row_sums = [sum(row) for row in first]
    for t, table in enumerate(tables[1:], 2):
        if len(table) != n_rows:
            raise ValueError(f"table {t} has {len(table)} rows, table 1 has {n_rows}")
        for i, row in enumerate(table):
            if sum(row) != row_sums[i]:
                raise ValueError(
                    f"tables linked by rows must have the same row totals: row {i + 1} "
                    f"adds up to {sum(row)} in table {t} and to {row_sums[i]} in table 1"
                )
    multi = len(tables) > 1
    # As a circulation (one or two tables; see _Problem), the grand total is the
    # arc from node 1 to node 0.  One table: each row total leads from node 0 to
    # its row node, each cell from its row node to its column node, each column
    # total from its column node to node 1.  Two tables: the first runs the other
    # way (column totals from node 0 to its column nodes, cells from there to the
    # row nodes), each row total joins its row node to a second row node, and the
    # second table leads from there through its cells and column totals to node 1.
    widths = [len(table[0]) if table else 0 for table in tables]
    row_in = [2 + i for i in range(n_rows)]
    row_out = [2 + n_rows + i for i in range(n_rows)] if multi else row_in
    first_column = 2 + len(row_in) + (len(row_out) if multi else 0)
    column_nodes = [
        [first_column + sum(widths[:t]) + j for j in range(widths[t])] for t in range(len(tables))
    ]
    circulation = len(tables) <= 2
    nodes = first_column + sum(widths) if circulation else 0

    def arc(tail: int, head: int) -> tuple[int, int] | None:
        return (tail, head) if circulation else None

    problem = _Problem(network=len(tables) <= 2, nodes=nodes)
    rows = [
        problem.add(
            s,
            displayed=row_totals,
            is_total=True,
            label=f"row {i + 1} total",
            arc=arc(row_in[i], row_out[i]) if multi else arc(0, row_in[i]),
        )
        for i, s in enumerate(row_sums)
    ]
    grand = problem.add(
        sum(row_sums), displayed=grand_total, is_total=True, label="grand total", arc=arc(1, 0)
    )
    cells: list[list[list[int]]] = []
    columns: list[list[int]] = []
    for t, table in enumerate(tables):
        prefix = f"table {t + 1} " if multi else ""
        n_columns = widths[t]
        # Table 1 of two runs backwards: column node to row node.
        backwards = multi and t == 0
        ids = [
            [
                problem.add(
                    v,
                    displayed=True,
                    is_total=False,
                    label=f"{prefix}cell (row {i + 1}, column {j + 1})",
                    arc=arc(column_nodes[t][j], row_in[i])
                    if backwards
                    else arc(row_out[i], column_nodes[t][j]),
                )
                for j, v in enumerate(row)
            ]
            for i, row in enumerate(table)
        ]
        column_ids = [
            problem.add(
                sum(row[j] for row in table),
                displayed=column_totals,
                is_total=True,
                label=f"{prefix}column {j + 1} total",
                arc=arc(0, column_nodes[t][j]) if backwards else arc(column_nodes[t][j], 1),
            )
            for j in range(n_columns)
        ]
        cells.append(ids)
        columns.append(column_ids)
    for i in range(n_rows):
        for ids in cells:
            problem.relate(rows[i], ids[i])
    for ids, column_ids in zip(cells, columns, strict=True):
        for j, column in enumerate(column_ids):
            problem.relate(column, [row[j] for row in ids])
    problem.relate(grand, rows)
    for column_ids in columns:
        problem.relate(grand, column_ids)
    return problem, _Layout(cells, rows, columns, grand)


def _notes(
    policy: SuppressionPolicy,
    statuses: Sequence[str | None],
    total_statuses: Sequence[str | None],
    *,
    unit: tuple[str, str] = ("cell", "cells"),
    source: str = "the totals",
) -> list[str]:
    def plural(n: int, one: str, many: str) -> str:
        return one if n == 1 else many

    notes: list[str] = []
    primary = sum(1 for s in statuses if s == PRIMARY)
    complementary = sum(1 for s in statuses if s == COMPLEMENTARY)
    span = policy.range_text()
    if primary:
        sentence = (
            f"{primary} {plural(primary, *unit)} with "
            f"{plural(primary, 'a count', 'counts')} {span} {plural(primary, 'is', 'are')} hidden"
        )
        if complementary:
            sentence += (
                f"; {complementary} more {plural(complementary, 'is', 'are')} hidden so that "
                f"{plural(primary, 'it', 'they')} cannot be worked out from {source}."
            )
        else:
            sentence += "."
        notes.append(sentence)
    elif complementary:
        notes.append(
            f"{complementary} {plural(complementary, *unit)} "
            f"{plural(complementary, 'is', 'are')} hidden so that other hidden counts "
            f"cannot be worked out from {source}."
        )
    primary_totals = sum(1 for s in total_statuses if s == PRIMARY)
    other_totals = sum(1 for s in total_statuses if s == COMPLEMENTARY)
    if primary_totals:
        notes.append(
            f"{primary_totals} {plural(primary_totals, 'total', 'totals')} with "
            f"{plural(primary_totals, 'a count', 'counts')} {span} "
            f"{plural(primary_totals, 'is', 'are')} hidden."
        )
    if other_totals:
        notes.append(
            f"{other_totals} {plural(other_totals, 'total is', 'totals are')} hidden so that "
            "hidden counts cannot be worked out from "
            f"{plural(other_totals, 'it', 'them')}."
        )
    return notes


def _shown(status: str | None, value: int) -> int | None:
    return value if status is None else None


def _reason(status: str | None) -> str | None:
    return None if status in (None, _UNPUBLISHED) else status


def _result(
    problem: _Problem,
    layout: _Layout,
    t: int,
    status: Sequence[str | None],
    policy: SuppressionPolicy,
    *,
    row_totals: bool,
    column_totals: bool,
    grand_total: bool,
) -> SuppressedTable:
    items = problem.items
    cells = layout.cells[t]
    values = [[_shown(status[n], items[n].value) for n in row] for row in cells]
    reasons = [[_reason(status[n]) for n in row] for row in cells]
    totals: list[int] = []
    if row_totals:
        totals += layout.rows
    if column_totals:
        totals += layout.columns[t]
    if grand_total:
        totals.append(layout.grand)
    return SuppressedTable(
        values=values,
        reasons=reasons,
        row_totals=[_shown(status[n], items[n].value) for n in layout.rows] if row_totals else None,
        row_total_reasons=[_reason(status[n]) for n in layout.rows] if row_totals else None,
        column_totals=(
            [_shown(status[n], items[n].value) for n in layout.columns[t]]
            if column_totals
            else None
        ),
        column_total_reasons=(
            [_reason(status[n]) for n in layout.columns[t]] if column_totals else None
        ),
        grand_total=_shown(status[layout.grand], items[layout.grand].value)
        if grand_total
        else None,
        grand_total_reason=_reason(status[layout.grand]) if grand_total else None,
        has_grand_total=grand_total,
        notes=_notes(
            policy, [status[n] for row in cells for n in row], [status[n] for n in totals]
        ),
        policy=policy,
    )


def _transpose_result(table: SuppressedTable) -> SuppressedTable:
    return SuppressedTable(
        values=_transpose(table.values),
        reasons=_transpose(table.reasons),
        row_totals=table.column_totals,
        row_total_reasons=table.column_total_reasons,
        column_totals=table.row_totals,
        column_total_reasons=table.row_total_reasons,
        grand_total=table.grand_total,
        grand_total_reason=table.grand_total_reason,
        has_grand_total=table.has_grand_total,
        notes=table.notes,
        policy=table.policy,
    )


def suppress_table(
    counts: Sequence[Sequence[int]],
    *,
    policy: SuppressionPolicy = DEFAULT_POLICY,
    row_totals: bool = True,
    column_totals: bool = True,
    grand_total: bool | None = None,
) -> SuppressedTable:
    """Suppress a table of counts (rows x columns) and its totals.

    ``grand_total`` defaults to ``row_totals and column_totals`` (the corner
    cell exists when both margins are shown).  See the module docstring for
    the guarantee.
    """
    return suppress_tables(
        [counts],
        "none",
        policy=policy,
        row_totals=row_totals,
        column_totals=column_totals,
        grand_total=grand_total,
    )[0]


def suppress_tables(
    tables: Sequence[Sequence[Sequence[int]]],
    linked: Linked = "rows",
    *,
    policy: SuppressionPolicy = DEFAULT_POLICY,
    row_totals: bool = True,
    column_totals: bool = True,
    grand_total: bool | None = None,
) -> list[SuppressedTable]:
    """Suppress several tables of one report consistently.

    ``linked="rows"``: the tables break down the same rows (same row totals
    and grand total; e.g. programs by sex and programs by race).  A row total
    hidden in one table is hidden in all, and no hidden number can be worked
    out through another table: the guarantee holds for the tables taken
    together.  ``linked="columns"``: the same for a shared column dimension.
    ``linked="none"``: the tables are suppressed independently.
    """
    matrices = [_matrix(table) for table in tables]
    with_grand = row_totals and column_totals if grand_total is None else grand_total
    if not matrices:
        return []
    if linked == "none":
        results: list[SuppressedTable] = []
        for matrix in matrices:
            results += suppress_tables(
                [matrix],
                "rows",
                policy=policy,
                row_totals=row_totals,
                column_totals=column_totals,
                grand_total=with_grand,
            )
        return results
    if linked == "columns":
        flipped = suppress_tables(
            [_transpose(m) for m in matrices],
            "rows",
            policy=policy,
            row_totals=column_totals,
            column_totals=row_totals,
            grand_total=with_grand,
        )
        return [_transpose_result(table) for table in flipped]
    if linked != "rows":
        raise ValueError(f"linked must be 'rows', 'columns' or 'none', not {linked!r}")
    problem, layout = _build(
        matrices, row_totals=row_totals, column_totals=column_totals, grand_total=with_grand
    )
    status = _Engine(problem, policy).run()
    return [
        _result(
            problem,
            layout,
            t,
            status,
            policy,
            row_totals=row_totals,
            column_totals=column_totals,
            grand_total=with_grand,
        )
        for t in range(len(matrices))
    ]


# --------------------------------------------------------------------------- 1-D
def suppress_counts(
    mapping: Mapping[str, int],
    total: int | None = None,
    *,
    policy: SuppressionPolicy = DEFAULT_POLICY,
) -> SuppressedCounts:
    """Suppress a 1-D breakdown (a bar chart).

    With ``total=None`` the total is not published and only primary
    suppression applies.  Otherwise ``total`` must equal the sum of the
    counts (add an "Unknown" category if needed) and enough further counts
    are hidden - at least two in all - that each hidden count keeps the
    guarantee of the module docstring.  A total from 1 to ``min_count - 1``
    is itself hidden.
    """
    counts = {str(k): _count(v) for k, v in mapping.items()}
    value = sum(counts.values())
    if total is not None and _count(total) != value:
        raise ValueError(
            f"the total ({total}) must equal the sum of the counts ({value}); "
            "add a category for the remainder"
        )
    # As a circulation: the total flows from node 1 to node 0, each count back.
    problem = _Problem(nodes=2)
    total_id = problem.add(
        value, displayed=total is not None, is_total=True, label="total", arc=(1, 0)
    )
    ids = {
        key: problem.add(v, displayed=True, is_total=False, label=f"category {key!r}", arc=(0, 1))
        for key, v in counts.items()
    }
    problem.relate(total_id, list(ids.values()))
    status = _Engine(problem, policy).run()
    return SuppressedCounts(
        values={key: _shown(status[n], counts[key]) for key, n in ids.items()},
        reasons={key: _reason(status[n]) for key, n in ids.items()},
        total=_shown(status[total_id], value) if total is not None else None,
        total_reason=_reason(status[total_id]),
        has_total=total is not None,
        notes=_notes(
            policy,
            [status[n] for n in ids.values()],
            [status[total_id]],
            unit=("category", "categories"),
            source="the total",
        ),
        policy=policy,
    )


# --------------------------------------------------------------------------- rates
def rate_reason(
    numerator: int,
    denominator: int,
    *,
    policy: SuppressionPolicy = DEFAULT_POLICY,
    numerator_hidden: bool = False,
    denominator_hidden: bool = False,
    protect_complement: bool = True,
) -> str | None:
    """Why the rate ``numerator / denominator`` must be hidden, or None.

    A sensitive numerator always hides the rate; pass ``numerator_hidden``
    when a table hid the numerator for another reason (complementary).  ``denominator_hidden``:
    the denominator is not published, so the rate with its numerator would
    reveal it.  ``protect_complement``: the rate and its denominator also
    reveal ``denominator - numerator`` (the people *not* counted), which must
    not be a small count either.
    """
    numerator = _count(numerator)
    denominator = _count(denominator)
    if denominator < max(policy.min_denominator, 1):
        return SMALL_DENOMINATOR
    if policy.is_sensitive(numerator):
        return PRIMARY
    if numerator_hidden:
        return COMPLEMENTARY
    if denominator_hidden:
        return COMPLEMENTARY
    rest = denominator - numerator
    if protect_complement and rest >= 0 and policy.is_sensitive(rest):
        return COMPLEMENTARY
    return None


def suppress_rate(
    numerator: int,
    denominator: int,
    *,
    policy: SuppressionPolicy = DEFAULT_POLICY,
    numerator_hidden: bool = False,
    denominator_hidden: bool = False,
    protect_complement: bool = True,
) -> float | None:
    """``numerator / denominator`` (a fraction), or None when it must be hidden.

    See :func:`rate_reason` for the rules.
    """
    reason = rate_reason(
        numerator,
        denominator,
        policy=policy,
        numerator_hidden=numerator_hidden,
        denominator_hidden=denominator_hidden,
        protect_complement=protect_complement,
    )
    return None if reason is not None else numerator / denominator


def table_rates(table: SuppressedTable, *, of: RateOf = "row") -> RateTable:
    """Rates of each cell of a suppressed table, from its published numbers only.

    ``of="row"``: cell / row total (percentages across a row); ``"column"``:
    cell / column total; ``"total"``: cell / grand total.  A rate is hidden
    when its cell or its denominator is hidden (reason of the hidden number;
    ``"small_denominator"`` for a small hidden total) or when the denominator
    is below ``min_denominator``.  Only published numbers are used, so a rate
    never reveals more than the table.
    """
    policy = table.policy

    def denominator(i: int, j: int) -> tuple[int | None, str | None]:
        if of == "row":
            if table.row_totals is None or table.row_total_reasons is None:
                raise ValueError("row rates need the row totals")
            return table.row_totals[i], table.row_total_reasons[i]
        if of == "column":
            if table.column_totals is None or table.column_total_reasons is None:
                raise ValueError("column rates need the column totals")
            return table.column_totals[j], table.column_total_reasons[j]
        if not table.has_grand_total:
            raise ValueError("rates of the total need the grand total")
        return table.grand_total, table.grand_total_reason

    values: list[list[float | None]] = []
    reasons: list[list[str | None]] = []
    for i, row in enumerate(table.values):
        row_values: list[float | None] = []
        row_reasons: list[str | None] = []
        for j, cell in enumerate(row):
            base, base_reason = denominator(i, j)
            reason: str | None
            if base is None:
                reason = SMALL_DENOMINATOR if base_reason == PRIMARY else COMPLEMENTARY
            elif base < max(policy.min_denominator, 1):
                reason = SMALL_DENOMINATOR
            elif cell is None:
                reason = table.reasons[i][j] or COMPLEMENTARY
            else:
                reason = None
            row_reasons.append(reason)
            row_values.append(
                None if reason is not None or cell is None or not base else cell / base
            )
        values.append(row_values)
        reasons.append(row_reasons)
    return RateTable(values, reasons)


def format_cell(value: int | None, *, marker: str = SUPPRESSED_MARKER) -> str:
    """A published count with thousands separators, or the one suppression marker."""
    return marker if value is None else f"{value:,}"


def format_percent(rate: float | None, *, digits: int = 1, marker: str = SUPPRESSED_MARKER) -> str:
    """A rate (fraction) as a percentage, or the suppression marker."""
    return marker if rate is None else f"{rate * 100:.{digits}f}%"


# --------------------------------------------------------------------------- audit
def _audit(
    problem: _Problem, shown: Sequence[int | None], policy: SuppressionPolicy
) -> tuple[list[str], list[HiddenInterval]]:
    """Problems and intervals for published numbers ``shown`` (None: hidden)."""
    problems: list[str] = []
    hidden = [not item.displayed or s is None for item, s in zip(problem.items, shown, strict=True)]
    for item, s in zip(problem.items, shown, strict=True):
        if not item.displayed or s is None:
            continue
        if s != item.value:
            problems.append(f"{item.label} shows {s} but the count is {item.value}")
        elif policy.is_sensitive(item.value):
            problems.append(
                f"{item.label} shows {item.value}, "
                f"a count {policy.range_text()} that must be hidden"
            )
    bounds = _Bounds(problem, hidden, integral=True)
    intervals: list[HiddenInterval] = []
    for n, item in enumerate(problem.items):
        if not item.displayed or not hidden[n]:
            continue
        interval = bounds.interval(n)
        intervals.append(interval)
        sensitive = policy.is_sensitive(item.value)
        need = policy.protection_width if sensitive else 1
        if interval.width >= need:
            continue
        if interval.high == interval.low:
            problems.append(f"{item.label} is hidden but can be worked out exactly ({item.value})")
        else:
            assert interval.high is not None
            possible = interval.high - interval.low + 1
            problems.append(
                f"{item.label} is hidden but can only be {interval.low} to {interval.high} "
                f"({possible} possible values; at least {need + 1} are required)"
            )
    return problems, intervals


def _table_shown(
    problem: _Problem, table: SuppressedTable, layout: _Layout, t: int, shown: list[int | None]
) -> None:
    """Record what one table publishes; a number shared by tables is published if any shows it."""
    pairs: list[tuple[int, int | None]] = []
    for ids, values in zip(layout.cells[t], table.values, strict=True):
        pairs += zip(ids, values, strict=True)
    if table.row_totals is not None:
        pairs += zip(layout.rows, table.row_totals, strict=True)
    if table.column_totals is not None:
        pairs += zip(layout.columns[t], table.column_totals, strict=True)
    if table.has_grand_total:
        pairs.append((layout.grand, table.grand_total))
    for n, value in pairs:
        problem.items[n].displayed = True
        if value is not None and (shown[n] is None or value != problem.items[n].value):
            shown[n] = value


def _audit_tables(
    tables: Sequence[SuppressedTable],
    counts: Sequence[Sequence[Sequence[int]]],
    linked: Linked,
) -> tuple[list[str], list[HiddenInterval]]:
    if len(tables) != len(counts):
        raise ValueError("give the original counts of every table")
    if not tables:
        return [], []
    if linked == "none":
        problems: list[str] = []
        intervals: list[HiddenInterval] = []
        for t, (table, matrix) in enumerate(zip(tables, counts, strict=True), 1):
            found, widths = _audit_tables([table], [matrix], "rows")
            prefix = f"table {t} " if len(tables) > 1 else ""
            problems += [prefix + p for p in found]
            intervals += widths
        return problems, intervals
    if linked == "columns":
        return _audit_tables(
            [_transpose_result(t) for t in tables],
            [_transpose(_matrix(m)) for m in counts],
            "rows",
        )
    # Totals start as not displayed; each table marks those it displays.
    problem, layout = _build(
        [_matrix(m) for m in counts], row_totals=False, column_totals=False, grand_total=False
    )
    shown: list[int | None] = [None] * len(problem.items)
    for t, table in enumerate(tables):
        _table_shown(problem, table, layout, t, shown)
    return _audit(problem, shown, tables[0].policy)


def check_no_disclosure(table: SuppressedTable, counts: Sequence[Sequence[int]]) -> list[str]:
    """Human descriptions of every disclosure in a suppressed table (empty: safe).

    ``counts`` are the original counts.  For every hidden count the exact
    range of integer values consistent with all published numbers is computed
    by integer programming (scipy ``linprog``/HiGHS); a sensitive count must
    keep at least ``min_count`` possible values, any other hidden count at
    least two.  Published counts that are sensitive, or that differ from the
    original, are reported too.  The check does not trust the reasons.
    """
    return _audit_tables([table], [counts], "rows")[0]


def check_tables_no_disclosure(
    tables: Sequence[SuppressedTable],
    counts: Sequence[Sequence[Sequence[int]]],
    linked: Linked = "rows",
) -> list[str]:
    """:func:`check_no_disclosure` for tables published together."""
    return _audit_tables(tables, counts, linked)[0]


def hidden_intervals(
    table: SuppressedTable, counts: Sequence[Sequence[int]]
) -> list[HiddenInterval]:
    """The feasible range of every hidden cell and total of one table."""
    return _audit_tables([table], [counts], "rows")[1]


def check_counts_no_disclosure(result: SuppressedCounts, mapping: Mapping[str, int]) -> list[str]:
    """:func:`check_no_disclosure` for a 1-D breakdown."""
    counts = {str(k): _count(v) for k, v in mapping.items()}
    if set(counts) != set(result.values):
        raise ValueError("the categories differ from the suppressed result")
    problem = _Problem()
    total_id = problem.add(
        sum(counts.values()), displayed=result.has_total, is_total=True, label="total"
    )
    ids = [
        problem.add(v, displayed=True, is_total=False, label=f"category {k!r}")
        for k, v in counts.items()
    ]
    problem.relate(total_id, ids)
    shown = [result.total, *(result.values[k] for k in counts)]
    return _audit(problem, shown, result.policy)[0]
