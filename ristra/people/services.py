"""Imports: upload, check, commit, roll back.

The file is kept as uploaded. Checking reads it in chunks, validates every row with the
analytics core and plans what a commit would do, writing nothing to the person record.
Committing repeats the same steps and applies the plan in one transaction, keeping every
raw row with its fate. A committed batch can be rolled back while no later batch has
touched the same people.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

import polars as pl
from django.conf import settings
from django.core.cache import caches
from django.core.files.base import File
from django.db import transaction
from django.db.models import Model
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from ristra.analytics.importspec import ImportKind, get_kind
from ristra.analytics.profiles import Profile, ProfileError, load_profile
from ristra.analytics.tabular import UnusableInput, iter_table_chunks
from ristra.analytics.validation import validate
from ristra.audit.models import Action
from ristra.audit.services import audit_record
from ristra.people import bulk
from ristra.people.models import (
    BatchStatus,
    Identifier,
    ImportBatch,
    ImportProblem,
    ImportRow,
    MappingProfile,
    OrgUnit,
    OrgUnitKind,
    Person,
    RowFate,
    SelfIdentification,
    Stage,
    StageKind,
    stage_key,
)

CHUNK_ROWS = 50_000
PERSON_FIELDS = ("given_name", "middle_name", "family_name", "former_names", "birth_date")
STAGE_FIELDS = (
    "start_date",
    "end_date",
    "org_unit_id",
    "academic_year",
    "program",
    "round",
    "outcome",
    "rank",
    "track",
    "tenure",
    "fte",
    "title",
    "senior_administrative",
    "pgy",
    "reason",
    "gpa",
    "mcat",
)
STAGE_DEFAULTS: dict[str, Any] = {
    "end_date": None,
    "org_unit_id": None,
    "academic_year": None,
    "program": "",
    "round": "",
    "outcome": "",
    "rank": "",
    "track": "",
    "tenure": "",
    "fte": None,
    "title": "",
    "senior_administrative": False,
    "pgy": None,
    "reason": "",
    "gpa": None,
    "mcat": None,
}
# Which kind of organisational unit a row's unit column names, per import kind.
UNIT_KIND = {
    "faculty": OrgUnitKind.DEPARTMENT,
    "staff": OrgUnitKind.DEPARTMENT,
    "admissions": OrgUnitKind.DEGREE_PROGRAM,
    "students": OrgUnitKind.DEGREE_PROGRAM,
    "gme": OrgUnitKind.GME_PROGRAM,
}


class ImportRefused(Exception):
    """A request the batch cannot honour (wrong state, later batches in the way)."""


# ---------------------------------------------------------------------------------------
# Upload


def batch_upload(
    *,
    user: Any,
    kind: str,
    filename: str,
    stream: IO[bytes],
    profile: MappingProfile | None = None,
    source_label: str = "",
) -> ImportBatch:
    """Keep the file exactly as uploaded and open a batch for it."""
    get_kind(kind)  # raises for an unknown kind
    digest = hashlib.sha256()
    size = 0
    for block in iter(lambda: stream.read(1 << 20), b""):
        digest.update(block)
        size += len(block)
    stream.seek(0)
    batch = ImportBatch(
        kind=kind,
        filename=Path(filename).name[:255],
        sha256=digest.hexdigest(),
        size_bytes=size,
        profile=profile,
        profile_yaml=profile.yaml if profile else "",
        source_label=source_label[:120],
        created_by=user if getattr(user, "is_authenticated", False) else None,
    )
    batch.file.save(
        f"{slugify(Path(filename).stem)[:80] or 'upload'}{Path(filename).suffix}",
        File(stream),
        save=False,
    )
    batch.save()
    audit_record(
        actor=user,
        action=Action.CREATE,
        object_type="import_batch",
        object_id=batch.pk,
        summary=f"Uploaded {batch.filename} for a {kind} import ({size} bytes)",
    )
    return batch


def batch_upload_path(
    *,
    user: Any,
    kind: str,
    path: Path,
    profile: MappingProfile | None = None,
    profile_yaml: str = "",
    source_label: str = "",
) -> ImportBatch:
    with path.open("rb") as handle:
        batch = batch_upload(
            user=user,
            kind=kind,
            filename=path.name,
            stream=handle,
            profile=profile,
            source_label=source_label,
        )
    if profile_yaml and not profile:
        batch.profile_yaml = profile_yaml
        batch.save(update_fields=["profile_yaml"])
    return batch


# ---------------------------------------------------------------------------------------
# The pipeline shared by check and commit


@dataclass
class RowPlan:
    row: int
    raw: dict[str, Any]
    fate: str = RowFate.UNCHANGED
    reasons: list[str] = field(default_factory=list)
    person_id: int | None = None
    new_person: tuple[Any, ...] | None = None
    person_changes: dict[str, Any] = field(default_factory=dict)
    before: dict[str, Any] = field(default_factory=dict)


@dataclass
class ChunkPlan:
    rows: list[RowPlan] = field(default_factory=list)
    new_persons: list[RowPlan] = field(default_factory=list)
    new_identifiers: list[tuple[RowPlan, str, str]] = field(default_factory=list)
    new_stages: list[tuple[RowPlan, dict[str, Any]]] = field(default_factory=list)
    stage_updates: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    new_self_ids: list[tuple[RowPlan, dict[str, Any]]] = field(default_factory=list)
    self_id_updates: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    problems: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Counts:
    total: int = 0
    valid: int = 0
    rejected: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0

    def add(self, fate: str) -> None:
        if fate == RowFate.REJECTED:
            self.rejected += 1
        else:
            self.valid += 1
            setattr(self, str(fate), getattr(self, str(fate)) + 1)


def _profile_for(batch: ImportBatch) -> Profile | None:
    text = batch.profile_yaml or (batch.profile.yaml if batch.profile else "")
    if not text.strip():
        return None
    return load_profile(text)


def _iso(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, float):
        return str(Decimal(str(value)))
    return value


def _decimal(value: Any, places: str) -> Decimal | None:
    if value is None:
        return None
    return Decimal(str(value)).quantize(Decimal(places))


class _Pipeline:
    """Reads, validates and plans one batch; applies the plan when committing."""

    def __init__(self, batch: ImportBatch) -> None:
        self.batch = batch
        self.kind: ImportKind = get_kind(batch.kind)
        self.profile = _profile_for(batch)
        self.source = batch.source_label or f"{self.kind.label} import"
        self.reported_on = timezone.localdate(batch.created_at or timezone.now())
        self.seen_keys: dict[tuple[str, str], int] = {}
        self.units = self._load_units()
        self.new_units: dict[str, tuple[str, str]] = {}  # code -> (name, kind)
        self.id_systems = {
            spec.name: (spec.system or spec.name)
            for spec in self.kind.fields
            if spec.target == "identifier"
        }
        self.selfid_fields = [
            spec.name
            for spec in self.kind.fields
            if spec.target == "selfid" and spec.name != "self_id_date"
        ]
        self.sources: dict[str, str] = {}
        self.file_notes: list[str] = []

    # -- reading ----------------------------------------------------------------------
    def chunks(self) -> Iterator[tuple[pl.DataFrame, Any]]:
        path = Path(self.batch.file.path)
        info, frames = iter_table_chunks(
            path,
            chunk_rows=CHUNK_ROWS,
            encoding=getattr(self.profile, "encoding", None),
            delimiter=getattr(self.profile, "delimiter", None),
            sheet=getattr(self.profile, "sheet", None),
        )
        self.batch.file_format = info.format
        self.batch.encoding = info.encoding or ""
        self.batch.delimiter = info.delimiter or ""
        self.file_notes = list(info.notes)
        first = True
        for frame in frames:
            result = validate(frame, self.kind, self.profile)
            if result.file_errors:
                raise UnusableInput("missing_columns", " ".join(result.file_errors))
            if first:
                self.file_notes.extend(result.messages)
                self.sources = {fname: header for header, fname in result.mapping.items()}
                first = False
            yield frame, result

    # -- units ------------------------------------------------------------------------
    def _load_units(self) -> dict[tuple[str, str], tuple[int | None, str]]:
        units: dict[tuple[str, str], tuple[int | None, str]] = {}
        self.unit_ids: dict[str, int] = {}
        for pk, name, code, kind in OrgUnit.objects.values_list("id", "name", "code", "kind"):
            units[(kind, name.casefold())] = (pk, code)
            units[(kind, code.casefold())] = (pk, code)
            self.unit_ids[code] = pk
        return units

    def unit(self, name: str | None, kind: str) -> tuple[int | None, str]:
        """(id, code) of the unit named ``name``; new units are planned, created on apply."""
        if not name:
            return (None, "")
        key = (kind, name.strip().casefold())
        if key in self.units:
            return self.units[key]
        code = slugify(name)[:60] or "unit"
        if (kind, code) in self.units or code in self.new_units:
            code = f"{kind}-{code}"[:64]
        self.new_units[code] = (name.strip(), kind)
        self.units[key] = (None, code)
        self.units[(kind, code)] = (None, code)
        return (None, code)

    def create_units(self) -> list[int]:
        created: list[int] = []
        for code, (name, kind) in self.new_units.items():
            unit, made = OrgUnit.objects.get_or_create(
                code=code, defaults={"name": name, "kind": kind}
            )
            if made:
                created.append(unit.pk)
            self.unit_ids[code] = unit.pk
            self.units[(kind, name.casefold())] = (unit.pk, code)
            self.units[(kind, code.casefold())] = (unit.pk, code)
        self.new_units = {}
        return created

    # -- stages per kind ----------------------------------------------------------------
    def stages_for(self, row: dict[str, Any]) -> list[dict[str, Any]]:
        kind = self.kind.name
        out: list[dict[str, Any]] = []

        def stage(stage_kind: str, unit: tuple[int | None, str], **values: Any) -> None:
            data = dict(STAGE_DEFAULTS)
            data.update(values)
            data["kind"] = stage_kind
            data["org_unit_id"] = unit[0]
            data["_unit_code"] = unit[1]
            if stage_kind in {"application", "interview", "offer", "matriculation"}:
                data["key"] = stage_key(
                    stage_kind, unit=unit[1], academic_year=data["academic_year"]
                )
            else:
                data["key"] = stage_key(stage_kind, unit=unit[1], start_date=data["start_date"])
            out.append(data)

        if kind in {"faculty", "staff"}:
            unit = self.unit(row.get("department"), UNIT_KIND[kind])
            start = row["start_date"]
            common = {
                "start_date": start,
                "end_date": row.get("end_date"),
                "fte": _decimal(row.get("fte"), "0.001"),
                "reason": row.get("separation_reason") or "",
            }
            if kind == "faculty":
                stage(
                    StageKind.FACULTY_APPOINTMENT,
                    unit,
                    rank=row.get("rank") or "",
                    track=row.get("track") or "",
                    tenure=row.get("tenure") or "",
                    **common,
                )
                if row.get("last_promotion_date"):
                    stage(
                        StageKind.PROMOTION,
                        unit,
                        start_date=row["last_promotion_date"],
                        rank=row.get("rank") or "",
                    )
                if row.get("leadership_title") and row.get("leadership_start_date"):
                    stage(
                        StageKind.LEADERSHIP_APPOINTMENT,
                        unit,
                        start_date=row["leadership_start_date"],
                        title=row["leadership_title"],
                        senior_administrative=True,
                    )
            else:
                stage(
                    StageKind.STAFF_APPOINTMENT,
                    unit,
                    title=row.get("job_title") or "",
                    senior_administrative=bool(row.get("senior_administrative")),
                    **common,
                )
            if row.get("end_date"):
                stage(
                    StageKind.SEPARATION,
                    unit,
                    start_date=row["end_date"],
                    reason=row.get("separation_reason") or "",
                )
        elif kind == "admissions":
            unit = self.unit(row.get("program") or "MD", UNIT_KIND[kind])
            cycle = int(row["cycle"])
            applied = row.get("application_date") or dt.date(cycle - 1, 6, 1)
            base = {"academic_year": cycle, "program": row.get("program") or "MD"}
            stage(
                StageKind.APPLICATION,
                unit,
                start_date=applied,
                round=row.get("round") or "",
                gpa=_decimal(row.get("gpa"), "0.01"),
                mcat=row.get("mcat"),
                **base,
            )
            if row.get("interviewed"):
                stage(StageKind.INTERVIEW, unit, start_date=applied, **base)
            outcome = row.get("offer_outcome")
            if outcome and outcome != "none":
                stage(
                    StageKind.OFFER,
                    unit,
                    start_date=row.get("offer_date") or applied,
                    outcome=outcome,
                    **base,
                )
            if row.get("matriculation_date"):
                stage(StageKind.MATRICULATION, unit, start_date=row["matriculation_date"], **base)
        elif kind == "students":
            unit = self.unit(row.get("program"), UNIT_KIND[kind])
            stage(
                StageKind.ENROLLMENT,
                unit,
                start_date=row["enrollment_date"],
                end_date=row.get("graduation_date"),
                outcome=row.get("status") or "",
                reason=row.get("separation_reason") or "",
                program=row.get("program") or "",
            )
            if row.get("graduation_date"):
                stage(
                    StageKind.GRADUATION,
                    unit,
                    start_date=row["graduation_date"],
                    program=row.get("program") or "",
                )
        elif kind == "gme":
            unit = self.unit(row.get("program"), UNIT_KIND[kind])
            stage(
                StageKind.GME_APPOINTMENT,
                unit,
                start_date=row["start_date"],
                end_date=row.get("end_date"),
                pgy=row.get("pgy"),
                title=row.get("position") or "",
                outcome=row.get("completion_status") or "",
                program=row.get("program") or "",
            )
        return out

    # -- planning ---------------------------------------------------------------------
    def plan(self, raw: pl.DataFrame, result: Any) -> ChunkPlan:
        plan = ChunkPlan()
        raw_rows = {
            int(r["__row__"]): {k: v for k, v in r.items() if k != "__row__"}
            for r in raw.iter_rows(named=True)
        }
        problems_by_row: dict[int, list[str]] = {}
        for p in result.problems.iter_rows(named=True):
            plan.problems.append(p)
            problems_by_row.setdefault(int(p["row"]), []).append(str(p["message"]))

        rows: list[dict[str, Any]] = result.clean.to_dicts()
        # Key identifier of each row, and cross-chunk duplicates.
        keyed: list[tuple[dict[str, Any], str, str]] = []
        for row in rows:
            number = int(row["__row__"])
            system, value = self._key(row)
            first = self.seen_keys.get((system, value))
            if first is not None:
                message = _(
                    "Row %(row)s: %(system)s '%(value)s' also appears on row %(first)s; "
                    "each person may appear once per file."
                ) % {"row": number, "system": system, "value": value, "first": first}
                problems_by_row.setdefault(number, []).append(message)
                plan.problems.append(
                    {
                        "row": number,
                        "column": self.sources.get(system, system),
                        "value": value,
                        "rule": "duplicate_identifier",
                        "message": message,
                    }
                )
                continue
            self.seen_keys[(system, value)] = number
            keyed.append((row, system, value))

        # Who exists already: by key, and owners of every other identifier in the chunk.
        wanted: dict[str, set[str]] = {}
        for row, _system, _value in keyed:
            for fname, system in self.id_systems.items():
                if row.get(fname):
                    wanted.setdefault(system, set()).add(str(row[fname]))
        owners: dict[tuple[str, str], int] = {}
        for system, values in wanted.items():
            for part in bulk.chunked(sorted(values)):
                for value, pid in Identifier.objects.filter(
                    system=system, value__in=part
                ).values_list("value", "person_id"):
                    owners[(system, value)] = pid
        person_ids = sorted({owners[(s, v)] for _r, s, v in keyed if (s, v) in owners})
        persons: dict[int, dict[str, Any]] = {}
        stages: dict[tuple[int, str], dict[str, Any]] = {}
        answers: dict[tuple[int, str], dict[str, Any]] = {}
        for part in bulk.chunked(person_ids):
            for p in Person.objects.filter(id__in=part).values("id", *PERSON_FIELDS):
                persons[p["id"]] = p
            for s in Stage.objects.filter(person_id__in=part).values(
                "id", "person_id", "key", *STAGE_FIELDS
            ):
                stages[(s["person_id"], s["key"])] = s
            for a in (
                SelfIdentification.objects.filter(person_id__in=part, source=self.source)
                .order_by("reported_on", "id")
                .values(
                    "id", "person_id", "dimension", "codes", "raw_value", "declined", "reported_on"
                )
            ):
                answers[(a["person_id"], a["dimension"])] = a  # the latest wins

        for row, system, value in keyed:
            number = int(row["__row__"])
            rp = RowPlan(row=number, raw=raw_rows.get(number, {}))
            pid = owners.get((system, value))
            # Every other identifier must be new or already this person's.
            conflict = False
            new_ids: list[tuple[str, str]] = []
            for fname, id_system in self.id_systems.items():
                id_value = row.get(fname)
                if not id_value:
                    continue
                owner = owners.get((id_system, str(id_value)))
                if owner is None:
                    new_ids.append((id_system, str(id_value)))
                elif pid is None or owner != pid:
                    if (id_system, str(id_value)) == (system, value):
                        continue
                    conflict = True
                    message = _(
                        "Row %(row)s: %(system)s '%(value)s' is already recorded for a "
                        "different person than the one this row's %(key)s identifies."
                    ) % {"row": number, "system": id_system, "value": id_value, "key": system}
                    problems_by_row.setdefault(number, []).append(message)
                    plan.problems.append(
                        {
                            "row": number,
                            "column": self.sources.get(fname, fname),
                            "value": str(id_value),
                            "rule": "identifier_conflict",
                            "message": message,
                        }
                    )
            if conflict:
                continue
            changed = False
            if pid is None:
                rp.fate = RowFate.INSERTED
                rp.new_person = tuple(
                    row.get(f) if row.get(f) is not None else ("" if f != "birth_date" else None)
                    for f in PERSON_FIELDS
                )
                plan.new_persons.append(rp)
            else:
                rp.person_id = pid
                current = persons[pid]
                for f in PERSON_FIELDS:
                    new = row.get(f)
                    if new is not None and new != "" and new != current[f]:
                        rp.person_changes[f] = new
                        rp.before.setdefault("person", {})[f] = _iso(current[f])
                changed = bool(rp.person_changes)
            for id_system, id_value in new_ids:
                plan.new_identifiers.append((rp, id_system, id_value))
                changed = changed or pid is not None
            for data in self.stages_for(row):
                existing = stages.get((pid, data["key"])) if pid is not None else None
                if existing is None:
                    plan.new_stages.append((rp, data))
                    changed = True
                    continue
                diff = {
                    f: data[f]
                    for f in STAGE_FIELDS
                    if data[f] != existing[f] and not (f == "org_unit_id" and data[f] is None)
                }
                if diff:
                    plan.stage_updates.append((existing["id"], diff))
                    rp.before.setdefault("stages", {})[str(existing["id"])] = {
                        f: _iso(existing[f]) for f in diff
                    }
                    changed = True
            reported_on = row.get("self_id_date") or self.reported_on
            for fname in self.selfid_fields:
                answer = row.get(fname)
                if answer is None or answer == [] or answer == "":
                    continue
                codes = list(answer) if isinstance(answer, list) else [str(answer)]
                source_col = self.sources.get(fname, fname)
                raw_text = rp.raw.get(source_col)
                record = {
                    "dimension": fname,
                    "codes": codes,
                    "raw_value": str(raw_text if raw_text is not None else answer)[:500],
                    "declined": "declined" in codes,
                    "reported_on": reported_on,
                }
                latest = answers.get((pid, fname)) if pid is not None else None
                if latest is not None and latest["codes"] == codes:
                    continue
                if latest is not None and latest["reported_on"] == reported_on:
                    plan.self_id_updates.append((latest["id"], record))
                    rp.before.setdefault("self_ids", {})[str(latest["id"])] = {
                        "codes": latest["codes"],
                        "raw_value": latest["raw_value"],
                        "declined": latest["declined"],
                    }
                else:
                    plan.new_self_ids.append((rp, record))
                changed = True
            if pid is not None:
                rp.fate = RowFate.UPDATED if changed else RowFate.UNCHANGED
            plan.rows.append(rp)

        # Rejected rows keep their raw values and every reason.
        for number, messages in problems_by_row.items():
            plan.rows.append(
                RowPlan(
                    row=number,
                    raw=raw_rows.get(number, {}),
                    fate=RowFate.REJECTED,
                    reasons=messages,
                )
            )
        plan.rows.sort(key=lambda r: r.row)
        return plan

    def _key(self, row: dict[str, Any]) -> tuple[str, str]:
        for fname in self.kind.key_identifiers:
            if row.get(fname):
                return (self.id_systems.get(fname, fname), str(row[fname]))
        raise AssertionError("validation guarantees a key identifier")  # pragma: no cover

    # -- applying ---------------------------------------------------------------------
    def apply(self, plan: ChunkPlan) -> None:
        batch_id = self.batch.pk
        if self.new_units:
            self.batch.created_units = [*self.batch.created_units, *self.create_units()]
        now = timezone.now()
        ids = bulk.allocate_ids(Person, len(plan.new_persons))
        for rp, pid in zip(plan.new_persons, ids, strict=True):
            rp.person_id = pid
        bulk.insert_rows(
            Person,
            ["id", *PERSON_FIELDS, "created_at", "updated_at", "created_batch_id"],
            (
                (rp.person_id, *[_iso(v) for v in rp.new_person or ()], now, now, batch_id)
                for rp in plan.new_persons
            ),
        )
        updates = [rp for rp in plan.rows if rp.person_changes]
        if updates:
            objs = []
            for rp in updates:
                obj = Person(id=rp.person_id)
                for f, v in rp.person_changes.items():
                    setattr(obj, f, v)
                obj.updated_at = now
                objs.append((obj, tuple(sorted(rp.person_changes))))
            by_fields: dict[tuple[str, ...], list[Person]] = {}
            for obj, fields in objs:
                by_fields.setdefault(fields, []).append(obj)
            for fields, group in by_fields.items():
                Person.objects.bulk_update(group, [*fields, "updated_at"], batch_size=500)
        bulk.insert_rows(
            Identifier,
            ["person_id", "system", "value", "batch_id"],
            ((rp.person_id, system, value, batch_id) for rp, system, value in plan.new_identifiers),
        )
        # Units planned in this chunk now have ids.
        for _rp, data in plan.new_stages:
            if data["org_unit_id"] is None and data["_unit_code"]:
                data["org_unit_id"] = self.unit_ids.get(data["_unit_code"])
        bulk.insert_rows(
            Stage,
            ["person_id", "kind", "key", *STAGE_FIELDS, "batch_id"],
            (
                (
                    rp.person_id,
                    data["kind"],
                    data["key"],
                    *[_iso(data[f]) for f in STAGE_FIELDS],
                    batch_id,
                )
                for rp, data in plan.new_stages
            ),
        )
        for stage_id, diff in plan.stage_updates:
            Stage.objects.filter(pk=stage_id).update(**diff)
        bulk.insert_rows(
            SelfIdentification,
            [
                "person_id",
                "dimension",
                "raw_value",
                "codes",
                "declined",
                "source",
                "reported_on",
                "batch_id",
            ],
            (
                (
                    rp.person_id,
                    rec["dimension"],
                    rec["raw_value"],
                    json.dumps(rec["codes"]),
                    rec["declined"],
                    self.source,
                    _iso(rec["reported_on"]),
                    batch_id,
                )
                for rp, rec in plan.new_self_ids
            ),
        )
        for answer_id, rec in plan.self_id_updates:
            SelfIdentification.objects.filter(pk=answer_id).update(
                codes=rec["codes"], raw_value=rec["raw_value"], declined=rec["declined"]
            )
        bulk.insert_rows(
            ImportRow,
            ["batch_id", "row_number", "raw", "fate", "reason", "person_id", "before"],
            (
                (
                    batch_id,
                    rp.row,
                    json.dumps(rp.raw, ensure_ascii=False, default=str),
                    rp.fate,
                    "\n".join(rp.reasons),
                    rp.person_id,
                    json.dumps(rp.before) if rp.before else None,
                )
                for rp in plan.rows
            ),
        )


# ---------------------------------------------------------------------------------------
# Check, commit, roll back


def _progress_key(batch_id: int) -> str:
    return f"import-progress-{batch_id}"


def batch_progress(batch: ImportBatch) -> int:
    """Rows processed so far by a running check or commit (written outside its transaction)."""
    done = caches["progress"].get(_progress_key(batch.pk))
    return int(done) if done is not None else batch.progress_done


def _set_progress(batch: ImportBatch, done: int) -> None:
    caches["progress"].set(_progress_key(batch.pk), done, timeout=24 * 3600)


def _store_problems(batch: ImportBatch, problems: list[dict[str, Any]]) -> None:
    ImportProblem.objects.filter(batch=batch).delete()
    bulk.insert_rows(
        ImportProblem,
        ["batch_id", "row_number", "column", "value", "rule", "message"],
        (
            (
                batch.pk,
                int(p["row"]),
                str(p.get("column") or "")[:200],
                "" if p.get("value") is None else str(p["value"]),
                str(p["rule"])[:64],
                str(p["message"]),
            )
            for p in problems
        ),
    )


def _run(
    batch: ImportBatch, *, apply: bool, on_chunk: Callable[[int], None] | None = None
) -> Counts:
    pipeline = _Pipeline(batch)
    counts = Counts()
    problems: list[dict[str, Any]] = []
    new_units: set[str] = set()
    for raw, result in pipeline.chunks():
        plan = pipeline.plan(raw, result)
        new_units.update(f"{name}" for name, _kind in pipeline.new_units.values())
        if apply:
            pipeline.apply(plan)
        for rp in plan.rows:
            counts.add(rp.fate)
        counts.total += raw.height
        problems.extend(plan.problems)
        if on_chunk:
            on_chunk(counts.total)
    batch.file_notes = pipeline.file_notes
    batch.plan = {
        "insert": counts.inserted,
        "update": counts.updated,
        "unchanged": counts.unchanged,
        "reject": counts.rejected,
        "new_units": sorted(new_units),
    }
    _store_problems(batch, problems)
    return counts


def batch_check(*, batch: ImportBatch) -> ImportBatch:
    """Validate every row and plan the commit; the person record is not touched."""
    batch.status = BatchStatus.VALIDATING
    batch.save(update_fields=["status"])
    try:
        with transaction.atomic():
            counts = _run(batch, apply=False, on_chunk=lambda n: _set_progress(batch, n))
    except UnusableInput as exc:
        batch.status = BatchStatus.UNUSABLE
        batch.error = exc.message
        batch.save()
        return batch
    except ProfileError as exc:
        batch.status = BatchStatus.UNUSABLE
        batch.error = _("The mapping profile has problems: ") + " ".join(exc.messages)
        batch.save()
        return batch
    if counts.total == 0:
        batch.status = BatchStatus.UNUSABLE
        batch.error = _("The file has column headings but no data rows.")
        batch.save()
        return batch
    batch.rows_total = counts.total
    batch.rows_valid = counts.valid
    batch.rows_rejected = counts.rejected
    batch.progress_done = counts.total
    batch.status = BatchStatus.VALIDATED
    batch.error = ""
    batch.save()
    return batch


def batch_commit(*, batch: ImportBatch, user: Any) -> ImportBatch:
    """Write the valid rows in one transaction; keep every raw row with its fate."""
    if batch.status not in {BatchStatus.VALIDATED, BatchStatus.QUEUED}:
        raise ImportRefused(_("Only a checked batch can be committed."))
    ImportBatch.objects.filter(pk=batch.pk).update(status=BatchStatus.COMMITTING)
    batch.status = BatchStatus.COMMITTING
    _set_progress(batch, 0)
    try:
        with transaction.atomic():
            counts = _run(batch, apply=True, on_chunk=lambda n: _set_progress(batch, n))
            batch.rows_total = counts.total
            batch.rows_valid = counts.valid
            batch.rows_rejected = counts.rejected
            batch.rows_inserted = counts.inserted
            batch.rows_updated = counts.updated
            batch.rows_unchanged = counts.unchanged
            batch.progress_done = counts.total
            batch.status = BatchStatus.COMMITTED
            batch.committed_at = timezone.now()
            batch.committed_by = user if getattr(user, "is_authenticated", False) else None
            batch.save()
            audit_record(
                actor=user,
                action=Action.IMPORT,
                object_type="import_batch",
                object_id=batch.pk,
                summary=(
                    f"Committed {batch.filename}: {counts.inserted} inserted, {counts.updated} "
                    f"updated, {counts.unchanged} unchanged, {counts.rejected} rejected"
                ),
            )
    except (UnusableInput, ProfileError) as exc:
        ImportBatch.objects.filter(pk=batch.pk).update(
            status=BatchStatus.FAILED, error=getattr(exc, "message", str(exc))
        )
        batch.refresh_from_db()
    return batch


def batch_commit_in_background(*, batch: ImportBatch, user: Any) -> ImportBatch:
    """Large files commit in a background task; small ones right away."""
    if batch.rows_total <= settings.RISTRA_BACKGROUND_IMPORT_ROWS:
        return batch_commit(batch=batch, user=user)
    from ristra.people.tasks import commit_batch_task

    batch.status = BatchStatus.QUEUED
    batch.save(update_fields=["status"])
    transaction.on_commit(
        lambda: commit_batch_task.enqueue(batch_id=batch.pk, user_id=getattr(user, "pk", None))
    )
    return batch


def _later_batches_touching(batch: ImportBatch) -> list[int]:
    persons = ImportRow.objects.filter(batch=batch, person__isnull=False).values("person_id")
    return sorted(
        set(
            ImportRow.objects.filter(
                person_id__in=persons,
                batch__status=BatchStatus.COMMITTED,
                batch__committed_at__gt=batch.committed_at,
            )
            .exclude(batch=batch)
            .exclude(fate=RowFate.UNCHANGED)
            .values_list("batch_id", flat=True)
        )
    )


def _restore(model: type[Model], pk: int, values: dict[str, Any]) -> None:
    fields = {
        name: model._meta.get_field(name.removesuffix("_id") if name.endswith("_id") else name)
        for name in values
    }
    clean = {
        name: (value if name.endswith("_id") else fields[name].to_python(value))
        for name, value in values.items()
    }
    model._default_manager.filter(pk=pk).update(**clean)


def batch_rollback(*, batch: ImportBatch, user: Any) -> ImportBatch:
    """Undo a committed batch: restore what it changed, remove what it created."""
    if batch.status != BatchStatus.COMMITTED:
        raise ImportRefused(_("Only a committed batch can be rolled back."))
    later = _later_batches_touching(batch)
    if later:
        raise ImportRefused(
            _(
                "Later imports changed the same people (batches %(ids)s). Roll those back "
                "first, newest first, so nothing they wrote is lost."
            )
            % {"ids": ", ".join(f"#{n}" for n in later)}
        )
    with transaction.atomic():
        for before in (
            ImportRow.objects.filter(batch=batch, before__isnull=False)
            .values_list("person_id", "before")
            .iterator(chunk_size=2000)
        ):
            person_id, data = before
            if data.get("person") and person_id:
                _restore(Person, person_id, data["person"])
            for stage_id, values in (data.get("stages") or {}).items():
                _restore(Stage, int(stage_id), values)
            for answer_id, values in (data.get("self_ids") or {}).items():
                _restore(SelfIdentification, int(answer_id), values)
        SelfIdentification.objects.filter(batch=batch).delete()
        Stage.objects.filter(batch=batch).delete()
        Identifier.objects.filter(batch=batch).delete()
        Person.objects.filter(created_batch=batch).delete()
        if batch.created_units:
            OrgUnit.objects.filter(
                pk__in=batch.created_units, stages__isnull=True, children__isnull=True
            ).delete()
        batch.status = BatchStatus.ROLLED_BACK
        batch.rolled_back_at = timezone.now()
        batch.rolled_back_by = user if getattr(user, "is_authenticated", False) else None
        batch.save()
        audit_record(
            actor=user,
            action=Action.ROLLBACK,
            object_type="import_batch",
            object_id=batch.pk,
            summary=f"Rolled back {batch.filename} (#{batch.pk})",
        )
    return batch
