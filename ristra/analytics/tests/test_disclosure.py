"""The disclosure rule against an exact criterion: no small set of respondents can be
worked out from the published cells, for any filter combinations offered."""

from __future__ import annotations

import itertools
import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import Bounds, LinearConstraint, milp

from ristra.analytics.disclosure import (
    OVERALL,
    CellKey,
    Disclosure,
    FilteredDisclosure,
    disclose,
    disclose_filtered,
)

Records = list[dict[str, str]]

DOMAINS = {
    "unit": ["u1", "u2", "u3"],
    "role": ["faculty", "staff", "student", ""],
    "gender": ["w", "m", "x"],
}


def _revealed_small_set(
    records: Records, dims: list[str], result: Disclosure, k: int
) -> list[tuple[str, ...]] | None:
    """A set of 1..k-1 respondents whose total is a linear combination of the shown cells."""
    cells = [{c.dim: c.value} if c.dim else {} for c in sorted(result.shown)]
    return _revealed_by(records, dims, cells, k)


def _revealed_by(
    records: Records, dims: list[str], cells: list[dict[str, str]], k: int
) -> list[tuple[str, ...]] | None:
    """A set of 1..k-1 respondents whose total is a linear combination of ``cells``
    (each a mapping question -> answer that its respondents all share; {} is everyone).

    Exact, by integer programming: the unknowns are the counts (or score sums) of every
    combination of codes, including those nobody has (the reader does not know which are
    empty, since an empty cell is shown like a hidden one).  Find 0/1 weights ``v`` over
    the combinations with ``v = M^T y`` for some real ``y`` (so ``v . x`` is computable
    from the published ``M x``) and ``1 <= v . counts <= k - 1``.
    """
    grid = list(itertools.product(*(DOMAINS[d] for d in dims)))
    counts = np.array(
        [sum(1 for r in records if tuple(r[d] for d in dims) == atom) for atom in grid],
        dtype=float,
    )

    def member(cell: dict[str, str], atom: tuple[str, ...]) -> bool:
        return all(atom[dims.index(d)] == v for d, v in cell.items())

    if not cells:
        return None
    matrix = np.array([[1.0 if member(c, a) else 0.0 for a in grid] for c in cells])
    n_cells, n_atoms = matrix.shape
    # variables: y (n_cells, free), v (n_atoms, binary)
    c = np.zeros(n_cells + n_atoms)
    equality = LinearConstraint(np.hstack([matrix.T, -np.eye(n_atoms)]), 0, 0)
    size = LinearConstraint(np.concatenate([np.zeros(n_cells), counts])[None, :], 1, k - 1)
    bounds = Bounds(
        np.concatenate([np.full(n_cells, -1e6), np.zeros(n_atoms)]),
        np.concatenate([np.full(n_cells, 1e6), np.ones(n_atoms)]),
    )
    integrality = np.concatenate([np.zeros(n_cells), np.ones(n_atoms)])
    found = milp(c, constraints=[equality, size], bounds=bounds, integrality=integrality)
    if found.status != 0:
        return None
    v = np.round(found.x[n_cells:]).astype(int)
    return [grid[i] for i in np.flatnonzero(v)]


def _published_filtered(result: FilteredDisclosure) -> list[dict[str, str]]:
    """Every cell a reader can obtain: the one-way cells and the open views' groups, with
    every answer of the question (an empty group in an open view is shown as empty)."""
    cells = [{c.dim: c.value} if c.dim else {} for c in sorted(result.base.shown)]
    for stratum, dim in sorted(result.open):
        for value in DOMAINS[dim]:
            cells.append({result.filter_dim: stratum, dim: value})
    return cells


records_strategy = st.lists(
    st.fixed_dictionaries(
        {
            "unit": st.sampled_from(["u1", "u2", "u3"]),
            "role": st.sampled_from(["faculty", "staff", "student", ""]),
            "gender": st.sampled_from(["w", "m", "x"]),
        }
    ),
    min_size=0,
    max_size=60,
)


@settings(max_examples=150, deadline=None)
@given(
    records=records_strategy,
    k=st.integers(min_value=3, max_value=6),
    offered=st.sets(st.sampled_from(["unit", "role", "gender"]), min_size=1),
)
def test_no_combination_of_breakdowns_reveals_a_small_group(
    records: Records, k: int, offered: set[str]
) -> None:
    dims = sorted(offered)
    result = disclose(records, dims=dims, k=k)
    for cell in result.shown:
        assert result.sizes[cell] >= k or result.sizes[cell] == 0
    assert _revealed_small_set(records, dims, result, k) is None


def test_it_hides_a_second_group_when_one_is_small() -> None:
    records = [{"role": "faculty"}] * 12 + [{"role": "staff"}] * 9 + [{"role": "student"}] * 2
    result = disclose(records, dims=["role"], k=5)
    assert result.is_shown(OVERALL)
    assert not result.is_shown(CellKey(dim="role", value="student"))
    # staff alone would give the two students back by difference from everyone
    assert not result.is_shown(CellKey(dim="role", value="staff"))
    assert result.is_shown(CellKey(dim="role", value="faculty"))


def test_it_hides_a_unit_that_differs_from_everyone_by_a_few() -> None:
    records = [{"unit": "a", "role": "faculty"}] * 30 + [{"unit": "b", "role": "staff"}] * 3
    result = disclose(records, dims=["unit", "role"], k=5)
    assert result.size(OVERALL) == 33
    assert not result.is_shown(CellKey(dim="unit", value="a"))
    assert not result.is_shown(CellKey(dim="role", value="faculty"))


def test_it_shows_nothing_under_k() -> None:
    result = disclose([{"role": "faculty"}] * 4, dims=["role"], k=5)
    assert result.shown == frozenset()


def test_random_large_input_is_fast_enough() -> None:
    import time

    rng = random.Random(3)
    dims = [f"d{i}" for i in range(8)]
    records = [{d: str(rng.randrange(4)) for d in dims} for _ in range(20_000)]
    for r in records:
        r["unit"] = str(rng.randrange(10))
    start = time.perf_counter()
    result = disclose(records, dims=[*dims, "unit"], k=5)
    assert time.perf_counter() - start < 5
    assert result.is_shown(OVERALL)


@settings(max_examples=150, deadline=None)
@given(
    records=records_strategy,
    k=st.integers(min_value=3, max_value=6),
    filter_dim=st.sampled_from(["unit", "role", "gender"]),
    skew=st.integers(min_value=0, max_value=40),
)
def test_no_filter_and_breakdown_combination_reveals_a_small_group(
    records: Records, k: int, filter_dim: str, skew: int
) -> None:
    """Differencing across every filtered view, the unfiltered views and everyone: the exact
    search finds no set of 1..k-1 respondents whose scores could be worked out."""
    # Lean on one filter group so that open and closed views occur together.
    records = records + [{"unit": "u1", "role": "faculty", "gender": "w"}] * skew
    dims = ["gender", "role", "unit"]
    result = disclose_filtered(records, dims=dims, filter_dim=filter_dim, k=k)
    for stratum, dim in result.open:
        assert result.base.is_shown(CellKey(filter_dim, stratum))
        for value in DOMAINS[dim]:
            n = result.size(stratum, dim, value)
            assert n is not None and (n == 0 or n >= k)
    assert _revealed_by(records, dims, _published_filtered(result), k) is None


def test_a_filtered_view_opens_when_every_group_is_large_enough() -> None:
    records = (
        [{"unit": "u1", "role": "faculty"}] * 12
        + [{"unit": "u1", "role": "staff"}] * 9
        + [{"unit": "u2", "role": "faculty"}] * 10
        + [{"unit": "u2", "role": "staff"}] * 8
    )
    result = disclose_filtered(records, dims=["unit", "role"], filter_dim="unit", k=5)
    assert result.strata() == ["u1", "u2"]
    assert result.is_open("u1", "role") and result.is_open("u2", "role")
    assert result.size("u1", "role", "staff") == 9
    assert result.size("u1", "role", "student") == 0


def test_differencing_the_unfiltered_view_closes_the_other_units_view() -> None:
    # u1 alone by role is safe (12 and 9); u2 has 2 staff, so its view is closed.  Then
    # staff overall (11) minus staff in u1 (9) would give u2's 2 staff: u1 closes too.
    records = (
        [{"unit": "u1", "role": "faculty"}] * 12
        + [{"unit": "u1", "role": "staff"}] * 9
        + [{"unit": "u2", "role": "faculty"}] * 10
        + [{"unit": "u2", "role": "staff"}] * 2
    )
    result = disclose_filtered(records, dims=["unit", "role"], filter_dim="unit", k=5)
    assert result.base.is_shown(CellKey("role", "staff"))
    assert not result.is_open("u2", "role")
    assert not result.is_open("u1", "role")
    assert result.size("u1", "role", "staff") is None


def test_a_third_unit_large_enough_keeps_the_first_open() -> None:
    records = (
        [{"unit": "u1", "role": "faculty"}] * 12
        + [{"unit": "u1", "role": "staff"}] * 9
        + [{"unit": "u2", "role": "faculty"}] * 10
        + [{"unit": "u2", "role": "staff"}] * 2
        + [{"unit": "u3", "role": "faculty"}] * 7
        + [{"unit": "u3", "role": "staff"}] * 4
    )
    # u2 and u3 are closed (2 and 4 staff); together they hold 6 staff and 17 faculty.
    result = disclose_filtered(records, dims=["unit", "role"], filter_dim="unit", k=5)
    assert result.is_open("u1", "role")
    assert not result.is_open("u2", "role") and not result.is_open("u3", "role")


def test_the_filter_must_be_one_of_the_breakdowns() -> None:
    with pytest.raises(ValueError, match="not one of the breakdowns"):
        disclose_filtered([{"role": "staff"}], dims=["role"], filter_dim="unit")


# --------------------------------------------------------------------------- pooled units
def test_units_below_the_threshold_are_pooled() -> None:
    from ristra.analytics.disclosure import POOLED, pool_small_groups

    recode = pool_small_groups({"Surgery": 12, "Medicine": 30, "Lab A": 2, "Lab B": 3}, k=5)
    assert recode == {
        "Surgery": "Surgery",
        "Medicine": "Medicine",
        "Lab A": POOLED,
        "Lab B": POOLED,
    }


def test_a_pool_still_too_small_takes_the_smallest_unit_with_it() -> None:
    from ristra.analytics.disclosure import POOLED, pool_small_groups

    recode = pool_small_groups({"Surgery": 12, "Medicine": 6, "Lab A": 2, "": 0}, k=5)
    assert recode == {"Surgery": "Surgery", "Medicine": POOLED, "Lab A": POOLED, "": POOLED}
    # already pooled rows count toward the pool
    assert pool_small_groups({"Surgery": 9, POOLED: 3, "Lab A": 2}, k=5) == {
        "Surgery": "Surgery",
        POOLED: POOLED,
        "Lab A": POOLED,
    }


def test_everything_is_pooled_when_the_whole_is_too_small() -> None:
    from ristra.analytics.disclosure import POOLED, pool_small_groups

    assert set(pool_small_groups({"a": 2, "b": 1}, k=5).values()) == {POOLED}
    with pytest.raises(ValueError):
        pool_small_groups({"a": -1}, k=5)
    with pytest.raises(ValueError):
        pool_small_groups({"a": 1}, k=0)


@settings(max_examples=300)
@given(
    counts=st.dictionaries(st.sampled_from(["", "a", "b", "c", "d", "e", "f"]), st.integers(0, 12)),
    k=st.integers(1, 8),
)
def test_every_stored_unit_holds_none_or_at_least_k(counts: dict[str, int], k: int) -> None:
    from ristra.analytics.disclosure import pool_small_groups

    recode = pool_small_groups(counts, k=k)
    assert set(recode) == set(counts)
    stored: dict[str, int] = {}
    for label, n in counts.items():
        stored[recode[label]] = stored.get(recode[label], 0) + n
    total = sum(counts.values())
    for n in stored.values():
        assert n == 0 or n >= k or total < k
    # a unit large enough on its own keeps its name unless the pool needed it
    for label, n in counts.items():
        if recode[label] != label and n >= k:
            assert all(counts[o] >= n for o, to in recode.items() if to == o and o)
    # only coarsens: recoding the result again changes nothing
    assert pool_small_groups(stored, k=k) == {label: label for label in stored} or total < k
