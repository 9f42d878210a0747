"""Benchmark populations: the counts parity compares a school's numbers with.

A benchmark file (CSV or XLSX, read with :func:`ristra.analytics.tabular.read_table`)
has one row per count, in long ("tidy") form::

    geography,year,age_band,sex,dimension,group,count
    NM,2020,all,all,hispanic,total,2100000
    NM,2020,all,all,hispanic,yes,1000000
    NM,2020,all,all,hispanic,no,1100000

Columns (headings compared without regard to case):

``geography``  where: a state code ("NM"), "US", a county FIPS code ("35001"), ...
``year``       the year the counts describe (four digits).
``age_band``   "all", a range such as "25-64", or an open band such as "85+".
``sex``        "female", "male" or "all".
``dimension``  what is counted: "race_ethnicity_2024", "hispanic", "sex", or a school
               category key.
``group``      the code within the dimension ("hispanic", "aian", ...), or "total".
``count``      number of people, a whole number 0 or more ("1,234" is accepted).
``exclusive``  optional, "yes"/"no" (blank means "yes"): whether each person is
               counted in one group only.  "no" marks an *alone-or-in-combination*
               dimension, whose groups may add up to more than the total.  Every row of
               one dimension must say the same.

Every (geography, year, age_band, sex, dimension) needs a ``total`` row; no group may
exceed its total, and the groups of an exclusive dimension may not add up to more than
it (they may add up to less: a file need not list every group).

:func:`load_benchmark` checks every row and either returns a :class:`BenchmarkTable` or
raises :class:`BenchmarkError` listing every problem (row, column, value, rule and a
sentence): nothing is loaded partially.  :func:`benchmark_share` then gives the share of
one group, with its count, total and the metadata needed to cite it, ready for
:func:`ristra.analytics.measures.parity`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Final

import polars as pl

from ristra.analytics.tabular import ROW_COLUMN, UnusableInput, read_table

Source = bytes | str | os.PathLike[str]

REQUIRED_COLUMNS: Final[tuple[str, ...]] = (
    "geography",
    "year",
    "age_band",
    "sex",
    "dimension",
    "group",
    "count",
)
OPTIONAL_COLUMNS: Final[tuple[str, ...]] = ("exclusive",)
KEY_COLUMNS: Final[tuple[str, ...]] = REQUIRED_COLUMNS[:-1]
TOTAL: Final = "total"
ALL: Final = "all"
SEXES: Final[tuple[str, ...]] = ("female", "male", "all")
MIN_YEAR, MAX_YEAR = 1900, 2100
YES_SPELLINGS: Final[frozenset[str]] = frozenset({"yes", "y", "true", "1"})
NO_SPELLINGS: Final[frozenset[str]] = frozenset({"no", "n", "false", "0"})
#: Problems written out in full by ``str(BenchmarkError)``; all stay in ``.problems``.
SHOWN_PROBLEMS: Final = 20

_MAX_COUNT_DIGITS = 15
_COUNT_RE = r"^(\d+|\d{1,3}(,\d{3})+)(\.0+)?$"
_AGE_RE = r"^(all|\d{1,3}-\d{1,3}|\d{1,3}\+)$"
_ISO_DATE_RE = r"^\d{4}-\d{2}-\d{2}( |$)"
_W = "\x01"  # prefix of working columns (cannot clash with headings)


# ------------------------------------------------------------------------------ errors
@dataclass(frozen=True)
class BenchmarkProblem:
    """One reason a benchmark file (or a look-up) was refused.

    ``row`` is the row number seen in Excel (None for file-level problems);
    ``column`` is the heading as written in the file (None when no column applies).
    """

    row: int | None
    column: str | None
    value: str | None
    rule: str
    message: str


class BenchmarkError(Exception):
    """A benchmark file cannot be used, or a share cannot be given.

    ``message`` is a summary sentence for the user; ``problems`` lists every problem
    found, in row order.  ``str()`` gives the summary followed by the first problems.
    """

    def __init__(self, message: str, problems: Sequence[BenchmarkProblem]) -> None:
        self.message = message
        self.problems: tuple[BenchmarkProblem, ...] = tuple(problems)
        super().__init__(str(self))

    def __str__(self) -> str:
        lines = [self.message]
        lines.extend(p.message for p in self.problems[:SHOWN_PROBLEMS])
        if len(self.problems) > SHOWN_PROBLEMS:
            lines.append(f"... and {len(self.problems) - SHOWN_PROBLEMS:,} more problems.")
        return "\n".join(lines)

    @property
    def rules(self) -> frozenset[str]:
        """The distinct rules broken (handy for tests and summaries)."""
        return frozenset(p.rule for p in self.problems)


# ------------------------------------------------------------------------------ results
@dataclass(frozen=True, eq=False)
class BenchmarkTable:
    """A validated benchmark population with what is needed to cite it.

    ``frame`` columns: ``row`` (Int64, row number in the file), ``geography`` (String,
    upper case), ``year`` (Int64), ``age_band``, ``sex``, ``dimension``, ``group``
    (String, lower case), ``count`` (Int64) and ``exclusive`` (Boolean).
    """

    name: str
    source: str
    citation: str
    url: str | None
    filename: str
    frame: pl.DataFrame

    def geographies(self) -> list[str]:
        return sorted(self.frame["geography"].unique().to_list())

    def years(self) -> list[int]:
        return sorted(self.frame["year"].unique().to_list())

    def dimensions(self) -> list[str]:
        return sorted(self.frame["dimension"].unique().to_list())


@dataclass(frozen=True, slots=True)
class BenchmarkShare:
    """Share of one group in a benchmark population: ``count / total``.

    ``share`` may be 0 (nobody in the group); :func:`~ristra.analytics.measures.parity`
    needs a share above 0, so such a group cannot serve as a benchmark for parity.
    """

    geography: str
    year: int
    age_band: str
    sex: str
    dimension: str
    group: str
    count: int
    total: int
    share: float
    exclusive: bool
    name: str
    source: str
    citation: str
    url: str | None

    def describe(self) -> str:
        """One line for a report footnote, e.g. "NM 2020, all ages, both sexes: ..."."""
        ages = "all ages" if self.age_band == ALL else f"ages {self.age_band}"
        sexes = "both sexes" if self.sex == ALL else self.sex
        reference = self.citation + (f" ({self.url})" if self.url else "")
        return (
            f"{self.geography} {self.year}, {ages}, {sexes}: {self.dimension} '{self.group}'"
            f" {self.share:.1%} ({self.count:,} of {self.total:,}). Source: {self.name},"
            f" {self.source}. {reference}"
        )


# ------------------------------------------------------------------------------ helpers
def _join_and(items: Sequence[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _join_or(items: Sequence[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " or " + items[-1]


def _quoted(items: Iterable[object], limit: int = 10) -> str:
    shown = [f"'{x}'" for x in items]
    if len(shown) > limit:
        shown = [*shown[:limit], f"{len(shown) - limit} more"]
    return _join_and(shown)


def _rows_text(rows: Sequence[int], limit: int = 6) -> str:
    shown = [f"{r:,}" for r in rows[:limit]]
    if len(rows) > limit:
        shown.append(f"{len(rows) - limit} more")
    return ("row " if len(rows) == 1 else "rows ") + _join_and(shown)


def _where(row: int | None, column: str | None) -> str:
    parts = []
    if row is not None:
        parts.append(f"Row {row:,}")
    if column is not None:
        parts.append(f"column '{column}'" if parts else f"Column '{column}'")
    return ", ".join(parts)


def _problem(
    row: int | None, column: str | None, value: str | None, rule: str, text: str
) -> BenchmarkProblem:
    where = _where(row, column)
    return BenchmarkProblem(row, column, value, rule, f"{where}: {text}" if where else text)


def _display(filename: str) -> str:
    return f"'{filename}'" if filename else "The file"


def _refuse(filename: str, problems: list[BenchmarkProblem]) -> BenchmarkError:
    problems.sort(key=lambda p: p.row if p.row is not None else -1)
    count = f"{len(problems):,} problem" + ("" if len(problems) == 1 else "s")
    return BenchmarkError(
        f"{_display(filename)} cannot be used as a benchmark population ({count});"
        " nothing was loaded. Correct the file and load it again.",
        problems,
    )


# ---------------------------------------------------------------------------- metadata
def _metadata_problems(
    name: str, source_text: str, citation: str, url: str | None
) -> list[BenchmarkProblem]:
    problems = []
    for label, value in (("name", name), ("source", source_text), ("citation", citation)):
        if not value.strip():
            problems.append(
                _problem(
                    None,
                    None,
                    value,
                    "missing_metadata",
                    f"The benchmark needs a {label}, so that every comparison with it can"
                    " say where its numbers come from.",
                )
            )
    if url is not None and url.strip() and not url.strip().startswith(("http://", "https://")):
        problems.append(
            _problem(
                None,
                None,
                url,
                "bad_url",
                f"'{url}' is not a web address; give one starting with https:// or leave"
                " the address out.",
            )
        )
    return problems


# ----------------------------------------------------------------------------- headings
def _resolve_columns(
    headers: Sequence[str], header_row: int
) -> tuple[dict[str, str], list[BenchmarkProblem], list[BenchmarkProblem]]:
    """Map canonical name -> heading; return (mapping, fatal problems, other problems)."""
    known = (*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS)
    mapping: dict[str, str] = {}
    fatal: list[BenchmarkProblem] = []
    other: list[BenchmarkProblem] = []
    for heading in headers:
        if heading == ROW_COLUMN:
            continue
        canonical = heading.strip().lower().replace(" ", "_")
        if canonical not in known:
            other.append(
                _problem(
                    header_row,
                    heading,
                    heading,
                    "unknown_column",
                    f"'{heading}' is not a benchmark column. The columns are"
                    f" {_quoted(REQUIRED_COLUMNS)}, and optionally 'exclusive'; remove or"
                    " rename this column.",
                )
            )
        elif canonical in mapping:
            fatal.append(
                _problem(
                    header_row,
                    heading,
                    heading,
                    "duplicate_column",
                    f"'{heading}' and '{mapping[canonical]}' both name the column"
                    f" '{canonical}'; keep only one of them.",
                )
            )
        else:
            mapping[canonical] = heading
    missing = [c for c in REQUIRED_COLUMNS if c not in mapping]
    if missing:
        fatal.append(
            _problem(
                header_row,
                None,
                None,
                "missing_column",
                f"The file has no {_quoted(missing)} column"
                + ("s" if len(missing) > 1 else "")
                + f". A benchmark file needs the columns {_quoted(REQUIRED_COLUMNS)}.",
            )
        )
    return mapping, fatal, other


# ------------------------------------------------------------------------------- cells
def _v(name: str) -> str:
    return f"{_W}v:{name}"


def _e(name: str) -> str:
    return f"{_W}e:{name}"


def _rule(*cases: tuple[pl.Expr, str]) -> pl.Expr:
    """First matching rule name, or null."""
    expr: pl.Expr | None = None
    for condition, name in reversed(cases):
        then = pl.lit(name, dtype=pl.String)
        expr = (
            pl.when(condition).then(then).otherwise(expr)
            if expr is not None
            else pl.when(condition).then(then)
        )
    assert expr is not None
    return expr


def _cell_checks(mapping: dict[str, str]) -> list[pl.Expr]:
    """Parsed value (``_v``) and rule broken (``_e``, null if none) for every column."""
    raw = {name: pl.col(heading) for name, heading in mapping.items()}
    empty = {name: col.is_null() for name, col in raw.items()}
    checks: dict[str, tuple[pl.Expr, pl.Expr]] = {}

    checks["geography"] = (
        raw["geography"].str.to_uppercase(),
        _rule((empty["geography"], "empty")),
    )

    year_ok = raw["year"].str.contains(r"^\d{4}$").fill_null(False)
    year = pl.when(year_ok).then(raw["year"]).cast(pl.Int64, strict=False)
    checks["year"] = (
        year,
        _rule(
            (empty["year"], "empty"),
            (~year_ok, "not_a_year"),
            ((year < MIN_YEAR) | (year > MAX_YEAR), "year_out_of_range"),
        ),
    )

    age = (
        raw["age_band"]
        .str.to_lowercase()
        .str.replace_all(r"[\u2010-\u2015\u2212]", "-")
        .str.replace_all(r"\s+", "")
    )
    age_ok = age.str.contains(_AGE_RE).fill_null(False)
    bounds = age.str.extract_groups(r"^(\d+)-(\d+)$")
    low = bounds.struct.field("1").cast(pl.Int64, strict=False)
    high = bounds.struct.field("2").cast(pl.Int64, strict=False)
    checks["age_band"] = (
        age,
        _rule(
            (empty["age_band"], "empty"),
            (~age_ok, "bad_age_band"),
            ((low > high).fill_null(False), "age_band_reversed"),
        ),
    )

    sex = raw["sex"].str.to_lowercase()
    checks["sex"] = (sex, _rule((empty["sex"], "empty"), (~sex.is_in(SEXES), "bad_sex")))

    for name in ("dimension", "group"):
        value = raw[name].str.to_lowercase().str.replace_all(r"\s+", " ")
        checks[name] = (value, _rule((empty[name], "empty")))

    digits = raw["count"].str.replace_all(",", "").str.replace(r"\.0+$", "")
    count_ok = raw["count"].str.contains(_COUNT_RE).fill_null(False)
    too_long = digits.str.len_chars() > _MAX_COUNT_DIGITS
    count = pl.when(count_ok & ~too_long).then(digits).cast(pl.Int64, strict=False)
    checks["count"] = (
        count,
        _rule(
            (empty["count"], "empty"),
            (raw["count"].str.contains(r"^-\s*[\d.,]+$"), "negative_count"),
            (raw["count"].str.contains(r"^[\d,]*\.\d+$") & ~count_ok, "fractional_count"),
            (~count_ok, "not_a_count"),
            (too_long, "count_too_large"),
        ),
    )

    if "exclusive" in raw:
        flag = raw["exclusive"].str.to_lowercase()
        exclusive = (
            pl.when(empty["exclusive"] | flag.is_in(YES_SPELLINGS))
            .then(True)
            .when(flag.is_in(NO_SPELLINGS))
            .then(False)
        )
        checks["exclusive"] = (exclusive, _rule((exclusive.is_null(), "bad_exclusive")))
    else:
        checks["exclusive"] = (pl.lit(True), pl.lit(None, dtype=pl.String))

    exprs: list[pl.Expr] = []
    for name, (value, rule) in checks.items():
        exprs += [value.alias(_v(name)), rule.alias(_e(name))]
    return exprs


def _cell_message(name: str, rule: str, value: str | None) -> str:
    shown = f"'{value}'"
    if rule == "empty":
        return f"the {name} is empty; every row needs one."
    if rule == "not_a_year":
        return f"{shown} is not a year; write the year with four digits, for example 2020."
    if rule == "year_out_of_range":
        return f"{shown} is not a plausible year (expected {MIN_YEAR} to {MAX_YEAR})."
    if rule == "bad_age_band":
        hint = ""
        if value is not None and pl.Series([value]).str.contains(_ISO_DATE_RE).item():
            hint = (
                " It looks like a date: Excel may have turned an age band such as '5-9'"
                " into a date. Format the column as Text and type the band again."
            )
        return (
            f"{shown} is not an age band; write 'all', a range such as '25-64', or an"
            f" open band such as '85+'.{hint}"
        )
    if rule == "age_band_reversed":
        return f"{shown} starts above where it ends; write the lower age first, as in '25-64'."
    if rule == "bad_sex":
        choices = _join_or([f"'{x}'" for x in SEXES])
        return f"{shown} is not a sex a benchmark can use; write {choices}."
    if rule == "negative_count":
        return f"{shown} is negative; a count is a number of people, 0 or more."
    if rule == "fractional_count":
        return f"{shown} is not a whole number; a count is a number of people."
    if rule == "not_a_count":
        return (
            f"{shown} is not a count; write a whole number such as 1234 or 1,234. If the"
            " source table left this cell out or suppressed it, leave the row out."
        )
    if rule == "count_too_large":
        return f"{shown} is too large to be a number of people."
    if rule == "bad_exclusive":
        return (
            f"{shown} is not yes or no; write 'yes' (each person is counted in one group"
            " only) or 'no' (alone or in combination: groups may add up to more than the"
            " total), or leave it blank for 'yes'."
        )
    return f"{shown} is not valid ({rule})."  # pragma: no cover - every rule is listed above


def _cell_problems(checked: pl.DataFrame, mapping: dict[str, str]) -> list[BenchmarkProblem]:
    problems: list[BenchmarkProblem] = []
    for name, heading in mapping.items():
        bad = checked.filter(pl.col(_e(name)).is_not_null()).select(
            ROW_COLUMN, pl.col(heading).alias("value"), pl.col(_e(name)).alias("rule")
        )
        for row, value, rule in bad.iter_rows():
            problems.append(_problem(row, heading, value, rule, _cell_message(name, rule, value)))
    return problems


# ------------------------------------------------------------------------- table rules
def _key_text(r: dict[str, object]) -> str:
    ages = "all ages" if r["age_band"] == ALL else f"ages {r['age_band']}"
    sexes = "both sexes" if r["sex"] == ALL else str(r["sex"])
    return f"{r['geography']} {r['year']}, {ages}, {sexes}"


def _table_problems(
    tidy: pl.DataFrame, rejected: pl.DataFrame, mapping: dict[str, str]
) -> tuple[pl.DataFrame, list[BenchmarkProblem]]:
    """Duplicates, exclusive flags, totals and sums; returns the de-duplicated frame.

    ``rejected`` holds the parsed cells of rows with cell problems: a missing total is
    not reported where one of them may be that total (its problem is reported instead).
    """
    problems: list[BenchmarkProblem] = []
    group_col, count_col = mapping["group"], mapping["count"]

    # Duplicate keys: every later row is a problem, naming the first.
    first = tidy.group_by(KEY_COLUMNS).agg(pl.col("row").min().alias("first_row"))
    later = tidy.join(first, on=KEY_COLUMNS, nulls_equal=True).filter(
        pl.col("row") != pl.col("first_row")
    )
    for r in later.sort("row").iter_rows(named=True):
        problems.append(
            _problem(
                r["row"],
                group_col,
                r["group"],
                "duplicate_key",
                f"{_key_text(r)}: {r['dimension']} '{r['group']}' is already given on row"
                f" {r['first_row']:,}; each group may appear once per geography, year, age"
                " band and sex.",
            )
        )
    unique = tidy.filter(~pl.col("row").is_in(later["row"].implode()))

    # Exclusive: one answer per dimension; the first row that says it decides.
    if "exclusive" in mapping:
        decided = unique.sort("row").group_by("dimension", maintain_order=True).first()
        joined = unique.join(
            decided.select(
                "dimension",
                pl.col("exclusive").alias("decided"),
                pl.col("row").alias("decided_row"),
            ),
            on="dimension",
        ).filter(pl.col("exclusive") != pl.col("decided"))
        for r in joined.sort("row").iter_rows(named=True):
            said = "yes" if r["exclusive"] else "no"
            before = "yes" if r["decided"] else "no"
            problems.append(
                _problem(
                    r["row"],
                    mapping["exclusive"],
                    said,
                    "mixed_exclusive",
                    f"this row says '{said}' but row {r['decided_row']:,} says '{before}' for"
                    f" the same dimension '{r['dimension']}'; every row of a dimension must"
                    " give the same answer.",
                )
            )

    cells = ["geography", "year", "age_band", "sex", "dimension"]
    totals = unique.filter(pl.col("group") == TOTAL).select(
        *cells, pl.col("count").alias("total"), pl.col("row").alias("total_row")
    )

    # A dimension without a total for one geography/year/age band/sex.
    missing = (
        unique.join(totals, on=cells, how="anti", nulls_equal=True)
        .join(rejected, on=cells, how="anti")
        .group_by(cells)
        .agg(pl.col("row").sort())
        .sort(pl.col("row").list.first())
    )
    for r in missing.iter_rows(named=True):
        rows: list[int] = r["row"]
        problems.append(
            _problem(
                rows[0],
                group_col,
                None,
                "missing_total",
                f"{_key_text(r)}: dimension '{r['dimension']}' has no 'total' row (its groups"
                f" are on {_rows_text(rows)}). Add a row with group 'total' giving the whole"
                " population, so that shares can be worked out.",
            )
        )

    # No group may exceed its total.
    members = unique.filter(pl.col("group") != TOTAL).join(totals, on=cells, nulls_equal=True)
    for r in members.filter(pl.col("count") > pl.col("total")).sort("row").iter_rows(named=True):
        problems.append(
            _problem(
                r["row"],
                count_col,
                f"{r['count']}",
                "group_exceeds_total",
                f"{_key_text(r)}: {r['dimension']} '{r['group']}' counts {r['count']:,},"
                f" more than the total of {r['total']:,} on row {r['total_row']:,}.",
            )
        )

    # The groups of an exclusive dimension may not add up to more than the total.
    sums = (
        members.filter(pl.col("exclusive"))
        .group_by([*cells, "total", "total_row"])
        .agg(pl.col("count").sum().alias("sum"), pl.col("row").sort())
        .filter(pl.col("sum") > pl.col("total"))
        .sort("total_row")
    )
    for r in sums.iter_rows(named=True):
        problems.append(
            _problem(
                r["total_row"],
                count_col,
                f"{r['total']}",
                "groups_exceed_total",
                f"{_key_text(r)}: the groups of dimension '{r['dimension']}'"
                f" ({_rows_text(r['row'])}) add up to {r['sum']:,}, more than the total of"
                f" {r['total']:,}. In an exclusive dimension each person is in one group only."
                " If people may be"
                " counted in several groups (alone or in combination), add a column"
                " 'exclusive' and write 'no' on this dimension's rows.",
            )
        )
    return unique, problems


# -------------------------------------------------------------------------------- load
def load_benchmark(
    source: Source,
    *,
    filename: str | None = None,
    name: str,
    source_text: str,
    citation: str,
    url: str | None = None,
    sheet: str | None = None,
) -> BenchmarkTable:
    """Read and check a benchmark file; raise :class:`BenchmarkError` listing every problem.

    ``source`` is the file (bytes, or a path); ``name``, ``source_text`` (who published
    the numbers, in which table), ``citation`` and the optional ``url`` are kept with the
    table and repeated on every share taken from it.
    """
    label = filename or (
        "" if isinstance(source, bytes | bytearray) else os.path.basename(os.fspath(source))
    )
    problems = _metadata_problems(name, source_text, citation, url)
    try:
        info, raw = read_table(source, filename=filename, sheet=sheet)
    except UnusableInput as exc:
        problems.append(_problem(None, None, None, exc.code, exc.message))
        raise _refuse(label, problems) from exc

    mapping, fatal, other = _resolve_columns(info.headers, info.header_row)
    problems += fatal + other
    if fatal:
        raise _refuse(label, problems)

    checked = raw.with_columns(_cell_checks(mapping))
    problems += _cell_problems(checked, mapping)
    error_columns = [_e(n) for n in mapping]
    tidy = checked.filter(pl.all_horizontal(pl.col(c).is_null() for c in error_columns)).select(
        pl.col(ROW_COLUMN).alias("row"),
        *(pl.col(_v(n)).alias(n) for n in (*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS)),
    )
    tidy = tidy.with_columns(
        pl.col("year").cast(pl.Int64),
        pl.col("count").cast(pl.Int64),
        pl.col("exclusive").cast(pl.Boolean),
    )
    rejected = checked.filter(
        pl.any_horizontal(pl.col(c).is_not_null() for c in error_columns)
    ).select(pl.col(_v(n)).alias(n) for n in ("geography", "year", "age_band", "sex", "dimension"))
    unique, table_problems = _table_problems(tidy, rejected, mapping)
    problems += table_problems
    if problems:
        raise _refuse(label, problems)
    return BenchmarkTable(
        name=name.strip(),
        source=source_text.strip(),
        citation=citation.strip(),
        url=url.strip() if url and url.strip() else None,
        filename=label,
        frame=unique.sort("row"),
    )


# ------------------------------------------------------------------------------- share
def _nearest_years(years: Iterable[int], year: int, limit: int = 3) -> list[int]:
    return sorted(sorted(set(years), key=lambda y: (abs(y - year), y))[:limit])


def _missing(table: BenchmarkTable, want: dict[str, str | int]) -> BenchmarkError:
    """Explain, narrowing step by step, why nothing matches ``want``."""
    frame = table.frame
    ages = "all ages" if want["age_band"] == ALL else f"ages {want['age_band']}"
    sexes = "both sexes" if want["sex"] == ALL else str(want["sex"])
    asked = (
        f"{want['geography']} {want['year']}, {ages}, {sexes}, {want['dimension']}"
        f" '{want['group']}'"
    )
    reason = ""
    for column in ("geography", "dimension", "group", "age_band", "sex"):
        narrowed = frame.filter(pl.col(column) == want[column])
        if narrowed.is_empty():
            options = sorted({str(v) for v in frame[column].to_list()})
            label = column.replace("_", " ")
            reason = f" The benchmark has no {label} '{want[column]}'; it has {_quoted(options)}."
            break
        frame = narrowed
    else:
        years = _nearest_years(frame["year"].to_list(), int(want["year"]))
        reason = (
            f" It has no {want['year']} figures for that group; the nearest years available"
            f" are {_join_and([str(y) for y in years])}."
        )
    text = f"'{table.name}' has no count for {asked}.{reason}"
    return BenchmarkError(text, [_problem(None, None, None, "not_in_benchmark", text)])


def benchmark_share(
    table: BenchmarkTable,
    *,
    geography: str,
    year: int,
    dimension: str,
    group: str,
    age_band: str = ALL,
    sex: str = ALL,
) -> BenchmarkShare:
    """Share of ``group`` in its dimension's total, for one geography, year, age band, sex.

    Codes are matched as the loader stores them (geography without regard to case,
    the rest in lower case).  Raises :class:`BenchmarkError` when the combination is
    missing (naming what the table does have, and the nearest years) or its total is 0.
    """
    want: dict[str, str | int] = {
        "geography": geography.strip().upper(),
        "year": year,
        "age_band": re.sub(r"[\s]+", "", re.sub(r"[\u2010-\u2015\u2212]", "-", age_band.lower())),
        "sex": sex.strip().lower(),
        "dimension": dimension.strip().lower(),
        "group": group.strip().lower(),
    }
    cells = ("geography", "year", "age_band", "sex", "dimension")
    match = table.frame.filter(*(pl.col(c) == want[c] for c in cells))
    found = match.filter(pl.col("group") == want["group"])
    total_rows = match.filter(pl.col("group") == TOTAL)
    if found.is_empty() or total_rows.is_empty():
        raise _missing(table, want)
    count = int(found["count"].item())
    total = int(total_rows["count"].item())
    if total == 0:
        text = (
            f"'{table.name}' gives a total of 0 for {want['geography']} {year},"
            f" {want['dimension']}: a share of nobody cannot be worked out."
        )
        raise BenchmarkError(text, [_problem(None, None, "0", "zero_total", text)])
    return BenchmarkShare(
        geography=str(want["geography"]),
        year=year,
        age_band=str(want["age_band"]),
        sex=str(want["sex"]),
        dimension=str(want["dimension"]),
        group=str(want["group"]),
        count=count,
        total=total,
        share=count / total,
        exclusive=bool(found["exclusive"].item()),
        name=table.name,
        source=table.source,
        citation=table.citation,
        url=table.url,
    )
