"""Which groups of respondents may be shown: minimum group size with complementary hiding.

Plain Python and polars (no Django), so the rule can be tested on its own and reused by
the report.  Two decisions: :func:`disclose` (everyone and one breakdown at a time) and
:func:`disclose_filtered` (within one group of the survey's *filter question*, one
breakdown at a time).  ``docs/survey-results.md`` explains both for readers.

**One breakdown at a time** (:func:`disclose`).  A survey's results are published for
*cells*: everyone, and each value of one breakdown (``role = faculty``, ``unit =
surgery``).  A score (a mean, a percent favourable, a count of respondents) over a cell
is a sum over its respondents, so subtracting published cells from one another gives the
sum over the respondents in the difference.  The rule:

1. **Primary.** A cell with fewer than ``k`` respondents is hidden.
2. **Complementary.** For every breakdown, the hidden groups together hold ``0`` or at
   least ``k`` respondents (otherwise the smallest shown group is hidden too), so everyone
   minus the shown groups never isolates a small group.
3. **Nested cells.** When a shown cell lies inside another shown cell (all faculty are in
   one unit), the two differ by ``0`` or at least ``k`` respondents; otherwise the
   smaller is hidden.

With one breakdown at a time, any 0/1 combination of published cells over every possible
combination of codes is a union of groups of one breakdown that contains all of its
hidden groups or none, hence empty or of at least ``k`` respondents (the reader cannot
tell an empty combination from a hidden one: empty groups are shown like hidden ones).

**Why only one filter question** (:func:`disclose_filtered`).  Crossing every pair of
questions is unsafe even when every crossed cell is large: with three yes/no questions
x, y, z, the sum ``1 - x - y - z + xy + xz + yz`` of published two-way cells counts
exactly the people answering (no, no, no) or (yes, yes, yes), which may be one person.
So a survey names one *filter question* F (a unit, or one category); a reader may look
inside one group ``F = a`` and break it down by any other question B, never by two
filters at once.  Every view the reader can ask for is published at once as far as the
rule is concerned: everyone, every one-way group, and every allowed ``(F = a, B = w)``.
The rule for the crossed views, on top of :func:`disclose` for the one-way cells:

4. **Whole views only.** The view "group a by B" is *open* only if ``F = a`` is shown by
   :func:`disclose` and every non-empty ``(a, w)`` has at least ``k`` respondents; an
   open view shows all its groups, a *closed* one none (nothing is hidden inside a view).
5. **Closed groups together.** For every B and every one-way *part* of B (each shown
   group ``B = w``, and all hidden groups of B together), the respondents of that part
   in the groups of F closed for B number ``0`` or at least ``k``; otherwise the open
   group of F holding the fewest of them is closed for B too.  This is what stops
   "faculty (one-way) minus faculty in each open unit" from isolating the faculty of a
   closed unit.
6. **Nested cells** as in rule 3, between an open view's groups and every other shown
   cell: ``(a, w)`` inside ``(a, u)`` of another open view, inside or around a one-way
   group ``C = u``, or everyone minus ``(a, w)``: a difference of 1 to ``k - 1`` closes
   the view.

Why this holds: every published function is a sum of functions of (F, B) pairs, so
within one group ``F = a`` a 0/1 combination depends on one question only; where that
view is open the combination is a union of its groups (each 0 or at least ``k``), and
where it is closed it follows the one-way groups of that question, the same in every
closed group of F, which rule 5 keeps at 0 or at least ``k``.  Rules 1-6 only ever
hide more, and hiding every crossed view gives back :func:`disclose`, so the procedure
ends.  ``tests/test_disclosure.py`` checks both decisions on random data against the
exact criterion (an integer program over all combinations of codes: no set of 1 to
``k - 1`` respondents is a linear combination of the published cells).

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
    frame = _codes(records, dims)
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


@dataclass(frozen=True)
class FilteredDisclosure:
    """Which views "group ``a`` of the filter question, by question B" may be shown.

    ``base`` is the one-way decision (:func:`disclose`); ``cross`` counts respondents per
    (filter group, question, answer); ``open`` holds the (filter group, question) views
    that may be shown whole.
    """

    k: int
    filter_dim: str
    base: Disclosure
    cross: dict[tuple[str, str, str], int]
    open: frozenset[tuple[str, str]]

    def strata(self) -> list[str]:
        """The filter's groups a reader may look inside (shown one-way)."""
        return sorted(c.value for c in self.base.shown if c.dim == self.filter_dim and c.value)

    def is_open(self, stratum: str, dim: str) -> bool:
        return (stratum, dim) in self.open

    def size(self, stratum: str, dim: str, value: str) -> int | None:
        """Respondents in (filter group, answer), or None when the view is closed."""
        if (stratum, dim) not in self.open:
            return None
        return self.cross.get((stratum, dim, value), 0)


def _codes(
    records: Sequence[Mapping[str, str]] | pl.DataFrame, dims: Sequence[str]
) -> pl.DataFrame:
    if isinstance(records, pl.DataFrame):
        return records.select([pl.col(d).cast(pl.String).fill_null(NOT_ANSWERED) for d in dims])
    return pl.DataFrame(
        {d: [str(r.get(d) or NOT_ANSWERED) for r in records] for d in dims},
        schema=dict.fromkeys(dims, pl.String),
    )


def disclose_filtered(
    records: Sequence[Mapping[str, str]] | pl.DataFrame,
    *,
    dims: Sequence[str],
    filter_dim: str,
    k: int = 5,
) -> FilteredDisclosure:
    """Decide which filtered views may be shown (rules 4-6 of the module's docstring).

    ``dims``: every breakdown offered, ``filter_dim`` among them; ``k``: the smallest
    group shown.  The one-way decision is :func:`disclose` over the same ``dims``.
    """
    if filter_dim not in dims:
        raise ValueError(f"the filter question {filter_dim!r} is not one of the breakdowns")
    base = disclose(records, dims=dims, k=k)
    frame = _codes(records, dims)
    f = filter_dim
    others = [d for d in dims if d != f]
    cross: dict[tuple[str, str, str], int] = {}
    for b in others:
        for a, w, n in frame.group_by(f, b).len().iter_rows():
            cross[(a, b, w)] = int(n)
    strata = sorted({a for a, _, _ in cross})
    values = {b: sorted({w for _, d, w in cross if d == b}) for b in others}

    def in_view(a: str, b: str) -> list[tuple[str, int]]:
        return [(w, cross.get((a, b, w), 0)) for w in values[b]]

    open_: set[tuple[str, str]] = {
        (a, b)
        for a in strata
        for b in others
        if base.is_shown(CellKey(f, a)) and all(n == 0 or n >= k for _, n in in_view(a, b))
    }
    # The one-way parts of each question: every shown group alone, the hidden ones together.
    parts: dict[str, list[frozenset[str]]] = {}
    for b in others:
        shown_values = [w for w in values[b] if base.is_shown(CellKey(b, w))]
        hidden_values = frozenset(w for w in values[b] if not base.is_shown(CellKey(b, w)))
        parts[b] = [frozenset([w]) for w in shown_values] + (
            [hidden_values] if hidden_values else []
        )
    triples: list[tuple[str, str, str, str, str, int]] = []
    for b in others:
        for c in others:
            if b == c:
                continue
            for a, w, u, n in frame.group_by(f, b, c).len().iter_rows():
                triples.append((a, b, w, c, u, int(n)))
    total = base.sizes[OVERALL]

    def close_smallest(candidates: Sequence[tuple[int, str, str]]) -> bool:
        options = [c for c in candidates if (c[1], c[2]) in open_ and c[0] > 0]
        if not options:
            return False
        _, a, b = min(options)
        open_.discard((a, b))
        return True

    changed = True
    while changed:
        changed = False
        for b in others:
            for part in parts[b]:
                inside = {a: sum(cross.get((a, b, w), 0) for w in part) for a in strata}
                closed = sum(n for a, n in inside.items() if (a, b) not in open_)
                if 0 < closed < k and close_smallest([(n, a, b) for a, n in inside.items()]):
                    changed = True
        for (a, b, _w), n in cross.items():
            if (a, b) in open_ and 0 < total - n < k:
                open_.discard((a, b))
                changed = True
        for a, b, w, c, u, n in triples:
            if (a, b) not in open_:
                continue
            n_aw, n_au, n_u = cross[(a, b, w)], cross[(a, c, u)], base.sizes.get(CellKey(c, u), 0)
            u_shown = base.is_shown(CellKey(c, u))
            leaks = n == n_aw and (
                ((a, c) in open_ and 0 < n_au - n_aw < k) or (u_shown and 0 < n_u - n_aw < k)
            )
            leaks = leaks or (n == n_u and u_shown and 0 < n_aw - n_u < k)
            if leaks:
                open_.discard((a, b))
                changed = True
    return FilteredDisclosure(k=k, filter_dim=f, base=base, cross=cross, open=frozenset(open_))


#: The stored label of the pooled group of :func:`pool_small_groups` (never a unit's name).
POOLED = "(other units)"


def pool_small_groups(counts: Mapping[str, int], *, k: int, pooled: str = POOLED) -> dict[str, str]:
    """Recode a label that the system fills in (an invitee's unit) so that every stored
    label holds ``0`` or at least ``k`` members: each label -> the label to store.

    Used where the label is written next to answers that must stay anonymous: unlike a
    demographic answer it is accurate and cannot be skipped, and the office knows who was
    invited and who responded, so a label held by fewer than ``k`` people points at them
    in the stored rows themselves, whatever the results pages hide.

    Every label with fewer than ``k`` members (``""``, no label, included) is stored as
    ``pooled``; when the pool then holds 1 to ``k - 1``, the smallest remaining labels join
    it until it holds at least ``k`` (everything is pooled when the whole is below ``k``).
    Members already stored as ``pooled`` count toward the pool.  Only ever coarsens:
    applying it again to its own result changes nothing.
    """
    if k < 1:
        raise ValueError("k must be at least 1")
    for label, n in counts.items():
        if isinstance(n, bool) or not isinstance(n, int) or n < 0:
            raise ValueError(f"the count of {label!r} must be a count, not {n!r}")
    kept = {label: n for label, n in counts.items() if label != pooled and n >= k}
    pool = sum(n for label, n in counts.items() if label not in kept)
    while 0 < pool < k and kept:
        smallest = min(kept, key=lambda label: (kept[label], label))
        pool += kept.pop(smallest)
    return {label: (label if label in kept else pooled) for label in counts}
