"""Climate surveys, anonymous by construction.

* :class:`Survey` holds the instrument as validated text (YAML or JSON) with its key, the
  distribution mode and the disclosure thresholds.
* :class:`Invitation` is the ONLY row that names a person: it knows whether the person
  responded, never what they answered.
* :class:`Response` has no foreign key except its survey, no person, user or invitation,
  no timestamp (only the survey's wave as ``period``) and a random UUID primary key, so
  neither its id nor its order tells when, or from whom, it came.  Nothing points *to* a
  response either (tests inspect every model of the app to prove it).
* :class:`AccessCode` stores one-time codes for anonymous links as hashes; a spent code
  keeps no trace of the response it opened.
* :class:`ResponseImport` / :class:`ResponseImportRow`: the import ledger for Qualtrics and
  REDCap exports (every raw row with its fate, like ``ristra.people``'s).
* :class:`ActionItem`: a finding turned into work with an owner and a due date.
"""

from __future__ import annotations

import functools
import hashlib
import secrets
import uuid
from functools import cached_property
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from ristra.analytics.surveys import Instrument


#: The demographics key under which a response carries its invitee's unit (when the survey
#: says so). Instrument keys start with a letter, so no question can take it.
UNIT_KEY = "_unit"


def token_hash(token: str) -> str:
    """A keyed hash of a token or code (the plain value is never stored)."""
    key = settings.SECRET_KEY.encode()
    return hashlib.blake2b(token.strip().encode(), key=key[:64], digest_size=32).hexdigest()


def new_link_key() -> str:
    return secrets.token_urlsafe(12)


class Mode(models.TextChoices):
    LINK = "link", _("Anonymous link")
    INVITATIONS = "invitations", _("Personal invitations")
    IMPORTED = "imported", _("Imported from Qualtrics or REDCap")


class Status(models.TextChoices):
    DRAFT = "draft", _("Draft")
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")


class Survey(models.Model):
    title = models.CharField(_("title"), max_length=200)
    instrument_text = models.TextField(_("instrument (YAML or JSON)"))
    instrument_format = models.CharField(max_length=8, default="yaml")
    instrument_key = models.CharField(_("instrument"), max_length=120, db_index=True)
    instrument_version = models.CharField(_("instrument version"), max_length=60, blank=True)
    wave = models.CharField(
        _("wave"),
        max_length=40,
        help_text=_("For example 2026. Responses are dated only by their wave."),
    )
    opens_on = models.DateField(_("opens on"), null=True, blank=True)
    closes_on = models.DateField(_("closes on"), null=True, blank=True)
    mode = models.CharField(_("distribution"), max_length=16, choices=Mode.choices)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.DRAFT
    )
    link_key = models.CharField(max_length=32, unique=True, default=new_link_key)
    require_code = models.BooleanField(
        _("anonymous link needs a one-time code"),
        default=False,
        help_text=_("Hand out codes you generate; each code opens the form once."),
    )
    min_group = models.PositiveSmallIntegerField(
        _("smallest group shown (scores)"),
        default=5,
        validators=[MinValueValidator(3), MaxValueValidator(50)],
    )
    min_comments = models.PositiveSmallIntegerField(
        _("smallest group whose comments are shown"),
        default=10,
        validators=[MinValueValidator(5), MaxValueValidator(100)],
    )
    filter_split = models.CharField(
        _("filter question"),
        max_length=63,
        blank=True,
        help_text=_(
            "The key of one demographic question (a unit or a category) whose groups readers "
            "may look inside and break down by the other questions. One per survey: "
            "crossing every pair of questions could reveal small groups. “_unit” names the "
            "invitee's unit when it is carried into the responses."
        ),
    )
    carry_unit = models.BooleanField(
        _("carry each invitee's unit into their response"),
        default=False,
        help_text=_(
            "Personal invitations only. Each response then also records the department or "
            "GME program the invitee belongs to in the person record, so scores can be shown "
            "by unit. Units with fewer invitees than the smallest group shown are stored as "
            "“other units”, and when the survey closes units with too few responses are "
            "merged into it too. The trade-off: a unit is an accurate answer nobody can "
            "skip, so in a small unit respondents are easier to recognise; leave it off when "
            "units are small or trust is low. Response rates by unit are shown either way."
        ),
    )
    published = models.BooleanField(
        _("results published to program managers and viewers"), default=False
    )
    reminders_sent = models.PositiveSmallIntegerField(_("reminder rounds sent"), default=0)
    benchmark_label = models.CharField(_("benchmark"), max_length=200, blank=True)
    #: The uploaded benchmark file (CSV: level,key,mean,pct_favourable), as text.
    benchmark_csv = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-wave", "title"]

    def __str__(self) -> str:
        return f"{self.title} ({self.wave})"

    @cached_property
    def instrument(self) -> Instrument:
        return _instrument_from(self.instrument_text, self.instrument_format)

    def previous_wave(self) -> Survey | None:
        return (
            Survey.objects.filter(instrument_key=self.instrument_key, wave__lt=self.wave)
            .exclude(pk=self.pk)
            .order_by("-wave")
            .first()
        )


@functools.lru_cache(maxsize=64)
def _instrument_from(text: str, fmt: str) -> Instrument:
    """Parsed instruments, kept per process by their text: a results page would otherwise
    re-read the YAML on every request (about 40 ms for the example). Instruments are
    frozen; the cache is keyed by the whole text, so an edit is a new entry."""
    from ristra.analytics.surveys import instrument_load

    return instrument_load(text, fmt=fmt)


class Invitation(models.Model):
    """Who was invited and whether they responded: never what they answered."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="invitations")
    person = models.ForeignKey("people.Person", on_delete=models.CASCADE, related_name="+")
    email = models.EmailField(_("e-mail"), blank=True)
    token_hash = models.CharField(max_length=64, unique=True)
    #: The person's population at invitation time (faculty, staff, student...): the
    #: representativeness denominators come from here, not from the answers.
    population = models.CharField(_("population"), max_length=32, blank=True)
    #: The department, GME or degree program the person belonged to on the invitation
    #: date, from the person record (its name): response rates by unit come from here.
    unit = models.CharField(_("unit"), max_length=200, blank=True)
    sent = models.BooleanField(_("sent"), default=False)
    #: No reminder count per person and no time: with them, the order of responses would
    #: tell who answered before or after each reminder. The survey counts reminders.
    responded = models.BooleanField(_("responded"), default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["survey", "person"], name="survey_invite_once")
        ]

    def __str__(self) -> str:
        return f"invitation {self.pk}"


class Response(models.Model):
    """One set of answers. No person, no invitation, no user, no timestamp."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="responses")
    #: Coarse: the survey's wave, never the submission time.
    period = models.CharField(max_length=40)
    #: How it arrived: "link", "invitation" or "import" (no more detail).
    channel = models.CharField(max_length=16)
    #: Item key -> raw value (an int on the item's scale, a string, or a list for multi).
    answers = models.JSONField(default=dict)
    #: Demographic item key -> code (an option of the item; absent when not answered).
    demographics = models.JSONField(default=dict)
    #: Rewritten in a batch, in random order, by a later transaction (see
    #: ``services.responses_seal``): until then the row shares its writing transaction
    #: (PostgreSQL's xmin, SQLite's rowid order) with the invitation it came from.
    sealed = models.BooleanField(default=False)

    class Meta:
        ordering = ["id"]  # random order

    def __str__(self) -> str:
        return "response"


class AccessCode(models.Model):
    """A one-time code for an anonymous link, stored as a hash (the analyst prints them)."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="codes")
    code_hash = models.CharField(max_length=64, unique=True)
    spent = models.BooleanField(default=False)

    def __str__(self) -> str:
        return "code"


class ImportStatus(models.TextChoices):
    COMMITTED = "committed", _("Committed")
    FAILED = "failed", _("File rejected")


class RowFate(models.TextChoices):
    ACCEPTED = "accepted", _("Accepted")
    REJECTED = "rejected", _("Rejected")


class ResponseImport(models.Model):
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="imports")
    source = models.CharField(_("source"), max_length=16)
    filename = models.CharField(_("file name"), max_length=255)
    sha256 = models.CharField(max_length=64)
    status = models.CharField(max_length=16, choices=ImportStatus.choices)
    file_problems = models.JSONField(default=list, blank=True)
    accepted = models.PositiveIntegerField(default=0)
    rejected = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.filename


class ResponseImportRow(models.Model):
    """Every raw row of an import with its fate (no link to the response it became)."""

    batch = models.ForeignKey(ResponseImport, on_delete=models.CASCADE, related_name="rows")
    row_number = models.PositiveIntegerField(_("row"))
    raw = models.JSONField(_("row as in the file"))
    fate = models.CharField(_("fate"), max_length=16, choices=RowFate.choices)
    problems = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["batch", "row_number"]
        constraints = [
            models.UniqueConstraint(fields=["batch", "row_number"], name="survey_import_row_once")
        ]

    def __str__(self) -> str:
        return f"row {self.row_number}: {self.fate}"


class ActionStatus(models.TextChoices):
    OPEN = "open", _("Open")
    IN_PROGRESS = "in_progress", _("In progress")
    DONE = "done", _("Done")


class FindingKind(models.TextChoices):
    GAP = "gap", _("A gap between groups")
    FACTOR = "factor", _("A low factor or cluster")
    THEME = "theme", _("A theme in the comments")
    OTHER = "other", _("Other")


class ActionItem(models.Model):
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="actions")
    kind = models.CharField(_("finding"), max_length=16, choices=FindingKind.choices)
    finding = models.CharField(_("what the results show"), max_length=300)
    action = models.TextField(_("what we will do"))
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="survey_actions",
        verbose_name=_("owner"),
    )
    due_on = models.DateField(_("due"))
    status = models.CharField(
        _("status"), max_length=16, choices=ActionStatus.choices, default=ActionStatus.OPEN
    )

    class Meta:
        ordering = ["due_on", "id"]

    def __str__(self) -> str:
        return self.finding
