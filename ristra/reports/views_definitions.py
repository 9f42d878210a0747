"""Screens for what the office defines once: school-defined categories and benchmarks.

Categories
    A list of every category key, each population's version in effect today (its rule
    and dates), the versions before and after it, and who wrote each.  "New category"
    adds a key (or a population's own variant of a key); "New version" adds the next
    version of a key for a population, prefilled from the current one, and ends the
    version before it the day before the new one starts (:func:`_category_version_save`,
    one transaction).  Only a version that has not taken effect yet can be edited:
    versions that have applied are never changed, so a report for an earlier date is
    reproduced with the rule then in effect.  For the same reason a new version, or a
    new population of an existing key, may start today at the earliest (a brand-new key
    may start on any date: no earlier report used it).
    The rule is checked as it is typed (htmx posts it to ``category_check``, which answers
    with a fragment: the error with its line, column and a caret under the spot, or how
    many people in the current record the rule counts as yes / no / unknown, small counts
    suppressed).  Without JavaScript the "Check the rule" button does the same, and saving
    checks the rule again on the server.

Benchmarks
    A list of the benchmark population files, an upload form (the whole file is checked
    first; when it is refused, every problem is listed with its row, column and value,
    and the form keeps what was typed) and a page per file with its citation and rows.

Access (decided here)
    * Reading the lists and a benchmark's page: ``VIEW_DEMOGRAPHIC_AGGREGATES``.  Every
      staff role (viewers and program managers too) may read what the published numbers
      mean, since definitions and sources are part of the method of every report.  Not a
      decision-maker: the rules name race, sex and other protected answers, and a
      decision-maker is walled off from every demographic field.  (``VIEW_AGGREGATES``
      would let a decision-maker in, so it is not used.)
    * Everything that writes, and the rule check (it counts people in the record):
      ``MANAGE_DEFINITIONS`` (administrators and analysts, never decision-makers).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import polars as pl
from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Max, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ristra.accounts import access
from ristra.analytics.benchmarks import BenchmarkError
from ristra.analytics.categories import CategoryError, Rule, RuleError, parse_rule
from ristra.analytics.suppression import SuppressionPolicy, suppress_counts
from ristra.audit.models import Action
from ristra.audit.services import audit_record
from ristra.people.models import Person, Stage
from ristra.reports.forms import BenchmarkForm, CategoryForm, CategoryMode
from ristra.reports.models import Benchmark, Category, Population
from ristra.reports.services import benchmark_import, category_save

READ = access.VIEW_DEMOGRAPHIC_AGGREGATES
WRITE = access.MANAGE_DEFINITIONS
BENCHMARK_ROWS_PER_PAGE = 100


# ---------------------------------------------------------------------------------------
# Categories


@dataclass
class _Group:
    """One key for one population: its versions, newest first."""

    key: str
    population: str
    population_label: str
    versions: list[Category]
    today: dt.date
    current: Category | None = None
    latest: Category | None = None
    states: dict[int, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.latest = self.versions[0]
        for version in self.versions:
            if version.effective_from > self.today:
                self.states[version.pk] = "upcoming"
            elif version.effective_to is not None and version.effective_to < self.today:
                self.states[version.pk] = "ended"
            else:
                self.states[version.pk] = "current"
                self.current = version

    def rows(self) -> list[tuple[Category, str]]:
        return [(v, self.states[v.pk]) for v in self.versions]


def _category_groups(today: dt.date) -> list[dict[str, Any]]:
    """Keys in alphabetical order, each with one group per population."""
    keys: dict[str, dict[str, list[Category]]] = {}
    for category in Category.objects.select_related("created_by").order_by(
        "key", "population", "-version"
    ):
        keys.setdefault(category.key, {}).setdefault(category.population, []).append(category)
    labels = dict(Population.choices)
    out: list[dict[str, Any]] = []
    for key, populations in keys.items():
        groups = [
            _Group(key, pop, str(labels.get(pop, pop)), versions, today)
            for pop, versions in populations.items()
        ]
        groups.sort(key=lambda g: (g.population != Population.ALL, g.population))
        label = (groups[0].current or groups[0].latest or groups[0].versions[0]).label
        out.append({"key": key, "label": label, "groups": groups})
    return out


def _latest_version(key: str, population: str) -> Category | None:
    return Category.objects.filter(key=key, population=population).order_by("-version").first()


def _previous_version(category: Category) -> Category | None:
    return (
        Category.objects.filter(
            key=category.key, population=category.population, version__lt=category.version
        )
        .order_by("-version")
        .first()
    )


def _category_version_save(
    *, category: Category, previous: Category | None, user: Any, old_start: dt.date | None = None
) -> Category:
    """Save ``category`` and end ``previous`` the day before it starts, atomically.

    ``previous`` is ended only if it would otherwise overlap (it is open-ended or ends
    later), or -- when a not-yet-effective version is moved (``old_start``) -- if it
    ended the day before the old start.  Raises ``CategoryError`` and changes nothing
    when the versions would still conflict.
    """
    with transaction.atomic():
        if previous is not None:
            end = category.effective_from - dt.timedelta(days=1)
            follows = old_start is not None and previous.effective_to == old_start - dt.timedelta(
                days=1
            )
            if previous.effective_to is None or previous.effective_to > end or follows:
                Category.objects.filter(pk=previous.pk).update(effective_to=end)
        return category_save(category=category, user=user)


@access.permission_required(READ)
def categories(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    return render(
        request,
        "reports/categories.html",
        {
            "section": "measures",
            "keys": _category_groups(today),
            "today": today,
            "can_manage": access.can(request.user, WRITE),
        },
    )


def _category_form_page(
    request: HttpRequest,
    form: CategoryForm,
    *,
    title: str,
    category: Category | None = None,
    check: dict[str, Any] | None = None,
) -> HttpResponse:
    return render(
        request,
        "reports/category_form.html",
        {
            "section": "measures",
            "form": form,
            "title": title,
            "category": category,
            "check": check,
            "previous": form.previous,
        },
    )


def _save_from_form(
    request: HttpRequest,
    form: CategoryForm,
    *,
    previous: Category | None,
    old_start: dt.date | None = None,
    action: Action,
) -> Category | None:
    """Save a valid form; on a conflict with other versions, a form error and None."""
    category: Category = form.save(commit=False)
    try:
        saved = _category_version_save(
            category=category, previous=previous, user=request.user, old_start=old_start
        )
    except CategoryError as error:
        form.add_error(
            None, _("This version conflicts with another: %(message)s") % {"message": error.message}
        )
        return None
    audit_record(
        actor=request.user,
        action=action,
        object_type="category",
        object_id=saved.pk,
        summary=(
            f"Saved category '{saved.key}' for {saved.population}, version {saved.version}, "
            f"in effect from {saved.effective_from.isoformat()}"
        ),
        request=request,
    )
    return saved


@access.permission_required(WRITE)
def category_new(request: HttpRequest) -> HttpResponse:
    form = CategoryForm(request.POST or None, mode=CategoryMode.NEW)
    if request.method == "POST":
        valid = form.is_valid()
        if "check" in request.POST:
            return _category_form_page(
                request, form, title=_("New category"), check=_check_result(request.POST)
            )
        if valid:
            category: Category = form.instance
            category.version = 1
            if _save_from_form(request, form, previous=None, action=Action.CREATE):
                messages.success(request, _("Category saved."))
                return redirect("reports:categories")
    return _category_form_page(request, form, title=_("New category"))


@access.permission_required(WRITE)
def category_version(request: HttpRequest, category_id: int) -> HttpResponse:
    """The next version of the key and population of ``category_id``."""
    base = get_object_or_404(Category, pk=category_id)
    latest = _latest_version(base.key, base.population) or base
    today = timezone.localdate()
    current = (
        Category.objects.filter(
            Q(effective_to__isnull=True) | Q(effective_to__gte=today),
            key=base.key,
            population=base.population,
            effective_from__lte=today,
        ).first()
        or latest
    )
    instance = Category(key=base.key, population=base.population)
    initial = {
        "label": current.label,
        "rule_text": current.rule_text,
        "description": current.description,
        "effective_from": max(today, latest.effective_from + dt.timedelta(days=1)),
    }
    form = CategoryForm(
        request.POST or None,
        instance=instance,
        initial=initial,
        mode=CategoryMode.VERSION,
        previous=latest,
        today=today,
    )
    title = _("New version of %(label)s") % {"label": current.label}
    if request.method == "POST":
        valid = form.is_valid()
        if "check" in request.POST:
            return _category_form_page(
                request, form, title=title, check=_check_result(request.POST)
            )
        if valid:
            form.instance.version = (
                Category.objects.filter(key=base.key, population=base.population).aggregate(
                    n=Max("version")
                )["n"]
                or 0
            ) + 1
            if _save_from_form(request, form, previous=latest, action=Action.CREATE):
                messages.success(
                    request,
                    _("Version saved. The version before it now ends on %(date)s.")
                    % {"date": (form.instance.effective_from - dt.timedelta(days=1)).isoformat()},
                )
                return redirect("reports:categories")
    return _category_form_page(request, form, title=title)


@access.permission_required(WRITE)
def category_edit(request: HttpRequest, category_id: int) -> HttpResponse:
    """Change a version that has not taken effect yet (later ones are immutable)."""
    category = get_object_or_404(Category, pk=category_id)
    today = timezone.localdate()
    if category.effective_from <= today:
        messages.error(
            request,
            _(
                "This version has already taken effect and cannot be changed, so that "
                "reports for its dates stay reproducible. Add a new version instead."
            ),
        )
        return redirect("reports:categories")
    old_start = category.effective_from
    previous = _previous_version(category)
    form = CategoryForm(
        request.POST or None,
        instance=category,
        mode=CategoryMode.EDIT,
        previous=previous,
        today=today,
    )
    title = _("Change %(label)s, version %(version)s") % {
        "label": category.label,
        "version": category.version,
    }
    if request.method == "POST":
        valid = form.is_valid()
        if "check" in request.POST:
            return _category_form_page(
                request, form, title=title, category=category, check=_check_result(request.POST)
            )
        if valid and _save_from_form(
            request, form, previous=previous, old_start=old_start, action=Action.UPDATE
        ):
            messages.success(request, _("Version saved."))
            return redirect("reports:categories")
    return _category_form_page(request, form, title=title, category=category)


@require_POST
@access.permission_required(WRITE)
def category_check(request: HttpRequest) -> HttpResponse:
    """The rule check fragment (htmx): the error, or suppressed yes/no/unknown counts."""
    return render(
        request,
        "reports/category_form.html#check",
        {"check": _check_result(request.POST)},
    )


# ----------------------------------------------------------------------- the rule check
_ACTIVE_STAGE: dict[str, Q] = {
    Population.STUDENTS: Q(kind="enrollment"),
    Population.RESIDENTS: Q(kind="gme_appointment"),
    Population.FACULTY: Q(kind="faculty_appointment"),
    Population.STAFF: Q(kind="staff_appointment"),
    Population.SENIOR_ADMIN: Q(
        kind__in=["staff_appointment", "leadership_appointment"], senior_administrative=True
    ),
}


def _population_ids(population: str, today: dt.date) -> pl.Series:
    """Who belongs to ``population`` today (``*``: everyone in the record).

    Students, residents, faculty, staff and senior administrative staff: an enrolment or
    appointment running today.  Applicants: an application in the latest cycle recorded.
    """
    values: list[int]
    if population in _ACTIVE_STAGE:
        ids = Stage.objects.active_on(today).filter(_ACTIVE_STAGE[population])
        values = list(ids.values_list("person_id", flat=True).distinct())
    elif population == Population.APPLICANTS:
        applications = Stage.objects.filter(kind="application")
        latest = applications.aggregate(year=Max("academic_year"))["year"]
        chosen = applications.filter(academic_year=latest)
        values = list(chosen.values_list("person_id", flat=True).distinct())
    else:
        values = list(Person.objects.values_list("id", flat=True))
    return pl.Series("person_id", sorted(values), dtype=pl.Int64)


def _rule_counts(rule: Rule, population: str, today: dt.date) -> dict[str, int]:
    """How many people of ``population`` today the rule counts as yes, no and unknown."""
    from ristra.analytics.categories import evaluate_frame
    from ristra.people.snapshot import _read_answers, attributes_frame

    ids = _population_ids(population, today)
    answers = _read_answers(None)
    answers = answers.filter(pl.col("person_id").is_in(ids.implode()))
    frame = attributes_frame(answers, ids)
    results = evaluate_frame(rule, frame).value_counts()
    found = dict(
        zip(results[results.columns[0]].to_list(), results["count"].to_list(), strict=True)
    )
    return {value: int(found.get(value, 0)) for value in ("yes", "no", "unknown")}


def _check_result(data: Any) -> dict[str, Any]:
    """What the check fragment shows for the posted ``rule_text`` and ``population``."""
    text = str(data.get("rule_text", ""))
    population = str(data.get("population", "") or Population.ALL)
    if population not in Population.values:
        population = Population.ALL
    if not text.strip():
        return {"empty": True}
    try:
        rule = parse_rule(text)
    except RuleError as error:
        return {"error": error}
    today = timezone.localdate()
    counts = _rule_counts(rule, population, today)
    policy = SuppressionPolicy(min_count=settings.RISTRA_MIN_CELL)
    total = sum(counts.values())
    shown = suppress_counts(counts, total, policy=policy)
    values = shown.values
    return {
        "valid": True,
        "population_label": dict(Population.choices)[population],
        "today": today,
        "total": shown.total,
        "yes": values["yes"],
        "no": values["no"],
        "unknown": values["unknown"],
        "hidden": any(v is None for v in values.values()) or shown.total is None,
        "min_cell": policy.min_count,
        "protected": sorted(rule.protected_attributes()),
    }


# ---------------------------------------------------------------------------------------
# Benchmarks


@access.permission_required(READ)
def benchmarks(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "reports/benchmarks.html",
        {
            "section": "measures",
            "benchmarks": Benchmark.objects.select_related("uploaded_by"),
            "can_manage": access.can(request.user, WRITE),
        },
    )


@access.permission_required(WRITE)
def benchmark_new(request: HttpRequest) -> HttpResponse:
    form = BenchmarkForm(request.POST or None, request.FILES or None)
    error: BenchmarkError | None = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            benchmark = benchmark_import(
                content=upload.read(),
                filename=upload.name,
                name=form.cleaned_data["name"],
                source=form.cleaned_data["source"],
                citation=form.cleaned_data["citation"],
                url=form.cleaned_data["url"],
                user=request.user,
            )
        except BenchmarkError as exc:
            error = exc
        else:
            audit_record(
                actor=request.user,
                action=Action.IMPORT,
                object_type="benchmark",
                object_id=benchmark.pk,
                summary=f"Loaded benchmark '{benchmark.name}' ({benchmark.rows} rows)",
                request=request,
            )
            messages.success(request, _("Benchmark loaded."))
            return redirect("reports:benchmark_detail", benchmark.pk)
    return render(
        request,
        "reports/benchmark_form.html",
        {"section": "measures", "form": form, "error": error},
    )


@access.permission_required(READ)
def benchmark_detail(request: HttpRequest, benchmark_id: int) -> HttpResponse:
    benchmark = get_object_or_404(Benchmark.objects.select_related("uploaded_by"), pk=benchmark_id)
    error: BenchmarkError | None = None
    rows: list[dict[str, Any]] = []
    try:
        rows = benchmark.table().frame.to_dicts()
    except BenchmarkError as exc:  # checked on upload; only a later change of rules can do this
        error = exc
    page = Paginator(rows, BENCHMARK_ROWS_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "reports/benchmark_detail.html",
        {"section": "measures", "benchmark": benchmark, "page": page, "error": error},
    )
