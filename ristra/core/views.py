from __future__ import annotations

from typing import Any

from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponsePermanentRedirect,
    HttpResponseRedirect,
    JsonResponse,
)
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from ristra.accounts import access
from ristra.core import prefs
from ristra.core.addresses import is_staff_address
from ristra.people import selectors as people_selectors


def home(request: HttpRequest) -> HttpResponse:
    """The office home; a mentoring participant (no office role) goes to their mentoring."""
    if access.is_participant(request.user):
        return redirect("mentoring:home")
    return _office_home(request)


@access.login_required
def _office_home(request: HttpRequest) -> HttpResponse:
    """What needs attention: imports waiting or in trouble, and what the record holds."""
    user = request.user
    context: dict[str, Any] = {"section": "home"}
    if access.can(user, access.IMPORT_DATA):
        context["attention"] = people_selectors.batches_needing_attention()
        context["recent_batches"] = people_selectors.recent_batches(limit=5)
    context["record"] = people_selectors.record_summary()
    return render(request, "core/home.html", context)


@require_POST
def display_settings(request: HttpRequest) -> HttpResponse:
    chosen = prefs.DisplayPrefs(
        text_size=request.POST.get("text_size", "medium"),
        contrast=request.POST.get("contrast", "light"),
    )
    chosen = prefs.parse(chosen.cookie_value())  # drops anything not on the lists
    target = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = "/"
    response = HttpResponseRedirect(target)
    response.set_cookie(
        prefs.COOKIE, chosen.cookie_value(), max_age=365 * 24 * 3600, samesite="Lax"
    )
    return response


def health(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


def forbidden(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "core/error.html", {"status": 403}, status=403)


def old_site_address(request: HttpRequest, rest: str) -> HttpResponse:
    """The public site lived under /site/ before it moved to the root: keep old links alive."""
    query = request.META.get("QUERY_STRING", "")
    return HttpResponsePermanentRedirect("/" + rest + ("?" + query if query else ""))


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if not is_staff_address(request.path):  # the public site keeps its own look
        return render(request, "portal/not_found.html", status=404)
    return render(request, "core/error.html", {"status": 404}, status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    return render(request, "core/error.html", {"status": 500}, status=500)
