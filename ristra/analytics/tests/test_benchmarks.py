from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from pathlib import Path

import polars as pl
import pytest
import xlsxwriter
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ristra.analytics.benchmarks import (
    REQUIRED_COLUMNS,
    BenchmarkError,
    BenchmarkShare,
    BenchmarkTable,
    benchmark_share,
    load_benchmark,
)

ROOT = Path(__file__).resolve().parents[3]
SAMPLE = ROOT / "profiles" / "benchmark_sample_nm_2020.csv"
META = {"name": "Test benchmark", "source_text": "Test tables", "citation": "Test citation"}
HEADER = ",".join(REQUIRED_COLUMNS)


def csv_bytes(*lines: str, header: str = HEADER) -> bytes:
    return ("\n".join([header, *lines]) + "\n").encode()


def load(data: bytes, **meta: str | None) -> BenchmarkTable:
    kwargs: dict[str, str | None] = {**META, **meta}
    return load_benchmark(
        data,
        filename="bench.csv",
        name=kwargs["name"] or "",
        source_text=kwargs["source_text"] or "",
        citation=kwargs["citation"] or "",
        url=kwargs.get("url"),
    )


def refused(data: bytes, **meta: str | None) -> BenchmarkError:
    with pytest.raises(BenchmarkError) as info:
        load(data, **meta)
    return info.value


def only(error: BenchmarkError, rule: str) -> str:
    matching = [p for p in error.problems if p.rule == rule]
    assert len(matching) == 1, error.problems
    return matching[0].message


GOOD = (
    "NM,2020,all,all,hispanic,yes,40",
    "NM,2020,all,all,hispanic,no,60",
    "NM,2020,all,all,hispanic,total,100",
)


# ------------------------------------------------------------------------------ sample
@pytest.fixture(scope="module")
def sample() -> BenchmarkTable:
    return load_benchmark(
        SAMPLE,
        name="Illustrative sample",
        source_text="Fictional numbers shipped with Ristra",
        citation="Not a real source: for trying the feature only",
    )


def test_it_loads_the_shipped_sample(sample: BenchmarkTable) -> None:
    assert sample.frame.height == 144
    assert sample.filename == "benchmark_sample_nm_2020.csv"
    assert sample.geographies() == ["NM", "US"]
    assert sample.years() == [2020]
    assert sample.dimensions() == ["hispanic", "race_ethnicity_2024"]
    assert sample.frame.schema == pl.Schema(
        {
            "row": pl.Int64,
            "geography": pl.String,
            "year": pl.Int64,
            "age_band": pl.String,
            "sex": pl.String,
            "dimension": pl.String,
            "group": pl.String,
            "count": pl.Int64,
            "exclusive": pl.Boolean,
        }
    )


def test_it_keeps_the_sample_consistent(sample: BenchmarkTable) -> None:
    frame = sample.frame
    groups = set(frame.filter(pl.col("dimension") == "race_ethnicity_2024")["group"].to_list())
    assert groups == {
        "aian",
        "asian",
        "black",
        "hispanic",
        "mena",
        "nhpi",
        "white",
        "multiracial",
        "total",
    }
    keys = ["geography", "age_band", "dimension", "group"]
    by_sex = frame.pivot("sex", index=keys, values="count")
    assert (by_sex["female"] + by_sex["male"] == by_sex["all"]).all()
    members = frame.filter(pl.col("group") != "total")
    sums = members.group_by("geography", "age_band", "sex", "dimension").agg(pl.col("count").sum())
    totals = frame.filter(pl.col("group") == "total")
    joined = sums.join(totals, on=["geography", "age_band", "sex", "dimension"])
    assert (joined["count"] == joined["count_right"]).all()


# ------------------------------------------------------------------------------- share
def test_it_computes_a_share_with_its_count_total_and_citation(sample: BenchmarkTable) -> None:
    share = benchmark_share(
        sample, geography="nm", year=2020, dimension="race_ethnicity_2024", group="Hispanic"
    )
    assert isinstance(share, BenchmarkShare)
    assert (share.count, share.total) == (840_000, 2_100_000)
    assert share.share == pytest.approx(0.4)
    assert (share.geography, share.age_band, share.sex, share.exclusive) == (
        "NM",
        "all",
        "all",
        True,
    )
    assert share.citation == "Not a real source: for trying the feature only"
    assert share.describe().startswith(
        "NM 2020, all ages, both sexes: race_ethnicity_2024 'hispanic' 40.0% (840,000 of 2,100,000)."
    )


def test_it_computes_a_share_for_an_age_band_and_sex(sample: BenchmarkTable) -> None:
    share = benchmark_share(
        sample,
        geography="US",
        year=2020,
        dimension="hispanic",
        group="yes",
        age_band="25-64",
        sex="female",
    )
    totals = sample.frame.filter(
        (pl.col("geography") == "US")
        & (pl.col("age_band") == "25-64")
        & (pl.col("sex") == "female")
        & (pl.col("dimension") == "hispanic")
    )
    count = totals.filter(pl.col("group") == "yes")["count"].item()
    total = totals.filter(pl.col("group") == "total")["count"].item()
    assert (share.count, share.total) == (count, total)
    assert share.share == pytest.approx(count / total)
    assert "ages 25-64, female" in share.describe()


def test_it_lists_the_nearest_years_when_a_year_is_missing() -> None:
    lines = [
        f"NM,{y},all,all,hispanic,{g},{n}"
        for y in (2010, 2015, 2019, 2021, 2023)
        for g, n in (("yes", 40), ("total", 100))
    ]
    table = load(csv_bytes(*lines))
    with pytest.raises(BenchmarkError) as info:
        benchmark_share(table, geography="NM", year=2020, dimension="hispanic", group="yes")
    assert info.value.message == (
        "'Test benchmark' has no count for NM 2020, all ages, both sexes, hispanic 'yes'."
        " It has no 2020 figures for that group; the nearest years available are 2019, 2021"
        " and 2023."
    )
    assert info.value.rules == {"not_in_benchmark"}


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"geography": "TX"}, "The benchmark has no geography 'TX'; it has 'NM' and 'US'."),
        (
            {"dimension": "sex"},
            "The benchmark has no dimension 'sex'; it has 'hispanic' and 'race_ethnicity_2024'.",
        ),
        ({"group": "maybe"}, "The benchmark has no group 'maybe'; it has 'no', 'total' and 'yes'."),
        ({"age_band": "18-24"}, "The benchmark has no age band '18-24'; it has '25-64' and 'all'."),
        ({"sex": "x"}, "The benchmark has no sex 'x'; it has 'all', 'female' and 'male'."),
    ],
)
def test_it_says_what_is_missing(
    sample: BenchmarkTable, change: dict[str, str], reason: str
) -> None:
    args = {"geography": "NM", "dimension": "hispanic", "group": "yes", **change}
    with pytest.raises(BenchmarkError) as info:
        benchmark_share(sample, year=2020, **args)
    assert info.value.message.endswith(reason)


def test_it_refuses_a_share_of_a_zero_total() -> None:
    table = load(csv_bytes("NM,2020,all,all,hispanic,yes,0", "NM,2020,all,all,hispanic,total,0"))
    with pytest.raises(BenchmarkError) as info:
        benchmark_share(table, geography="NM", year=2020, dimension="hispanic", group="yes")
    assert info.value.rules == {"zero_total"}
    assert "a share of nobody cannot be worked out" in info.value.message


def test_it_gives_a_zero_share_for_an_empty_group() -> None:
    table = load(csv_bytes("NM,2020,all,all,hispanic,yes,0", "NM,2020,all,all,hispanic,total,9"))
    share = benchmark_share(table, geography="NM", year=2020, dimension="hispanic", group="yes")
    assert (share.count, share.total, share.share) == (0, 9, 0.0)


# ----------------------------------------------------------------------- file loading
def test_it_reads_headings_without_regard_to_case_and_normalises_codes() -> None:
    data = csv_bytes(
        'nm,2020,ALL,All,Hispanic,Yes,"1,000"',
        "nm,2020,ALL,All,Hispanic,Total,2000.0",
        header="Geography,Year,Age Band,SEX,Dimension,Group,Count",
    )
    table = load(data, url=" https://example.org/table ")
    row = table.frame.row(0, named=True)
    assert (row["geography"], row["age_band"], row["sex"], row["dimension"], row["group"]) == (
        "NM",
        "all",
        "all",
        "hispanic",
        "yes",
    )
    assert table.frame["count"].to_list() == [1000, 2000]
    assert table.url == "https://example.org/table"


def test_it_loads_an_xlsx_workbook(tmp_path: Path) -> None:
    path = tmp_path / "bench.xlsx"
    workbook = xlsxwriter.Workbook(str(path))
    sheet = workbook.add_worksheet("Counts")
    sheet.write_row(0, 0, REQUIRED_COLUMNS)
    sheet.write_row(1, 0, ["35001", 2020, "25-64", "female", "hispanic", "yes", 300])
    sheet.write_row(2, 0, ["35001", 2020, "25-64", "female", "hispanic", "total", 600])
    workbook.close()
    table = load_benchmark(path, **META)
    share = benchmark_share(
        table,
        geography="35001",
        year=2020,
        dimension="hispanic",
        group="yes",
        age_band="25-64",
        sex="female",
    )
    assert share.share == 0.5


def test_it_lets_alone_or_in_combination_dimensions_exceed_the_total() -> None:
    data = csv_bytes(
        "NM,2020,all,all,race_aic,white,80,no",
        "NM,2020,all,all,race_aic,aian,30,no",
        "NM,2020,all,all,race_aic,total,100,no",
        "NM,2020,all,all,hispanic,yes,40,",
        "NM,2020,all,all,hispanic,total,100,yes",
        header=HEADER + ",exclusive",
    )
    table = load(data)
    flags = dict(zip(table.frame["dimension"], table.frame["exclusive"], strict=True))
    assert flags == {"race_aic": False, "hispanic": True}
    share = benchmark_share(table, geography="NM", year=2020, dimension="race_aic", group="white")
    assert share.exclusive is False


# --------------------------------------------------------------------------- problems
def test_it_refuses_unknown_columns() -> None:
    error = refused(csv_bytes(*(line + ",x" for line in GOOD), header=HEADER + ",Notes"))
    assert only(error, "unknown_column") == (
        "Row 1, column 'Notes': 'Notes' is not a benchmark column. The columns are"
        " 'geography', 'year', 'age_band', 'sex', 'dimension', 'group' and 'count', and"
        " optionally 'exclusive'; remove or rename this column."
    )
    assert error.message == (
        "'bench.csv' cannot be used as a benchmark population (1 problem); nothing was"
        " loaded. Correct the file and load it again."
    )


def test_it_refuses_missing_columns() -> None:
    error = refused(b"geography,year,group\nNM,2020,total\n")
    assert only(error, "missing_column") == (
        "Row 1: The file has no 'age_band', 'sex', 'dimension' and 'count' columns. A"
        " benchmark file needs the columns 'geography', 'year', 'age_band', 'sex',"
        " 'dimension', 'group' and 'count'."
    )


def test_it_refuses_two_columns_with_the_same_meaning() -> None:
    error = refused(csv_bytes(*(line + ",1" for line in GOOD), header=HEADER + ",COUNT"))
    assert only(error, "duplicate_column") == (
        "Row 1, column 'COUNT': 'COUNT' and 'count' both name the column 'count'; keep only"
        " one of them."
    )


@pytest.mark.parametrize(
    ("count", "rule", "text"),
    [
        ("-5", "negative_count", "'-5' is negative; a count is a number of people, 0 or more."),
        (
            "12.5",
            "fractional_count",
            "'12.5' is not a whole number; a count is a number of people.",
        ),
        (
            "(X)",
            "not_a_count",
            "'(X)' is not a count; write a whole number such as 1234 or 1,234. If the source"
            " table left this cell out or suppressed it, leave the row out.",
        ),
        ("", "empty", "the count is empty; every row needs one."),
        ("1" * 16, "count_too_large", f"'{'1' * 16}' is too large to be a number of people."),
    ],
)
def test_it_refuses_bad_counts(count: str, rule: str, text: str) -> None:
    error = refused(csv_bytes(GOOD[0], GOOD[1], f'NM,2020,all,all,hispanic,total,"{count}"'))
    assert only(error, rule) == f"Row 4, column 'count': {text}"
    problem = error.problems[0]
    assert (problem.row, problem.column, problem.value, problem.rule) == (
        4,
        "count",
        count or None,
        rule,
    )
    assert "missing_total" not in error.rules  # the bad total row is reported, not its absence


@pytest.mark.parametrize(
    ("column", "value", "rule", "text"),
    [
        ("year", "20", "not_a_year", "'20' is not a year; write the year with four digits"),
        ("year", "1850", "year_out_of_range", "'1850' is not a plausible year"),
        ("age_band", "adults", "bad_age_band", "'adults' is not an age band; write 'all'"),
        ("age_band", "2026-05-09", "bad_age_band", "It looks like a date: Excel may have"),
        ("age_band", "64-25", "age_band_reversed", "'64-25' starts above where it ends"),
        ("sex", "both", "bad_sex", "write 'female', 'male' or 'all'."),
        ("geography", "", "empty", "the geography is empty; every row needs one."),
        ("group", "", "empty", "the group is empty; every row needs one."),
    ],
)
def test_it_refuses_bad_cells(column: str, value: str, rule: str, text: str) -> None:
    record = dict(zip(REQUIRED_COLUMNS, GOOD[0].split(","), strict=True))
    record[column] = value
    error = refused(csv_bytes(",".join(record.values()), *GOOD[1:]))
    message = only(error, rule)
    assert message.startswith(f"Row 2, column '{column}': ")
    assert text in message


def test_it_accepts_open_and_dashed_age_bands() -> None:
    table = load(
        csv_bytes(
            "NM,2020,85+,all,hispanic,yes,4",
            "NM,2020,85+,all,hispanic,total,9",
            "NM,2020,25 \u2013 64,all,hispanic,total,9",
        )
    )
    assert table.frame["age_band"].to_list() == ["85+", "85+", "25-64"]


def test_it_refuses_a_bad_exclusive_flag_and_mixed_flags() -> None:
    data = csv_bytes(
        "NM,2020,all,all,race_aic,white,80,no",
        "NM,2020,all,all,race_aic,total,100,yes",
        "NM,2020,all,all,hispanic,total,100,perhaps",
        header=HEADER + ",exclusive",
    )
    error = refused(data)
    assert only(error, "bad_exclusive").startswith(
        "Row 4, column 'exclusive': 'perhaps' is not yes or no; write 'yes'"
    )
    assert only(error, "mixed_exclusive") == (
        "Row 3, column 'exclusive': this row says 'yes' but row 2 says 'no' for the same"
        " dimension 'race_aic'; every row of a dimension must give the same answer."
    )


def test_it_refuses_duplicate_keys() -> None:
    error = refused(csv_bytes(*GOOD, "nm,2020,all,ALL,hispanic,YES,41"))
    assert only(error, "duplicate_key") == (
        "Row 5, column 'group': NM 2020, all ages, both sexes: hispanic 'yes' is already given"
        " on row 2; each group may appear once per geography, year, age band and sex."
    )


def test_it_refuses_a_dimension_without_a_total() -> None:
    error = refused(
        csv_bytes(*GOOD, "NM,2020,all,female,hispanic,yes,20", "NM,2020,all,female,hispanic,no,30")
    )
    assert only(error, "missing_total") == (
        "Row 5, column 'group': NM 2020, all ages, female: dimension 'hispanic' has no 'total'"
        " row (its groups are on rows 5 and 6). Add a row with group 'total' giving the whole"
        " population, so that shares can be worked out."
    )


def test_it_refuses_a_group_above_its_total() -> None:
    data = csv_bytes(
        "NM,2020,all,all,race_aic,white,120,no",
        "NM,2020,all,all,race_aic,total,100,no",
        header=HEADER + ",exclusive",
    )
    error = refused(data)
    assert error.rules == {"group_exceeds_total"}
    assert only(error, "group_exceeds_total") == (
        "Row 2, column 'count': NM 2020, all ages, both sexes: race_aic 'white' counts 120,"
        " more than the total of 100 on row 3."
    )


def test_it_refuses_exclusive_groups_adding_up_to_more_than_the_total() -> None:
    error = refused(csv_bytes("NM,2020,all,all,hispanic,yes,70", *GOOD[1:]))
    assert only(error, "groups_exceed_total") == (
        "Row 4, column 'count': NM 2020, all ages, both sexes: the groups of dimension"
        " 'hispanic' (rows 2 and 3) add up to 130, more than the total of 100. In an exclusive"
        " dimension each person is in one group only. If people may be counted in several"
        " groups (alone or in combination), add a column 'exclusive' and write 'no' on this"
        " dimension's rows."
    )


def test_it_refuses_missing_metadata_and_a_bad_url() -> None:
    error = refused(csv_bytes(*GOOD), citation=" ", url="census tables")
    assert only(error, "missing_metadata") == (
        "The benchmark needs a citation, so that every comparison with it can say where its"
        " numbers come from."
    )
    assert only(error, "bad_url") == (
        "'census tables' is not a web address; give one starting with https:// or leave the"
        " address out."
    )


def test_it_refuses_an_unreadable_file() -> None:
    error = refused(b"%PDF-1.7 not a table")
    assert error.rules == {"not_a_table"}
    assert error.problems[0].row is None


def test_it_lists_every_problem_at_once() -> None:
    error = refused(
        csv_bytes(
            "NM,20x,all,all,hispanic,yes,-1",
            "NM,2020,all,boy,hispanic,no,5",
            *GOOD,
            "NM,2020,all,all,hispanic,no,1",
        )
    )
    assert [(p.row, p.rule) for p in error.problems] == [
        (2, "not_a_year"),
        (2, "negative_count"),
        (3, "bad_sex"),
        (7, "duplicate_key"),
    ]
    text = str(error)
    assert text.splitlines()[0] == error.message
    assert len(text.splitlines()) == 5


def test_it_shortens_the_text_of_a_long_problem_list() -> None:
    error = refused(csv_bytes(*(f"NM,2020,all,all,d{i},g,-1" for i in range(25))))
    assert len(error.problems) == 25
    assert str(error).splitlines()[-1] == "... and 5 more problems."


# --------------------------------------------------------------------------- property
CELL = st.one_of(
    st.sampled_from(["", "NM", "US", "35001", "2020", "1899", "all", "25-64", "85+", "64-25"]),
    st.sampled_from(["female", "male", "all", "hispanic", "yes", "no", "total", "aian"]),
    st.sampled_from(["0", "7", "100", "1,000", "-3", "2.5", "(X)", "1e5", "9" * 20]),
    st.text(max_size=6),
)
COLUMNS = st.lists(
    st.sampled_from([*REQUIRED_COLUMNS, "exclusive", "Count", "notes", ""]),
    min_size=1,
    max_size=9,
)


def to_csv(header: Sequence[str], rows: Sequence[Sequence[str]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode()


@st.composite
def tables(draw: st.DrawFn) -> bytes:
    header = draw(st.one_of(COLUMNS, st.just(list(REQUIRED_COLUMNS))))
    rows = draw(st.lists(st.lists(CELL, min_size=len(header), max_size=len(header)), max_size=8))
    return to_csv(header, rows)


@st.composite
def plausible_tables(draw: st.DrawFn) -> bytes:
    """Well-formed keys and counts: exercises the table rules rather than cell checks."""
    exclusive = draw(st.booleans())
    header = [*REQUIRED_COLUMNS, *(["exclusive"] if exclusive else [])]
    row = st.tuples(
        st.sampled_from(["NM", "US"]),
        st.sampled_from(["2019", "2020"]),
        st.sampled_from(["all", "25-64"]),
        st.sampled_from(["all", "female"]),
        st.sampled_from(["hispanic", "race"]),
        st.sampled_from(["yes", "no", "total"]),
        st.integers(0, 120).map(str),
        st.sampled_from(["yes", "no", ""]),
    ).map(lambda r: list(r[: len(header)]))
    return to_csv(header, draw(st.lists(row, min_size=1, max_size=12)))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(tables(), plausible_tables(), st.binary(max_size=200)))
def test_it_either_loads_or_raises_benchmark_error(data: bytes) -> None:
    try:
        table = load(data)
    except BenchmarkError as error:
        assert error.problems
        assert all(p.message for p in error.problems)
        return
    frame = table.frame
    assert frame.height > 0
    assert (
        frame.select(["geography", "year", "age_band", "sex", "dimension", "group"])
        .is_unique()
        .all()
    )
    for r in frame.filter(pl.col("group") != "total").iter_rows(named=True):
        args = {k: r[k] for k in ("geography", "dimension", "group", "age_band", "sex")}
        try:
            share = benchmark_share(table, year=r["year"], **args)
        except BenchmarkError as error:
            assert error.rules == {"zero_total"}
            continue
        assert share.count == r["count"]
        assert 0 <= share.share <= 1


@st.composite
def consistent_tables(draw: st.DrawFn) -> tuple[bytes, dict[tuple[str, ...], int]]:
    """Valid files built from distinct keys, totals at least the sum of their groups."""
    combos = draw(
        st.lists(
            st.tuples(
                st.sampled_from(["NM", "US", "35001"]),
                st.sampled_from(["2010", "2020"]),
                st.sampled_from(["all", "25-64", "85+"]),
                st.sampled_from(["all", "female", "male"]),
                st.sampled_from(["hispanic", "race_aic"]),
            ),
            min_size=1,
            max_size=5,
            unique=True,
        )
    )
    rows: list[list[str]] = []
    expected: dict[tuple[str, ...], int] = {}
    for combo in combos:
        groups = draw(st.lists(st.sampled_from(["yes", "no", "aian", "white"]), unique=True))
        counts = draw(st.lists(st.integers(0, 10**9), min_size=len(groups), max_size=len(groups)))
        aic = combo[-1] == "race_aic"
        total = max(counts, default=0) if aic else sum(counts)
        total += draw(st.integers(0, 1000))
        for group, count in [*zip(groups, counts, strict=True), ("total", total)]:
            rows.append([*combo, group, f"{count:,}", "no" if aic else ""])
            expected[(*combo, group)] = count
    order = draw(st.permutations(range(len(rows))))
    return to_csv([*REQUIRED_COLUMNS, "exclusive"], [rows[i] for i in order]), expected


@settings(max_examples=150, deadline=None)
@given(consistent_tables())
def test_it_loads_every_consistent_table(case: tuple[bytes, dict[tuple[str, ...], int]]) -> None:
    data, expected = case
    table = load(data)
    assert table.frame.height == len(expected)
    for (geography, year, age_band, sex, dimension, group), count in expected.items():
        total = expected[(geography, year, age_band, sex, dimension, "total")]
        if total == 0:
            continue
        share = benchmark_share(
            table,
            geography=geography,
            year=int(year),
            dimension=dimension,
            group=group,
            age_band=age_band,
            sex=sex,
        )
        assert (share.count, share.total) == (count, total)
        assert share.exclusive is (dimension != "race_aic")
