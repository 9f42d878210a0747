from __future__ import annotations

from typing import Any

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.dateparse import parse_date

from ristra.accounts import access
from ristra.audit.models import Action
from ristra.audit.selectors import audit_search
from ristra.audit.services import audit_record
from ristra.core.exports import export_response


def _filters(request: HttpRequest) -> dict[str, Any]:
    person = request.GET.get("person", "").strip()
    return {
        "actor": request.GET.get("actor", "").strip(),
        "action": request.GET.get("action", "")
        if request.GET.get("action") in Action.values
        else "",
        "person_id": int(person) if person.isdigit() else None,
        "text": request.GET.get("q", "").strip(),
        "date_from": parse_date(request.GET.get("from", "") or ""),
        "date_to": parse_date(request.GET.get("to", "") or ""),
    }


@access.permission_required(access.VIEW_AUDIT_LOG)
def log(request: HttpRequest) -> HttpResponse:
    filters = _filters(request)
    page = Paginator(audit_search(**filters), 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "audit/log.html",
        {
            "section": "audit",
            "page": page,
            "filters": filters,
            "actions": Action.choices,
            "query": query.urlencode(),
        },
    )


@access.permission_required(access.VIEW_AUDIT_LOG)
def log_export(request: HttpRequest, fmt: str) -> HttpResponse:
    filters = _filters(request)
    events = list(audit_search(**filters)[:100_000])
    audit_record(
        actor=request.user,
        action=Action.EXPORT,
        object_type="audit_log",
        summary=f"Exported {len(events)} audit entries as {fmt.upper()}",
        request=request,
    )
    return export_response(
        filename="audit-log",
        fmt=fmt,
        headers=["when", "who", "action", "what", "id", "summary", "why", "page", "address"],
        rows=[
            [
                e.at.isoformat(),
                e.actor_name,
                e.action,
                e.object_type,
                e.object_id,
                e.summary,
                e.reason,
                e.path,
                e.ip or "",
            ]
            for e in events
        ],
        sheet="Audit log",
    )
