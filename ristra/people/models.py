"""The longitudinal person record and the import ledger.

A person is one human across every stage: pathway participant, applicant, student,
resident, faculty member. Self-identification answers are stored as given, with their
source and date, never only as a derived category. Every row of every import is kept with
its fate, and a batch can be rolled back.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class OrgUnitKind(models.TextChoices):
    SCHOOL = "school", _("School")
    DEPARTMENT = "department", _("Department")
    DIVISION = "division", _("Division")
    DEGREE_PROGRAM = "degree_program", _("Degree program")
    GME_PROGRAM = "gme_program", _("GME program")
    OFFICE = "office", _("Office")
    OTHER = "other", _("Other")


class DepartmentClass(models.TextChoices):
    """A standard classification for departments, so schools can be compared."""

    BASIC_SCIENCE = "basic_science", _("Basic science")
    CLINICAL_SCIENCE = "clinical_science", _("Clinical science")
    ADMINISTRATION = "administration", _("Administration")
    OTHER = "other", _("Other")


class OrgUnit(models.Model):
    name = models.CharField(_("name"), max_length=200)
    code = models.CharField(_("code"), max_length=64, unique=True)
    kind = models.CharField(_("kind"), max_length=32, choices=OrgUnitKind.choices)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    classification = models.CharField(
        _("classification"), max_length=32, choices=DepartmentClass.choices, blank=True
    )
    specialty = models.CharField(_("specialty"), max_length=120, blank=True)

    class Meta:
        ordering = ["kind", "name"]
        verbose_name = _("organisational unit")
        constraints = [
            models.UniqueConstraint(fields=["kind", "name"], name="orgunit_kind_name_unique")
        ]

    def __str__(self) -> str:
        return self.name


class Person(models.Model):
    given_name = models.CharField(_("given name"), max_length=120)
    middle_name = models.CharField(_("middle name"), max_length=120, blank=True)
    family_name = models.CharField(_("family name"), max_length=120, db_index=True)
    former_names = models.CharField(_("former names"), max_length=300, blank=True)
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    created_batch = models.ForeignKey(
        "ImportBatch",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,  # read only by a rollback
    )

    class Meta:
        ordering = ["family_name", "given_name", "id"]
        verbose_name = _("person")

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return " ".join(p for p in (self.given_name, self.middle_name, self.family_name) if p)


class IdSystem(models.TextChoices):
    STUDENT_ID = "student_id", _("Student ID")
    EMPLOYEE_ID = "employee_id", _("Employee ID")
    AAMC_ID = "aamc_id", _("AAMC ID")
    NRMP_ID = "nrmp_id", _("NRMP ID")
    ERAS_ID = "eras_id", _("ERAS ID")
    NPI = "npi", _("NPI")
    EMAIL = "email", _("E-mail")


class Identifier(models.Model):
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="identifiers")
    system = models.CharField(_("system"), max_length=32, choices=IdSystem.choices)
    value = models.CharField(_("value"), max_length=254)
    batch = models.ForeignKey(
        "ImportBatch",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,  # read only by a rollback; an index would slow every import
    )

    class Meta:
        ordering = ["system", "value"]
        constraints = [
            models.UniqueConstraint(fields=["system", "value"], name="identifier_unique")
        ]

    def __str__(self) -> str:
        return f"{self.get_system_display()} {self.value}"


class Dimension(models.TextChoices):
    """Self-identification questions. Each answer may be 'declined'."""

    SEX = "sex", _("Sex")
    GENDER_IDENTITY = "gender_identity", _("Gender identity")
    SEXUAL_ORIENTATION = "sexual_orientation", _("Sexual orientation")
    HISPANIC = "hispanic", _("Hispanic or Latino (1997 question 1)")
    RACE = "race", _("Race (1997 question 2)")
    RACE_ETHNICITY_2024 = "race_ethnicity_2024", _("Race and ethnicity (2024 combined question)")
    DETAILED_GROUPS = "detailed_groups", _("Detailed race/ethnicity groups")
    DISABILITY = "disability", _("Disability")
    VETERAN = "veteran", _("Veteran")
    FIRST_GENERATION = "first_generation", _("First generation college student")
    PARENTAL_EDUCATION = "parental_education", _("Highest parental education")
    PARENTAL_OCCUPATION = "parental_occupation", _("Parental occupation")
    PELL = "pell", _("Pell Grant")
    FEE_ASSISTANCE = "fee_assistance", _("Fee assistance")
    SES_GROUP = "ses_group", _("SES group (EO)")
    COUNTY_FIPS = "county_fips", _("County of residence (FIPS)")
    STATE = "state", _("State of residence")
    CITIZENSHIP = "citizenship", _("Citizenship / visa status")


class SelfIdentificationQuerySet(models.QuerySet["SelfIdentification"]):
    def record_answer(
        self,
        *,
        person: Person,
        dimension: str,
        codes: list[str],
        source: str,
        reported_on: dt.date | str,
        raw_value: str = "",
        declined: bool = False,
    ) -> SelfIdentification:
        """Add (or replace) one answer in the person's response from ``source`` that day."""
        response, _made = self.get_or_create(person=person, source=source, reported_on=reported_on)
        response.answers = {
            **(response.answers or {}),
            dimension: {"raw": raw_value, "codes": list(codes), "declined": declined},
        }
        response.save(update_fields=["answers"])
        return response


class SelfIdentification(models.Model):
    """One self-identification response: every answer a person gave one source on one day.

    ``answers`` maps each question answered (a ``Dimension`` value) to the answer as
    given: ``{"race": {"raw": "Navajo; White", "codes": ["aian", "white"], "declined":
    false}}``. A declined answer has ``"declined": true`` and the code ``"declined"``.
    Questions not asked or left blank are absent.
    """

    # The unique constraint below starts with person, so it serves as the person index.
    person = models.ForeignKey(
        Person, on_delete=models.CASCADE, related_name="self_ids", db_index=False
    )
    source = models.CharField(_("source"), max_length=120)
    reported_on = models.DateField(_("answered on"))
    answers = models.JSONField(_("answers"), default=dict, blank=True)
    batch = models.ForeignKey(
        "ImportBatch",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,  # read only by a rollback; an index would slow every import
    )

    objects = SelfIdentificationQuerySet.as_manager()

    class Meta:
        ordering = ["-reported_on", "-id"]
        verbose_name = _("self-identification response")
        constraints = [
            models.UniqueConstraint(
                fields=["person", "source", "reported_on"],
                name="selfid_one_response_per_source_and_date",
            )
        ]

    def __str__(self) -> str:
        return f"{self.source} {self.reported_on}"

    def answer_list(self) -> list[Answer]:
        """The answers of this response, in the order of ``Dimension``."""
        order = {d: i for i, d in enumerate(Dimension.values)}
        return [
            Answer(
                dimension=dimension,
                raw_value=str(value.get("raw") or ""),
                codes=list(value.get("codes") or []),
                declined=bool(value.get("declined")),
                source=self.source,
                reported_on=self.reported_on,
                response_id=self.pk,
            )
            for dimension, value in sorted(
                (self.answers or {}).items(), key=lambda kv: (order.get(kv[0], len(order)), kv[0])
            )
        ]


@dataclass(frozen=True)
class Answer:
    """One answer of a ``SelfIdentification`` response, as the person gave it."""

    dimension: str
    raw_value: str
    codes: list[str]
    declined: bool
    source: str
    reported_on: dt.date
    response_id: int

    def get_dimension_display(self) -> str:
        try:
            return str(Dimension(self.dimension).label)
        except ValueError:
            return self.dimension


class StageKind(models.TextChoices):
    APPLICATION = "application", _("Application")
    INTERVIEW = "interview", _("Interview")
    OFFER = "offer", _("Offer")
    MATRICULATION = "matriculation", _("Matriculation")
    ENROLLMENT = "enrollment", _("Enrollment")
    GRADUATION = "graduation", _("Graduation")
    GME_APPOINTMENT = "gme_appointment", _("GME appointment")
    FACULTY_APPOINTMENT = "faculty_appointment", _("Faculty appointment")
    STAFF_APPOINTMENT = "staff_appointment", _("Staff appointment")
    LEADERSHIP_APPOINTMENT = "leadership_appointment", _("Leadership appointment")
    PROMOTION = "promotion", _("Promotion")
    SEPARATION = "separation", _("Separation")


# Stages that last (have a start and usually an end); the others are dated events.
SPELL_KINDS = frozenset(
    {
        StageKind.ENROLLMENT,
        StageKind.GME_APPOINTMENT,
        StageKind.FACULTY_APPOINTMENT,
        StageKind.STAFF_APPOINTMENT,
        StageKind.LEADERSHIP_APPOINTMENT,
    }
)


class Rank(models.TextChoices):
    INSTRUCTOR = "instructor", _("Instructor")
    ASSISTANT_PROFESSOR = "assistant_professor", _("Assistant Professor")
    ASSOCIATE_PROFESSOR = "associate_professor", _("Associate Professor")
    PROFESSOR = "professor", _("Professor")
    OTHER = "other", _("Other")


class StageQuerySet(models.QuerySet["Stage"]):
    def as_of(self, date: dt.date) -> StageQuerySet:
        """Stages that had begun by ``date`` (whether or not they have ended)."""
        return self.filter(start_date__lte=date)

    def active_on(self, date: dt.date) -> StageQuerySet:
        """Spells (appointments, enrolment) running on ``date``."""
        return self.filter(
            Q(kind__in=SPELL_KINDS),
            Q(start_date__lte=date),
            Q(end_date__isnull=True) | Q(end_date__gt=date),
        )


class Stage(models.Model):
    """One dated event or spell in a person's history.

    ``key`` is the natural key within the person (kind, unit, cycle or start date): a
    re-import of the same fact updates it instead of adding a copy.
    """

    # The unique constraint (person, key) serves as the person index.
    person = models.ForeignKey(
        Person, on_delete=models.CASCADE, related_name="stages", db_index=False
    )
    kind = models.CharField(_("stage"), max_length=32, choices=StageKind.choices)
    key = models.CharField(max_length=200)
    start_date = models.DateField(_("start / effective date"))
    end_date = models.DateField(_("end date"), null=True, blank=True)
    org_unit = models.ForeignKey(
        OrgUnit, null=True, blank=True, on_delete=models.PROTECT, related_name="stages"
    )
    academic_year = models.PositiveSmallIntegerField(
        _("academic year / cycle"), null=True, blank=True
    )
    program = models.CharField(_("program"), max_length=200, blank=True)
    round = models.CharField(_("round"), max_length=32, blank=True)
    outcome = models.CharField(_("outcome / status"), max_length=32, blank=True)
    rank = models.CharField(_("rank"), max_length=32, choices=Rank.choices, blank=True)
    track = models.CharField(_("track"), max_length=32, blank=True)
    tenure = models.CharField(_("tenure"), max_length=32, blank=True)
    fte = models.DecimalField(_("FTE"), max_digits=4, decimal_places=3, null=True, blank=True)
    title = models.CharField(_("title / position"), max_length=200, blank=True)
    senior_administrative = models.BooleanField(_("senior administrative staff"), default=False)
    pgy = models.PositiveSmallIntegerField(_("PGY"), null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=64, blank=True)
    gpa = models.DecimalField(_("GPA"), max_digits=4, decimal_places=2, null=True, blank=True)
    mcat = models.PositiveSmallIntegerField(_("MCAT"), null=True, blank=True)
    batch = models.ForeignKey(
        "ImportBatch",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,  # read only by a rollback; an index would slow every import
    )

    objects = StageQuerySet.as_manager()

    class Meta:
        ordering = ["start_date", "id"]
        verbose_name = _("stage")
        constraints = [
            models.UniqueConstraint(fields=["person", "key"], name="stage_natural_key"),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=models.F("start_date")),
                name="stage_end_not_before_start",
            ),
            models.CheckConstraint(
                condition=Q(fte__isnull=True) | (Q(fte__gt=0) & Q(fte__lte=1)),
                name="stage_fte_between_0_and_1",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.start_date}"

    @property
    def is_spell(self) -> bool:
        return self.kind in SPELL_KINDS

    def is_active_on(self, date: dt.date) -> bool:
        """A spell running on ``date`` (events such as an offer are never "active")."""
        return (
            self.is_spell
            and self.start_date <= date
            and (self.end_date is None or self.end_date > date)
        )


# ---------------------------------------------------------------------------------------
# Imports: profiles, batches and the ledger of every raw row.


class MappingProfile(models.Model):
    """How one office's export maps onto an import kind (YAML, see docs/mapping-profiles.md)."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    kind = models.CharField(_("import kind"), max_length=32)
    yaml = models.TextField(_("profile (YAML)"))
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["kind", "name"]
        verbose_name = _("mapping profile")

    def __str__(self) -> str:
        return self.name


class BatchStatus(models.TextChoices):
    VALIDATING = "validating", _("Checking the file")
    VALIDATED = "validated", _("Checked: ready to commit")
    UNUSABLE = "unusable", _("Unusable file")
    QUEUED = "queued", _("Waiting to commit")
    COMMITTING = "committing", _("Committing")
    COMMITTED = "committed", _("Committed")
    FAILED = "failed", _("Failed: nothing was written")
    ROLLED_BACK = "rolled_back", _("Rolled back")


class ImportBatch(models.Model):
    kind = models.CharField(_("import kind"), max_length=32)
    filename = models.CharField(_("file name"), max_length=255)
    file = models.FileField(_("file as uploaded"), upload_to="imports/%Y/%m/", max_length=300)
    sha256 = models.CharField(max_length=64, db_index=True)
    size_bytes = models.BigIntegerField(default=0)
    profile = models.ForeignKey(
        MappingProfile, null=True, blank=True, on_delete=models.SET_NULL, related_name="batches"
    )
    # The profile exactly as it was used, so a batch can be explained after the profile changes.
    profile_yaml = models.TextField(blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=BatchStatus.choices, default=BatchStatus.VALIDATING
    )
    file_format = models.CharField(max_length=8, blank=True)
    encoding = models.CharField(max_length=32, blank=True)
    delimiter = models.CharField(max_length=4, blank=True)
    file_notes = models.JSONField(default=list, blank=True)
    # The file's headings in order; each ledger row keeps its values in this order.
    headings = models.JSONField(_("headings"), default=list, blank=True)
    error = models.TextField(_("problem with the file"), blank=True)
    rows_total = models.PositiveIntegerField(default=0)
    rows_valid = models.PositiveIntegerField(default=0)
    rows_rejected = models.PositiveIntegerField(default=0)
    rows_inserted = models.PositiveIntegerField(default=0)
    rows_updated = models.PositiveIntegerField(default=0)
    rows_unchanged = models.PositiveIntegerField(default=0)
    progress_done = models.PositiveIntegerField(default=0)
    source_label = models.CharField(_("source"), max_length=120, blank=True)
    # Organisational units this batch created (removed again on rollback when unused).
    created_units = models.JSONField(default=list, blank=True)
    # Summary of the check: what a commit would do ({"insert": n, "update": n, ...}).
    plan = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    committed_at = models.DateTimeField(null=True, blank=True)
    committed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    rolled_back_at = models.DateTimeField(null=True, blank=True)
    rolled_back_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("import batch")

    def __str__(self) -> str:
        return f"#{self.pk} {self.kind} {self.filename}"

    @property
    def progress_percent(self) -> int:
        if not self.rows_total:
            return 0
        return min(100, round(100 * self.progress_done / self.rows_total))

    @property
    def is_running(self) -> bool:
        return self.status in {BatchStatus.VALIDATING, BatchStatus.QUEUED, BatchStatus.COMMITTING}


class RowFate(models.TextChoices):
    INSERTED = "inserted", _("Inserted")
    UPDATED = "updated", _("Updated")
    UNCHANGED = "unchanged", _("Unchanged")
    REJECTED = "rejected", _("Rejected")


class ImportRow(models.Model):
    """Every raw row of a committed batch, with what became of it."""

    # The unique constraint (batch, row_number) serves as the batch index.
    batch = models.ForeignKey(
        ImportBatch, on_delete=models.CASCADE, related_name="rows", db_index=False
    )
    row_number = models.PositiveIntegerField(_("row"))
    # The row's values in the order of ``batch.headings`` (see ``cells``).
    raw = models.JSONField(_("row as in the file"))
    fate = models.CharField(_("fate"), max_length=16, choices=RowFate.choices)
    reason = models.TextField(_("reason"), blank=True)
    person = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # For rollback: the values this row replaced ({"person": {...}, "stage": {id: {...}}, ...}).
    before = models.JSONField(null=True, blank=True)

    class Meta:
        ordering = ["batch", "row_number"]
        constraints = [
            models.UniqueConstraint(fields=["batch", "row_number"], name="import_row_once")
        ]

    def __str__(self) -> str:
        return f"row {self.row_number}: {self.fate}"

    def cells(self, headings: list[str] | None = None) -> dict[str, Any]:
        """The row as in the file: heading -> value."""
        names = self.batch.headings if headings is None else headings
        return dict(zip(names, self.raw, strict=True))


class ImportProblem(models.Model):
    """One problem found while checking a file: row, column, value, rule, message."""

    batch = models.ForeignKey(ImportBatch, on_delete=models.CASCADE, related_name="problems")
    row_number = models.PositiveIntegerField(_("row"))
    column = models.CharField(_("column"), max_length=200, blank=True)
    value = models.TextField(_("value"), blank=True)
    rule = models.CharField(_("rule"), max_length=64)
    message = models.TextField(_("message"))

    class Meta:
        ordering = ["batch", "row_number", "id"]

    def __str__(self) -> str:
        return self.message

    def as_dict(self) -> dict[str, Any]:
        return {
            "row": self.row_number,
            "column": self.column,
            "value": self.value,
            "rule": self.rule,
            "message": self.message,
        }


def stage_key(
    kind: str,
    *,
    unit: str = "",
    academic_year: int | None = None,
    start_date: dt.date | None = None,
) -> str:
    """The natural key of a stage within one person.

    Cycle-based stages (application, interview, offer, matriculation) are keyed by kind and
    academic year (plus program); spells and events (appointments, promotions, separations,
    enrollment, graduation) by kind, unit and start date. A re-import of the same fact
    therefore finds the stage it created before.
    """
    when = (
        str(academic_year)
        if academic_year is not None
        else (start_date.isoformat() if start_date else "")
    )
    return f"{kind}|{unit}|{when}"[:200]
