"""Every lookup of an API token goes through here."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404

from ristra.accounts import access
from ristra.api.models import ApiToken


def tokens_for_user(user: Any) -> QuerySet[ApiToken]:
    """One's own tokens; an administrator sees everyone's (to revoke them)."""
    qs = ApiToken.objects.select_related("user", "revoked_by")
    if access.can(user, access.MANAGE_USERS):
        return qs
    return qs.filter(user=user)


def get_token_for_user(user: Any, token_id: int) -> ApiToken:
    """A token the user owns, or any token for an administrator; 404 otherwise."""
    token = tokens_for_user(user).filter(pk=token_id).first()
    if token is None:
        raise Http404
    return token
