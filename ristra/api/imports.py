"""Imports through the API: upload, status, problems, commit and roll back.

The same rules as the import pages (``ristra.people.views``): only accounts that may
import (``ristra.import_data``; never a decision-maker) reach a batch; an upload passes the
page's ``UploadForm`` (kind, profile, empty file, ``RISTRA_MAX_UPLOAD_MB``); a too-large
body is refused with 413 from its Content-Length, before it is read.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.db import transaction
from django.http import HttpRequest
from django.http.multipartparser import MultiPartParserError
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Path, Query, Router, Status
from ninja.errors import HttpError

from ristra.accounts import access
from ristra.analytics.importspec import KINDS
from ristra.api.auth import via_token
from ristra.api.errors import BadRequest, form_errors, reject_unknown_query
from ristra.api.schemas import ImportBatchOut, ImportBatchPage, ImportProblemPage, errors
from ristra.audit.models import Action
from ristra.audit.services import audit_record
from ristra.people import services
from ristra.people.access import get_batch_for_user
from ristra.people.forms import UploadForm
from ristra.people.models import BatchStatus, ImportBatch, MappingProfile
from ristra.people.views import BACKGROUND_CHECK_BYTES

router = Router()

MAX_ID = 2_147_483_647
BATCH_ID = Path(..., ge=1, le=MAX_ID, description="The batch's id.")

#: Room for the multipart framing and the form fields around the file.
MULTIPART_OVERHEAD = 64 * 1024

UPLOAD_BODY = {
    "required": True,
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "required": ["kind", "file"],
                "properties": {
                    "kind": {"type": "string", "enum": sorted(KINDS)},
                    "file": {
                        "type": "string",
                        "format": "binary",
                        "minLength": 1,
                        "description": "A CSV (any delimiter; UTF-8 or Windows-1252) or XLSX.",
                    },
                    "profile": {
                        "type": "integer",
                        "minimum": 1,
                        "maximum": MAX_ID,
                        "description": "A mapping profile's id (optional).",
                    },
                    "source_label": {
                        "type": "string",
                        "maxLength": 120,
                        "pattern": "^[^\\u0000]*$",
                        "description": "Shown with every self-identification answer.",
                    },
                },
            }
        }
    },
}


def _too_large() -> HttpError:
    return HttpError(
        413,
        _(
            "The file is larger than %(mb)s MB. Import it with the command line "
            "(ristra import) or ask an administrator to raise RISTRA_MAX_UPLOAD_MB."
        )
        % {"mb": settings.RISTRA_MAX_UPLOAD_MB},
    )


def batch_out(batch: ImportBatch) -> dict[str, Any]:
    return {
        "id": batch.pk,
        "kind": batch.kind,
        "filename": batch.filename,
        "status": batch.status,
        "status_label": str(batch.get_status_display()),  # type: ignore[attr-defined]
        "error": batch.error,
        "size_bytes": batch.size_bytes,
        "rows_total": batch.rows_total,
        "rows_valid": batch.rows_valid,
        "rows_rejected": batch.rows_rejected,
        "rows_inserted": batch.rows_inserted,
        "rows_updated": batch.rows_updated,
        "rows_unchanged": batch.rows_unchanged,
        "progress_rows": services.batch_progress(batch),
        "plan": batch.plan or {},
        "source_label": batch.source_label,
        "created_at": batch.created_at,
        "created_by": batch.created_by.get_username() if batch.created_by else "",
        "committed_at": batch.committed_at,
        "rolled_back_at": batch.rolled_back_at,
        "can_commit": batch.status == BatchStatus.VALIDATED,
        "can_rollback": batch.status == BatchStatus.COMMITTED,
        "url": reverse("api:import_detail", args=[batch.pk]),
    }


def _profile_id(text: str | None) -> int | None:
    """The profile field: empty, or an id in range (checked before any query)."""
    if not text:
        return None
    try:
        value = int(text)
    except ValueError:
        value = 0
    if not 1 <= value <= MAX_ID:
        raise BadRequest(
            _("The upload was not accepted."),
            [{"field": "profile", "message": _("A mapping profile's id (a whole number).")}],
        )
    return value


def _batch(request: HttpRequest, batch_id: int, params: tuple[str, ...] = ()) -> ImportBatch:
    access.require(request.user, access.IMPORT_DATA)
    reject_unknown_query(request, params)
    return get_batch_for_user(request.user, batch_id)


@router.get(
    "/", response={200: ImportBatchPage, **errors(400, 401, 403)}, operation_id="imports_list"
)
def batch_list(
    request: HttpRequest,
    limit: int = Query(25, ge=1, le=100),
    offset: int = Query(0, ge=0, le=10_000_000),
) -> Any:
    """Import batches, newest first."""
    access.require(request.user, access.IMPORT_DATA)
    reject_unknown_query(request, ("limit", "offset"))
    batches = ImportBatch.objects.select_related("created_by")
    return {
        "count": batches.count(),
        "items": [batch_out(b) for b in batches[offset : offset + limit]],
    }


@router.post(
    "/",
    response={201: ImportBatchOut, **errors(400, 401, 403, 404, 413)},
    operation_id="imports_upload",
    openapi_extra={"requestBody": UPLOAD_BODY},
)
def batch_upload(request: HttpRequest) -> Any:
    """Upload a file; it is checked (large files in the background) and not yet committed."""
    access.require(request.user, access.IMPORT_DATA)
    reject_unknown_query(request)
    limit = settings.RISTRA_MAX_UPLOAD_MB * 1024 * 1024
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > limit + MULTIPART_OVERHEAD:
        raise _too_large()
    if not (request.content_type or "").startswith("multipart/form-data"):
        raise HttpError(
            400,
            _("Send the file as multipart/form-data with the fields 'kind' and 'file'."),
        )
    try:
        profile = _profile_id(request.POST.get("profile"))
        form = UploadForm(request.POST, request.FILES)
        valid = form.is_valid()
    except RequestDataTooBig:
        raise _too_large() from None
    except (MultiPartParserError, TooManyFieldsSent):
        raise HttpError(400, _("The multipart body could not be read.")) from None
    if not valid:
        upload = request.FILES.get("file")
        if upload is not None and (upload.size or 0) > limit:
            raise _too_large()
        unknown = profile is not None and not MappingProfile.objects.filter(pk=profile).exists()
        if "profile" in form.errors and unknown:
            raise HttpError(404, _("No mapping profile with the id %(id)s.") % {"id": profile})
        raise BadRequest(_("The upload was not accepted."), form_errors(form))
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
    batch.refresh_from_db()
    return Status(201, batch_out(batch))


@router.get(
    "/{batch_id}",
    response={200: ImportBatchOut, **errors(400, 401, 403, 404)},
    operation_id="imports_detail",
    url_name="import_detail",
)
def batch_detail(request: HttpRequest, batch_id: int = BATCH_ID) -> Any:
    """A batch's status, counts and what a commit would do."""
    return batch_out(_batch(request, batch_id))


@router.get(
    "/{batch_id}/problems",
    response={200: ImportProblemPage, **errors(400, 401, 403, 404)},
    operation_id="imports_problems",
)
def batch_problems(
    request: HttpRequest,
    batch_id: int = BATCH_ID,
    limit: int = Query(100, ge=1, le=1000),
    offset: int = Query(0, ge=0, le=10_000_000),
) -> Any:
    """Problems found in the file: row, column, value as in the file, rule and message."""
    batch = _batch(request, batch_id, ("limit", "offset"))
    problems = batch.problems.all()
    items = [p.as_dict() for p in problems[offset : offset + limit]]
    # Problem values are cells as the file had them (a birth date, an answer): audited.
    audit_record(
        actor=request.user,
        action=Action.VIEW,
        object_type="import_batch",
        object_id=batch.pk,
        summary=f"Fetched {len(items)} problems of import #{batch.pk} through the API",
        reason=via_token(request, "import problems"),
        request=request,
    )
    return {"count": problems.count(), "items": items}


@router.post(
    "/{batch_id}/commit",
    response={200: ImportBatchOut, **errors(400, 401, 403, 404, 409)},
    operation_id="imports_commit",
)
def batch_commit(request: HttpRequest, batch_id: int = BATCH_ID) -> Any:
    """Write the valid rows (large batches in the background: poll the batch)."""
    batch = _batch(request, batch_id)
    try:
        batch = services.batch_commit_in_background(batch=batch, user=request.user)
    except services.ImportRefused as exc:
        raise HttpError(409, str(exc)) from None
    return batch_out(batch)


@router.post(
    "/{batch_id}/rollback",
    response={200: ImportBatchOut, **errors(400, 401, 403, 404, 409)},
    operation_id="imports_rollback",
)
def batch_rollback(request: HttpRequest, batch_id: int = BATCH_ID) -> Any:
    """Undo a committed batch; its rows stay in the ledger."""
    batch = _batch(request, batch_id)
    try:
        batch = services.batch_rollback(batch=batch, user=request.user)
    except services.ImportRefused as exc:
        raise HttpError(409, str(exc)) from None
    return batch_out(batch)
