"""The REST API at /api/ (docs/api.md): Django Ninja, OpenAPI 3.1 at /api/openapi.json.

Every operation needs ``Authorization: Bearer <token>``; the request then acts as the
token's owner, so the pages' permission checks (``ristra.accounts.access``), the apps'
access helpers (404 for what the user may not know exists), small-cell suppression and
the audit log apply unchanged.  Errors are JSON ``{"detail": ..., "errors": [...]}``.
"""

from __future__ import annotations

import logging

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from ninja import NinjaAPI
from ninja.errors import HttpError, ValidationError
from ninja.openapi.docs import Swagger

from ristra.api.auth import BearerToken, log_rejection
from ristra.api.errors import BadRequest
from ristra.api.imports import router as imports_router
from ristra.api.mentoring import router as mentoring_router
from ristra.api.pathways import router as pathways_router
from ristra.api.reports import measures_router, reports_router
from ristra.api.services import TokenRejected

logger = logging.getLogger("ristra.api")

api = NinjaAPI(
    title="Ristra API",
    version="1",
    description=(
        "Suppressed reports and measures, imports, and mentoring exports. Send "
        "`Authorization: Bearer <token>`; create a token at /api/tokens/. See docs/api.md."
    ),
    auth=BearerToken(),
    urls_namespace="api",
    openapi_url="/openapi.json",
    # Swagger UI from the files django-ninja ships ("ninja" is in INSTALLED_APPS): no CDN,
    # and no validator badge (Swagger UI would fetch it from validator.swagger.io).
    docs=Swagger(settings={"persistAuthorization": False, "validatorUrl": None}),
    docs_url="/docs",
)

api.add_router("/reports/", reports_router, tags=["reports"])
api.add_router("/measures/", measures_router, tags=["measures"])
api.add_router("/imports/", imports_router, tags=["imports"])
api.add_router("/mentoring/", mentoring_router, tags=["mentoring"])
api.add_router("/pathways/", pathways_router, tags=["pathways"])


def _error(
    request: HttpRequest, status: int, detail: str, errors: list[dict[str, str]] | None = None
) -> HttpResponse:
    return api.create_response(request, {"detail": detail, "errors": errors or []}, status=status)


_TOKEN_MESSAGES = {
    "missing": gettext_lazy(
        "Send the header 'Authorization: Bearer <token>'; create a token at /api/tokens/."
    ),
    "malformed": gettext_lazy("The Authorization header is not 'Bearer ristra_<prefix>_<secret>'."),
    "unknown": gettext_lazy("This token is not known (mistyped, or deleted with its account)."),
    "revoked": gettext_lazy("This token was revoked; create a new one at /api/tokens/."),
    "expired": gettext_lazy("This token has expired; create a new one at /api/tokens/."),
    "inactive_user": gettext_lazy("The account this token belongs to is deactivated."),
}


@api.exception_handler(TokenRejected)
def _token_rejected(request: HttpRequest, exc: TokenRejected) -> HttpResponse:
    log_rejection(request, exc)
    response = _error(request, 401, str(_TOKEN_MESSAGES[exc.reason]))
    response["WWW-Authenticate"] = 'Bearer realm="ristra"'
    return response


@api.exception_handler(PermissionDenied)
def _forbidden(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return _error(request, 403, _("Your account may not do this."))


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return _error(request, 404, _("Not found."))


@api.exception_handler(ValidationError)
def _invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    errors = [
        {
            "field": ".".join(str(part) for part in error.get("loc", ()) if part != "query"),
            "message": str(error.get("msg", "")),
        }
        for error in exc.errors
    ]
    return _error(request, 400, _("The request has invalid parameters."), errors)


@api.exception_handler(BadRequest)
def _bad_request(request: HttpRequest, exc: BadRequest) -> HttpResponse:
    return _error(request, 400, exc.detail, exc.errors)


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return _error(request, exc.status_code, str(exc.message))


@api.exception_handler(Exception)
def _unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
    logger.exception("API error on %s %s", request.method, request.path)
    return _error(request, 500, _("Something went wrong on our side; it has been logged."))
