"""The import pipeline: read, validate, plan and (when committing) apply, chunk by chunk.

Planning is done on whole columns with polars: who exists already (by key identifier),
which identifiers clash, which stages and self-identification answers are new, changed or
already recorded. Python loops run only over rows that change something already stored,
which is what keeps a 100,000-row import in seconds. ``services.py`` drives it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import polars as pl
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from ristra.analytics.importspec import ImportKind, get_kind
from ristra.analytics.profiles import Profile, load_profile
from ristra.analytics.tabular import UnusableInput, iter_table_chunks
from ristra.analytics.validation import ValidationResult, Validator
from ristra.people import bulk
from ristra.people.models import (
    Identifier,
    ImportBatch,
    ImportRow,
    OrgUnit,
    OrgUnitKind,
    Person,
    RowFate,
    SelfIdentification,
    Stage,
    StageKind,
)
from ristra.people.responses import answer_rows, answers_json

ROW = "__row__"
PID = "__pid__"
# Rows read, planned and queued for writing at a time. Smaller chunks let the writer start
# sooner and keep it fed; much smaller ones add planning overhead per chunk.
CHUNK_ROWS = 20_000
# Identifiers of one system kept in memory for a batch when the database holds no more.
STORED_OWNERS_LIMIT = 100_000
PERSON_FIELDS = ("given_name", "middle_name", "family_name", "former_names", "birth_date")
STAGE_FIELDS = (
    "start_date", "end_date", "org_unit_id", "academic_year", "program", "round", "outcome",
    "rank", "track", "tenure", "fte", "title", "senior_administrative", "pgy", "reason", "gpa",
    "mcat",
)  # fmt: skip
# Stage columns as planned: dates as ISO text, decimals as fixed-point text, so values
# compare exactly with what the database returns.
STAGE_SCHEMA: dict[str, Any] = {
    "start_date": pl.String, "end_date": pl.String, "org_unit_id": pl.Int64,
    "academic_year": pl.Int64, "program": pl.String, "round": pl.String,
    "outcome": pl.String, "rank": pl.String, "track": pl.String, "tenure": pl.String,
    "fte": pl.String, "title": pl.String, "senior_administrative": pl.Boolean,
    "pgy": pl.Int64, "reason": pl.String, "gpa": pl.String, "mcat": pl.Int64,
}  # fmt: skip
TEXT_DEFAULT = {name for name, kind in STAGE_SCHEMA.items() if kind == pl.String} - {
    "start_date", "end_date", "fte", "gpa",
}  # fmt: skip
CYCLE_STAGES = {"application", "interview", "offer", "matriculation"}
UNIT_KIND = {
    "faculty": OrgUnitKind.DEPARTMENT,
    "staff": OrgUnitKind.DEPARTMENT,
    "admissions": OrgUnitKind.DEGREE_PROGRAM,
    "students": OrgUnitKind.DEGREE_PROGRAM,
    "gme": OrgUnitKind.GME_PROGRAM,
}


def profile_for(batch: ImportBatch) -> Profile | None:
    text = batch.profile_yaml or (batch.profile.yaml if batch.profile else "")
    return load_profile(text) if text.strip() else None


def _iso(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _reads_columns(expr: pl.Expr, columns: set[str]) -> bool:
    """Whether ``expr`` reads at least one column of the file (not only literals)."""
    roots = expr.meta.root_names()
    return bool(roots) and all(root in columns for root in roots)


def _iso_text(value: Any) -> str | None:
    """A date from the database (date on PostgreSQL, text on SQLite) as ISO text."""
    if value is None:
        return None
    return value.isoformat() if isinstance(value, dt.date) else str(value)[:10]


def _date(value: Any) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])


def _fixed(value: Any, places: int) -> str | None:
    if value is None:
        return None
    return f"{Decimal(str(value)):.{places}f}"


def _stage_frame(rows: list[tuple[Any, ...]]) -> pl.DataFrame:
    """Stored stages in the planner's representation (ISO dates, fixed-point decimals)."""
    names = ["id", "person_id", "key", *STAGE_FIELDS]
    columns: dict[str, list[Any]] = {name: [r[i] for r in rows] for i, name in enumerate(names)}
    for name in ("start_date", "end_date"):
        columns[name] = [_iso_text(v) for v in columns[name]]
    columns["fte"] = [_fixed(v, 3) for v in columns["fte"]]
    columns["gpa"] = [_fixed(v, 2) for v in columns["gpa"]]
    columns["senior_administrative"] = [bool(v) for v in columns["senior_administrative"]]
    schema = {"id": pl.Int64, "person_id": pl.Int64, "key": pl.String, **STAGE_SCHEMA}
    return pl.DataFrame(columns, schema=schema)


@dataclass
class Counts:
    total: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0

    @property
    def valid(self) -> int:
        return self.inserted + self.updated + self.unchanged


@dataclass
class ChunkOutcome:
    counts: Counts
    problems: list[dict[str, Any]] = field(default_factory=list)


class Pipeline:
    """One batch, read and planned chunk by chunk; applied when ``apply`` is true."""

    def __init__(self, batch: ImportBatch, *, apply: bool) -> None:
        self.batch = batch
        self.apply = apply
        # Inserts of one chunk are written while the next chunk is read and validated.
        self.inserts = bulk.BackgroundInserts()
        self.kind: ImportKind = get_kind(batch.kind)
        self.profile = profile_for(batch)
        self.validator = Validator(self.kind, self.profile)
        self.source = batch.source_label or f"{self.kind.label} import"
        self.reported_on = timezone.localdate(batch.created_at or timezone.now()).isoformat()
        self.id_systems = {
            s.name: (s.system or s.name) for s in self.kind.fields if s.target == "identifier"
        }
        self.selfid_fields = [
            s.name for s in self.kind.fields if s.target == "selfid" and s.name != "self_id_date"
        ]
        self.units: dict[tuple[str, str], tuple[int | None, str]] = {}
        self.unit_ids: dict[str, int] = {}
        for pk, name, code, kind in OrgUnit.objects.values_list("id", "name", "code", "kind"):
            self.units[(kind, name.casefold())] = (pk, code)
            self.units[(kind, code.casefold())] = (pk, code)
            self.unit_ids[code] = pk
        self.new_units: dict[str, tuple[str, str]] = {}
        self.planned_units: set[str] = set()
        # Key ("system\x1fvalue") -> person id of people this batch adds (negative when
        # only checking), so later rows and chunks about the same person find them.
        self.planned_people: dict[str, int] = {}
        self.created_people: set[int] = set()
        self.person_ids = bulk.IdAllocator(Person)
        # Identifiers by system. ``stored_owners`` holds value -> person id as the database
        # held them before this batch, when few enough to keep (else None: the database is
        # asked chunk by chunk); ``batch_owners`` the (value, person id) this batch adds, as
        # a frame (a million of them take tens of MB, not hundreds). So a chunk never waits
        # for an earlier chunk's identifiers to be written.
        self.stored_owners: dict[str, dict[str, int] | None] = {}
        self.batch_owners: dict[str, pl.DataFrame] = {}
        # People this chunk adds: nothing of theirs is stored yet, so nothing is looked up.
        self.fresh: list[int] = []
        # Per stage kind, the stage fields this file states (see _stages).
        self.stage_fields: dict[str, set[str]] = {}
        self.created_units: list[int] = []
        self.file_notes: list[str] = []
        self.sources: dict[str, str] = {}
        self.format = self.encoding = self.delimiter = ""
        self.headings: list[str] = []

    # -- reading ----------------------------------------------------------------------
    def chunks(self) -> Iterator[tuple[pl.DataFrame, ValidationResult]]:
        info, frames = iter_table_chunks(
            Path(self.batch.file.path),
            chunk_rows=CHUNK_ROWS,
            encoding=getattr(self.profile, "encoding", None),
            delimiter=getattr(self.profile, "delimiter", None),
            sheet=getattr(self.profile, "sheet", None),
            filename=self.batch.filename,
        )
        self.format, self.encoding, self.delimiter = (
            info.format,
            info.encoding or "",
            info.delimiter or "",
        )
        self.file_notes = list(info.notes)
        first = True
        for frame in frames:
            result = self.validator.validate(frame)
            if result.file_errors:
                raise UnusableInput("missing_columns", " ".join(result.file_errors))
            if first:
                self.headings = [c for c in frame.columns if c != ROW]
                self.file_notes.extend(result.messages)
                self.sources = {f: h for h, f in result.mapping.items()}
                first = False
            yield frame, result

    # -- identifiers --------------------------------------------------------------------
    def _stored_owners(self, system: str, values: list[str]) -> list[tuple[str, int]]:
        """(value, person id) of ``values`` recorded for ``system`` before this batch."""
        if system not in self.stored_owners:
            # Read once, on the first chunk, before this batch has added any identifier.
            rows = bulk.fetch_all(
                Identifier, ["value", "person_id"], "system", system, limit=STORED_OWNERS_LIMIT
            )
            self.stored_owners[system] = None if rows is None else dict(rows)
        stored = self.stored_owners[system]
        if stored is not None:
            return [(v, stored[v]) for v in values if v in stored]
        found = bulk.fetch_in(
            Identifier,
            ["value", "person_id"],
            "value",
            values,
            extra_where="system = %s",
            extra_params=[system],
        )
        return [(v, pid) for v, pid in found]

    # -- units ------------------------------------------------------------------------
    def _unit(self, name: str, kind: str) -> tuple[int | None, str]:
        key = (kind, name.strip().casefold())
        if key in self.units:
            return self.units[key]
        code = slugify(name)[:60] or "unit"
        if (kind, code) in self.units or code in self.new_units:
            code = f"{kind}-{code}"[:64]
        self.new_units[code] = (name.strip(), kind)
        self.planned_units.add(name.strip())
        self.units[key] = self.units[(kind, code)] = (None, code)
        return (None, code)

    def _create_units(self) -> None:
        self.inserts.wait()  # get_or_create may roll back to a savepoint
        for code, (name, kind) in self.new_units.items():
            unit, made = OrgUnit.objects.get_or_create(
                code=code, defaults={"name": name, "kind": kind}
            )
            if made:
                self.created_units.append(unit.pk)
            self.unit_ids[code] = unit.pk
            self.units[(kind, name.casefold())] = self.units[(kind, code)] = (unit.pk, code)
        self.new_units = {}

    def _unit_columns(
        self, frame: pl.DataFrame, column: str | None, default: str = ""
    ) -> tuple[pl.Expr, pl.Expr]:
        """(org_unit_id, unit code) expressions for the unit named in ``column``."""
        unit_kind = UNIT_KIND[self.kind.name]
        if column is None or column not in frame.columns:
            if not default:
                return pl.lit(None, pl.Int64), pl.lit("")
            names = [default]
            source = pl.lit(default)
        else:
            names = [n for n in frame.get_column(column).unique().to_list() if n]
            source = pl.col(column)
        for name in names:
            self._unit(name, unit_kind)
        if self.apply and self.new_units:
            self._create_units()
        codes = {n: self._unit(n, unit_kind)[1] for n in names}
        ids = {n: self.unit_ids.get(codes[n]) for n in names}
        code_expr = source.replace_strict(codes, default="", return_dtype=pl.String)
        id_expr = source.replace_strict(ids, default=None, return_dtype=pl.Int64)
        return id_expr, code_expr

    # -- stages -----------------------------------------------------------------------
    def _stages(self, frame: pl.DataFrame) -> pl.DataFrame:
        """Every stage the rows describe: ROW, PID, kind, key and STAGE_FIELDS."""
        cols = set(frame.columns)

        def c(name: str) -> pl.Expr:
            return pl.col(name) if name in cols else pl.lit(None)

        def date(name: str) -> pl.Expr:
            return (
                c(name).cast(pl.Date).dt.strftime("%Y-%m-%d")
                if name in cols
                else pl.lit(None, pl.String)
            )

        def text(name: str) -> pl.Expr:
            return c(name).cast(pl.String).fill_null("")

        def fixed(name: str, places: int) -> pl.Expr:
            if name not in cols:
                return pl.lit(None, pl.String)
            return (
                pl.col(name)
                .cast(pl.Float64)
                .round(places)
                .map_elements(lambda v: f"{v:.{places}f}", return_dtype=pl.String)
            )

        kind = self.kind.name
        parts: list[pl.DataFrame] = []

        def add(
            stage_kind: str,
            when: pl.Expr,
            unit: tuple[pl.Expr, pl.Expr],
            condition: pl.Expr | None = None,
            **values: pl.Expr,
        ) -> None:
            unit_id, unit_code = unit
            by_year = stage_kind in CYCLE_STAGES
            keyed = values["academic_year"].cast(pl.String) if by_year else when
            exprs = [
                pl.col(ROW),
                pl.col(PID),
                pl.lit(stage_kind).alias("kind"),
                pl.concat_str(
                    [pl.lit(stage_kind + "|"), unit_code, pl.lit("|"), keyed.fill_null("")]
                )
                .str.slice(0, 200)
                .alias("key"),
                when.alias("start_date"),
                unit_id.alias("org_unit_id"),
            ]
            for name, dtype in STAGE_SCHEMA.items():
                if name in ("start_date", "org_unit_id"):
                    continue
                if name in values:
                    exprs.append(values[name].cast(dtype).alias(name))
                elif name in TEXT_DEFAULT:
                    exprs.append(pl.lit("").alias(name))
                elif name == "senior_administrative":
                    exprs.append(pl.lit(False).alias(name))
                else:
                    exprs.append(pl.lit(None, dtype).alias(name))
            part = frame if condition is None else frame.filter(condition)
            if part.height:
                parts.append(part.select(exprs))
            # Fields this file states for this stage: only these are compared and updated,
            # so a column the file lacks never erases what another source recorded.
            given = {name for name, expr in values.items() if _reads_columns(expr, cols)}
            if _reads_columns(unit_id, cols) or unit_id.meta.root_names() == []:
                given.add("org_unit_id")
            if stage_kind != StageKind.INTERVIEW and _reads_columns(when, cols):
                given.add("start_date")
            self.stage_fields.setdefault(stage_kind, set()).update(given)

        if kind in {"faculty", "staff"}:
            unit = self._unit_columns(frame, "department")
            common = {
                "end_date": date("end_date"),
                "fte": fixed("fte", 3),
                "reason": text("separation_reason"),
            }
            if kind == "faculty":
                add(
                    StageKind.FACULTY_APPOINTMENT,
                    date("start_date"),
                    unit,
                    rank=text("rank"),
                    track=text("track"),
                    tenure=text("tenure"),
                    **common,
                )
                if "last_promotion_date" in cols:
                    add(
                        StageKind.PROMOTION,
                        date("last_promotion_date"),
                        unit,
                        c("last_promotion_date").is_not_null(),
                        rank=text("rank"),
                    )
                if "leadership_title" in cols and "leadership_start_date" in cols:
                    add(
                        StageKind.LEADERSHIP_APPOINTMENT,
                        date("leadership_start_date"),
                        unit,
                        c("leadership_title").is_not_null()
                        & c("leadership_start_date").is_not_null(),
                        title=text("leadership_title"),
                        senior_administrative=pl.lit(True),
                    )
            else:
                add(
                    StageKind.STAFF_APPOINTMENT,
                    date("start_date"),
                    unit,
                    title=text("job_title"),
                    senior_administrative=c("senior_administrative").fill_null(False),
                    **common,
                )
            if "end_date" in cols:
                add(
                    StageKind.SEPARATION,
                    date("end_date"),
                    unit,
                    c("end_date").is_not_null(),
                    reason=text("separation_reason"),
                )
        elif kind == "admissions":
            unit = self._unit_columns(frame, "program", default="MD")
            year = c("cycle").cast(pl.Int64)
            applied = pl.coalesce(
                date("application_date"),
                pl.concat_str([(year - 1).cast(pl.String), pl.lit("-06-01")]),
            )
            base = {
                "academic_year": year,
                "program": c("program").fill_null("MD") if "program" in cols else pl.lit("MD"),
            }
            add(
                StageKind.APPLICATION,
                applied,
                unit,
                round=text("round"),
                gpa=fixed("gpa", 2),
                mcat=c("mcat"),
                **base,
            )
            if "interviewed" in cols:
                add(StageKind.INTERVIEW, applied, unit, c("interviewed").fill_null(False), **base)
            if "offer_outcome" in cols:
                add(
                    StageKind.OFFER,
                    pl.coalesce(date("offer_date"), applied),
                    unit,
                    c("offer_outcome").is_not_null() & (c("offer_outcome") != "none"),
                    outcome=text("offer_outcome"),
                    **base,
                )
            if "matriculation_date" in cols:
                add(
                    StageKind.MATRICULATION,
                    date("matriculation_date"),
                    unit,
                    c("matriculation_date").is_not_null(),
                    **base,
                )
        elif kind == "students":
            unit = self._unit_columns(frame, "program")
            add(
                StageKind.ENROLLMENT,
                date("enrollment_date"),
                unit,
                end_date=date("graduation_date"),
                outcome=text("status"),
                reason=text("separation_reason"),
                program=text("program"),
            )
            if "graduation_date" in cols:
                add(
                    StageKind.GRADUATION,
                    date("graduation_date"),
                    unit,
                    c("graduation_date").is_not_null(),
                    program=text("program"),
                )
        elif kind == "gme":
            unit = self._unit_columns(frame, "program")
            add(
                StageKind.GME_APPOINTMENT,
                date("start_date"),
                unit,
                end_date=date("end_date"),
                pgy=c("pgy"),
                title=text("position"),
                outcome=text("completion_status"),
                program=text("program"),
            )
        if not parts:
            return pl.DataFrame()
        return pl.concat(parts, how="vertical_relaxed")

    def _stored_people(
        self, frame: pl.DataFrame, model: type[Stage | SelfIdentification]
    ) -> list[int]:
        """Ids of the people in ``frame`` who may have ``model`` rows stored already.

        They are the people in the database before this chunk, including those an earlier
        chunk added (not placeholders, not people this chunk adds). Waits until the inserts
        into ``model`` that earlier chunks queued are written, so a lookup sees them.
        """
        known = (
            frame.filter((pl.col(PID) > 0) & ~pl.col(PID).is_in(self.fresh))
            .get_column(PID)
            .unique()
            .to_list()
        )
        if known:
            self.inserts.wait(model)
        return known

    # -- planning and applying one chunk -----------------------------------------------
    def process(self, raw: pl.DataFrame, result: ValidationResult) -> ChunkOutcome:
        """Plan one chunk; when applying, write it.

        Inserts go to ``self.inserts`` and are written in the background: before reading a
        table, wait for the inserts into it that earlier chunks (or steps) added.
        """
        counts = Counts(total=raw.height)
        problems: list[dict[str, Any]] = [
            {k: r[k] for k in ("row", "column", "value", "rule", "message")}
            for r in result.problems.iter_rows(named=True)
        ]
        reasons: dict[int, list[str]] = {}
        for p in problems:
            reasons.setdefault(int(p["row"]), []).append(str(p["message"]))
        clean = result.clean
        key_fields = [f for f in self.kind.key_identifiers if f in clean.columns]
        id_fields = [f for f in self.id_systems if f in clean.columns]

        # 1. Who exists already: owners of every identifier in the chunk, as stored before
        #    this batch or added by it.
        owners: dict[tuple[str, str], int] = {}
        for fname in id_fields:
            system = self.id_systems[fname]
            values = clean.get_column(fname).drop_nulls().unique().to_list()
            owners.update(((system, v), pid) for v, pid in self._stored_owners(system, values))
            added = self.batch_owners.get(system)
            if added is not None and values:
                wanted = pl.DataFrame({"value": values}, schema={"value": added.schema["value"]})
                found = added.join(wanted, on="value", how="semi")
                owners.update(((system, v), pid) for v, pid in found.iter_rows())

        def owner_expr(fname: str) -> pl.Expr:
            system = self.id_systems[fname]
            mapping = {v: pid for (s, v), pid in owners.items() if s == system}
            return pl.col(fname).replace_strict(mapping, default=None, return_dtype=pl.Int64)

        key_owner = (
            pl.coalesce([owner_expr(f) for f in key_fields]) if owners else pl.lit(None, pl.Int64)
        )
        clean = clean.with_columns(key_owner.alias(PID))

        # 2. Identifiers that belong to someone else reject the row.
        conflict_rows: set[int] = set()

        def conflict(number: int, fname: str, value: str) -> None:
            key_name = key_fields[0] if key_fields else fname
            message = _(
                "Row %(row)s: %(system)s '%(value)s' is already recorded for a "
                "different person than the one this row's %(key)s identifies."
            ) % {
                "row": number,
                "system": self.id_systems[fname],
                "value": value,
                "key": key_name,
            }
            problems.append(
                {
                    "row": number,
                    "column": self.sources.get(fname, fname),
                    "value": value,
                    "rule": "identifier_conflict",
                    "message": message,
                }
            )
            reasons.setdefault(number, []).append(message)
            conflict_rows.add(number)

        if owners:
            for fname in id_fields:
                found = clean.select(ROW, PID, fname, owner_expr(fname).alias("_owner")).filter(
                    pl.col("_owner").is_not_null() & pl.col("_owner").ne_missing(pl.col(PID))
                )
                for number, _pid, value, _owner in found.iter_rows():
                    conflict(number, fname, value)
        if conflict_rows:
            clean = clean.filter(~pl.col(ROW).is_in(list(conflict_rows)))
        key_text = pl.coalesce(
            [pl.lit(self.id_systems[f] + "\x1f") + pl.col(f).cast(pl.String) for f in key_fields]
        )
        clean = clean.with_columns(key_text.alias("_key"))
        # A value two people in this chunk give belongs to the first of them, as it would
        # if their rows were in different chunks: the other person's rows are rejected.
        person = pl.coalesce(pl.lit("#") + pl.col(PID).cast(pl.String), pl.col("_key"))
        for fname in id_fields:
            if fname in key_fields:
                continue
            stated = clean.filter(pl.col(fname).is_not_null()).select(
                ROW, fname, person.alias("_person")
            )
            firsts = stated.group_by(fname, maintain_order=True).agg(
                pl.col("_person").first().alias("_first")
            )
            found = stated.join(firsts, on=fname).filter(
                pl.col("_person").ne_missing(pl.col("_first"))
            )
            for number, value, _person, _first in found.iter_rows():
                conflict(number, fname, value)
            if found.height:
                clean = clean.filter(~pl.col(ROW).is_in(found.get_column(ROW).implode()))

        # 3. New people get ids (placeholders when only checking). Rows with the same key
        #    (several cycles or appointments of one person) share one new person.
        planned = dict(self.planned_people)
        clean = clean.with_columns(
            pl.coalesce(
                pl.col(PID),
                pl.col("_key").replace_strict(planned, default=None, return_dtype=pl.Int64)
                if planned
                else pl.lit(None, pl.Int64),
            ).alias(PID)
        )
        new_keys = (
            clean.filter(pl.col(PID).is_null())
            .get_column("_key")
            .unique(maintain_order=True)
            .to_list()
        )
        if self.apply:
            if not self.person_ids.primed:
                self.inserts.wait(Person)
            new_ids = self.person_ids.take(len(new_keys))
        else:
            start = len(self.planned_people)
            new_ids = [-(start + i + 1) for i in range(len(new_keys))]
        created = dict(zip(new_keys, new_ids, strict=True))
        self.planned_people.update(created)
        self.fresh = new_ids
        clean = clean.with_columns(
            pl.coalesce(
                pl.col(PID),
                pl.col("_key").replace_strict(created, default=None, return_dtype=pl.Int64)
                if created
                else pl.lit(None, pl.Int64),
            ).alias(PID),
        )
        # A row is "new" when its person did not exist before this batch.
        new_people_ids = set(created.values()) | {
            pid for pid in planned.values() if pid < 0 or pid in self.created_people
        }
        if self.apply:
            self.created_people.update(created.values())
        clean = clean.with_columns(pl.col(PID).is_in(list(new_people_ids)).alias("_new"))
        new_rows = clean.filter(pl.col("_new")).get_column(ROW).to_list()
        first_rows = set(
            clean.filter(pl.col(PID).is_in(list(created.values())))
            .group_by(PID)
            .agg(pl.col(ROW).min())
            .get_column(ROW)
            .to_list()
        )
        changed: set[int] = set()
        before: dict[int, dict[str, Any]] = {}
        now = timezone.now()
        stamp = now.isoformat()
        batch_id = self.batch.pk

        # The stages the rows describe. Built before any insert of this chunk is added,
        # because it creates the units they name (which waits for every insert).
        stages = self._stages(clean)

        # 4. Persons: insert the new, update what changed on the known.
        person_cols = [f for f in PERSON_FIELDS if f in clean.columns]
        new_people = clean.filter(pl.col(ROW).is_in(list(first_rows)))
        existing_ids = clean.filter(~pl.col("_new")).get_column(PID).to_list()
        stored: dict[int, dict[str, Any]] = {}
        for pid, *vals in bulk.fetch_in(Person, ["id", *PERSON_FIELDS], "id", existing_ids):
            stored[pid] = dict(zip(PERSON_FIELDS, vals, strict=True))
            if stored[pid]["birth_date"] is not None:
                stored[pid]["birth_date"] = _date(stored[pid]["birth_date"])
        person_updates: list[tuple[int, dict[str, Any]]] = []
        if stored and person_cols:
            for row in (
                clean.filter(~pl.col("_new")).select(ROW, PID, *person_cols).iter_rows(named=True)
            ):
                current = stored[row[PID]]
                diff = {
                    f: row[f]
                    for f in person_cols
                    if row[f] not in (None, "") and row[f] != current[f]
                }
                if diff:
                    person_updates.append((row[PID], diff))
                    changed.add(row[ROW])
                    before.setdefault(row[ROW], {})["person"] = {f: _iso(current[f]) for f in diff}
        if self.apply:
            birth = (
                pl.col("birth_date").cast(pl.Date).dt.strftime("%Y-%m-%d")
                if "birth_date" in person_cols
                else pl.lit(None, pl.String)
            )
            texts = [
                (pl.col(f).cast(pl.String) if f in person_cols else pl.lit(None, pl.String))
                .fill_null("")
                .alias(f)
                for f in PERSON_FIELDS
                if f != "birth_date"
            ]
            self.inserts.add(
                Person,
                [
                    "id",
                    *[f for f in PERSON_FIELDS if f != "birth_date"],
                    "birth_date",
                    "created_at",
                    "updated_at",
                    "created_batch_id",
                ],
                new_people.select(
                    PID,
                    *texts,
                    birth.alias("birth_date"),
                    pl.lit(stamp).alias("c"),
                    pl.lit(stamp).alias("u"),
                    pl.lit(batch_id).alias("b"),
                ),
            )
            for pid, diff in person_updates:
                Person.objects.filter(pk=pid).update(**diff, updated_at=now)

        # 5. Identifiers not yet recorded.
        id_frames = []
        for fname in id_fields:
            system = self.id_systems[fname]
            known_values = [v for (s_, v) in owners if s_ == system]
            part = (
                clean.select(ROW, PID, "_new", pl.col(fname).alias("value"))
                .filter(pl.col("value").is_not_null() & ~pl.col("value").is_in(known_values))
                .unique("value", keep="first", maintain_order=True)
                .with_columns(pl.lit(system).alias("system"))
            )
            if part.height:
                id_frames.append(part)
                added = part.select("value", PID)
                if system in self.batch_owners:
                    added = pl.concat([self.batch_owners[system], added], rechunk=False)
                self.batch_owners[system] = added
        for part in id_frames:
            changed.update(part.filter(~pl.col("_new")).get_column(ROW).to_list())
            if self.apply:  # one insert per system, so the system is written once per statement
                self.inserts.add(
                    Identifier,
                    ["person_id", "system", "value", "batch_id"],
                    part.select(PID, "system", "value", pl.lit(batch_id).alias("b")),
                )

        # 6. Stages: new ones inserted, changed ones updated.
        if stages.height:
            stages = stages.unique([PID, "key"], keep="last", maintain_order=True)
            known = self._stored_people(stages, Stage)
            existing = bulk.fetch_in(
                Stage, ["id", "person_id", "key", *STAGE_FIELDS], "person_id", known
            )
            if existing:
                old = _stage_frame(existing).rename(
                    {"person_id": PID, **{f: f"old:{f}" for f in STAGE_FIELDS}}
                )
                joined = stages.join(old, on=[PID, "key"], how="left")
            else:
                joined = stages.with_columns(pl.lit(None, pl.Int64).alias("id"))
            inserts = joined.filter(pl.col("id").is_null())
            changed.update(
                inserts.join(clean.select(ROW, "_new"), on=ROW)
                .filter(~pl.col("_new"))
                .get_column(ROW)
                .to_list()
            )
            if existing:
                matched = joined.filter(pl.col("id").is_not_null())
                differing = []
                for stage_kind, given in self.stage_fields.items():
                    fields = [f for f in STAGE_FIELDS if f in given]
                    if not fields:
                        continue
                    diffs = [
                        pl.col(f).ne_missing(pl.col(f"old:{f}"))
                        & ~((pl.lit(f) == "org_unit_id") & pl.col(f).is_null())
                        for f in fields
                    ]
                    differing.append(
                        matched.filter((pl.col("kind") == stage_kind) & pl.any_horizontal(diffs))
                    )
                rows = pl.concat(differing).iter_rows(named=True) if differing else iter(())
                for row in rows:
                    given = self.stage_fields[row["kind"]]
                    diff = {
                        f: row[f]
                        for f in STAGE_FIELDS
                        if f in given
                        and row[f] != row[f"old:{f}"]
                        and not (f == "org_unit_id" and row[f] is None)
                    }
                    before.setdefault(row[ROW], {}).setdefault("stages", {})[str(row["id"])] = {
                        f: row[f"old:{f}"] for f in diff
                    }
                    changed.add(row[ROW])
                    if self.apply:
                        Stage.objects.filter(pk=row["id"]).update(**diff)
            if self.apply and inserts.height:
                # One insert per kind: the fields a kind leaves empty are written once.
                for part in inserts.partition_by("kind", maintain_order=True):
                    self.inserts.add(
                        Stage,
                        ["person_id", "kind", "key", *STAGE_FIELDS, "batch_id"],
                        part.select(PID, "kind", "key", *STAGE_FIELDS, pl.lit(batch_id).alias("b")),
                    )

        # 7. Self-identification answers: a new answer is added, the same one is kept.
        self._answers(raw, clean, changed, before)

        # 8. The ledger: every raw row with its fate (decided column-wise).
        at_row = pl.col(ROW)
        rejected = list(reasons)
        ledger = (
            raw.select(ROW)
            .join(clean.select(ROW, PID), on=ROW, how="left")
            .with_columns(
                pl.when(at_row.is_in(rejected))
                .then(pl.lit(RowFate.REJECTED.value))
                .when(at_row.is_in(new_rows))
                .then(pl.lit(RowFate.INSERTED.value))
                .when(at_row.is_in(list(changed)))
                .then(pl.lit(RowFate.UPDATED.value))
                .otherwise(pl.lit(RowFate.UNCHANGED.value))
                .alias("fate"),
                at_row.replace_strict(
                    {n: "\n".join(m) for n, m in reasons.items()},
                    default="",
                    return_dtype=pl.String,
                ).alias("reason")
                if reasons
                else pl.lit("").alias("reason"),
                at_row.replace_strict(
                    {n: json.dumps(b) for n, b in before.items() if b},
                    default=None,
                    return_dtype=pl.String,
                ).alias("before")
                if before
                else pl.lit(None, pl.String).alias("before"),
            )
        )
        ledger = ledger.with_columns(
            pl.when(pl.col("fate") == RowFate.REJECTED.value)
            .then(pl.lit(None, pl.Int64))
            .otherwise(pl.col(PID))
            .alias(PID)
        )
        tally = dict(ledger.get_column("fate").value_counts().iter_rows())
        counts.inserted = tally.get(RowFate.INSERTED.value, 0)
        counts.updated = tally.get(RowFate.UPDATED.value, 0)
        counts.unchanged = tally.get(RowFate.UNCHANGED.value, 0)
        counts.rejected = tally.get(RowFate.REJECTED.value, 0)
        if self.apply:
            # The values as a JSON array, in the order of the batch's headings.
            raw_json = raw.select(
                pl.struct(pl.concat_list(pl.exclude(ROW).cast(pl.String)).alias("r"))
                .struct.json_encode()
                .str.strip_prefix('{"r":')
                .str.strip_suffix("}")
                .alias("raw")
            )
            self.inserts.add(
                ImportRow,
                ["batch_id", "row_number", "raw", "fate", "reason", "person_id", "before"],
                pl.concat([ledger, raw_json], how="horizontal").select(
                    pl.lit(batch_id).alias("batch"), ROW, "raw", "fate", "reason", PID, "before"
                ),
            )
        return ChunkOutcome(counts=counts, problems=problems)

    def _answers(
        self,
        raw: pl.DataFrame,
        clean: pl.DataFrame,
        changed: set[int],
        before: dict[int, dict[str, Any]],
    ) -> None:
        present = [f for f in self.selfid_fields if f in clean.columns]
        if not present:
            return
        when = (
            pl.col("self_id_date").cast(pl.Date).dt.strftime("%Y-%m-%d").fill_null(self.reported_on)
            if "self_id_date" in clean.columns
            else pl.lit(self.reported_on)
        )
        raw_cols = {f: self.sources.get(f) for f in present}
        raw_part = raw.select(
            ROW,
            *[pl.col(h).alias(f"raw:{f}") for f, h in raw_cols.items() if h and h in raw.columns],
        )
        base = clean.select(ROW, PID, "_new", when.alias("reported_on"), *present).join(
            raw_part, on=ROW, how="left"
        )
        longs = []
        for fname in present:
            value = pl.col(fname)
            codes = (
                value
                if base.schema[fname] == pl.List(pl.String)
                else pl.concat_list([value.cast(pl.String)])
            )
            raw_text = (
                pl.col(f"raw:{fname}") if f"raw:{fname}" in base.columns else value.cast(pl.String)
            )
            longs.append(
                base.filter(value.is_not_null()).select(
                    ROW,
                    PID,
                    "_new",
                    "reported_on",
                    pl.lit(fname).alias("dimension"),
                    codes.alias("codes"),
                    raw_text.fill_null("").str.slice(0, 500).alias("raw_value"),
                )
            )
        answers = (
            pl.concat(longs)
            .filter(pl.col("codes").list.len() > 0)
            .with_columns(pl.col("codes").list.contains("declined").alias("declined"))
            .unique([PID, "dimension", "reported_on"], keep="last", maintain_order=True)
        )
        known = self._stored_people(answers, SelfIdentification)
        stored = bulk.fetch_in(
            SelfIdentification,
            ["id", "person_id", "reported_on", "answers"],
            "person_id",
            known,
            extra_where="source = %s",
            extra_params=[self.source],
        )
        # An answer is new unless the latest stored answer from this source to the same
        # question has the same codes.
        changes = answers.with_columns(pl.lit(None, pl.Int64).alias("response_id"))
        if stored:
            texts = {r[0]: r[3] if isinstance(r[3], str) else json.dumps(r[3]) for r in stored}
            responses = pl.DataFrame(
                {
                    "response_id": [r[0] for r in stored],
                    PID: [r[1] for r in stored],
                    "reported_on": [_iso_text(r[2]) for r in stored],
                    "answers": list(texts.values()),
                },
                schema={
                    "response_id": pl.Int64,
                    PID: pl.Int64,
                    "reported_on": pl.String,
                    "answers": pl.String,
                },
            )
            latest = (
                answer_rows(responses)
                .sort("reported_on", "response_id")
                .unique([PID, "dimension"], keep="last")
                .select(PID, "dimension", pl.col("codes").alias("old_codes"))
            )
            changes = (
                answers.join(latest, on=[PID, "dimension"], how="left")
                .filter(pl.col("old_codes").ne_missing(pl.col("codes")))
                .drop("old_codes")
                # A response from this source on the same date takes the answer in.
                .join(responses.drop("answers"), on=[PID, "reported_on"], how="left")
            )
            updates: dict[int, dict[str, Any]] = {}
            for row in changes.filter(pl.col("response_id").is_not_null()).iter_rows(named=True):
                response_id = row["response_id"]
                if response_id not in updates:
                    updates[response_id] = json.loads(texts[response_id])
                values = updates[response_id]
                replaced = before.setdefault(row[ROW], {}).setdefault("responses", {})
                replaced.setdefault(str(response_id), {})[row["dimension"]] = values.get(
                    row["dimension"]
                )
                values[row["dimension"]] = {
                    "raw": row["raw_value"],
                    "codes": row["codes"],
                    "declined": row["declined"],
                }
            if self.apply:
                for response_id, values in updates.items():
                    SelfIdentification.objects.filter(pk=response_id).update(answers=values)
        changed.update(changes.filter(~pl.col("_new")).get_column(ROW).to_list())
        inserts = changes.filter(pl.col("response_id").is_null())
        if self.apply and inserts.height:
            batch_id = self.batch.pk
            self.inserts.add(
                SelfIdentification,
                ["person_id", "source", "reported_on", "answers", "batch_id"],
                answers_json(inserts.rename({"raw_value": "raw"}), by=[PID, "reported_on"]).select(
                    PID,
                    pl.lit(self.source).alias("source"),
                    "reported_on",
                    "answers",
                    pl.lit(batch_id).alias("b"),
                ),
            )

    def run(self, on_chunk: Any = None) -> tuple[Counts, list[dict[str, Any]]]:
        total = Counts()
        problems: list[dict[str, Any]] = []
        try:
            for raw, result in self.chunks():
                outcome = self.process(raw, result)
                for name in ("total", "inserted", "updated", "unchanged", "rejected"):
                    setattr(total, name, getattr(total, name) + getattr(outcome.counts, name))
                problems.extend(outcome.problems)
                if on_chunk:
                    on_chunk(total.total)
        except BaseException:
            with contextlib.suppress(Exception):
                self.inserts.wait()  # the transaction is rolled back: let the writer stop
            raise
        self.inserts.wait()
        return total, problems
