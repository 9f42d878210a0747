"""Reports and dashboard measures as JSON: the same document as the pages' JSON download.

Built by the same code as the pages (``catalog.build`` / ``dashboards.build_dashboard``
with filters parsed by the pages' ``FilterForm``) and rendered by
``render.report_document``, so every number is identical to the screen, the CSV and the
``ristra report`` command, and went through small-cell suppression.  A fetch is audited
like a download on the pages.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import Http404, HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema
from ninja.errors import HttpError
from pydantic import Field

from ristra.accounts import access
from ristra.api.auth import via_token
from ristra.api.errors import BadRequest, form_errors, reject_unknown_query
from ristra.api.schemas import Population, ReportDocument, ReportSummary, errors
from ristra.audit.models import Action
from ristra.audit.services import audit_record
from ristra.reports import catalog
from ristra.reports import dashboards as d
from ristra.reports.filters import MAX_YEAR, MIN_YEAR, FilterForm
from ristra.reports.published import Report
from ristra.reports.render import report_document

reports_router = Router()
measures_router = Router()


class ReportFilters(Schema):
    """The filters of the report and dashboard pages (all optional: the page's defaults)."""

    as_of: dt.date | None = Field(None, description="Count headcounts on this date.")
    first_year: int | None = Field(None, ge=MIN_YEAR, le=MAX_YEAR)
    last_year: int | None = Field(None, ge=MIN_YEAR, le=MAX_YEAR)
    dimension: str | None = Field(
        None, description="What to count by (e.g. ipeds, sex, a school category)."
    )
    unit: str | None = Field(None, description="An organisational unit's code.")
    version: dt.date | None = Field(
        None, description="Apply the category definitions in effect on this date."
    )


class Unavailable(HttpError):
    def __init__(self) -> None:
        super().__init__(
            503,
            _(
                "No snapshot of the data yet: import data, or wait for the snapshot refresh "
                "to finish, then try again."
            ),
        )


def _source() -> d.SnapshotSource:
    try:
        return d.open_snapshot()
    except d.NoSnapshot:
        raise Unavailable() from None


#: Filters that name something (a dimension, a unit, a version of the definitions): an
#: unknown one is 404, like an unknown report, with the values that exist.
REFERENCES = ("dimension", "unit", "version")


def _filters(request: HttpRequest, population: str, source: d.SnapshotSource) -> d.Filters:
    reject_unknown_query(request, ReportFilters.model_fields)
    data = dict(request.GET.items())
    form = FilterForm(data or None, population=population, source=source)
    if data and not form.is_valid():
        for name in REFERENCES:
            if name in form.errors and name in form.fields:
                field = form.fields[name]
                known = [str(value) for value, _label in field.choices if value]  # type: ignore[attr-defined]
                raise HttpError(
                    404,
                    _("No %(what)s '%(value)s' for %(population)s. Known: %(known)s.")
                    % {
                        "what": name,
                        "value": data.get(name, "")[:100],
                        "population": population,
                        "known": ", ".join(known) or "-",
                    },
                )
        raise BadRequest(_("The filters are not valid."), form_errors(form))
    return form.filters()


def _document(request: HttpRequest, report: Report) -> dict[str, Any]:
    audit_record(
        actor=request.user,
        action=Action.EXPORT,
        object_type="report",
        object_id=report.key,
        summary=f"Fetched {report.key} through the API (suppressed aggregates)",
        reason=via_token(request, "report download"),
        request=request,
    )
    return report_document(report)


ERRORS = errors(400, 401, 403, 404, 503)


@reports_router.get(
    "/", response={200: list[ReportSummary], **errors(401, 403)}, operation_id="reports_list"
)
def report_list(request: HttpRequest) -> Any:
    """The standard reports (``ristra report --list``)."""
    access.require(request.user, access.VIEW_DEMOGRAPHIC_AGGREGATES)
    reject_unknown_query(request)
    return [
        {
            "key": r.key,
            "title": str(r.title),
            "description": str(r.description),
            "population": r.population,
            "url": reverse("api:report_detail", args=[r.key]),
        }
        for r in catalog.REPORTS.values()
    ]


@reports_router.get(
    "/{key}",
    response={200: ReportDocument, **ERRORS},
    operation_id="report_detail",
    url_name="report_detail",
)
def report_detail(request: HttpRequest, key: str, filters: Query[ReportFilters]) -> Any:
    """One standard report, with its suppression notes, for the filters given."""
    access.require(request.user, access.VIEW_DEMOGRAPHIC_AGGREGATES)
    definition = catalog.REPORTS.get(key)
    if definition is None:
        raise Http404
    source = _source()
    report = catalog.build(key, _filters(request, definition.population, source), source=source)
    return _document(request, report)


@measures_router.get(
    "/", response={200: list[Population], **errors(401, 403)}, operation_id="measures_list"
)
def population_list(request: HttpRequest) -> Any:
    """The populations that have a dashboard (``/measures/<population>/``)."""
    access.require(request.user, access.VIEW_DEMOGRAPHIC_AGGREGATES)
    reject_unknown_query(request)
    return [
        {
            "key": p.key,
            "label": str(p.label),
            "url": reverse("api:measures_detail", args=[p.key]),
        }
        for p in d.POPULATIONS.values()
    ]


@measures_router.get(
    "/{population}",
    response={200: ReportDocument, **ERRORS},
    operation_id="measures_detail",
    url_name="measures_detail",
)
def population_measures(
    request: HttpRequest, population: str, filters: Query[ReportFilters]
) -> Any:
    """One population's dashboard: every section the page shows, with the same filters."""
    access.require(request.user, access.VIEW_DEMOGRAPHIC_AGGREGATES)
    if population not in d.POPULATIONS:
        raise Http404
    source = _source()
    report = d.build_dashboard(_filters(request, population, source), source=source)
    return _document(request, report)
