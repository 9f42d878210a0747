"""Bearer-token authentication: each request acts as the token's owner.

A request without a usable token gets 401 with a JSON ``detail`` naming the problem
(missing, malformed, unknown, expired, revoked) and one warning line in the
``ristra.api`` log with the token's prefix when it has one; the secret is never logged.
"""

from __future__ import annotations

import logging
from typing import Any

from django.http import HttpRequest
from ninja.security import HttpBearer

from ristra.api.services import TokenRejected, token_authenticate

logger = logging.getLogger("ristra.api")


class BearerToken(HttpBearer):
    def __call__(self, request: HttpRequest) -> Any:
        header = request.headers.get(self.header)
        if not header:
            raise TokenRejected("missing")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise TokenRejected("malformed")
        return self.authenticate(request, token.strip())

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        found = token_authenticate(token)
        # From here on the request acts as the token's owner: the same permission checks
        # (ristra.accounts.access) and audit entries as the pages.
        request.user = found.user
        request.api_token = found  # type: ignore[attr-defined]
        return found.user


def via_token(request: HttpRequest, why: str) -> str:
    """An audit entry's reason, naming the token (its prefix) the request came with."""
    token = getattr(request, "api_token", None)
    return f"{why} (API token {token.prefix})" if token is not None else why


def log_rejection(request: HttpRequest, exc: TokenRejected) -> None:
    logger.warning(
        "API token rejected: %s%s; %s %s from %s",
        exc.reason,
        f" (prefix {exc.prefix})" if exc.prefix else "",
        request.method,
        request.path,
        request.META.get("REMOTE_ADDR", "?"),
    )
