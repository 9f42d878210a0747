"""Administrators who sign in with a password must use a second factor (TOTP).

An administrator whose session began with a Ristra password, and who has no
authenticator app set up yet, is sent to the authenticator set-up page until it is done.
Administrators who come through single sign-on rely on their identity provider's MFA.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from allauth.account.internal.flows.login import get_authentication_records
from allauth.mfa.utils import is_mfa_enabled
from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _

from ristra.accounts.models import Role

# Pages an administrator may still reach before the authenticator is set up.
_ALLOWED_PREFIXES = ("/accounts/", "/static/", "/i18n/", "/display/", "/health/")


def signed_in_with_password(request: HttpRequest, user: Any) -> bool:
    methods = {record.get("method") for record in get_authentication_records(request, user)}
    return "password" in methods and "socialaccount" not in methods


class AdministratorMFAMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user: Any = getattr(request, "user", None)
        if (
            settings.RISTRA_ADMIN_MFA
            and user is not None
            and user.is_authenticated
            and user.role == Role.ADMINISTRATOR
            and not request.path.startswith(_ALLOWED_PREFIXES)
            and signed_in_with_password(request, user)
            and not is_mfa_enabled(user, ["totp"])
        ):
            messages.warning(
                request,
                _(
                    "Administrators who sign in with a password must use an authenticator "
                    "app. Set one up to continue."
                ),
            )
            return HttpResponseRedirect(reverse("mfa_activate_totp"))
        return self.get_response(request)
