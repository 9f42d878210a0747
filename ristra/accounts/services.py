from __future__ import annotations

from typing import Any

from allauth.core.internal import ratelimit
from django.contrib.sites.shortcuts import get_current_site
from django.http import HttpRequest


def login_lockout_clear(account: Any, request: HttpRequest) -> None:
    """Forget an account's failed sign-ins, so a locked-out person can sign in again."""
    domain = get_current_site(request).domain
    for login in {account.username, account.email}:
        if login:
            ratelimit.clear(
                request,
                app="allauth.account",
                action="login_failed",
                key=f"{domain}:{login.lower()}",
            )
