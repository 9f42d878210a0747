"""Creating, using and revoking API tokens."""

from __future__ import annotations

import datetime as dt
import re
import secrets
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from ristra.api.models import ApiToken, secret_digest
from ristra.audit.models import Action
from ristra.audit.services import audit_record

TOKEN_PATTERN = re.compile(r"^ristra_(?P<prefix>[0-9a-f]{12})_(?P<secret>[A-Za-z0-9_-]{43})$")
#: How long a new token lives, in days (``None``: until revoked).
LIFETIMES: tuple[int | None, ...] = (30, 90, 365, None)


@dataclass(frozen=True)
class NewToken:
    token: ApiToken
    secret: str  # the full token text, shown once


class TokenRejected(Exception):
    """A bearer token that cannot be used; ``reason`` is safe to log and to show."""

    def __init__(self, reason: str, prefix: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.prefix = prefix


@transaction.atomic
def token_create(*, user: Any, name: str, days: int | None, request: Any = None) -> NewToken:
    prefix = secrets.token_hex(6)
    while ApiToken.objects.filter(prefix=prefix).exists():  # pragma: no cover - 2^48
        prefix = secrets.token_hex(6)
    text = f"ristra_{prefix}_{secrets.token_urlsafe(32)}"
    expires = timezone.now() + dt.timedelta(days=days) if days else None
    token = ApiToken.objects.create(
        user=user, name=name, prefix=prefix, digest=secret_digest(text), expires_at=expires
    )
    audit_record(
        actor=user,
        action=Action.CREATE,
        object_type="api_token",
        object_id=token.pk,
        summary=f"Created API token '{name[:100]}' ({prefix})",
        request=request,
    )
    return NewToken(token=token, secret=text)


@transaction.atomic
def token_revoke(*, token: ApiToken, user: Any, request: Any = None) -> ApiToken:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.revoked_by = user
        token.save(update_fields=["revoked_at", "revoked_by"])
        audit_record(
            actor=user,
            action=Action.DELETE,
            object_type="api_token",
            object_id=token.pk,
            summary=f"Revoked API token '{token.name[:100]}' ({token.prefix}) "
            f"of {token.user.get_username()}",
            request=request,
        )
    return token


def token_authenticate(text: str) -> ApiToken:
    """The token ``text`` stands for, or :class:`TokenRejected` saying why not."""
    match = TOKEN_PATTERN.match(text)
    if match is None:
        raise TokenRejected("malformed")
    prefix = match["prefix"]
    token = ApiToken.objects.select_related("user").filter(prefix=prefix).first()
    if token is None or not token.matches(text):
        raise TokenRejected("unknown", prefix)
    if token.is_revoked:
        raise TokenRejected("revoked", prefix)
    if token.is_expired:
        raise TokenRejected("expired", prefix)
    if not token.user.is_active:
        raise TokenRejected("inactive_user", prefix)
    now = timezone.now()
    # One write a minute at most, so a busy client does not write on every call.
    if token.last_used_at is None or now - token.last_used_at > dt.timedelta(minutes=1):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token
