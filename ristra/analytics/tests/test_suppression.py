from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ristra.analytics.suppression import (
    COMPLEMENTARY,
    PRIMARY,
    SMALL_DENOMINATOR,
    SuppressedTable,
    SuppressionPolicy,
    _Bounds,
    _build,
    _FlowBounds,
    _Problem,
    check_counts_no_disclosure,
    check_no_disclosure,
    check_tables_no_disclosure,
    format_cell,
    format_percent,
    hidden_intervals,
    rate_reason,
    suppress_counts,
    suppress_rate,
    suppress_table,
    suppress_tables,
    table_rates,
)

K11 = SuppressionPolicy()
T = TypeVar("T")
SETTINGS = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Counts skewed small: many zeros and many values around the threshold.
small_counts = st.one_of(
    st.integers(0, 4), st.integers(0, 12), st.integers(0, 40), st.sampled_from([0, 1, 2, 11])
)
policies = st.builds(
    SuppressionPolicy,
    min_count=st.sampled_from([5, 11, 20]),
    min_denominator=st.sampled_from([5, 11, 30]),
    show_zero=st.booleans(),
)


@st.composite
def tables(draw: st.DrawFn, values: st.SearchStrategy[int] = small_counts) -> list[list[int]]:
    n_rows = draw(st.integers(2, 6))
    n_columns = draw(st.integers(2, 6))
    return draw(
        st.lists(
            st.lists(values, min_size=n_columns, max_size=n_columns),
            min_size=n_rows,
            max_size=n_rows,
        )
    )


@st.composite
def linked_pairs(draw: st.DrawFn) -> tuple[list[list[int]], list[list[int]]]:
    """Two breakdowns of the same rows (e.g. program by sex, program by category)."""
    first = draw(tables())
    second: list[list[int]] = []
    n_columns = draw(st.integers(2, 4))
    for row in first:
        remaining = sum(row)
        cells = []
        for _ in range(n_columns - 1):
            part = draw(st.integers(0, remaining))
            cells.append(part)
            remaining -= part
        second.append([*cells, remaining])
    return first, second


def transpose(matrix: Sequence[Sequence[T]]) -> list[list[T]]:
    return [list(column) for column in zip(*matrix, strict=True)]


def all_published(table: SuppressedTable) -> list[int]:
    numbers = [v for row in table.values for v in row if v is not None]
    numbers += [v for v in table.row_totals or [] if v is not None]
    numbers += [v for v in table.column_totals or [] if v is not None]
    if table.grand_total is not None:
        numbers.append(table.grand_total)
    return numbers


def assert_consistent(table: SuppressedTable, counts: Sequence[Sequence[int]]) -> None:
    """Published numbers are the true ones; reasons match the policy."""
    policy = table.policy
    for row, reasons, original in zip(table.values, table.reasons, counts, strict=True):
        for value, reason, true in zip(row, reasons, original, strict=True):
            if policy.is_sensitive(true):
                assert value is None and reason == PRIMARY
            elif value is None:
                assert reason == COMPLEMENTARY and true > 0  # zeros never hidden to protect
            else:
                assert value == true and reason is None
    if table.row_totals is not None:
        for value, true in zip(table.row_totals, [sum(r) for r in counts], strict=True):
            assert value in (None, true)
    if table.column_totals is not None:
        for value, true in zip(
            table.column_totals, [sum(c) for c in transpose(counts)], strict=True
        ):
            assert value in (None, true)
    assert not any(policy.is_sensitive(v) for v in all_published(table))


# --------------------------------------------------------------------------- the guarantee
@SETTINGS
@given(tables(), policies, st.booleans(), st.booleans())
def test_it_leaves_every_hidden_count_wide_open_under_linear_programming(
    counts: list[list[int]], policy: SuppressionPolicy, row_totals: bool, column_totals: bool
) -> None:
    table = suppress_table(
        counts, policy=policy, row_totals=row_totals, column_totals=column_totals
    )
    assert len(table.values) == len(counts) and len(table.values[0]) == len(counts[0])
    assert_consistent(table, counts)
    assert check_no_disclosure(table, counts) == []
    # The same, spelled out: each hidden sensitive count keeps >= k possible values.
    for interval in hidden_intervals(table, counts):
        assert interval.low <= interval.value
        assert interval.high is None or interval.value <= interval.high
        if policy.is_sensitive(interval.value):
            assert interval.width >= policy.min_count - 1
        else:
            assert interval.width >= 1


@settings(max_examples=25, deadline=None)
@given(tables(), st.sampled_from([5, 11]))
def test_it_hides_nothing_when_every_count_is_zero_or_at_least_k(
    counts: list[list[int]], k: int
) -> None:
    counts = [[0 if v < 3 else v + k for v in row] for row in counts]
    table = suppress_table(counts, policy=SuppressionPolicy(min_count=k))
    assert table.values == counts
    assert table.row_totals == [sum(r) for r in counts]
    assert table.column_totals == [sum(c) for c in transpose(counts)]
    assert table.grand_total == sum(map(sum, counts))
    assert table.notes == []


def test_it_shows_zeros_and_hides_small_counts() -> None:
    counts = [[0, 25, 3], [14, 0, 30], [20, 18, 0]]
    table = suppress_table(counts)
    assert table.values[0][0] == 0 and table.values[1][1] == 0 and table.values[2][2] == 0
    assert table.values[0][2] is None and table.reasons[0][2] == PRIMARY
    assert check_no_disclosure(table, counts) == []


def test_it_hides_zeros_when_the_policy_says_so() -> None:
    counts = [[0, 25, 30], [14, 12, 30], [20, 18, 40]]
    table = suppress_table(counts, policy=SuppressionPolicy(show_zero=False))
    assert table.values[0][0] is None and table.reasons[0][0] == PRIMARY
    assert check_no_disclosure(table, counts) == []
    assert table.notes[0].startswith("1 cell with a count from 0 to 10 is hidden; ")


def test_it_handles_a_lone_hidden_cell_in_a_row_of_zeros() -> None:
    # The 15 is hidden to protect the small counts around it; its row is otherwise zeros,
    # so the row total would give it back: the row total is hidden as well.
    counts = [[15, 0, 0, 0], [20, 20, 20, 0], [20, 20, 0, 3], [0, 3, 20, 3]]
    table = suppress_table(counts)
    assert table.values[0] == [None, 0, 0, 0] and table.reasons[0][0] == COMPLEMENTARY
    assert table.row_totals is not None and table.row_totals[0] is None
    assert check_no_disclosure(table, counts) == []
    leaky = SuppressedTable(**{**table.__dict__, "row_totals": [15, *table.row_totals[1:]]})
    assert "cell (row 1, column 1) is hidden but can be worked out exactly (15)" in (
        check_no_disclosure(leaky, counts)
    )


def test_it_handles_a_row_holding_only_zeros_and_one_small_count() -> None:
    counts = [[0, 0, 4], [30, 22, 25], [20, 12, 18]]
    table = suppress_table(counts)
    assert table.values[0] == [0, 0, None]
    assert table.row_totals is not None and table.row_totals[0] is None  # 4 is small too
    assert check_no_disclosure(table, counts) == []


def test_it_widens_two_small_counts_that_share_a_row() -> None:
    # Hiding the classic rectangle would leave the 1s at 0..2: hide more.
    counts = [[1, 1, 50], [30, 40, 60], [25, 35, 45]]
    table = suppress_table(counts)
    intervals = {i.label: i for i in hidden_intervals(table, counts)}
    assert intervals["cell (row 1, column 1)"].width >= 10
    assert intervals["cell (row 1, column 2)"].width >= 10
    assert len(table.hidden_cells()) > 4
    assert check_no_disclosure(table, counts) == []


def test_it_protects_small_totals() -> None:
    counts = [[2, 3, 0], [30, 40, 60], [25, 35, 45]]
    table = suppress_table(counts)
    assert table.row_totals is not None and table.row_totals[0] is None
    assert table.row_total_reasons is not None and table.row_total_reasons[0] == PRIMARY
    assert check_no_disclosure(table, counts) == []


def test_it_hides_everything_small_when_the_whole_table_is_small() -> None:
    counts = [[1, 2], [0, 3]]
    table = suppress_table(counts)
    assert table.values == [[None, None], [0, None]]
    assert table.grand_total is None and table.has_grand_total
    assert check_no_disclosure(table, counts) == []


def test_it_supports_tables_without_totals() -> None:
    counts = [[3, 40], [50, 60]]
    bare = suppress_table(counts, row_totals=False, column_totals=False)
    assert bare.values == [[None, 40], [50, 60]]  # nothing to subtract from
    assert bare.row_totals is None and bare.column_totals is None and not bare.has_grand_total
    rows_only = suppress_table(counts, column_totals=False)
    assert rows_only.values[0] == [None, None] and rows_only.values[1] == [50, 60]
    assert check_no_disclosure(rows_only, counts) == []


def test_it_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="same number of cells"):
        suppress_table([[1, 2], [3]])
    with pytest.raises(ValueError, match="negative"):
        suppress_table([[1, -2]])
    with pytest.raises(TypeError):
        suppress_table([[1, 2.5]])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="min_count"):
        SuppressionPolicy(min_count=0)


# --------------------------------------------------------------------------- the checker
def test_it_checker_catches_primary_only_suppression() -> None:
    counts = [[3, 40], [50, 60]]
    naive = suppress_table(counts, row_totals=False, column_totals=False)
    # Publish the same cells with totals: the 3 comes straight back.
    leaky = SuppressedTable(
        values=naive.values,
        reasons=naive.reasons,
        row_totals=[43, 110],
        row_total_reasons=[None, None],
        column_totals=[53, 100],
        column_total_reasons=[None, None],
        grand_total=153,
        grand_total_reason=None,
        has_grand_total=True,
        notes=[],
        policy=K11,
    )
    assert check_no_disclosure(leaky, counts) == [
        "cell (row 1, column 1) is hidden but can be worked out exactly (3)"
    ]


def test_it_checker_reports_narrow_intervals_and_small_published_counts() -> None:
    counts = [[1, 1, 50], [30, 40, 60]]
    rectangle = SuppressedTable(
        values=[[None, None, 50], [None, None, 60]],
        reasons=[[PRIMARY, PRIMARY, None], [COMPLEMENTARY, COMPLEMENTARY, None]],
        row_totals=[52, 130],
        row_total_reasons=[None, None],
        column_totals=[31, 41, 110],
        column_total_reasons=[None, None, None],
        grand_total=182,
        grand_total_reason=None,
        has_grand_total=True,
        notes=[],
        policy=K11,
    )
    problems = check_no_disclosure(rectangle, counts)
    assert (
        "cell (row 1, column 1) is hidden but can only be 0 to 2 (3 possible values; "
        in (problems[0])
    )
    assert len(problems) == 2  # the two 1s; the 30 and 40 keep two possible values
    shown = SuppressedTable(**{**rectangle.__dict__, "values": [[1, None, 50], [None, None, 60]]})
    assert "cell (row 1, column 1) shows 1, a count from 1 to 10 that must be hidden" in (
        check_no_disclosure(shown, counts)
    )


# --------------------------------------------------------------------------- the engine's bounds
def assert_flow_bounds_match_linear_programming(
    problem: _Problem, hidden: list[bool], need: int
) -> None:
    assert problem.is_circulation
    exact = _Bounds(problem, hidden, integral=False)
    fast = _FlowBounds(problem, hidden)
    for item, is_hidden in enumerate(hidden):
        if is_hidden:
            assert fast.width(item, need) == exact.width(item, need)
            assert fast.meets(item, need) == exact.meets(item, need)


@SETTINGS
@given(tables(), st.data(), st.sampled_from([1, 4, 10, 1000]), st.booleans())
def test_it_engine_bounds_by_maximum_flow_equal_linear_programming(
    counts: list[list[int]], data: st.DataObject, need: int, totals: bool
) -> None:
    problem, _ = _build([counts], row_totals=totals, column_totals=True, grand_total=totals)
    n = len(problem.items)
    drawn = data.draw(st.lists(st.booleans(), min_size=n, max_size=n))
    hidden = [h or not item.displayed for h, item in zip(drawn, problem.items, strict=True)]
    assert_flow_bounds_match_linear_programming(problem, hidden, need)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data(), st.sampled_from([1, 10, 1000]))
def test_it_engine_bounds_of_linked_tables_by_maximum_flow_equal_linear_programming(
    data: st.DataObject, need: int
) -> None:
    pair = data.draw(linked_pairs())
    problem, _ = _build(list(pair), row_totals=True, column_totals=True, grand_total=True)
    hidden = data.draw(
        st.lists(st.booleans(), min_size=len(problem.items), max_size=len(problem.items))
    )
    assert_flow_bounds_match_linear_programming(problem, hidden, need)


def test_it_engine_bounds_of_a_breakdown_by_maximum_flow_equal_linear_programming() -> None:
    problem = _Problem(nodes=2)
    total = problem.add(26, displayed=True, is_total=True, label="total", arc=(1, 0))
    members = [
        problem.add(v, displayed=True, is_total=False, label=str(v), arc=(0, 1))
        for v in (3, 0, 12, 11)
    ]
    problem.relate(total, members)
    for pattern in range(1 << len(problem.items)):
        hidden = [bool(pattern >> n & 1) for n in range(len(problem.items))]
        for need in (1, 3, 10, 30):
            assert_flow_bounds_match_linear_programming(problem, hidden, need)


# --------------------------------------------------------------------------- linked tables
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(linked_pairs(), policies)
def test_it_suppresses_linked_tables_consistently(
    pair: tuple[list[list[int]], list[list[int]]], policy: SuppressionPolicy
) -> None:
    first, second = pair
    results = suppress_tables([first, second], "rows", policy=policy)
    assert results[0].row_totals == results[1].row_totals
    assert results[0].grand_total == results[1].grand_total
    for table, counts in zip(results, pair, strict=True):
        assert_consistent(table, counts)
    assert check_tables_no_disclosure(results, [first, second], "rows") == []


def test_it_closes_the_leak_between_tables_that_share_rows() -> None:
    by_sex = [[12, 30], [0, 20], [3, 0]]
    by_group = [[10, 32], [3, 17], [2, 1]]
    apart = suppress_tables([by_sex, by_group], "none")
    assert check_tables_no_disclosure(apart, [by_sex, by_group], "none") == []
    # Suppressed one by one, each is safe alone but together they leak.
    assert check_tables_no_disclosure(apart, [by_sex, by_group], "rows") != []
    together = suppress_tables([by_sex, by_group], "rows")
    assert check_tables_no_disclosure(together, [by_sex, by_group], "rows") == []


def test_it_links_tables_by_columns_as_the_transpose_of_rows() -> None:
    first = [[12, 0, 3], [30, 20, 0]]
    second = [[10, 3, 2], [32, 17, 1]]
    by_columns = suppress_tables([first, second], "columns")
    by_rows = suppress_tables([transpose(first), transpose(second)], "rows")
    for flipped, straight in zip(by_columns, by_rows, strict=True):
        assert flipped.values == transpose(straight.values)
        assert flipped.column_totals == straight.row_totals
    assert check_tables_no_disclosure(by_columns, [first, second], "columns") == []


def test_it_suppresses_three_linked_tables_with_integer_programming() -> None:
    first = [[12, 30], [0, 20], [3, 0]]
    second = [[10, 32], [3, 17], [2, 1]]
    third = [[40, 2], [15, 5], [0, 3]]
    results = suppress_tables([first, second, third])
    assert check_tables_no_disclosure(results, [first, second, third]) == []


def test_it_rejects_linked_tables_whose_rows_differ() -> None:
    with pytest.raises(ValueError, match="same row totals"):
        suppress_tables([[[1, 2]], [[1, 1]]])


# --------------------------------------------------------------------------- 1-D
@settings(max_examples=40, deadline=None)
@given(st.lists(small_counts, min_size=1, max_size=8), policies, st.booleans())
def test_it_protects_one_dimensional_breakdowns(
    values: list[int], policy: SuppressionPolicy, with_total: bool
) -> None:
    mapping = {f"c{n}": v for n, v in enumerate(values)}
    result = suppress_counts(mapping, sum(values) if with_total else None, policy=policy)
    hidden = [k for k, v in result.values.items() if v is None]
    assert all(result.values[k] == mapping[k] for k in mapping if k not in hidden)
    assert {k for k in mapping if policy.is_sensitive(mapping[k])} <= set(hidden)
    if with_total and result.total is not None:
        assert len(hidden) != 1
    if not with_total:
        assert all(result.reasons[k] == PRIMARY for k in hidden)
    assert check_counts_no_disclosure(result, mapping) == []


def test_it_hides_a_second_category_when_the_total_is_shown() -> None:
    result = suppress_counts({"a": 5, "b": 40, "c": 60}, 105)
    assert result.values == {"a": None, "b": None, "c": 60}
    assert result.reasons == {"a": PRIMARY, "b": COMPLEMENTARY, "c": None}
    assert result.total == 105
    assert result.notes == [
        "1 category with a count from 1 to 10 is hidden; 1 more is hidden so that it cannot "
        "be worked out from the total."
    ]
    alone = suppress_counts({"a": 5, "b": 40, "c": 60})
    assert alone.values == {"a": None, "b": 40, "c": 60} and not alone.has_total
    two_small = suppress_counts({"a": 1, "b": 2, "c": 40, "d": 60}, 103)
    assert two_small.values["c"] is None  # 1 + 2 alone would pin both to 0..3
    with pytest.raises(ValueError, match="must equal"):
        suppress_counts({"a": 5}, 6)


# --------------------------------------------------------------------------- rates
def test_it_hides_rates_with_small_denominators_or_hidden_parts() -> None:
    assert suppress_rate(50, 100) == 0.5
    assert suppress_rate(0, 100) == 0.0
    assert suppress_rate(5, 100) is None  # the numerator is small
    assert suppress_rate(12, 8) is None
    assert rate_reason(0, 5) == SMALL_DENOMINATOR
    assert rate_reason(0, 0) == SMALL_DENOMINATOR
    assert rate_reason(95, 100) == COMPLEMENTARY  # 5 people are not counted
    assert suppress_rate(95, 100, protect_complement=False) == 0.95
    assert rate_reason(50, 100, numerator_hidden=True) == COMPLEMENTARY
    assert rate_reason(50, 100, denominator_hidden=True) == COMPLEMENTARY
    strict = SuppressionPolicy(min_count=5, min_denominator=30)
    assert rate_reason(12, 20, policy=strict) == SMALL_DENOMINATOR
    assert suppress_rate(12, 40, policy=strict) == 0.3


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tables(), policies, st.sampled_from(["row", "column", "total"]))
def test_it_never_derives_a_rate_from_a_hidden_number(
    counts: list[list[int]], policy: SuppressionPolicy, of: str
) -> None:
    table = suppress_table(counts, policy=policy)
    rates = table_rates(table, of=of)  # type: ignore[arg-type]
    assert table.row_totals is not None and table.column_totals is not None
    for i, row in enumerate(rates.values):
        for j, rate in enumerate(row):
            base = {
                "row": table.row_totals[i],
                "column": table.column_totals[j],
                "total": table.grand_total,
            }[of]
            cell = table.values[i][j]
            if cell is None or base is None or base < policy.min_denominator:
                assert rate is None and rates.reasons[i][j] is not None
            else:
                assert rate == cell / base and rates.reasons[i][j] is None
            if base is not None and 0 < base < policy.min_denominator:
                assert rates.reasons[i][j] == SMALL_DENOMINATOR


def test_it_formats_cells_and_percentages_with_one_marker() -> None:
    assert format_cell(1234) == "1,234"
    assert format_cell(None) == "*"
    assert format_percent(0.1234) == "12.3%"
    assert format_percent(None, marker="–") == "–"


# --------------------------------------------------------------------------- notes
def test_it_explains_what_is_hidden() -> None:
    table = suppress_table([[1, 20, 30], [15, 25, 40], [12, 0, 3]])
    assert table.notes == [
        "2 cells with counts from 1 to 10 are hidden; 2 more are hidden so that they cannot "
        "be worked out from the totals."
    ]
    one = suppress_table([[3, 40], [50, 60]])
    assert one.notes == [
        "1 cell with a count from 1 to 10 is hidden; 3 more are hidden so that it cannot "
        "be worked out from the totals."
    ]
    totals = suppress_table([[2, 3, 0], [30, 40, 60], [25, 35, 45]])
    assert "1 total with a count from 1 to 10 is hidden." in totals.notes
    tiny = suppress_table([[1, 3], [4, 5]], policy=SuppressionPolicy(min_count=2))
    assert tiny.notes[0].startswith("1 cell with a count of 1 is hidden; ")
    three = suppress_table([[1, 2, 4, 30], [20, 30, 40, 25], [25, 35, 45, 50]])
    assert three.notes[0].startswith("3 cells with counts from 1 to 10 are hidden; ")
