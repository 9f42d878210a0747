"""What the office defines once and every measure reuses.

* :class:`Category` -- one *version* of a school-defined category for one population: a
  rule in the language of :mod:`ristra.analytics.categories`, in effect between two dates.
  Versions are never edited in place once used: a new version ends the old one the day
  before it starts, so a report for an earlier date is reproduced with the rule then in
  effect.
* :class:`Benchmark` -- a benchmark population table (the file as uploaded, its source and
  citation), checked by :func:`ristra.analytics.benchmarks.load_benchmark`.
* :class:`Snapshot` -- each refresh of the analytics snapshot (a DuckDB file read by the
  dashboards and reports): when, why, how big, and whether it worked.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from ristra.analytics import categories as cat


class Population(models.TextChoices):
    """The populations a category may be defined for (``*``: every population)."""

    ALL = "*", _("every population")
    APPLICANTS = "applicants", _("applicants")
    STUDENTS = "students", _("students")
    RESIDENTS = "residents", _("residents and fellows")
    FACULTY = "faculty", _("faculty")
    SENIOR_ADMIN = "senior_admin", _("senior administrative staff")
    STAFF = "staff", _("staff")


assert set(Population.values) == set(cat.POPULATIONS)  # noqa: S101 - kept in step with the core


class CategoryQuerySet(models.QuerySet["Category"]):
    def definitions(self) -> list[cat.CategoryDefinition]:
        return [c.as_definition() for c in self.order_by("key", "population", "version")]

    def version_dates(self) -> list[dt.date]:
        """The dates on which some version took effect, newest first (the version menu)."""
        return sorted(set(self.values_list("effective_from", flat=True)), reverse=True)


class Category(models.Model):
    key = models.SlugField(
        _("key"),
        max_length=60,
        help_text=_("A short name used in reports and rules, e.g. rural or first_generation."),
    )
    label = models.CharField(_("label"), max_length=200)
    population = models.CharField(
        _("population"), max_length=16, choices=Population.choices, default=Population.ALL
    )
    rule_text = models.TextField(_("rule"))
    description = models.TextField(_("what it means and why"), blank=True)
    effective_from = models.DateField(_("in effect from"))
    effective_to = models.DateField(_("in effect until"), null=True, blank=True)
    version = models.PositiveIntegerField(_("version"), default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = CategoryQuerySet.as_manager()

    class Meta:
        ordering = ["key", "population", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["key", "population", "version"], name="category_version_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(effective_to__isnull=True)
                | models.Q(effective_to__gte=models.F("effective_from")),
                name="category_dates_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.label} ({self.get_population_display()}, v{self.version})"

    def as_definition(self) -> cat.CategoryDefinition:
        return cat.CategoryDefinition(
            key=self.key,
            label=self.label,
            population=self.population,
            rule_text=self.rule_text,
            effective_from=self.effective_from,
            effective_to=self.effective_to,
            version=self.version,
        )


class Benchmark(models.Model):
    name = models.CharField(_("name"), max_length=200)
    source = models.CharField(
        _("source"), max_length=300, help_text=_("Who published the numbers, in which table.")
    )
    citation = models.TextField(_("citation"))
    url = models.URLField(_("web address"), blank=True)
    filename = models.CharField(max_length=255)
    content = models.BinaryField(_("file as uploaded"))
    rows = models.PositiveIntegerField(default=0)
    geographies = models.JSONField(default=list)
    years = models.JSONField(default=list)
    dimensions = models.JSONField(default=list)
    uploaded_at = models.DateTimeField(auto_now_add=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-uploaded_at"]

    def __str__(self) -> str:
        return self.name

    def table(self) -> Any:
        """The checked :class:`~ristra.analytics.benchmarks.BenchmarkTable`."""
        from ristra.analytics.benchmarks import load_benchmark

        return load_benchmark(
            bytes(self.content),
            filename=self.filename,
            name=self.name,
            source_text=self.source,
            citation=self.citation,
            url=self.url or None,
        )


class SnapshotStatus(models.TextChoices):
    RUNNING = "running", _("refreshing")
    READY = "ready", _("ready")
    FAILED = "failed", _("failed")


class Snapshot(models.Model):
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(
        max_length=16, choices=SnapshotStatus.choices, default=SnapshotStatus.RUNNING
    )
    reason = models.CharField(_("why"), max_length=200, blank=True)
    path = models.CharField(max_length=500, blank=True)
    persons = models.PositiveIntegerField(default=0)
    stages = models.PositiveIntegerField(default=0)
    seconds = models.FloatField(default=0)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at"]
        get_latest_by = "created_at"

    def __str__(self) -> str:
        return f"snapshot {self.pk} ({self.status})"
