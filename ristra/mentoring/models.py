"""Mentoring programs: cycles, the enrolment form, enrolments, matching runs and pairs.

A program belongs to a :class:`~ristra.accounts.models.ProgramScope`: its managers are the
program managers scoped to it (and administrators). A cycle runs enrolment, matching and
publication; a match run keeps its inputs and result so it can be explained and
reproduced. Self-match programs use :class:`MentorRequest` instead of runs.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

MAX_CAPACITY = 4


class Mode(models.TextChoices):
    ASSIGNED = "assigned", _("Assigned by the program")
    SELF_MATCH = "self_match", _("Mentees choose (self-match)")


class Program(models.Model):
    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("short name"), max_length=100, unique=True)
    scope = models.ForeignKey(
        "accounts.ProgramScope",
        on_delete=models.PROTECT,
        related_name="mentoring_programs",
        verbose_name=_("program scope"),
        help_text=_("Program managers scoped to it manage this program."),
    )
    description = models.TextField(_("description"), blank=True)
    mode = models.CharField(_("matching mode"), max_length=16, choices=Mode.choices)
    allow_participant_preferences = models.BooleanField(
        _("allow participant-chosen preferences"),
        default=True,
        help_text=_(
            "Questions marked as optional preferences count in matching only when this is on "
            "and the mentee asked for it."
        ),
    )
    same_department_allowed = models.BooleanField(
        _("mentor may be in the mentee's department"), default=True
    )
    exclude_previous_mentors = models.BooleanField(
        _("never match a mentee with a previous mentor"), default=True
    )
    max_requests = models.PositiveSmallIntegerField(
        _("mentors a mentee may request (self-match)"),
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(10)],
    )
    days_to_accept = models.PositiveSmallIntegerField(
        _("days a mentor has to answer a request"),
        default=7,
        validators=[MinValueValidator(1), MaxValueValidator(60)],
    )
    load_cap = models.PositiveSmallIntegerField(
        _("most mentees a mentor may hold across all programs"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(12)],
    )
    checkin_every_days = models.PositiveSmallIntegerField(
        _("expected days between check-ins"),
        default=30,
        validators=[MinValueValidator(7), MaxValueValidator(180)],
    )
    max_ranked = models.PositiveSmallIntegerField(
        _("mentors a mentee may rank (assigned mode; 0: no ranking)"),
        default=5,
        validators=[MaxValueValidator(10)],
        help_text=_(
            "Mentees may list the mentors they would like, in order; matching uses their "
            "list first, then every other suitable mentor by fit."
        ),
    )
    offers_connections = models.BooleanField(
        _("offer one-time connections"),
        default=False,
        help_text=_(
            "A public form lets applicants (no account needed) ask to talk once with a "
            "volunteer who shares their interests."
        ),
    )
    connection_topics = models.JSONField(_("connection topics"), default=list, blank=True)
    connections_auto = models.BooleanField(
        _("introduce connections automatically"),
        default=False,
        help_text=_(
            "On: the best-fitting willing volunteer is introduced as soon as a request "
            "arrives. Off: a coordinator confirms each introduction."
        ),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("mentoring program")

    def __str__(self) -> str:
        return self.name

    @property
    def is_self_match(self) -> bool:
        return self.mode == Mode.SELF_MATCH


class CycleStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    ENROLLING = "enrolling", _("Enrolment open")
    MATCHING = "matching", _("Matching")
    PUBLISHED = "published", _("Matches published")
    CLOSED = "closed", _("Closed")


class Cycle(models.Model):
    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="cycles")
    name = models.CharField(_("name"), max_length=200)
    enrolment_opens = models.DateField(_("enrolment opens"))
    enrolment_closes = models.DateField(_("enrolment closes"))
    matching_on = models.DateField(_("matching on"))
    starts_on = models.DateField(_("relationships start"))
    ends_on = models.DateField(_("relationships end"))
    status = models.CharField(
        _("status"), max_length=16, choices=CycleStatus.choices, default=CycleStatus.DRAFT
    )
    published_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-starts_on", "-id"]
        verbose_name = _("cycle")
        constraints = [
            models.CheckConstraint(
                condition=Q(enrolment_closes__gte=models.F("enrolment_opens"))
                & Q(ends_on__gt=models.F("starts_on")),
                name="mentoring_cycle_dates_in_order",
            )
        ]

    def __str__(self) -> str:
        return f"{self.program.name}: {self.name}"

    def midpoint(self) -> dt.date:
        return self.starts_on + (self.ends_on - self.starts_on) / 2


class QuestionKind(models.TextChoices):
    SINGLE = "single", _("One choice")
    MULTI = "multi", _("Several choices")
    TEXT = "text", _("Free text")
    NUMBER = "number", _("Number")


class Weight(models.TextChoices):
    MUST = "must", _("Must match")
    HIGH = "high", _("High")
    MEDIUM = "medium", _("Medium")
    LOW = "low", _("Low")
    NONE = "none", _("Not used in matching")


class Audience(models.TextChoices):
    BOTH = "both", _("Mentees and mentors")
    MENTEE = "mentee", _("Mentees only")
    MENTOR = "mentor", _("Mentors only")


class FormQuestion(models.Model):
    """One question of a program's enrolment form, and how it weighs in matching.

    A choice question answered by both sides can be a matching criterion: one choice
    compares equal answers ("both in Pediatrics"), several choices compare shared ones.
    A *private* question (e.g. a participant-chosen identity preference) is never shown
    to the other party: its reason reads "matches a stated preference". A *preference*
    question counts for a mentee only when they ask for it and the program allows it.
    """

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="questions")
    key = models.SlugField(_("key"), max_length=64)
    label = models.CharField(_("question"), max_length=300)
    help_text = models.CharField(_("help text"), max_length=300, blank=True)
    kind = models.CharField(_("answer"), max_length=16, choices=QuestionKind.choices)
    options = models.JSONField(_("choices"), default=list, blank=True)
    audience = models.CharField(
        _("asked of"), max_length=8, choices=Audience.choices, default=Audience.BOTH
    )
    required = models.BooleanField(_("required"), default=False)
    weight = models.CharField(
        _("weight in matching"), max_length=8, choices=Weight.choices, default=Weight.NONE
    )
    reason_label = models.CharField(
        _("label in match reasons"),
        max_length=100,
        blank=True,
        help_text=_("For example 'interest' gives 'shared interest: …'."),
    )
    is_preference = models.BooleanField(
        _("optional participant-chosen preference"),
        default=False,
        help_text=_("Counts only for mentees who ask for it, and only if the program allows."),
    )
    is_private = models.BooleanField(
        _("private (never shown to the other party)"),
        default=False,
        help_text=_("Shown to no one individually; reports use it only in suppressed totals."),
    )
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("form question")
        constraints = [
            models.UniqueConstraint(fields=["program", "key"], name="mentoring_question_key"),
            models.CheckConstraint(
                condition=Q(weight="none") | Q(kind__in=["single", "multi"]),
                name="mentoring_only_choices_weigh",
            ),
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def is_criterion(self) -> bool:
        return self.weight != Weight.NONE and self.audience == Audience.BOTH

    def option_choices(self) -> list[tuple[str, str]]:
        return [(str(o), str(o)) for o in self.options or []]


class Role(models.TextChoices):
    MENTEE = "mentee", _("Mentee")
    MENTOR = "mentor", _("Mentor")
    EITHER = "either", _("Either")


class EnrolmentStatus(models.TextChoices):
    ACTIVE = "active", _("Enrolled")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class Enrolment(models.Model):
    cycle = models.ForeignKey(Cycle, on_delete=models.CASCADE, related_name="enrolments")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="mentoring_enrolments"
    )
    person = models.ForeignKey(
        "people.Person",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="mentoring_enrolments",
    )
    department = models.ForeignKey(
        "people.OrgUnit", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    role = models.CharField(_("I enrol as"), max_length=8, choices=Role.choices)
    capacity = models.PositiveSmallIntegerField(
        _("mentees I can take"),
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_CAPACITY)],
    )
    answers = models.JSONField(default=dict, blank=True)
    #: keys of preference questions the mentee asked to count
    preferences_used = models.JSONField(default=list, blank=True)
    #: assigned mode: mentor enrolment ids the mentee would like, first choice first
    ranked_mentors = models.JSONField(default=list, blank=True)
    status = models.CharField(
        max_length=16, choices=EnrolmentStatus.choices, default=EnrolmentStatus.ACTIVE
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["cycle", "user__last_name", "user__first_name", "id"]
        verbose_name = _("enrolment")
        constraints = [
            models.UniqueConstraint(fields=["cycle", "user"], name="mentoring_one_enrolment"),
            models.CheckConstraint(
                condition=Q(capacity__gte=1) & Q(capacity__lte=MAX_CAPACITY),
                name="mentoring_capacity_1_to_4",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.get_role_display()})"

    @property
    def display_name(self) -> str:
        return str(self.user)

    @property
    def can_mentor(self) -> bool:
        return self.role in (Role.MENTOR, Role.EITHER)

    @property
    def can_be_mentee(self) -> bool:
        return self.role in (Role.MENTEE, Role.EITHER)


class ConstraintKind(models.TextChoices):
    PIN = "pin", _("Pin (always this pair)")
    FORBID = "forbid", _("Forbid (never this pair)")


class PairConstraint(models.Model):
    """A manager's pin or forbid for one cycle; every later run honours it."""

    cycle = models.ForeignKey(Cycle, on_delete=models.CASCADE, related_name="constraints")
    kind = models.CharField(max_length=8, choices=ConstraintKind.choices)
    mentee = models.ForeignKey(Enrolment, on_delete=models.CASCADE, related_name="+")
    mentor = models.ForeignKey(Enrolment, on_delete=models.CASCADE, related_name="+")
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["kind", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["cycle", "mentee", "mentor"], name="mentoring_one_constraint_per_pair"
            ),
            models.UniqueConstraint(
                fields=["cycle", "mentee"],
                condition=Q(kind="pin"),
                name="mentoring_one_pin_per_mentee",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind}: {self.mentee_id} - {self.mentor_id}"


class MatchRun(models.Model):
    """One run of one policy, with everything needed to explain and reproduce it."""

    cycle = models.ForeignKey(Cycle, on_delete=models.CASCADE, related_name="runs")
    batch = models.CharField(max_length=32, blank=True, db_index=True)  # runs compared together
    policy = models.CharField(_("policy"), max_length=16)
    parameters = models.JSONField(default=dict)
    inputs = models.JSONField(default=dict)
    result = models.JSONField(default=dict)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("match run")

    def __str__(self) -> str:
        return f"#{self.pk} {self.policy}"

    @property
    def quality(self) -> dict[str, Any]:
        return dict(self.result.get("quality", {}))


class PairStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    ENDED = "ended", _("Ended")


class Pair(models.Model):
    cycle = models.ForeignKey(Cycle, on_delete=models.CASCADE, related_name="pairs")
    run = models.ForeignKey(
        MatchRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="pairs"
    )
    mentor = models.ForeignKey(Enrolment, on_delete=models.CASCADE, related_name="mentor_pairs")
    mentee = models.ForeignKey(Enrolment, on_delete=models.CASCADE, related_name="mentee_pairs")
    #: [{"criterion", "detail", "values"}], private criteria without values
    reasons = models.JSONField(default=list)
    score = models.FloatField(default=0)
    rank = models.PositiveSmallIntegerField(null=True, blank=True)
    status = models.CharField(max_length=8, choices=PairStatus.choices, default=PairStatus.ACTIVE)
    created_at = models.DateTimeField(auto_now_add=True)
    agreement = models.TextField(_("agreement"), blank=True)
    mentor_agreed_at = models.DateTimeField(null=True, blank=True)
    mentee_agreed_at = models.DateTimeField(null=True, blank=True)
    last_reminded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["cycle", "mentor", "id"]
        verbose_name = _("pair")
        constraints = [
            models.UniqueConstraint(fields=["cycle", "mentee"], name="mentoring_one_mentor"),
        ]

    def __str__(self) -> str:
        return f"{self.mentor.user} → {self.mentee.user}"

    @property
    def reasons_text(self) -> str:
        return "; ".join(str(r.get("detail", "")) for r in self.reasons)


class RequestStatus(models.TextChoices):
    QUEUED = "queued", _("Waiting its turn")
    PENDING = "pending", _("Waiting for the mentor")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")
    EXPIRED = "expired", _("No answer in time")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class MentorRequest(models.Model):
    """Self-match: a mentee's ranked request; one is with a mentor at a time."""

    cycle = models.ForeignKey(Cycle, on_delete=models.CASCADE, related_name="requests")
    mentee = models.ForeignKey(Enrolment, on_delete=models.CASCADE, related_name="requests_made")
    mentor = models.ForeignKey(
        Enrolment, on_delete=models.CASCADE, related_name="requests_received"
    )
    order = models.PositiveSmallIntegerField()
    status = models.CharField(max_length=12, choices=RequestStatus.choices)
    reasons = models.JSONField(default=list)
    sent_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["mentee", "order"]
        constraints = [
            models.UniqueConstraint(fields=["mentee", "mentor"], name="mentoring_request_once"),
            models.UniqueConstraint(fields=["mentee", "order"], name="mentoring_request_order"),
        ]

    def __str__(self) -> str:
        return f"request {self.order}: {self.mentee_id} -> {self.mentor_id}"

    @property
    def reasons_text(self) -> str:
        return "; ".join(str(r.get("detail", "")) for r in self.reasons)


class Goal(models.Model):
    pair = models.ForeignKey(Pair, on_delete=models.CASCADE, related_name="goals")
    text = models.CharField(_("goal"), max_length=300)
    done = models.BooleanField(_("done"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["done", "id"]

    def __str__(self) -> str:
        return self.text


class CheckIn(models.Model):
    """A logged meeting. Notes are for the pair only; managers see dates and minutes."""

    pair = models.ForeignKey(Pair, on_delete=models.CASCADE, related_name="checkins")
    met_on = models.DateField(_("met on"))
    minutes = models.PositiveSmallIntegerField(
        _("minutes"), validators=[MinValueValidator(5), MaxValueValidator(600)]
    )
    note = models.TextField(_("note (seen only by the two of you)"), blank=True)
    logged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-met_on", "-id"]

    def __str__(self) -> str:
        return f"check-in {self.met_on}"


class FeedbackStage(models.TextChoices):
    MIDPOINT = "midpoint", _("Mid-point")
    FINAL = "final", _("Final")


class Feedback(models.Model):
    """One participant's feedback; the manager sees it only in suppressed aggregate."""

    pair = models.ForeignKey(Pair, on_delete=models.CASCADE, related_name="feedback")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    stage = models.CharField(_("stage"), max_length=8, choices=FeedbackStage.choices)
    satisfaction = models.PositiveSmallIntegerField(
        _("satisfaction (1-5)"), validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    comment = models.TextField(_("comment"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["pair", "user", "stage"], name="mentoring_feedback_once"
            ),
            models.CheckConstraint(
                condition=Q(satisfaction__gte=1) & Q(satisfaction__lte=5),
                name="mentoring_satisfaction_1_to_5",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.stage} {self.satisfaction}"


# --- one-time connections -------------------------------------------------------------


class Volunteer(models.Model):
    """A person with an account who is willing to talk once with applicants.

    They choose the topics they will talk about and how many connections a month they
    accept; the system never suggests them beyond that.
    """

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="volunteers")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="connection_volunteering"
    )
    topics = models.JSONField(_("topics I am glad to talk about"), default=list)
    per_month = models.PositiveSmallIntegerField(
        _("connections I accept a month"),
        default=2,
        validators=[MinValueValidator(1), MaxValueValidator(10)],
    )
    about = models.CharField(
        _("a line about me for the introduction"),
        max_length=300,
        blank=True,
        help_text=_("For example: 'PGY-2 in Pediatrics; moved here with a family'."),
    )
    active = models.BooleanField(_("take new connections"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["program", "user__last_name", "user__first_name", "id"]
        verbose_name = _("connection volunteer")
        constraints = [
            models.UniqueConstraint(fields=["program", "user"], name="mentoring_volunteer_once"),
            models.CheckConstraint(
                condition=Q(per_month__gte=1) & Q(per_month__lte=10),
                name="mentoring_volunteer_per_month_1_to_10",
            ),
        ]

    def __str__(self) -> str:
        return str(self.user)


class ConnectionStatus(models.TextChoices):
    NEW = "new", _("Waiting for an introduction")
    INTRODUCED = "introduced", _("Introduced")
    CLOSED = "closed", _("Closed without an introduction")


class Connection(models.Model):
    """An applicant's request to talk once with someone, its introduction and follow-up.

    The form asks no demographics and nothing about the applicant's background: what a
    volunteer reads is the name, e-mail, chosen topics and the applicant's own message.
    """

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="connections")
    name = models.CharField(_("your name"), max_length=200)
    email = models.EmailField(_("your e-mail address"))
    interests = models.JSONField(_("interests"), default=list)
    message = models.TextField(_("what you would like to talk about"), max_length=2000)
    status = models.CharField(
        max_length=12, choices=ConnectionStatus.choices, default=ConnectionStatus.NEW
    )
    volunteer = models.ForeignKey(
        Volunteer, null=True, blank=True, on_delete=models.SET_NULL, related_name="connections"
    )
    #: who made the introduction: a coordinator, or None for the system
    introduced_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    introduced_at = models.DateTimeField(null=True, blank=True)
    met = models.BooleanField(_("did they meet?"), null=True, blank=True)
    followup_notes = models.TextField(_("follow-up notes"), blank=True, max_length=2000)
    followed_up_at = models.DateTimeField(null=True, blank=True)
    followup_reminded_at = models.DateTimeField(null=True, blank=True)
    #: a keyed hash of the sender's address, for the rate limit (the address is not kept)
    sender_hash = models.CharField(max_length=64, blank=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("one-time connection")
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="introduced") | Q(introduced_at__isnull=False),
                name="mentoring_connection_introduced_has_date",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_status_display()})"
