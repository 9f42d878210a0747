from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter

from ristra.audit.models import Action
from ristra.audit.services import audit_record


class AccountAdapter(DefaultAccountAdapter):
    """Accounts are created by an administrator: nobody signs themselves up.

    Sign-ins and failed sign-ins go to the audit log.
    """

    def is_open_for_signup(self, request: Any) -> bool:
        return False

    def login(self, request: Any, user: Any) -> None:
        super().login(request, user)
        audit_record(
            actor=user,
            action=Action.LOGIN,
            object_type="user",
            object_id=user.pk,
            summary=f"{user.username} signed in",
            request=request,
        )

    def authentication_failed(self, request: Any, **credentials: Any) -> None:
        login = str(credentials.get("username") or credentials.get("email") or "")[:150]
        audit_record(
            actor=None,
            action=Action.DENIED,
            object_type="user",
            summary=f"Failed sign-in for '{login}'",
            request=request,
        )
