"""Strategic plans (areas, goals, actions, indicators), required trainings and searches.

* A :class:`Plan` belongs to an organisational unit and may roll up into a parent plan
  (a department's plan into the school's). A roll-up never loops (``services``).
* An :class:`Indicator` is bound to a measure of :mod:`ristra.reports.indicators` by key
  and parameters; its :class:`IndicatorReading` rows are a dated time series of published
  (suppressed) numbers, recomputed after every snapshot refresh. A reading of a measure
  that no longer exists is stored as ``unavailable``: nothing is lost.
* A :class:`Training` is required of people by a :class:`TrainingRequirement`: everyone
  holding a stage (students, faculty...) within some days of its start, or every member of
  a search committee before they join it.
* A :class:`Search` has a committee (:class:`SearchMember`) and a checklist.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel
from wagtail.fields import RichTextField
from wagtail.models import Page

from ristra.people.models import OrgUnit, Person
from ristra.portal.blocks import RICH_TEXT_FEATURES
from ristra.portal.models import PortalPage


class Area(models.TextChoices):
    FACULTY_HIRING = "faculty_hiring", _("Faculty hiring")
    STAFF_HIRING = "staff_hiring", _("Staff hiring")
    CAMPUS_CLIMATE = "campus_climate", _("Campus climate")
    PROFESSIONAL_TRAINING = "professional_training", _("Professional training")
    CURRICULUM_DESIGN = "curriculum_design", _("Curriculum design")
    OTHER = "other", _("Other")


class Plan(models.Model):
    title = models.CharField(_("title"), max_length=200)
    unit = models.ForeignKey(
        OrgUnit,
        null=True,
        on_delete=models.SET_NULL,
        related_name="plans",
        verbose_name=_("unit"),
    )
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="children",
        verbose_name=_("rolls up into"),
    )
    starts_on = models.DateField(_("starts"))
    ends_on = models.DateField(_("ends"))
    summary = models.TextField(_("summary"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["title", "id"]
        verbose_name = _("strategic plan")

    def __str__(self) -> str:
        return self.title


class Goal(models.Model):
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="goals")
    area = models.CharField(_("area"), max_length=32, choices=Area.choices)
    title = models.CharField(_("goal"), max_length=300)
    description = models.TextField(_("description"), blank=True)
    public = models.BooleanField(
        _("show on the public progress page"),
        default=False,
        help_text=_("Its actions' status and its indicators' published values."),
    )
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["plan", "area", "position", "id"]

    def __str__(self) -> str:
        return self.title


class ActionStatus(models.TextChoices):
    NOT_STARTED = "not_started", _("Not started")
    ON_TRACK = "on_track", _("On track")
    AT_RISK = "at_risk", _("At risk")
    DONE = "done", _("Done")


class Action(models.Model):
    goal = models.ForeignKey(Goal, on_delete=models.CASCADE, related_name="actions")
    title = models.CharField(_("action"), max_length=300)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="plan_actions",
        verbose_name=_("owner"),
    )
    due_on = models.DateField(_("due"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=ActionStatus.choices, default=ActionStatus.NOT_STARTED
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["goal", "due_on", "id"]

    def __str__(self) -> str:
        return self.title

    def is_late(self, today: dt.date) -> bool:
        return bool(self.due_on and self.due_on < today and self.status != ActionStatus.DONE)


class ActionUpdate(models.Model):
    """A dated narrative update (with the status it set): the action's history."""

    action = models.ForeignKey(Action, on_delete=models.CASCADE, related_name="updates")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(_("status"), max_length=16, choices=ActionStatus.choices)
    narrative = models.TextField(_("update"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return str(f"{self.action}: {self.get_status_display()}")


class Indicator(models.Model):
    goal = models.ForeignKey(Goal, on_delete=models.CASCADE, related_name="indicators")
    label = models.CharField(_("indicator"), max_length=300)
    measure_key = models.CharField(_("measure"), max_length=100)
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    baseline = models.FloatField(
        _("baseline"), null=True, blank=True, help_text=_("A fraction for a share: 0.12 = 12%.")
    )
    baseline_on = models.DateField(_("baseline date"), null=True, blank=True)
    target = models.FloatField(_("target"), help_text=_("A fraction for a share: 0.2 = 20%."))
    target_on = models.DateField(_("target date"))
    public = models.BooleanField(_("show on the public progress page"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["goal", "id"]

    def __str__(self) -> str:
        return self.label

    def latest(self) -> IndicatorReading | None:
        return self.readings.order_by("-computed_at", "-id").first()


class ReadingStatus(models.TextChoices):
    OK = "ok", _("Computed")
    UNAVAILABLE = "unavailable", _("Measure no longer available")
    FAILED = "failed", _("Could not be computed")


class IndicatorReading(models.Model):
    """One dated, published value of an indicator (a time series; never edited)."""

    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="readings")
    as_of = models.DateField(_("as of"))
    computed_at = models.DateTimeField(auto_now_add=True)
    status = models.CharField(max_length=16, choices=ReadingStatus.choices)
    measure_key = models.CharField(max_length=100)
    params = models.JSONField(default=dict)
    value = models.FloatField(null=True, blank=True)
    numerator = models.IntegerField(null=True, blank=True)
    denominator = models.IntegerField(null=True, blank=True)
    suppressed = models.BooleanField(default=False)
    definition = models.TextField(blank=True)
    message = models.TextField(blank=True)

    class Meta:
        ordering = ["indicator", "-computed_at", "-id"]

    def __str__(self) -> str:
        return str(f"{self.indicator_id} {self.as_of}: {self.status}")


# ------------------------------------------------------------------------------ trainings


class Training(models.Model):
    name = models.CharField(_("name"), max_length=200, unique=True)
    code = models.CharField(
        _("course code in the learning system"),
        max_length=100,
        blank=True,
        help_text=_("Rows of an export naming another course are set aside, not counted."),
    )
    description = models.TextField(_("description"), blank=True)
    valid_for_days = models.PositiveIntegerField(
        _("valid for (days)"), null=True, blank=True, help_text=_("Empty: never expires.")
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def expiry(self, completed_on: dt.date) -> dt.date | None:
        if not self.valid_for_days:
            return None
        return completed_on + dt.timedelta(days=self.valid_for_days)


class RequirementKind(models.TextChoices):
    STAGE = "stage", _("Everyone holding a stage")
    COMMITTEE = "committee", _("Search-committee members")


class TrainingRequirement(models.Model):
    training = models.ForeignKey(Training, on_delete=models.CASCADE, related_name="requirements")
    kind = models.CharField(_("who"), max_length=16, choices=RequirementKind.choices)
    stage_kind = models.CharField(
        _("stage"),
        max_length=32,
        blank=True,
        help_text=_("For 'everyone holding a stage': enrollment, faculty_appointment, ..."),
    )
    unit = models.ForeignKey(
        OrgUnit,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("Empty: every unit."),
    )
    due_days = models.PositiveIntegerField(_("due within (days of the stage's start)"), default=0)
    before = models.CharField(
        _("before"),
        max_length=200,
        blank=True,
        help_text=_("What it must precede, in words: 'the first clinical rotation'."),
    )
    committee_role = models.CharField(
        _("committee role"),
        max_length=16,
        blank=True,
        help_text=_("For committee members: chair, member, or empty for every role."),
    )

    def __str__(self) -> str:
        return f"{self.training}: {self.get_kind_display()}"


class CompletionBatch(models.Model):
    training = models.ForeignKey(Training, on_delete=models.CASCADE, related_name="batches")
    filename = models.CharField(max_length=255)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)
    error = models.TextField(blank=True)
    rows_total = models.PositiveIntegerField(default=0)
    rows_accepted = models.PositiveIntegerField(default=0)
    rows_rejected = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-uploaded_at", "-id"]

    def __str__(self) -> str:
        return str(self.filename)


class RowFate(models.TextChoices):
    ACCEPTED = "accepted", _("Accepted")
    DUPLICATE = "duplicate", _("Already recorded")
    REJECTED = "rejected", _("Rejected")


class CompletionRow(models.Model):
    """Every raw row of a completion file, with its fate and the reason."""

    batch = models.ForeignKey(CompletionBatch, on_delete=models.CASCADE, related_name="rows")
    row_number = models.PositiveIntegerField()
    raw = models.JSONField()
    fate = models.CharField(max_length=16, choices=RowFate.choices)
    message = models.CharField(max_length=500, blank=True)
    person = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["batch", "row_number"]

    def __str__(self) -> str:
        return str(f"{self.batch_id} row {self.row_number}: {self.fate}")


class Completion(models.Model):
    training = models.ForeignKey(Training, on_delete=models.CASCADE, related_name="completions")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="trainings")
    completed_on = models.DateField(_("completed"))
    batch = models.ForeignKey(
        CompletionBatch, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-completed_on"]
        constraints = [
            models.UniqueConstraint(
                fields=["training", "person", "completed_on"], name="plans_completion_once"
            )
        ]

    def __str__(self) -> str:
        return str(f"{self.training_id} {self.person_id} {self.completed_on}")


class TrainingReminder(models.Model):
    requirement = models.ForeignKey(
        TrainingRequirement, on_delete=models.CASCADE, related_name="reminders"
    )
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    email = models.EmailField()
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-sent_at"]

    def __str__(self) -> str:
        return str(f"{self.requirement_id} {self.person_id} {self.sent_at}")


# ------------------------------------------------------------------------------ searches


class CommitteeRole(models.TextChoices):
    CHAIR = "chair", _("Chair")
    MEMBER = "member", _("Member")


class Search(models.Model):
    position = models.CharField(_("position"), max_length=200)
    unit = models.ForeignKey(OrgUnit, null=True, on_delete=models.SET_NULL, related_name="searches")
    cycle = models.CharField(_("cycle"), max_length=40, help_text=_("e.g. 2026-27"))
    opens_on = models.DateField(_("opens"))
    closes_on = models.DateField(_("closes"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-opens_on", "position"]
        verbose_name = _("search")

    def __str__(self) -> str:
        return f"{self.position} ({self.cycle})"


class SearchMember(models.Model):
    search = models.ForeignKey(Search, on_delete=models.CASCADE, related_name="members")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    role = models.CharField(_("role"), max_length=16, choices=CommitteeRole.choices)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["search", "role", "id"]
        constraints = [
            models.UniqueConstraint(fields=["search", "person"], name="plans_member_once")
        ]

    def __str__(self) -> str:
        return str(f"{self.search_id} {self.person_id} {self.role}")


class ChecklistTemplate(models.Model):
    name = models.CharField(_("name"), max_length=200, unique=True)
    items = models.JSONField(_("items"), default=list, help_text=_("One item per line."))

    def __str__(self) -> str:
        return self.name


class ChecklistItem(models.Model):
    search = models.ForeignKey(Search, on_delete=models.CASCADE, related_name="checklist")
    text = models.CharField(_("item"), max_length=300)
    position = models.PositiveSmallIntegerField(default=0)
    done_on = models.DateField(_("done"), null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        ordering = ["search", "position", "id"]

    def __str__(self) -> str:
        return str(self.text)


# ------------------------------------------------------------------------------ portal


class PlanProgressPage(PortalPage):
    """ "You said, we did": chosen goals of a plan with their actions and published figures."""

    intro = RichTextField(_("introduction"), features=RICH_TEXT_FEATURES, blank=True)
    plan: models.ForeignKey[Plan | None, Plan | None] = models.ForeignKey(
        Plan, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    content_panels = [
        *Page.content_panels,
        FieldPanel("summary"),
        FieldPanel("intro"),
        FieldPanel("plan"),
    ]
    template = "plans/progress_page.html"

    class Meta:
        verbose_name = _("plan progress page")

    def get_context(self, request: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
        from ristra.plans import selectors

        context = super().get_context(request, *args, **kwargs)
        context["progress"] = selectors.public_progress(self.plan) if self.plan else None
        return context
