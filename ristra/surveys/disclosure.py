"""Which groups of respondents may be shown: minimum group size with complementary hiding.

Plain Python and polars (no Django), so the rule can be tested on its own and reused by the report.

A survey's results are published for *cells*: everyone, and each value of one breakdown
(``role = faculty``, ``unit = surgery``), one breakdown at a time.  A score (a mean, a
percent favourable, a count of respondents) over a cell is a sum over its respondents, so
subtracting published cells from one another gives the sum over the respondents in the
difference.  The rule:

1. **Primary.** A cell with fewer than ``k`` respondents is hidden.
2. **Complementary.** For every breakdown, the hidden groups together hold ``0`` or at
   least ``k`` respondents (otherwise the smallest shown group is hidden too), so everyone
   minus the shown groups never isolates a small group.
3. **Nested cells.** When a shown cell lies inside another shown cell (all faculty are in
   one unit), the two differ by ``0`` or at least ``k`` respondents; otherwise the
   smaller is hidden.

Why breakdowns are not crossed (no "unit x role" cells): with one breakdown at a time,
any 0/1 combination of published cells over every possible combination of codes is a
union of groups of one breakdown that contains all of its hidden groups or none, hence
empty or of at least ``k`` respondents (the reader cannot tell an empty combination from
a hidden one: empty groups are shown like hidden ones).  Crossed tables break this: the
heuristics above then leave small sets recoverable by inclusion-exclusion, which the
exact test found.  ``tests/test_disclosure.py`` checks the outcome on random data
against that exact criterion (an integer program over all combinations of codes).

Respondents who skipped a demographic question form the group ``""`` ("not answered"),
which is a part like any other, so parts always add up to their whole.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import polars as pl

NOT_ANSWERED = ""


@dataclass(frozen=True, order=True)
class CellKey:
    """A breakdown ``dim`` and its ``value`` ("" and "" for everyone)."""

    dim: str = ""
    value: str = ""


OVERALL = CellKey()


@dataclass(frozen=True)
class Disclosure:
    k: int
    sizes: dict[CellKey, int]
    shown: frozenset[CellKey]

    def is_shown(self, cell: CellKey) -> bool:
        return cell in self.shown

    def size(self, cell: CellKey) -> int | None:
        """The cell's number of respondents, or None when it is hidden."""
        return self.sizes.get(cell, 0) if cell in self.shown else None


def disclose(
    records: Sequence[Mapping[str, str]] | pl.DataFrame,
    *,
    dims: Sequence[str],
    k: int = 5,
) -> Disclosure:
    """Decide which cells may be shown for these respondents: one mapping of codes each,
    or a frame with a column per breakdown (null or "" for not answered).

    ``dims``: the breakdowns offered; ``k``: the smallest group shown.
    """
    if k < 1:
        raise ValueError("k must be at least 1")
    if isinstance(records, pl.DataFrame):
        frame = records.select([pl.col(d).cast(pl.String).fill_null(NOT_ANSWERED) for d in dims])
    else:
        frame = pl.DataFrame(
            {d: [str(r.get(d) or NOT_ANSWERED) for r in records] for d in dims},
            schema=dict.fromkeys(dims, pl.String),
        )
    total = len(records)
    sizes: dict[CellKey, int] = {OVERALL: total}
    for d in dims:
        for value, n in frame.group_by(d).len().iter_rows():
            sizes[CellKey(d, value)] = int(n)
    shown = {key for key, n in sizes.items() if n >= k}
    partitions = [(OVERALL, sorted(c for c in sizes if c.dim == d)) for d in dims]
    # Nested pairs (inner strictly inside outer, differing by 1..k-1 respondents): every
    # group is inside everyone; (a = v) is inside (b = w) when all with a = v have b = w.
    nested: list[tuple[CellKey, CellKey]] = [
        (OVERALL, cell) for cell, n in sizes.items() if cell != OVERALL and 0 < total - n < k
    ]
    for i, a in enumerate(dims):
        for b in dims[i + 1 :]:
            for va, vb, n in frame.group_by(a, b).len().iter_rows():
                inner_a, inner_b = CellKey(a, va), CellKey(b, vb)
                if sizes[inner_a] == n and 0 < sizes[inner_b] - n < k:
                    nested.append((inner_b, inner_a))
                if sizes[inner_b] == n and 0 < sizes[inner_a] - n < k:
                    nested.append((inner_a, inner_b))

    def hide_smallest(candidates: Sequence[CellKey]) -> bool:
        options = [c for c in candidates if c in shown and sizes[c] > 0]
        if not options:
            return False
        shown.discard(min(options, key=lambda c: (sizes[c], c)))
        return True

    changed = True
    while changed:
        changed = False
        for parent, children in partitions:
            hidden = sum(sizes[c] for c in children if c not in shown)
            if parent in shown:
                if 0 < hidden < k and hide_smallest(children):
                    changed = True
            elif (
                sizes[parent] > 0
                and all(c in shown or sizes[c] == 0 for c in children)
                and hide_smallest(children)
            ):
                changed = True
        for outer, inner in nested:
            if outer in shown and inner in shown:
                shown.discard(inner)
                changed = True
    return Disclosure(k=k, sizes=sizes, shown=frozenset(shown))
