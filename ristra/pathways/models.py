"""Pathway and support programs: partners, cohorts, participants, sessions, attendance,
participant imports (every raw row with its fate), links to the person record with every
decision kept, and clearinghouse returns.

A program belongs to a :class:`~ristra.accounts.models.ProgramScope`: program managers
scoped to it (and administrators) manage it, as in mentoring. Eligibility is free text the
office writes; it must not name a protected characteristic (see ``forms.py``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class ProgramKind(models.TextChoices):
    PATHWAY = "pathway", _("Pathway program (before medical school)")
    SUPPORT = "support", _("Support program (enrolled learners)")


class PathwayProgram(models.Model):
    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("short name"), max_length=100, unique=True)
    scope = models.ForeignKey(
        "accounts.ProgramScope",
        on_delete=models.PROTECT,
        related_name="pathway_programs",
        verbose_name=_("program scope"),
        help_text=_("Program managers scoped to it manage this program."),
    )
    kind = models.CharField(
        _("kind"), max_length=16, choices=ProgramKind.choices, default=ProgramKind.PATHWAY
    )
    audience = models.CharField(_("audience"), max_length=200, blank=True)
    grade_levels = models.CharField(_("grade levels"), max_length=100, blank=True)
    starts_on = models.DateField(_("first offered"), null=True, blank=True)
    ends_on = models.DateField(_("last offered"), null=True, blank=True)
    sessions_planned = models.PositiveSmallIntegerField(_("sessions per cohort"), default=0)
    stipend = models.DecimalField(
        _("stipend (USD)"), max_digits=8, decimal_places=2, null=True, blank=True
    )
    eligibility = models.TextField(
        _("eligibility"),
        blank=True,
        help_text=_("Who may take part, without protected characteristics."),
    )
    description = models.TextField(_("description"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("pathway program")
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True)
                | Q(starts_on__isnull=True)
                | Q(ends_on__gte=models.F("starts_on")),
                name="pathway_program_dates_in_order",
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_support(self) -> bool:
        return self.kind == ProgramKind.SUPPORT


class PartnerKind(models.TextChoices):
    SCHOOL = "school", _("School")
    COLLEGE = "college", _("College or university")
    COMMUNITY = "community", _("Community organisation")


class Partner(models.Model):
    name = models.CharField(_("name"), max_length=200, unique=True)
    kind = models.CharField(_("kind"), max_length=16, choices=PartnerKind.choices)
    programs = models.ManyToManyField(
        PathwayProgram, related_name="partners", blank=True, verbose_name=_("programs")
    )
    agreement_starts = models.DateField(_("agreement starts"), null=True, blank=True)
    agreement_ends = models.DateField(_("agreement ends"), null=True, blank=True)
    contact_name = models.CharField(_("contact"), max_length=200, blank=True)
    contact_email = models.EmailField(_("contact e-mail"), blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("partner")

    def __str__(self) -> str:
        return self.name


class Cohort(models.Model):
    program = models.ForeignKey(PathwayProgram, on_delete=models.CASCADE, related_name="cohorts")
    year = models.PositiveSmallIntegerField(_("year"))
    starts_on = models.DateField(_("starts"))
    ends_on = models.DateField(_("ends"))

    class Meta:
        ordering = ["program", "-year"]
        verbose_name = _("cohort")
        constraints = [
            models.UniqueConstraint(fields=["program", "year"], name="cohort_once_a_year"),
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")), name="cohort_dates_in_order"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.program.name} {self.year}"


class ParticipantStatus(models.TextChoices):
    PARTICIPANT = "participant", _("Participant")
    WAITLIST = "waitlist", _("Waitlist (not admitted to the program)")
    WITHDRAWN = "withdrawn", _("Withdrew")


class Participant(models.Model):
    cohort = models.ForeignKey(Cohort, on_delete=models.CASCADE, related_name="participants")
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=ParticipantStatus.choices,
        default=ParticipantStatus.PARTICIPANT,
    )
    given_name = models.CharField(_("given name"), max_length=120)
    family_name = models.CharField(_("family name"), max_length=120)
    former_names = models.CharField(
        _("former names"), max_length=300, blank=True, help_text=_("Separate with ';'.")
    )
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    institution = models.CharField(_("high school or college"), max_length=200, blank=True)
    aamc_id = models.CharField(_("AAMC ID"), max_length=16, blank=True)
    partner = models.ForeignKey(
        Partner, null=True, blank=True, on_delete=models.SET_NULL, related_name="participants"
    )
    consent_follow_up = models.BooleanField(_("consents to follow-up"), default=False)
    batch = models.ForeignKey(
        "ParticipantImport",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["family_name", "given_name", "id"]
        verbose_name = _("participant")

    def __str__(self) -> str:
        return f"{self.given_name} {self.family_name}"

    @property
    def record_id(self) -> str:
        return f"p{self.pk}"


class ParticipantChange(models.Model):  # noqa: DJ008
    """One change to a participant's details: who (or the participant) and before/after."""

    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="changes")
    at = models.DateTimeField(auto_now_add=True)
    by_participant = models.BooleanField(default=False)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    field = models.CharField(max_length=64)
    before = models.TextField(blank=True)
    after = models.TextField(blank=True)

    class Meta:
        ordering = ["-at", "-id"]


class Session(models.Model):
    cohort = models.ForeignKey(Cohort, on_delete=models.CASCADE, related_name="sessions")
    held_on = models.DateField(_("date"))
    title = models.CharField(_("title"), max_length=200)

    class Meta:
        ordering = ["held_on", "id"]
        verbose_name = _("session")

    def __str__(self) -> str:
        return f"{self.held_on} {self.title}"


class Attendance(models.Model):  # noqa: DJ008
    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="attendance")
    participant = models.ForeignKey(
        Participant, on_delete=models.CASCADE, related_name="attendance"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["session", "participant"], name="attended_once")
        ]


# ------------------------------------------------------------------------ imports (ledger)


class RowFate(models.TextChoices):
    INSERTED = "inserted", _("Added")
    DUPLICATE = "duplicate", _("Duplicate (not added)")
    REJECTED = "rejected", _("Rejected")


class ParticipantImport(models.Model):
    """A participant file: every raw row is kept with its fate (as ``people``' ledger)."""

    cohort = models.ForeignKey(Cohort, on_delete=models.CASCADE, related_name="imports")
    filename = models.CharField(_("file name"), max_length=255)
    sha256 = models.CharField(max_length=64)
    error = models.TextField(_("problem with the file"), blank=True)
    rows_total = models.PositiveIntegerField(default=0)
    rows_inserted = models.PositiveIntegerField(default=0)
    rows_duplicate = models.PositiveIntegerField(default=0)
    rows_rejected = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"#{self.pk} {self.filename}"


class ParticipantImportRow(models.Model):  # noqa: DJ008
    batch = models.ForeignKey(ParticipantImport, on_delete=models.CASCADE, related_name="rows")
    row_number = models.PositiveIntegerField(_("row"))
    raw = models.JSONField(_("row as in the file"))
    fate = models.CharField(_("fate"), max_length=16, choices=RowFate.choices)
    reason = models.TextField(_("reason"), blank=True)
    participant = models.ForeignKey(
        Participant, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["batch", "row_number"]
        constraints = [
            models.UniqueConstraint(fields=["batch", "row_number"], name="pathway_row_once")
        ]


# ------------------------------------------------------------------------------- linkage


class LinkRunStatus(models.TextChoices):
    QUEUED = "queued", _("Waiting")
    RUNNING = "running", _("Linking")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed: nothing was changed")


class LinkRun(models.Model):  # noqa: DJ008
    """One linkage run over a program's (or one cohort's) consenting participants."""

    program = models.ForeignKey(PathwayProgram, on_delete=models.CASCADE, related_name="link_runs")
    cohort = models.ForeignKey(
        Cohort, null=True, blank=True, on_delete=models.SET_NULL, related_name="link_runs"
    )
    status = models.CharField(
        max_length=16, choices=LinkRunStatus.choices, default=LinkRunStatus.QUEUED
    )
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    finished_at = models.DateTimeField(null=True, blank=True)
    participants = models.PositiveIntegerField(default=0)
    records = models.PositiveIntegerField(default=0)
    linked = models.PositiveIntegerField(default=0)
    to_review = models.PositiveIntegerField(default=0)
    seconds = models.FloatField(default=0)
    notes = models.JSONField(default=list, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]


class LinkStatus(models.TextChoices):
    LINKED = "linked", _("Linked automatically")
    REVIEW = "review", _("Waiting for review")
    CONFIRMED = "confirmed", _("Confirmed by a person")
    REJECTED = "rejected", _("Rejected by a person")
    DROPPED = "dropped", _("No longer proposed by the latest run")


#: Statuses that count as "the same person" in outcomes.
LINKED_STATUSES = (LinkStatus.LINKED, LinkStatus.CONFIRMED)


class Link(models.Model):  # noqa: DJ008
    """A candidate pair (participant, person) and what was decided, with its evidence."""

    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="links")
    person = models.ForeignKey("people.Person", on_delete=models.CASCADE, related_name="+")
    run = models.ForeignKey(LinkRun, null=True, blank=True, on_delete=models.SET_NULL)
    method = models.CharField(_("method"), max_length=40)
    match_probability = models.FloatField(_("match probability"))
    match_weight = models.FloatField(_("match weight"))
    #: [{"comparison": ..., "level": ..., "weight": ...}, ...] as the engine explained it.
    evidence = models.JSONField(default=list, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=LinkStatus.choices)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-match_probability", "id"]
        constraints = [
            models.UniqueConstraint(fields=["participant", "person"], name="link_pair_once")
        ]

    @property
    def is_manual(self) -> bool:
        return self.status in (LinkStatus.CONFIRMED, LinkStatus.REJECTED)

    def driving_comparison(self) -> dict[str, object] | None:
        """The comparison that weighed most (by absolute weight)."""
        items = [e for e in self.evidence if isinstance(e, dict)]
        return max(items, key=lambda e: abs(float(e.get("weight", 0))), default=None)


class LinkDecision(models.Model):  # noqa: DJ008
    """Every decision about a pair, automatic or manual, in order (the link's history)."""

    link = models.ForeignKey(Link, on_delete=models.CASCADE, related_name="decisions")
    at = models.DateTimeField(auto_now_add=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(max_length=16, choices=LinkStatus.choices)
    match_probability = models.FloatField()
    match_weight = models.FloatField()
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["at", "id"]


# ------------------------------------------------------------------------- clearinghouse


class ClearinghouseReturn(models.Model):  # noqa: DJ008
    """A returned StudentTracker detail file; every raw row kept with its fate."""

    program = models.ForeignKey(
        PathwayProgram, on_delete=models.CASCADE, related_name="clearinghouse_returns"
    )
    filename = models.CharField(max_length=255)
    error = models.TextField(blank=True)
    rows_total = models.PositiveIntegerField(default=0)
    rows_accepted = models.PositiveIntegerField(default=0)
    rows_rejected = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]


class ClearinghouseRow(models.Model):  # noqa: DJ008
    upload = models.ForeignKey(ClearinghouseReturn, on_delete=models.CASCADE, related_name="rows")
    row_number = models.PositiveIntegerField()
    raw = models.JSONField()
    fate = models.CharField(max_length=16, choices=RowFate.choices)
    reason = models.TextField(blank=True)
    participant = models.ForeignKey(
        Participant, null=True, blank=True, on_delete=models.SET_NULL, related_name="enrolments"
    )
    record_found = models.BooleanField(default=False)
    college_name = models.CharField(max_length=200, blank=True)
    college_state = models.CharField(max_length=2, blank=True)
    enrollment_begin = models.DateField(null=True, blank=True)
    enrollment_end = models.DateField(null=True, blank=True)
    graduated = models.BooleanField(default=False)
    graduation_date = models.DateField(null=True, blank=True)
    degree_title = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["upload", "row_number"]
