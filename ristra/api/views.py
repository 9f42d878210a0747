"""The API token screens: create and revoke one's own tokens (an administrator: any)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ristra.accounts import access
from ristra.api import services
from ristra.api.access import get_token_for_user, tokens_for_user
from ristra.api.forms import TokenForm


@access.login_required
def tokens(request: HttpRequest) -> HttpResponse:
    form = TokenForm(request.POST or None)
    created = None
    if request.method == "POST" and form.is_valid():
        created = services.token_create(
            user=request.user,
            name=form.cleaned_data["name"],
            days=form.days(),
            request=request,
        )
        form = TokenForm()
    response = render(
        request,
        "api/tokens.html",
        {
            "section": "api",
            "form": form,
            "created": created,
            "tokens": tokens_for_user(request.user),
            "all_users": access.can(request.user, access.MANAGE_USERS),
        },
    )
    # The new secret is on this page only: never keep it in a cache.
    response["Cache-Control"] = "no-store"
    return response


@require_POST
@access.login_required
def token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    token = get_token_for_user(request.user, token_id)
    services.token_revoke(token=token, user=request.user, request=request)
    messages.success(request, _("The token '%(name)s' was revoked.") % {"name": token.name})
    return redirect("api_tokens")
