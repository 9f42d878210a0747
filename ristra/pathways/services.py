"""Writes for pathway programs: participant imports, linkage runs, review decisions,
attendance and participants' own updates. Keyword-only, atomic."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import polars as pl
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ristra.analytics.tabular import ROW_COLUMN, UnusableInput, read_table
from ristra.pathways.models import (
    Attendance,
    Cohort,
    Link,
    LinkDecision,
    LinkRun,
    LinkRunStatus,
    LinkStatus,
    Participant,
    ParticipantChange,
    ParticipantImport,
    ParticipantImportRow,
    ParticipantStatus,
    Partner,
    PathwayProgram,
    RowFate,
    Session,
)

# ------------------------------------------------------------------- participant imports

#: Accepted headings (normalised: lower case, spaces and dashes as "_") per field.
COLUMN_ALIASES: dict[str, tuple[str, ...]] = {
    "given_name": ("given_name", "first_name", "first", "given"),
    "family_name": ("family_name", "last_name", "surname", "last"),
    "former_names": ("former_names", "former_name", "previous_names", "maiden_name"),
    "birth_date": ("birth_date", "date_of_birth", "dob", "birthdate"),
    "email": ("email", "e_mail", "email_address"),
    "institution": ("institution", "school", "high_school", "college", "high_school_college"),
    "aamc_id": ("aamc_id", "aamc"),
    "partner": ("partner", "partner_organisation", "partner_organization"),
    "consent": ("consent", "consent_follow_up", "consent_to_follow_up"),
    "status": ("status",),
}
REQUIRED = ("given_name", "family_name")
_TRUE = {"yes", "y", "true", "1", "x", "sí", "si"}
_FALSE = {"no", "n", "false", "0", ""}
_AAMC = re.compile(r"^\d{7,9}$")
_DATE_FORMATS = ("%Y-%m-%d", "%m/%d/%Y", "%Y%m%d")


def _norm_heading(name: str) -> str:
    return re.sub(r"[\s\-]+", "_", name.strip().lower())


def fold(text: str) -> str:
    """Case- and accent-insensitive form for duplicate checks (non-Latin letters kept)."""

    def strip(value: str) -> str:
        decomposed = unicodedata.normalize("NFKD", value)
        return "".join(c for c in decomposed if not unicodedata.combining(c))

    # Decompose before and after case folding: compatibility forms (𝚨) fold only once
    # decomposed, and folding can itself produce decomposable letters (ß, İ).
    return " ".join(strip(strip(text).casefold()).split())


def parse_birth_date(text: str) -> dt.date:
    """A birth date as YYYY-MM-DD, MM/DD/YYYY or YYYYMMDD; ValueError with a clear message."""
    for fmt in _DATE_FORMATS:
        try:
            day = dt.datetime.strptime(text, fmt).date()  # noqa: DTZ007 - a calendar date
        except ValueError:
            continue
        if not dt.date(1900, 1, 1) <= day <= dt.date.today():  # noqa: DTZ011
            raise ValueError(_("the birth date %(value)s is not plausible") % {"value": text})
        return day
    raise ValueError(
        _("the birth date %(value)s is not a date (use YYYY-MM-DD or MM/DD/YYYY)") % {"value": text}
    )


@dataclass
class _Row:
    number: int
    raw: dict[str, Any]
    fate: str
    reason: str
    participant: Participant | None = None


def _resolve_columns(headers: Iterable[str]) -> dict[str, str]:
    """field -> the file's heading for it."""
    by_norm = {_norm_heading(h): h for h in headers}
    out: dict[str, str] = {}
    for field_name, aliases in COLUMN_ALIASES.items():
        for alias in aliases:
            if alias in by_norm:
                out[field_name] = by_norm[alias]
                break
    return out


def participants_import(
    *, cohort: Cohort, filename: str, content: bytes, user: Any
) -> ParticipantImport:
    """Read a participant file into ``cohort``; every raw row is kept with its fate.

    A file that cannot be read at all keeps its error on the batch and adds nobody.
    Rows without a given or family name, or with a birth date that is not a date, are
    rejected with the reason; a person already in the cohort (same name and birth date,
    or same name and e-mail) is a duplicate and is not added twice.
    """
    batch = ParticipantImport.objects.create(
        cohort=cohort,
        filename=filename[:255],
        sha256=hashlib.sha256(content).hexdigest(),
        created_by=user if getattr(user, "is_authenticated", False) else None,
    )
    try:
        _info, frame = read_table(content, filename=filename)
    except UnusableInput as exc:
        batch.error = exc.message
        batch.save(update_fields=["error"])
        return batch
    columns = _resolve_columns(c for c in frame.columns if c != ROW_COLUMN)
    missing = [c for c in REQUIRED if c not in columns]
    partners = {fold(p.name): p for p in Partner.objects.filter(programs=cohort.program)}
    seen: dict[tuple[str, str, str], int] = {}
    for p in Participant.objects.filter(cohort=cohort):
        for key in _dup_keys(p.given_name, p.family_name, p.birth_date, p.email):
            seen.setdefault(key, 0)
    rows: list[_Row] = []
    with transaction.atomic():
        for record in frame.iter_rows(named=True):
            number = int(record.pop(ROW_COLUMN))
            raw = {k: v for k, v in record.items()}
            if missing:
                rows.append(
                    _Row(
                        number,
                        raw,
                        RowFate.REJECTED,
                        _("The file has no column for %(what)s.") % {"what": ", ".join(missing)},
                    )
                )
                continue
            rows.append(_import_row(cohort, batch, number, raw, columns, partners, seen))
        ParticipantImportRow.objects.bulk_create(
            [
                ParticipantImportRow(
                    batch=batch,
                    row_number=r.number,
                    raw=r.raw,
                    fate=r.fate,
                    reason=r.reason,
                    participant=r.participant,
                )
                for r in rows
            ],
            batch_size=1000,
        )
        batch.rows_total = len(rows)
        batch.rows_inserted = sum(r.fate == RowFate.INSERTED for r in rows)
        batch.rows_duplicate = sum(r.fate == RowFate.DUPLICATE for r in rows)
        batch.rows_rejected = sum(r.fate == RowFate.REJECTED for r in rows)
        if missing:
            batch.error = _(
                "The file has no column for %(what)s: nobody was added. Name the columns "
                "given_name and family_name (or first_name and last_name)."
            ) % {"what": ", ".join(missing)}
        batch.save()
    return batch


def _dup_keys(
    given: str, family: str, birth: dt.date | None, email: str
) -> list[tuple[str, str, str]]:
    name = f"{fold(given)}|{fold(family)}"
    keys = []
    if birth is not None:
        keys.append((name, "birth", birth.isoformat()))
    if email:
        keys.append((name, "email", email.strip().lower()))
    return keys


def _import_row(
    cohort: Cohort,
    batch: ParticipantImport,
    number: int,
    raw: dict[str, Any],
    columns: dict[str, str],
    partners: dict[str, Partner],
    seen: dict[tuple[str, str, str], int],
) -> _Row:
    def get(field_name: str) -> str:
        heading = columns.get(field_name)
        value = raw.get(heading) if heading else None
        return unicodedata.normalize("NFC", str(value).strip()) if value is not None else ""

    given, family = get("given_name"), get("family_name")
    if not given or not family:
        what = _("given name") if not given else _("family name")
        return _Row(number, raw, RowFate.REJECTED, _("The %(what)s is empty.") % {"what": what})
    if len(given) > 120 or len(family) > 120:
        return _Row(number, raw, RowFate.REJECTED, _("A name is longer than 120 characters."))
    notes: list[str] = []
    birth: dt.date | None = None
    if get("birth_date"):
        try:
            birth = parse_birth_date(get("birth_date"))
        except ValueError as exc:
            return _Row(number, raw, RowFate.REJECTED, str(exc).capitalize() + ".")
    else:
        notes.append(_("No birth date: linkage will rely on the other identifiers."))
    email = get("email").lower()
    if email:
        try:
            validate_email(email)
        except ValidationError:
            notes.append(_("The e-mail %(value)s is not an address; left out.") % {"value": email})
            email = ""
    aamc = get("aamc_id")
    if aamc and not _AAMC.match(aamc):
        notes.append(_("The AAMC ID %(value)s is not 7 to 9 digits; left out.") % {"value": aamc})
        aamc = ""
    consent_text = get("consent").lower()
    consent = consent_text in _TRUE
    if consent_text not in _TRUE | _FALSE:
        notes.append(
            _("Consent %(value)s is not yes or no; recorded as no.") % {"value": consent_text}
        )
    status_text = get("status").lower() or ParticipantStatus.PARTICIPANT
    if status_text not in ParticipantStatus.values:
        return _Row(
            number,
            raw,
            RowFate.REJECTED,
            _("The status %(value)s is not one of participant, waitlist, withdrawn.")
            % {"value": status_text},
        )
    partner = None
    if get("partner"):
        partner = partners.get(fold(get("partner")))
        if partner is None:
            notes.append(
                _("%(value)s is not a partner of this program; left out.")
                % {"value": get("partner")}
            )
    keys = _dup_keys(given, family, birth, email)
    for key in keys:
        if key in seen:
            where = seen[key]
            reason = (
                _("Same name and %(what)s as row %(row)d of this file.")
                if where
                else _("Same name and %(what)s as a participant already in this cohort.")
            ) % {"what": _("birth date") if key[1] == "birth" else _("e-mail"), "row": where}
            return _Row(number, raw, RowFate.DUPLICATE, reason)
    participant = Participant.objects.create(
        cohort=cohort,
        status=status_text,
        given_name=given,
        family_name=family,
        former_names=get("former_names")[:300],
        birth_date=birth,
        email=email,
        institution=get("institution")[:200],
        aamc_id=aamc,
        partner=partner,
        consent_follow_up=consent,
        batch=batch,
    )
    for key in keys:
        seen[key] = number
    return _Row(number, raw, RowFate.INSERTED, " ".join(notes), participant)


# ------------------------------------------------------------------------ sessions


def attendance_record(*, session: Session, participant_ids: Iterable[int]) -> int:
    """Set who attended ``session`` (participants of its cohort); returns how many."""
    ids = set(
        Participant.objects.filter(cohort=session.cohort, pk__in=list(participant_ids))
        .exclude(status=ParticipantStatus.WAITLIST)
        .values_list("pk", flat=True)
    )
    with transaction.atomic():
        Attendance.objects.filter(session=session).exclude(participant_id__in=ids).delete()
        have = set(
            Attendance.objects.filter(session=session).values_list("participant_id", flat=True)
        )
        Attendance.objects.bulk_create(
            [Attendance(session=session, participant_id=i) for i in sorted(ids - have)]
        )
    return len(ids)


# ------------------------------------------------------------------ participant updates

SELF_FIELDS = ("given_name", "family_name", "former_names", "email", "institution")


def participant_update(
    *,
    participant: Participant,
    changes: dict[str, Any],
    user: Any = None,
    by_participant: bool = False,
) -> list[str]:
    """Apply ``changes`` and keep each one (before and after); returns the fields changed."""
    changed: list[str] = []
    with transaction.atomic():
        for name, value in changes.items():
            before = getattr(participant, name)
            if before == value:
                continue
            ParticipantChange.objects.create(
                participant=participant,
                by_participant=by_participant,
                changed_by=user if getattr(user, "is_authenticated", False) else None,
                field=name,
                before="" if before is None else str(before),
                after="" if value is None else str(value),
            )
            setattr(participant, name, value)
            changed.append(name)
        if changed:
            participant.save()
    return changed


# ------------------------------------------------------------------------------ linkage

#: Stages whose holders are "later records" for each kind of program.
PATHWAY_RECORD_KINDS = ("application", "offer", "matriculation", "graduation", "gme_appointment")
SUPPORT_RECORD_KINDS = ("enrollment", "matriculation")


class LinkingUnavailable(Exception):
    """The linkage engine is missing or refused the input (message is for users)."""


def participants_frame(participants: Iterable[Participant]) -> pl.DataFrame:
    rows = [
        {
            "record_id": str(p.pk),
            "given_name": p.given_name or None,
            "family_name": p.family_name or None,
            "former_names": p.former_names or None,
            "birth_date": p.birth_date.isoformat() if p.birth_date else None,
            "email": p.email or None,
            "institution": p.institution or None,
            "aamc_id": p.aamc_id or None,
        }
        for p in participants
    ]
    return _frame(rows)


def _frame(rows: list[dict[str, Any]]) -> pl.DataFrame:
    from ristra.analytics.linkage import RECORD_COLUMNS

    schema = dict.fromkeys(RECORD_COLUMNS, pl.String())
    return pl.DataFrame(rows, schema=schema)


def records_frame(kinds: Iterable[str]) -> pl.DataFrame:
    """The person record's side: everyone with a stage of ``kinds``, with their identifiers."""
    from ristra.people.models import Identifier, IdSystem, Person, Stage

    ids = set(Stage.objects.filter(kind__in=list(kinds)).values_list("person_id", flat=True))
    idents: dict[int, dict[str, str]] = {}
    for person_id, system, value in Identifier.objects.filter(
        person_id__in=ids, system__in=[IdSystem.EMAIL, IdSystem.AAMC_ID]
    ).values_list("person_id", "system", "value"):
        idents.setdefault(person_id, {}).setdefault(system, value)
    rows = []
    for pk, given, family, former, birth in (
        Person.objects.filter(pk__in=ids)
        .order_by("pk")
        .values_list("pk", "given_name", "family_name", "former_names", "birth_date")
    ):
        extra = idents.get(pk, {})
        rows.append(
            {
                "record_id": str(pk),
                "given_name": given or None,
                "family_name": family or None,
                "former_names": former or None,
                "birth_date": birth.isoformat() if birth else None,
                "email": (extra.get(IdSystem.EMAIL) or "").lower() or None,
                "institution": None,
                "aamc_id": extra.get(IdSystem.AAMC_ID),
            }
        )
    return _frame(rows)


def _scope_participants(*, cohort: Cohort | None, program: PathwayProgram | None) -> Any:
    qs = Participant.objects.filter(consent_follow_up=True).exclude(
        status=ParticipantStatus.WITHDRAWN
    )
    if cohort is not None:
        qs = qs.filter(cohort=cohort)
    elif program is not None:
        qs = qs.filter(cohort__program=program)
    return qs.select_related("cohort__program").order_by("pk")


def link_run_start(*, user: Any, program: PathwayProgram, cohort: Cohort | None = None) -> LinkRun:
    """Queue a linkage run over a program or one of its cohorts (a background task)."""
    from ristra.pathways.tasks import link_run_task

    run = LinkRun.objects.create(
        program=program,
        cohort=cohort,
        created_by=user if getattr(user, "is_authenticated", False) else None,
    )
    transaction.on_commit(lambda: link_run_task.enqueue(run_id=run.pk))
    return run


def link_run_execute(*, run: LinkRun) -> LinkRun:
    """Link the run's participants to the person record and store every candidate.

    Decisions people made (confirmed or rejected pairs) are passed to the engine and never
    overwritten; automatic links are updated and each change is kept in the pair's history.
    """
    from ristra.analytics import linkage

    cohort = run.cohort
    program = run.program
    participants = list(_scope_participants(cohort=cohort, program=program))
    LinkRun.objects.filter(pk=run.pk).update(status=LinkRunStatus.RUNNING)
    kinds: set[str] = set()
    for p in participants:
        kinds.update(SUPPORT_RECORD_KINDS if p.cohort.program.is_support else PATHWAY_RECORD_KINDS)
    left = participants_frame(participants)
    right = records_frame(sorted(kinds) or PATHWAY_RECORD_KINDS)
    existing = {
        (link.participant_id, link.person_id): link
        for link in Link.objects.filter(participant__in=participants)
    }
    decisions = {
        (str(pid), str(person)): link.status == LinkStatus.CONFIRMED
        for (pid, person), link in existing.items()
        if link.is_manual
    }
    try:
        result = linkage.link(left, right, decisions=decisions)
    except linkage.LinkInputError as exc:
        run.status = LinkRunStatus.FAILED
        run.error = str(exc)
        run.finished_at = timezone.now()
        run.save()
        return run
    seen: set[tuple[int, int]] = set()
    linked = review = 0
    with transaction.atomic():
        for cand in result.candidates:
            key = (int(cand.participant_id), int(cand.record_id))
            seen.add(key)
            status = LinkStatus.LINKED if cand.decision == "link" else LinkStatus.REVIEW
            evidence = [
                {"comparison": e.comparison, "level": e.level, "weight": round(e.weight, 3)}
                for e in cand.evidence
            ]
            link = existing.get(key)
            if link is not None and link.is_manual:
                if link.status == LinkStatus.CONFIRMED:
                    linked += 1
                continue
            if link is None:
                link = Link(participant_id=key[0], person_id=key[1])
            changed = link.pk is None or link.status != status
            link.run = run
            link.method = cand.method
            link.match_probability = float(cand.match_probability)
            link.match_weight = float(cand.match_weight)
            link.evidence = evidence
            link.status = status
            link.save()
            if changed:
                LinkDecision.objects.create(
                    link=link,
                    status=status,
                    match_probability=link.match_probability,
                    match_weight=link.match_weight,
                    note=_("Run %(run)d: %(method)s") % {"run": run.pk, "method": cand.method},
                )
            linked += status == LinkStatus.LINKED
            review += status == LinkStatus.REVIEW
        for key, link in existing.items():
            if key in seen or link.is_manual or link.status == LinkStatus.DROPPED:
                continue
            link.status = LinkStatus.DROPPED
            link.run = run
            link.save()
            LinkDecision.objects.create(
                link=link,
                status=LinkStatus.DROPPED,
                match_probability=link.match_probability,
                match_weight=link.match_weight,
                note=_("Run %(run)d no longer proposed this pair.") % {"run": run.pk},
            )
        run.status = LinkRunStatus.DONE
        run.participants = result.participants
        run.records = result.records
        run.linked = linked
        run.to_review = review
        run.seconds = result.seconds
        run.notes = [*run.notes, *result.notes]
        run.finished_at = timezone.now()
        run.save()
    return run


def link_decide(*, link: Link, same_person: bool, user: Any, note: str = "") -> Link:
    """A person's decision on a pair; remembered across later runs."""
    status = LinkStatus.CONFIRMED if same_person else LinkStatus.REJECTED
    with transaction.atomic():
        link.status = status
        link.decided_by = user
        link.decided_at = timezone.now()
        link.save()
        LinkDecision.objects.create(
            link=link,
            by=user,
            status=status,
            match_probability=link.match_probability,
            match_weight=link.match_weight,
            note=note[:300],
        )
    return link


# ------------------------------------------------------------------------ clearinghouse


def clearinghouse_request(
    *,
    cohort: Cohort,
    school_code: str,
    branch_code: str,
    school_name: str,
    inquiry_type: str = "CO",
    today: dt.date | None = None,
) -> tuple[bytes, list[tuple[int, str]]]:
    """The StudentTracker request file for a cohort's consenting participants.

    Returns the file and the participants left out with the reason.
    """
    from ristra.pathways import clearinghouse as ch

    details: list[ch.RequestDetail] = []
    skipped: list[tuple[int, str]] = []
    for p in _scope_participants(cohort=cohort, program=None):
        try:
            details.append(
                ch.detail_for(
                    participant_id=p.pk,
                    given_name=p.given_name,
                    family_name=p.family_name,
                    birth_date=p.birth_date,
                    search_from=cohort.ends_on,
                )
            )
        except ch.ClearinghouseError as exc:
            skipped.append((p.pk, exc.message))
    header = ch.RequestHeader(
        school_code=school_code,
        branch_code=branch_code,
        school_name=school_name,
        created_on=today or timezone.localdate(),
        inquiry_type=inquiry_type,
    )
    return ch.render_request(ch.RequestFile(header=header, details=details)), skipped


def clearinghouse_return_import(
    *, program: PathwayProgram, filename: str, content: bytes, user: Any
) -> Any:
    """Read a Student Detail Report; every row kept with its fate."""
    from ristra.pathways import clearinghouse as ch
    from ristra.pathways.models import ClearinghouseReturn, ClearinghouseRow

    upload = ClearinghouseReturn.objects.create(
        program=program,
        filename=filename[:255],
        created_by=user if getattr(user, "is_authenticated", False) else None,
    )
    try:
        _info, frame = read_table(content, filename=filename)
        columns = ch.return_columns([c for c in frame.columns if c != ROW_COLUMN])
    except UnusableInput as exc:
        upload.error = exc.message
        upload.save(update_fields=["error"])
        return upload
    except ch.ClearinghouseError as exc:
        upload.error = exc.message
        upload.save(update_fields=["error"])
        return upload
    ours = set(Participant.objects.filter(cohort__program=program).values_list("pk", flat=True))
    rows = []
    for record in frame.iter_rows(named=True):
        number = int(record.pop(ROW_COLUMN))
        parsed = ch.parse_return_row(number, record, columns)
        problem = parsed.problem
        if not problem and parsed.participant_id not in ours:
            problem = _("Participant p%(id)s is not in this program.") % {
                "id": parsed.participant_id
            }
        rows.append(
            ClearinghouseRow(
                upload=upload,
                row_number=number,
                raw=record,
                fate=RowFate.REJECTED if problem else RowFate.INSERTED,
                reason=problem,
                participant_id=None if problem else parsed.participant_id,
                record_found=parsed.found,
                college_name=parsed.college,
                college_state=parsed.state,
                enrollment_begin=parsed.begin,
                enrollment_end=parsed.end,
                graduated=parsed.graduated,
                graduation_date=parsed.graduation_date,
                degree_title=parsed.degree,
            )
        )
    with transaction.atomic():
        ClearinghouseRow.objects.bulk_create(rows, batch_size=1000)
        upload.rows_total = len(rows)
        upload.rows_rejected = sum(r.fate == RowFate.REJECTED for r in rows)
        upload.rows_accepted = upload.rows_total - upload.rows_rejected
        upload.save()
    return upload
