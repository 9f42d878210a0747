"""Dashboards, standard reports, downloads and the analysts' drill-down."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ristra.accounts import access
from ristra.audit.models import Action
from ristra.audit.services import audit_record
from ristra.reports import catalog
from ristra.reports import dashboards as d
from ristra.reports.filters import FilterForm
from ristra.reports.models import Snapshot
from ristra.reports.published import Report

FORMATS = ("csv", "xlsx", "pdf", "json")


def _source() -> d.SnapshotSource | None:
    try:
        return d.open_snapshot()
    except d.NoSnapshot:
        return None


def _download(request: HttpRequest, report: Report, fmt: str) -> HttpResponse:
    from ristra.reports.render import render as render_report

    if fmt not in FORMATS:
        raise Http404
    content, content_type, extension = render_report(report, fmt)
    response = HttpResponse(content, content_type=content_type)
    name = report.key.replace("/", "-")
    response["Content-Disposition"] = f'attachment; filename="{name}.{extension}"'
    audit_record(
        actor=request.user,
        action=Action.EXPORT,
        object_type="report",
        object_id=report.key,
        summary=f"Downloaded {report.key} as {fmt} (suppressed aggregates)",
        request=request,
    )
    return response


@access.permission_required(access.VIEW_DEMOGRAPHIC_AGGREGATES)
def home(request: HttpRequest) -> HttpResponse:
    latest = Snapshot.objects.first()
    ready = Snapshot.objects.filter(status="ready").first()
    return render(
        request,
        "reports/home.html",
        {
            "section": "measures",
            "populations": d.POPULATIONS.values(),
            "reports": catalog.REPORTS.values(),
            "latest": latest,
            "ready": ready,
            "can_refresh": access.can(request.user, access.MANAGE_DEFINITIONS),
            "can_define": access.can(request.user, access.MANAGE_DEFINITIONS),
        },
    )


@require_POST
@access.permission_required(access.MANAGE_DEFINITIONS)
def refresh(request: HttpRequest) -> HttpResponse:
    from ristra.reports.tasks import refresh_snapshot_task

    refresh_snapshot_task.enqueue(reason=f"asked for by {request.user.get_username()}")
    messages.success(
        request, _("The snapshot is being refreshed; dashboards update when it is ready.")
    )
    return redirect("reports:home")


def _filters_context(request: HttpRequest, population: str) -> tuple[Any, d.SnapshotSource | None]:
    source = _source()
    form = FilterForm(request.GET or None, population=population, source=source)
    return form, source


@access.permission_required(access.VIEW_DEMOGRAPHIC_AGGREGATES)
def dashboard(request: HttpRequest, population: str) -> HttpResponse:
    if population not in d.POPULATIONS:
        raise Http404
    form, source = _filters_context(request, population)
    report = None
    filters = None
    if source is not None and (not form.is_bound or form.is_valid()):
        filters = form.filters()
        report = d.build_dashboard(filters, source=source)
        fmt = request.GET.get("format", "")
        if fmt:
            return _download(request, report, fmt)
    query = {k: v for k, v in request.GET.items() if k != "format"}
    context = {
        "section": "measures",
        "population": d.POPULATIONS[population],
        "populations": d.POPULATIONS.values(),
        "form": form,
        "report": report,
        "filters": filters,
        "source": source,
        "query": urlencode(query),
        "formats": FORMATS,
        "can_drill": access.can(request.user, access.VIEW_DEMOGRAPHICS),
    }
    template = "reports/dashboard.html"
    htmx = getattr(request, "htmx", None)
    if htmx and not htmx.boosted:
        template += "#results"
    return render(request, template, context)


@access.permission_required(access.VIEW_DEMOGRAPHICS)
def drill(request: HttpRequest, population: str) -> HttpResponse:
    """The people behind one cell of a dashboard (analysts; every view audited)."""
    from ristra.people.models import Person

    if population not in d.POPULATIONS or not d.POPULATIONS[population].spells:
        raise Http404
    form, source = _filters_context(request, population)
    group = request.GET.get("group", "")
    if source is None or not form.is_valid() or not group:
        raise Http404
    filters = form.filters()
    ids = d.people_in_cell(filters, group, source=source)
    people = Person.objects.filter(pk__in=ids).order_by("family_name", "given_name", "pk")
    page = Paginator(people, 50).get_page(request.GET.get("page"))
    labels = d.group_labels(filters.dimension)
    description = _("%(population)s on %(date)s counted as %(group)s by %(dimension)s") % {
        "population": str(d.POPULATIONS[population].label),
        "date": filters.as_of.isoformat(),
        "group": labels.get(group, group),
        "dimension": d.dimension_label(filters.dimension, population),
    }
    audit_record(
        actor=request.user,
        action=Action.VIEW,
        object_type="measure_cell",
        object_id=f"{population}:{filters.dimension}:{group}",
        summary=f"Drilled into a dashboard cell: {description} ({len(ids)} people)",
        reason="dashboard drill-down",
        person_ids=[p.pk for p in page.object_list],
        request=request,
    )
    query = {k: v for k, v in request.GET.items() if k != "page"}
    return render(
        request,
        "reports/drill.html",
        {
            "section": "measures",
            "population": d.POPULATIONS[population],
            "description": description,
            "page": page,
            "total": len(ids),
            "query": urlencode(query),
            "back": urlencode({k: v for k, v in query.items() if k != "group"}),
        },
    )


@access.permission_required(access.VIEW_DEMOGRAPHIC_AGGREGATES)
def report_list(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "reports/reports.html",
        {"section": "measures", "reports": catalog.REPORTS.values(), "formats": FORMATS},
    )


@access.permission_required(access.VIEW_DEMOGRAPHIC_AGGREGATES)
def report_detail(request: HttpRequest, key: str) -> HttpResponse:
    definition = catalog.REPORTS.get(key)
    if definition is None:
        raise Http404
    form, source = _filters_context(request, definition.population)
    report = None
    if source is not None and (not form.is_bound or form.is_valid()):
        report = catalog.build(key, form.filters(), source=source)
        fmt = request.GET.get("format", "")
        if fmt:
            return _download(request, report, fmt)
    query = {k: v for k, v in request.GET.items() if k != "format"}
    return render(
        request,
        "reports/report.html",
        {
            "section": "measures",
            "definition": definition,
            "form": form,
            "report": report,
            "source": source,
            "query": urlencode(query),
            "formats": FORMATS,
            "can_drill": False,
        },
    )
