"""Vectorised validation of an all-text frame against an import kind.

Typical use (one file)::

    info, frame = read_table(data, filename=name)
    result = validate(frame, get_kind("faculty"), profile)

For large files, validate chunk by chunk with one :class:`Validator`, which
remembers the identifiers already seen so duplicates are found across chunks::

    info, chunks = iter_table_chunks(path)
    validator = Validator(kind, profile)
    for chunk in chunks:
        result = validator.validate(chunk)

Both take the *raw* frame produced by :mod:`ristra.analytics.tabular` (source
headings as column names) and do the mapping themselves, so that problems can
name the column as it is headed in the file.  :func:`apply_profile` exposes the
mapping step alone (for previews).

Every value is parsed with polars expressions over whole columns; Python only
runs per *distinct* value for code lookups and per distinct bad value to write
problem messages.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import Final

import polars as pl

from ristra.analytics.importspec import DECLINED, STATE_FIPS, FieldSpec, ImportKind
from ristra.analytics.profiles import (
    DECLINED_SPELLINGS,
    IGNORE,
    ISO_FORMAT,
    Profile,
    ValueTable,
    build_value_table,
    field_codes,
    lookup_value,
    normalise,
    suggest_mapping,
)

ROW: Final = "__row__"
PROBLEM_SCHEMA: Final = {
    "row": pl.Int64,
    "column": pl.String,
    "field": pl.String,
    "value": pl.String,
    "rule": pl.String,
    "message": pl.String,
}
MIN_YEAR, MAX_YEAR = 1900, 2100
_ERR = "\x00"  # prefix marking an error rule in encoded code lookups
_V = "\x01v:"  # working column prefixes (cannot clash with headings)
_E = "\x01e:"
_R = "\x01r:"

_EMAIL_RE = r"^[^@\s]+@[^@\s.]+(\.[^@\s.]+)+$"
_TIME_SUFFIX_RE = (
    r"(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?: ?[AaPp][Mm])?(?:Z|[+-]\d{2}:?\d{2})?)$"
)
_FLOAT_INT_RE = r"^(\d+)\.0+$"
_MONTHS = tuple(calendar.month_name)
_DEFAULT_TEXT_FORMATS: tuple[tuple[str, str], ...] = (
    (r"^\d{4}/\d{1,2}/\d{1,2}$", "%Y/%m/%d"),
    (r"^\d{1,2} [A-Za-z]{3} \d{4}$", "%d %b %Y"),
    (r"^\d{1,2} [A-Za-z]+ \d{4}$", "%d %B %Y"),
    (r"^\d{1,2}-[A-Za-z]{3}-\d{4}$", "%d-%b-%Y"),
    (r"^[A-Za-z]{3} \d{1,2}, \d{4}$", "%b %d, %Y"),
    (r"^[A-Za-z]+ \d{1,2}, \d{4}$", "%B %d, %Y"),
    (r"^[A-Za-z]{3} \d{1,2} \d{4}$", "%b %d %Y"),
    (r"^[A-Za-z]+ \d{1,2} \d{4}$", "%B %d %Y"),
)
_ISO_RE = r"^\d{4}-\d{1,2}-\d{1,2}$"
_NUMERIC_DATE_RE = r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$"


# ----------------------------------------------------------------------------- results
@dataclass
class Problem:
    """One reason a row was rejected."""

    row: int
    column: str
    value: str | None
    rule: str
    message: str


@dataclass
class ValidationResult:
    """Outcome of validating one frame (or one chunk).

    ``clean`` holds the rows without problems, typed per field (Date, Int64,
    Float64, Boolean, String, List(String) for multi-code fields) plus
    ``__row__``; only fields present in the file (or given a default) appear,
    so absent fields can be left untouched by the importer.
    """

    clean: pl.DataFrame
    problems: pl.DataFrame
    rejected_rows: frozenset[int]
    total_rows: int
    file_errors: list[str] = field(default_factory=list)
    #: File-level remarks (unused columns, automatic matches, missing profile columns).
    messages: list[str] = field(default_factory=list)
    #: Source heading -> canonical field actually used.
    mapping: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.file_errors and not self.rejected_rows

    @property
    def accepted_count(self) -> int:
        return self.clean.height

    @property
    def rejected_count(self) -> int:
        return len(self.rejected_rows)

    def problem_list(self, limit: int | None = None) -> list[Problem]:
        frame = self.problems if limit is None else self.problems.head(limit)
        return [
            Problem(r["row"], r["column"], r["value"], r["rule"], r["message"])
            for r in frame.iter_rows(named=True)
        ]

    def summary(self) -> pl.DataFrame:
        """Problems grouped by column and rule: count, first row and an example message."""
        return (
            self.problems.group_by("column", "rule", maintain_order=True)
            .agg(
                pl.len().alias("count"),
                pl.col("row").min().alias("first_row"),
                pl.col("message").first().alias("example"),
            )
            .sort("first_row")
        )


# ----------------------------------------------------------------------------- mapping
@dataclass(frozen=True)
class ColumnMapping:
    """How the headings of one file map onto a kind's fields."""

    #: canonical field -> source heading
    fields: dict[str, str]
    #: canonical field -> default value (profile defaults, then field defaults)
    defaults: dict[str, str]
    ignored: tuple[str, ...]
    unused: tuple[str, ...]
    messages: tuple[str, ...]

    def source_of(self, name: str) -> str:
        return self.fields.get(name, name)


def resolve_mapping(
    headers: Sequence[str], kind: ImportKind, profile: Profile | None = None
) -> ColumnMapping:
    """Map headings to fields: the profile's ``columns`` first, then suggestions."""
    headers = [h for h in headers if h != ROW]
    by_norm: dict[str, str] = {}
    for header in headers:
        by_norm.setdefault(normalise(header), header)
    assigned: dict[str, str] = {}
    messages: list[str] = []
    for source, target in (profile.columns if profile else {}).items():
        found = source if source in headers else by_norm.get(normalise(source))
        if found is None:
            if target != IGNORE:
                messages.append(
                    f"The profile maps a column '{source}' to {target}, but the file has no"
                    " column with that heading."
                )
            continue
        if found in assigned or (target != IGNORE and target in assigned.values()):
            continue
        assigned[found] = target
    taken = {t for t in assigned.values() if t != IGNORE}
    remaining = [h for h in headers if h not in assigned]
    suggestions = suggest_mapping(remaining, _without(kind, taken))
    unused: list[str] = []
    automatic: list[str] = []
    for header in remaining:
        suggested = suggestions.get(header)
        if suggested is not None:
            assigned[header] = suggested
            automatic.append(f"'{header}' as {suggested}")
        else:
            unused.append(header)
            messages.append(
                f"Column '{header}' is not used by the {kind.name} import and was ignored."
            )
    if automatic:
        messages.insert(0, "Columns recognised automatically: " + ", ".join(automatic) + ".")
    fields = {t: h for h, t in assigned.items() if t != IGNORE}
    ordered = {f.name: fields[f.name] for f in kind.fields if f.name in fields}
    defaults: dict[str, str] = {}
    for spec in kind.fields:
        value = (profile.defaults.get(spec.name) if profile else None) or spec.default
        if value is not None:
            defaults[spec.name] = value
    return ColumnMapping(
        fields=ordered,
        defaults=defaults,
        ignored=tuple(h for h, t in assigned.items() if t == IGNORE),
        unused=tuple(unused),
        messages=tuple(messages),
    )


def _without(kind: ImportKind, taken: Collection[str]) -> ImportKind:
    if not taken:
        return kind
    return ImportKind(
        kind.name,
        kind.label,
        kind.key_identifiers,
        tuple(f for f in kind.fields if f.name not in taken),
        kind.date_order,
    )


def _clean_text(expr: pl.Expr) -> pl.Expr:
    stripped = expr.cast(pl.String).str.strip_chars()
    return pl.when(stripped.str.len_bytes() > 0).then(stripped).otherwise(None)


def _raw_columns(mapping: ColumnMapping, kind: ImportKind, prefix: str) -> list[pl.Expr]:
    exprs: list[pl.Expr] = []
    for spec in kind.fields:
        source = mapping.fields.get(spec.name)
        default = mapping.defaults.get(spec.name)
        if source is None and default is None:
            continue
        expr = _clean_text(pl.col(source)) if source is not None else pl.lit(None, pl.String)
        if default is not None:
            expr = expr.fill_null(pl.lit(default))
        exprs.append(expr.alias(prefix + spec.name))
    return exprs


def _ensure_row(frame: pl.DataFrame) -> pl.DataFrame:
    if ROW in frame.columns:
        return frame.with_columns(pl.col(ROW).cast(pl.Int64))
    return frame.with_row_index(ROW, offset=2).with_columns(pl.col(ROW).cast(pl.Int64))


def apply_profile(
    frame: pl.DataFrame, profile: Profile | None, kind: ImportKind
) -> tuple[pl.DataFrame, list[str]]:
    """Rename the raw frame's columns to canonical fields (still text).

    Unmapped and ignored columns are dropped and defaults filled in.  Returns
    the frame (``__row__`` first) and the file-level messages.
    """
    frame = _ensure_row(frame)
    mapping = resolve_mapping(frame.columns, kind, profile)
    mapped = frame.select(pl.col(ROW), *_raw_columns(mapping, kind, ""))
    return mapped, list(mapping.messages)


# --------------------------------------------------------------------------- the parser
def _label(spec: FieldSpec) -> str:
    return spec.label[0].lower() + spec.label[1:] if spec.label[1:2].islower() else spec.label


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _codes_text(spec: FieldSpec) -> str:
    codes = field_codes(spec)
    if spec.name == "state":
        return "a USPS two-letter code such as CA, DC or PR (or declined)"
    if len(codes) > 14:
        return "one of " + ", ".join(codes[:14]) + ", ..."
    return "one of " + ", ".join(codes)


def _declined_expr(raw: pl.Expr) -> pl.Expr:
    norm = raw.str.to_lowercase().str.replace_all(r"[^a-z]+", " ").str.strip_chars()
    return norm.is_in(list(DECLINED_SPELLINGS))


def _date_value(raw: pl.Expr, formats: Sequence[str]) -> pl.Expr:
    value = raw.str.replace(_TIME_SUFFIX_RE, "")
    attempts: list[pl.Expr] = []
    for fmt in formats:
        if fmt != ISO_FORMAT:
            attempts.append(value.str.strptime(pl.Date, fmt, strict=False))
    iso = value.str.strptime(pl.Date, ISO_FORMAT, strict=False)
    attempts.append(pl.when(value.str.contains(_ISO_RE)).then(iso))
    if not formats:
        for pattern, fmt in _DEFAULT_TEXT_FORMATS:
            parsed = value.str.strptime(pl.Date, fmt, strict=False)
            attempts.append(pl.when(value.str.contains(pattern)).then(parsed))
        parts = value.str.extract_groups(_NUMERIC_DATE_RE)
        first = parts.struct.field("1").cast(pl.Int32)
        second = parts.struct.field("2").cast(pl.Int32)
        year = parts.struct.field("3")
        month = (
            pl.when((first > 12) & (second <= 12))
            .then(second)
            .when((second > 12) & (first <= 12))
            .then(first)
            .when(first == second)
            .then(first)
        )
        day = pl.when(month == first).then(second).otherwise(first)
        attempts.append(
            pl.format("{}-{}-{}", year, month, day).str.strptime(pl.Date, ISO_FORMAT, strict=False)
        )
    return pl.coalesce(attempts)


def _npi_ok(value: pl.Expr) -> pl.Expr:
    total = pl.lit(24, pl.Int64)
    for position in range(9):
        digit = value.str.slice(position, 1).cast(pl.Int64, strict=False)
        if position % 2 == 0:  # doubled: positions 1, 3, ..., 9 counting from the left
            doubled = digit * 2
            digit = pl.when(doubled > 9).then(doubled - 9).otherwise(doubled)
        total = total + digit
    check = value.str.slice(9, 1).cast(pl.Int64, strict=False)
    return ((10 - total % 10) % 10) == check


@dataclass
class _Prepared:
    value: pl.Expr
    error: pl.Expr


class Validator:
    """Validate frames of one file, possibly chunk by chunk.

    The column mapping is resolved from the first frame's headings; later
    frames must have the same columns.  Identifiers seen in earlier chunks are
    remembered so that duplicates are found across the whole file.
    """

    def __init__(self, kind: ImportKind, profile: Profile | None = None) -> None:
        self.kind = kind
        self.profile = profile
        self.mapping: ColumnMapping | None = None
        self._columns: tuple[str, ...] | None = None
        self._tables: dict[str, ValueTable] = {}
        self._seen: dict[str, pl.DataFrame] = {}
        self._formats: tuple[str, ...] = profile.date_formats if profile else ()

    # ------------------------------------------------------------------ public
    def validate(self, frame: pl.DataFrame) -> ValidationResult:
        frame = _ensure_row(frame)
        columns = tuple(c for c in frame.columns if c != ROW)
        if self._columns is None:
            self._columns = columns
            self.mapping = resolve_mapping(columns, self.kind, self.profile)
        elif columns != self._columns:
            raise ValueError("every chunk of one file must have the same columns")
        assert self.mapping is not None  # noqa: S101 - set above
        mapping = self.mapping
        file_errors = self._file_errors(mapping)
        present = [
            s for s in self.kind.fields if s.name in mapping.fields or s.name in mapping.defaults
        ]
        if file_errors:
            rows = frame.get_column(ROW)
            return ValidationResult(
                clean=self._empty_clean(present),
                problems=pl.DataFrame(schema=PROBLEM_SCHEMA),
                rejected_rows=frozenset(rows.to_list()),
                total_rows=frame.height,
                file_errors=file_errors,
                messages=list(mapping.messages),
                mapping=self._source_map(mapping),
            )
        raw = frame.select(pl.col(ROW), *_raw_columns(mapping, self.kind, _R))
        prepared = {spec.name: self._prepare(spec, raw) for spec in present}
        work = raw.with_columns(
            [p.value.alias(_V + name) for name, p in prepared.items()]
        ).with_columns([p.error.alias(_E + name) for name, p in prepared.items()])
        problems = self._problems(work, present, mapping)
        rejected = problems.get_column("row").unique()
        clean = work.filter(~pl.col(ROW).is_in(rejected.implode())).select(
            pl.col(ROW), *[pl.col(_V + s.name).alias(s.name) for s in present]
        )
        return ValidationResult(
            clean=clean,
            problems=problems,
            rejected_rows=frozenset(rejected.to_list()),
            total_rows=frame.height,
            file_errors=[],
            messages=list(mapping.messages),
            mapping=self._source_map(mapping),
        )

    # --------------------------------------------------------------- internals
    @staticmethod
    def _source_map(mapping: ColumnMapping) -> dict[str, str]:
        return {source: name for name, source in mapping.fields.items()}

    def _file_errors(self, mapping: ColumnMapping) -> list[str]:
        kind = self.kind
        errors: list[str] = []
        available = set(mapping.fields) | set(mapping.defaults)
        for spec in kind.required_fields:
            if spec.name not in available:
                errors.append(
                    f"The file has no column for '{spec.label}' ({spec.name}), which the"
                    f" {kind.name} import requires. Map a column to it or add a default."
                )
        if not any(key in available for key in kind.key_identifiers):
            names = " or ".join(f"'{kind.field(k).label}' ({k})" for k in kind.key_identifiers)
            errors.append(
                f"The file has no column for {names}, which the {kind.name} import uses to"
                " recognise people. Map a column to it."
            )
        return errors

    def _empty_clean(self, present: Sequence[FieldSpec]) -> pl.DataFrame:
        schema: dict[str, pl.DataType] = {ROW: pl.Int64()}
        for spec in present:
            schema[spec.name] = _dtype(spec)
        return pl.DataFrame(schema=schema)

    def _table(self, spec: FieldSpec) -> ValueTable:
        table = self._tables.get(spec.name)
        if table is None:
            table = build_value_table(spec, self.profile)
            self._tables[spec.name] = table
        return table

    def _prepare(self, spec: FieldSpec, raw: pl.DataFrame) -> _Prepared:
        col = pl.col(_R + spec.name)
        value_col = pl.col(_V + spec.name)
        missing = col.is_null()
        if spec.type == "text":
            return self._prepare_text(spec, col, value_col)
        if spec.type == "date":
            value = _date_value(col, self._formats)
            year = value_col.dt.year()
            error: pl.Expr = (
                pl.when(missing)
                .then(None)
                .when(value_col.is_null())
                .then(pl.lit("date"))
                .when((year < MIN_YEAR) | (year > MAX_YEAR))
                .then(pl.lit("range"))
            )
            return _Prepared(value, error)
        if spec.type == "int":
            text = col
            if spec.name == "pgy":
                text = text.str.replace(r"^(?i)pgy[- ]?", "")
            digits = text.str.extract(r"^([+-]?\d{1,15})(?:\.0+)?$", 1)
            value = digits.cast(pl.Int64, strict=False)
            error = self._number_error(spec, missing, value_col)
            return _Prepared(value, error)
        if spec.type == "decimal":
            number = col.str.extract(r"^([+-]?(?:\d+\.?\d*|\.\d+))%?$", 1)
            percent = col.str.ends_with("%")
            value = number.cast(pl.Float64, strict=False)
            if spec.percent:
                value = pl.when(percent).then(value / 100).otherwise(value)
            else:
                value = pl.when(percent).then(None).otherwise(value)
            error = self._number_error(spec, missing, value_col)
            return _Prepared(value, error)
        # code, codes, bool: map each distinct value once, in Python
        uniques = raw.get_column(_R + spec.name).drop_nulls().unique().to_list()
        encoded = [self._encode(spec, value) for value in uniques]
        mapped = col.replace_strict(uniques, encoded, default=None, return_dtype=pl.String)
        is_error = mapped.str.starts_with(_ERR)
        code_error: pl.Expr = pl.when(is_error).then(mapped.str.slice(1))
        good = pl.when(is_error).then(None).otherwise(mapped)
        if spec.type == "codes":
            return _Prepared(good.str.split(";"), code_error)
        if spec.type == "bool":
            return _Prepared(good == "yes", code_error)
        return _Prepared(good, code_error)

    def _prepare_text(self, spec: FieldSpec, col: pl.Expr, value_col: pl.Expr) -> _Prepared:
        value = col
        error: pl.Expr = pl.lit(None, pl.String)
        if spec.target == "identifier" and spec.name != "email":
            value = value.str.replace(_FLOAT_INT_RE, "$1")
        if spec.name == "email":
            value = value.str.to_lowercase()
            error = pl.when(~value_col.str.contains(_EMAIL_RE)).then(pl.lit("email"))
        elif spec.name == "county_fips":
            digits = value.str.replace(_FLOAT_INT_RE, "$1")
            value = pl.when(digits.str.contains(r"^\d{4}$")).then("0" + digits).otherwise(digits)
            error = (
                pl.when(~value_col.str.contains(r"^\d{5}$"))
                .then(pl.lit("fips"))
                .when(~value_col.str.slice(0, 2).is_in(sorted(STATE_FIPS)))
                .then(pl.lit("fips"))
            )
        elif spec.name == "npi":
            error = (
                pl.when(~value_col.str.contains(spec.pattern))
                .then(pl.lit("identifier_format"))
                .when(~_npi_ok(value_col))
                .then(pl.lit("npi_checksum"))
            )
        elif spec.pattern:
            error = pl.when(~value_col.str.contains(spec.pattern)).then(pl.lit("identifier_format"))
        if spec.max_length is not None:
            too_long = pl.when(value_col.str.len_chars() > spec.max_length).then(pl.lit("too_long"))
            error = pl.coalesce(too_long, error)
        if spec.target == "selfid":
            declined = _declined_expr(col)
            value = pl.when(declined).then(pl.lit(DECLINED)).otherwise(value)
            error = pl.when(value_col == DECLINED).then(None).otherwise(error)
        error = pl.when(col.is_null()).then(None).otherwise(error)
        return _Prepared(value, error)

    @staticmethod
    def _number_error(spec: FieldSpec, missing: pl.Expr, value: pl.Expr) -> pl.Expr:
        """The rule a number cell breaks: not a number, or outside the field's range."""
        return (
            pl.when(missing)
            .then(None)
            .when(value.is_null())
            .then(pl.lit("number"))
            .when(Validator._out_of_range(spec, value))
            .then(pl.lit("range"))
        )

    @staticmethod
    def _out_of_range(spec: FieldSpec, value: pl.Expr) -> pl.Expr:
        low, high = spec.min_value, spec.max_value
        out_of_range = pl.lit(False)
        if low is not None:
            out_of_range = out_of_range | ((value <= low) if spec.min_exclusive else (value < low))
        if high is not None:
            out_of_range = out_of_range | (value > high)
        return out_of_range

    def _encode(self, spec: FieldSpec, raw: str) -> str:
        table = self._table(spec)
        codes = lookup_value(table, raw)
        if codes is None and spec.type == "codes":
            parts = [p for p in re.split(r"[;|,]", raw) if p.strip()]
            if len(parts) > 1:
                found: list[str] = []
                for part in parts:
                    part_codes = lookup_value(table, part)
                    if part_codes is None:
                        return _ERR + "vocabulary"
                    found.extend(part_codes)
                codes = tuple(found)
        if codes is None:
            return _ERR + ("boolean" if spec.type == "bool" else "vocabulary")
        if spec.type == "codes":
            order = {c: i for i, c in enumerate(spec.vocabulary)}
            unique = sorted(set(codes), key=lambda c: order.get(c, len(order)))
            if DECLINED in unique and len(unique) > 1:
                return _ERR + "declined_mixed"
            return ";".join(unique)
        return codes[0]

    # ---------------------------------------------------------------- problems
    def _problems(
        self, work: pl.DataFrame, present: Sequence[FieldSpec], mapping: ColumnMapping
    ) -> pl.DataFrame:
        kind = self.kind
        by_name = {s.name: s for s in present}
        parts: list[pl.LazyFrame] = []
        lazy = work.lazy()
        for spec in present:
            parts.append(
                lazy.filter(pl.col(_E + spec.name).is_not_null()).select(
                    pl.col(ROW).alias("row"),
                    pl.lit(mapping.source_of(spec.name)).alias("column"),
                    pl.lit(spec.name).alias("field"),
                    pl.col(_R + spec.name).alias("value"),
                    pl.col(_E + spec.name).alias("rule"),
                )
            )
            if spec.required:
                parts.append(
                    lazy.filter(pl.col(_R + spec.name).is_null()).select(
                        pl.col(ROW).alias("row"),
                        pl.lit(mapping.source_of(spec.name)).alias("column"),
                        pl.lit(spec.name).alias("field"),
                        pl.lit(None, pl.String).alias("value"),
                        pl.lit("required").alias("rule"),
                    )
                )
        simple = pl.concat(parts).collect() if parts else pl.DataFrame()
        frames: list[pl.DataFrame] = []
        if simple.height:
            frames.append(self._describe(simple, by_name))
        frames.extend(self._key_problems(work, present, mapping))
        frames.extend(self._order_problems(work, by_name, mapping))
        if not frames:
            return pl.DataFrame(schema=PROBLEM_SCHEMA)
        order = {s.name: i for i, s in enumerate(kind.fields)}
        combined = pl.concat([f.select(list(PROBLEM_SCHEMA)) for f in frames])
        return combined.sort(
            pl.col("row"), pl.col("field").replace_strict(order, default=len(order))
        )

    def _describe(self, simple: pl.DataFrame, by_name: dict[str, FieldSpec]) -> pl.DataFrame:
        combos = simple.select("field", "rule", "value").unique()
        rules: list[str] = []
        details: list[str] = []
        for name, rule, value in combos.iter_rows():
            final_rule, detail = self._detail(by_name[name], rule, value)
            rules.append(final_rule)
            details.append(detail)
        described = combos.with_columns(
            pl.Series("final_rule", rules, dtype=pl.String),
            pl.Series("detail", details, dtype=pl.String),
        )
        joined = simple.join(described, on=["field", "rule", "value"], how="left", nulls_equal=True)
        return joined.select(
            "row",
            "column",
            "field",
            "value",
            pl.col("final_rule").alias("rule"),
            pl.format("Row {}, column '{}': {}", "row", "column", "detail").alias("message"),
        )

    def _detail(self, spec: FieldSpec, rule: str, value: str | None) -> tuple[str, str]:
        label = _label(spec)
        kind = self.kind.name
        shown = f"'{value}'"
        if rule == "required":
            return rule, f"{label} is empty, but the {kind} import requires it."
        if rule == "too_long":
            length = len(value or "")
            return rule, (
                f"the value is {length:,} characters long; {label} allows at most"
                f" {spec.max_length:,}."
            )
        if rule == "email":
            return rule, f"{shown} is not a valid e-mail address."
        if rule == "identifier_format":
            return rule, f"{shown} is not a valid {spec.label}: {spec.pattern_hint}."
        if rule == "npi_checksum":
            return rule, (
                f"{shown} is not a valid NPI: its last (check) digit does not match the other"
                " nine, so one of the digits is probably mistyped."
            )
        if rule == "fips":
            return rule, _fips_detail(value or "")
        if rule == "date":
            return diagnose_date(value or "", self._formats, label)
        if rule == "number":
            return rule, _number_detail(spec, value or "", label)
        if rule == "range":
            return rule, self._range_detail(spec, value or "", label)
        if rule == "boolean":
            return rule, f"{shown} is not a yes/no value for {spec.name}; use yes or no."
        if rule == "declined_mixed":
            return rule, (
                f"{shown} combines 'declined' with other answers for {spec.name}; a person either"
                " declines or answers."
            )
        if rule == "vocabulary":
            unknown = self._unknown_parts(spec, value or "")
            what = shown if unknown is None else f"{shown} contains '{unknown}', which"
            return rule, (
                f"{what} is not a known value for {spec.name}; use {_codes_text(spec)}, or add it"
                " to the profile's values."
            )
        return rule, f"{shown} is not valid for {spec.name}."

    def _unknown_parts(self, spec: FieldSpec, value: str) -> str | None:
        if spec.type != "codes":
            return None
        parts = [p.strip() for p in re.split(r"[;|,]", value) if p.strip()]
        if len(parts) < 2:
            return None
        table = self._table(spec)
        for part in parts:
            if lookup_value(table, part) is None:
                return part
        return None

    def _range_detail(self, spec: FieldSpec, value: str, label: str) -> str:
        if spec.type == "date":
            return (
                f"'{value}' is outside the range of dates this import accepts"
                f" ({MIN_YEAR} to {MAX_YEAR})."
            )
        low, high = spec.min_value, spec.max_value
        if spec.min_exclusive and low is not None and high is not None:
            bounds = f"more than {_num(low)} and at most {_num(high)}"
        elif low is not None and high is not None:
            bounds = f"{_num(low)} to {_num(high)}"
        elif low is not None:
            bounds = f"at least {_num(low)}"
        else:
            bounds = f"at most {_num(high or 0)}"
        hint = ""
        if spec.percent:
            hint = " Write a fraction (0.8) or a percentage (80%)."
        return f"'{value}' is outside the allowed range for {label} ({bounds}).{hint}"

    def _key_problems(
        self, work: pl.DataFrame, present: Sequence[FieldSpec], mapping: ColumnMapping
    ) -> list[pl.DataFrame]:
        kind = self.kind
        keys = [k for k in kind.key_identifiers if any(s.name == k for s in present)]
        frames: list[pl.DataFrame] = []
        if not keys:
            return frames
        no_key = pl.all_horizontal([pl.col(_R + k).is_null() for k in keys])
        names = " or ".join(kind.field(k).label for k in keys)
        missing = work.filter(no_key).select(
            pl.col(ROW).alias("row"),
            pl.lit(mapping.source_of(keys[0])).alias("column"),
            pl.lit(keys[0]).alias("field"),
            pl.lit(None, pl.String).alias("value"),
            pl.lit("missing_identifier").alias("rule"),
            pl.format(
                "Row {}: there is no {}; the {} import needs one to recognise the person.",
                pl.col(ROW),
                pl.lit(names),
                pl.lit(kind.name),
            ).alias("message"),
        )
        if missing.height:
            frames.append(missing)
        scope = [f for f in kind.row_scope if f in work.columns or _V + f in work.columns]
        scope_exprs = [
            pl.col(_V + f).cast(pl.String).fill_null("") for f in scope if _V + f in work.columns
        ]
        scope_labels = [kind.field(f).label.lower() for f in scope if _V + f in work.columns]
        once = (
            " each person may appear only once per file."
            if not scope_labels
            else f" each person may appear only once per {' and '.join(scope_labels)}."
        )
        for key in keys:
            value = pl.col(_V + key)
            scoped = pl.concat_str([value.cast(pl.String), *scope_exprs], separator="\x1f")
            current = work.select(pl.col(ROW), value.alias("key"), scoped.alias("scoped")).filter(
                pl.col("key").is_not_null()
            )
            firsts = current.group_by("scoped").agg(pl.col(ROW).min().alias("first"))
            seen = self._seen.get(key)
            if seen is not None:
                firsts = (
                    firsts.join(seen, on="scoped", how="left", suffix="_seen")
                    .with_columns(pl.coalesce("first_seen", "first").alias("first"))
                    .select("scoped", "first")
                )
                new = firsts.join(seen, on="scoped", how="anti")
                self._seen[key] = pl.concat([seen, new])
            else:
                self._seen[key] = firsts
            dups = current.join(firsts, on="scoped", how="left").filter(
                pl.col("first") != pl.col(ROW)
            )
            if dups.height:
                source = mapping.source_of(key)
                frames.append(
                    dups.select(
                        pl.col(ROW).alias("row"),
                        pl.lit(source).alias("column"),
                        pl.lit(key).alias("field"),
                        pl.col("key").alias("value"),
                        pl.lit("duplicate_identifier").alias("rule"),
                        pl.format(
                            "Row {}, column '{}': {} '{}' also appears on row {};" + once,
                            pl.col(ROW),
                            pl.lit(source),
                            pl.lit(kind.field(key).label),
                            pl.col("key"),
                            pl.col("first"),
                        ).alias("message"),
                    )
                )
        return frames

    def _order_problems(
        self, work: pl.DataFrame, by_name: dict[str, FieldSpec], mapping: ColumnMapping
    ) -> list[pl.DataFrame]:
        frames: list[pl.DataFrame] = []
        for earlier, later in self.kind.date_order:
            if earlier not in by_name or later not in by_name:
                continue
            first, second = pl.col(_V + earlier), pl.col(_V + later)
            bad = work.filter(
                (second < first) & pl.col(_E + earlier).is_null() & pl.col(_E + later).is_null()
            )
            if not bad.height:
                continue
            source = mapping.source_of(later)
            frames.append(
                bad.select(
                    pl.col(ROW).alias("row"),
                    pl.lit(source).alias("column"),
                    pl.lit(later).alias("field"),
                    pl.col(_R + later).alias("value"),
                    pl.lit("end_before_start").alias("rule"),
                    pl.format(
                        "Row {}, column '{}': {} {} is before {} {} (column '{}').",
                        pl.col(ROW),
                        pl.lit(source),
                        pl.lit(_label(by_name[later])),
                        second.dt.to_string("%Y-%m-%d"),
                        pl.lit(_label(by_name[earlier])),
                        first.dt.to_string("%Y-%m-%d"),
                        pl.lit(mapping.source_of(earlier)),
                    ).alias("message"),
                )
            )
        return frames


def _dtype(spec: FieldSpec) -> pl.DataType:
    if spec.type == "date":
        return pl.Date()
    if spec.type == "int":
        return pl.Int64()
    if spec.type == "decimal":
        return pl.Float64()
    if spec.type == "bool":
        return pl.Boolean()
    if spec.type == "codes":
        return pl.List(pl.String)
    return pl.String()


def validate(
    frame: pl.DataFrame, kind: ImportKind, profile: Profile | None = None
) -> ValidationResult:
    """Map and validate a whole raw frame (as returned by ``read_table``)."""
    return Validator(kind, profile).validate(frame)


# ---------------------------------------------------------------------- diagnostics
def _fips_detail(value: str) -> str:
    digits = re.sub(r"\.0+$", "", value)
    if not digits.isdigit():
        return f"'{value}' is not a county FIPS code; it should be 5 digits, such as 01001."
    if len(digits) != 5 and len(digits) != 4:
        return (
            f"'{value}' is not a county FIPS code; it should be 5 digits (2 for the state and 3"
            " for the county), such as 01001."
        )
    return f"'{value}' is not a county FIPS code: '{digits.zfill(5)[:2]}' is not a state code."


def _number_detail(spec: FieldSpec, value: str, label: str) -> str:
    if spec.type == "int":
        return f"'{value}' is not a whole number, which {label} must be."
    if spec.percent:
        return f"'{value}' is not a number; write {label} as 0.8 or 80%."
    return f"'{value}' is not a number, which {label} must be."


_DIRECTIVE_PATTERNS = {
    "Y": r"(?P<Y>\d{4})",
    "y": r"(?P<y>\d{2})",
    "m": r"(?P<m>\d{1,2})",
    "d": r"(?P<d>\d{1,2})",
    "e": r"\s?(?P<d>\d{1,2})",
    "b": r"(?P<b>[A-Za-z]+)",
    "B": r"(?P<b>[A-Za-z]+)",
    "a": r"[A-Za-z]+",
    "A": r"[A-Za-z]+",
    "%": "%",
}
_HUMAN = {"Y": "YYYY", "y": "YY", "m": "MM", "d": "DD", "e": "DD", "b": "Mon", "B": "Month",
          "a": "Day", "A": "Day", "%": "%"}  # fmt: skip
_MONTH_ABBR = {m.lower()[:3]: i for i, m in enumerate(calendar.month_name) if m}


def _format_regex(fmt: str) -> re.Pattern[str] | None:
    out: list[str] = []
    used: set[str] = set()
    i = 0
    while i < len(fmt):
        ch = fmt[i]
        if ch == "%" and i + 1 < len(fmt):
            directive = fmt[i + 1]
            pattern = _DIRECTIVE_PATTERNS.get(directive)
            if pattern is None:
                return None
            group = {"e": "d", "B": "b"}.get(directive, directive)
            if group in used and "?P<" in pattern:
                pattern = re.sub(r"\?P<\w+>", "", pattern)
            used.add(group)
            out.append(pattern)
            i += 2
            continue
        out.append(r"\s+" if ch == " " else re.escape(ch))
        i += 1
    return re.compile("^" + "".join(out) + "$", re.IGNORECASE)


def human_format(fmt: str) -> str:
    """'%m/%d/%Y' -> 'MM/DD/YYYY'."""
    return re.sub(r"%(.)", lambda m: _HUMAN.get(m.group(1), m.group(0)), fmt)


def _impossible(value: str, year: int, month: int, day: int) -> str | None:
    if not 1 <= month <= 12:
        return f"'{value}' is not a real date (there is no month {month})."
    if year < 1:
        return None
    days = calendar.monthrange(year, month)[1]
    if not 1 <= day <= days:
        return f"'{value}' is not a real date ({_MONTHS[month]} has {days} days in {year})."
    return None


def _components(match: re.Match[str]) -> tuple[int, int, int] | None:
    groups = match.groupdict()
    if groups.get("Y"):
        year = int(groups["Y"])
    elif groups.get("y"):
        short = int(groups["y"])
        year = 1900 + short if short >= 69 else 2000 + short
    else:
        return None
    if groups.get("m"):
        month = int(groups["m"])
    elif groups.get("b"):
        month = _MONTH_ABBR.get(groups["b"].lower()[:3], 0)
        if month == 0:
            return None
    else:
        return None
    if not groups.get("d"):
        return None
    return year, month, int(groups["d"])


def diagnose_date(value: str, formats: Sequence[str], label: str = "a date") -> tuple[str, str]:
    """Explain why ``value`` is not an acceptable date: (rule, sentence)."""
    text = re.sub(_TIME_SUFFIX_RE, "", value.strip())
    if re.fullmatch(r"\d{5}(\.\d+)?", text) and 20000 <= float(text) <= 80000:
        return "date_format", (
            f"'{value}' looks like an Excel date serial number, not a date; format the column"
            " as a date in Excel before exporting."
        )
    for fmt in (*formats, ISO_FORMAT):
        pattern = _format_regex(fmt)
        match = pattern.match(text) if pattern else None
        if match:
            parts = _components(match)
            if parts:
                reason = _impossible(value, *parts)
                if reason:
                    return "impossible_date", reason
    numeric = re.fullmatch(_NUMERIC_DATE_RE, text)
    if not formats and numeric:
        first, second, year = (int(g) for g in numeric.groups())
        if first <= 12 and second <= 12 and first != second:
            return "ambiguous_date", (
                f"'{value}' could mean {_MONTHS[first]} {second} or {_MONTHS[second]} {first}."
                " Declare the date format in the mapping profile: date_format: '%m/%d/%Y'"
                " for month/day/year or '%d/%m/%Y' for day/month/year."
            )
        if first > 12 and second > 12:
            return "impossible_date", (
                f"'{value}' is not a real date (neither {first} nor {second} is a month)."
            )
        month, day = (second, first) if first > 12 else (first, second)
        reason = _impossible(value, year, month, day)
        if reason:
            return "impossible_date", reason
    if not formats and re.fullmatch(r"\d{1,2}[/.-]\d{1,2}[/.-]\d{2}", text):
        return "date_format", (
            f"'{value}' has a two-digit year. Write the year in full, or declare the date format"
            " in the mapping profile (for example date_format: '%m/%d/%y')."
        )
    expected = " or ".join(human_format(f) for f in (*formats, ISO_FORMAT))
    if not formats:
        expected = "YYYY-MM-DD (for example 2024-07-01)"
    return "date_format", f"'{value}' is not a date in the expected form {expected}."
