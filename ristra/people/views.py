from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ristra.accounts import access
from ristra.analytics.importspec import get_kind
from ristra.analytics.profiles import ProfileError, load_profile
from ristra.analytics.tabular import UnusableInput
from ristra.audit.models import Action
from ristra.audit.services import audit_record
from ristra.core.exports import export_response
from ristra.people import selectors, services
from ristra.people.access import get_batch_for_user, get_person_for_user
from ristra.people.forms import ProfileForm, UploadForm
from ristra.people.mapping import mapping_rows, profile_from_mapping
from ristra.people.models import BatchStatus, ImportBatch, MappingProfile, RowFate

BACKGROUND_CHECK_BYTES = 5 * 1024 * 1024


# ---------------------------------------------------------------------------------------
# People


@access.permission_required(access.VIEW_IDENTITY)
def person_search(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()
    results = list(selectors.person_search(query)) if query else []
    if results:
        audit_record(
            actor=request.user,
            action=Action.SEARCH,
            object_type="person",
            summary=f"Searched people for '{query[:100]}': {len(results)} shown",
            reason="person search",
            person_ids=[p.pk for p in results],
            request=request,
        )
    return render(
        request,
        "people/search.html",
        {"section": "people", "query": query, "results": results},
    )


@access.permission_required(access.VIEW_IDENTITY)
def person_detail(request: HttpRequest, person_id: int) -> HttpResponse:
    person = get_person_for_user(request.user, person_id)
    today = timezone.localdate()
    as_of = parse_date(request.GET.get("as_of", "") or "") or today
    if as_of > today + dt.timedelta(days=3650):
        as_of = today
    with_demographics = access.can(request.user, access.VIEW_DEMOGRAPHICS)
    history = selectors.person_history(person, as_of=as_of, with_demographics=with_demographics)
    audit_record(
        actor=request.user,
        action=Action.VIEW,
        object_type="person",
        object_id=person.pk,
        summary=(
            f"Viewed the record of person #{person.pk} as of {as_of.isoformat()}"
            + (" with self-identification" if with_demographics else "")
        ),
        reason="person page",
        person_ids=[person.pk],
        request=request,
    )
    return render(
        request,
        "people/person.html",
        {
            "section": "people",
            "person": person,
            "history": history,
            "as_of": as_of,
            "today": today,
            "with_demographics": with_demographics,
        },
    )


# ---------------------------------------------------------------------------------------
# Imports


@access.permission_required(access.IMPORT_DATA)
def imports(request: HttpRequest) -> HttpResponse:
    page = Paginator(ImportBatch.objects.select_related("created_by"), 25).get_page(
        request.GET.get("page")
    )
    return render(request, "people/imports.html", {"section": "imports", "page": page})


@access.permission_required(access.IMPORT_DATA)
def import_upload(request: HttpRequest) -> HttpResponse:
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        batch = services.batch_upload(
            user=request.user,
            kind=form.cleaned_data["kind"],
            filename=upload.name,
            stream=upload,
            profile=form.cleaned_data["profile"],
            source_label=form.cleaned_data["source_label"],
        )
        if batch.size_bytes > BACKGROUND_CHECK_BYTES:
            from ristra.people.tasks import check_batch_task

            transaction.on_commit(lambda: check_batch_task.enqueue(batch_id=batch.pk))
        else:
            services.batch_check(batch=batch)
        return redirect("people:batch", batch.pk)
    return render(request, "people/upload.html", {"section": "imports", "form": form})


@access.permission_required(access.IMPORT_DATA)
def batch_detail(request: HttpRequest, batch_id: int) -> HttpResponse:
    batch = get_batch_for_user(request.user, batch_id)
    problems = Paginator(batch.problems.all(), 50).get_page(request.GET.get("page"))
    context: dict[str, Any] = {
        "section": "imports",
        "batch": batch,
        "problems": problems,
        "progress": services.batch_progress(batch),
        "fates": RowFate,
    }
    if batch.status == BatchStatus.VALIDATED:
        context["mapping"] = _mapping_for(batch)
    if request.htmx and request.GET.get("fragment") == "status":  # type: ignore[attr-defined]
        return render(request, "people/batch.html#status", context)
    return render(request, "people/batch.html", context)


def _mapping_for(batch: ImportBatch) -> list[dict[str, Any]]:
    try:
        return mapping_rows(batch)
    except (UnusableInput, ProfileError, OSError):  # the batch page explains those itself
        return []


@access.permission_required(access.IMPORT_DATA)
def batch_mapping(request: HttpRequest, batch_id: int) -> HttpResponse:
    """Map the file's columns once; optionally keep the mapping as a named profile."""
    batch = get_batch_for_user(request.user, batch_id)
    if batch.status not in {BatchStatus.VALIDATED, BatchStatus.UNUSABLE}:
        messages.error(request, _("The mapping can be changed only before the batch is committed."))
        return redirect("people:batch", batch.pk)
    rows = mapping_rows(batch)
    kind = get_kind(batch.kind)
    errors: list[str] = []
    if request.method == "POST":
        chosen = {row["header"]: request.POST.get(f"map-{row['index']}", "") for row in rows}
        name = request.POST.get("profile_name", "").strip()
        try:
            yaml_text = profile_from_mapping(batch, chosen, name=name or batch.filename)
            load_profile(yaml_text)
        except ProfileError as exc:
            errors = list(exc.messages)
        else:
            batch.profile_yaml = yaml_text
            if name:
                profile, _created = MappingProfile.objects.update_or_create(
                    name=name,
                    defaults={"kind": batch.kind, "yaml": yaml_text, "updated_by": request.user},
                )
                batch.profile = profile
                audit_record(
                    actor=request.user,
                    action=Action.UPDATE,
                    object_type="mapping_profile",
                    object_id=profile.pk,
                    summary=f"Saved mapping profile '{name}' from batch #{batch.pk}",
                    request=request,
                )
            batch.save()
            services.batch_check(batch=batch)
            messages.success(request, _("Mapping saved; the file was checked again."))
            return redirect("people:batch", batch.pk)
    return render(
        request,
        "people/mapping.html",
        {"section": "imports", "batch": batch, "rows": rows, "kind": kind, "errors": errors},
    )


@require_POST
@access.permission_required(access.IMPORT_DATA)
def batch_commit(request: HttpRequest, batch_id: int) -> HttpResponse:
    batch = get_batch_for_user(request.user, batch_id)
    try:
        batch = services.batch_commit_in_background(batch=batch, user=request.user)
    except services.ImportRefused as exc:
        messages.error(request, str(exc))
    else:
        if batch.status == BatchStatus.COMMITTED:
            messages.success(
                request,
                _("Committed: %(i)s inserted, %(u)s updated, %(n)s unchanged, %(r)s rejected.")
                % {
                    "i": batch.rows_inserted,
                    "u": batch.rows_updated,
                    "n": batch.rows_unchanged,
                    "r": batch.rows_rejected,
                },
            )
        elif batch.status == BatchStatus.FAILED:
            messages.error(request, batch.error)
    return redirect("people:batch", batch.pk)


@require_POST
@access.permission_required(access.IMPORT_DATA)
def batch_rollback(request: HttpRequest, batch_id: int) -> HttpResponse:
    batch = get_batch_for_user(request.user, batch_id)
    try:
        services.batch_rollback(batch=batch, user=request.user)
    except services.ImportRefused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The batch was rolled back. Its rows stay in the ledger."))
    return redirect("people:batch", batch.pk)


@access.permission_required(access.IMPORT_DATA)
def batch_rows(request: HttpRequest, batch_id: int) -> HttpResponse:
    """The ledger: every raw row of the batch with its fate (identity data: audited)."""
    batch = get_batch_for_user(request.user, batch_id)
    fate = request.GET.get("fate", "")
    rows = batch.rows.all()
    if fate in RowFate.values:
        rows = rows.filter(fate=fate)
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    audit_record(
        actor=request.user,
        action=Action.VIEW,
        object_type="import_batch",
        object_id=batch.pk,
        summary=f"Viewed rows of import #{batch.pk} ({fate or 'all'}, page {page.number})",
        reason="import ledger",
        person_ids=[r.person_id for r in page if r.person_id],
        request=request,
    )
    headers: list[str] = batch.headings
    return render(
        request,
        "people/batch_rows.html",
        {
            "section": "imports",
            "batch": batch,
            "page": page,
            "fate": fate,
            "fates": RowFate,
            "headers": headers,
            "query": f"fate={fate}" if fate else "",
        },
    )


@access.permission_required(access.IMPORT_DATA)
def batch_rejected_download(request: HttpRequest, batch_id: int, fmt: str) -> HttpResponse:
    """Rejected rows as the file had them, plus the reasons, to correct and import again."""
    batch = get_batch_for_user(request.user, batch_id)
    headers, rows = selectors.rejected_rows(batch)
    audit_record(
        actor=request.user,
        action=Action.EXPORT,
        object_type="import_batch",
        object_id=batch.pk,
        summary=f"Downloaded {len(rows)} rejected rows of import #{batch.pk} as {fmt.upper()}",
        reason="correct rejected rows",
        request=request,
    )
    return export_response(
        filename=f"rejected-rows-batch-{batch.pk}",
        fmt=fmt,
        headers=headers,
        rows=rows,
        sheet=_("Rejected rows"),
    )


@access.permission_required(access.IMPORT_DATA)
def profiles(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "people/profiles.html",
        {"section": "imports", "profiles": MappingProfile.objects.all()},
    )


@access.permission_required(access.IMPORT_DATA)
def profile_edit(request: HttpRequest, profile_id: int | None = None) -> HttpResponse:
    profile = get_object_or_404(MappingProfile, pk=profile_id) if profile_id else None
    form = ProfileForm(request.POST or None, instance=profile)
    if request.method == "POST" and form.is_valid():
        saved = form.save(commit=False)
        saved.updated_by = request.user
        saved.save()
        audit_record(
            actor=request.user,
            action=Action.UPDATE if profile else Action.CREATE,
            object_type="mapping_profile",
            object_id=saved.pk,
            summary=f"Saved mapping profile '{saved.name}'",
            request=request,
        )
        messages.success(request, _("Profile saved."))
        return redirect("people:profiles")
    return render(
        request,
        "people/profile_edit.html",
        {"section": "imports", "form": form, "profile": profile},
    )
