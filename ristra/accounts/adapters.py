from __future__ import annotations

import logging
from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from django.conf import settings
from django.urls import reverse

from ristra.accounts import sso
from ristra.accounts.models import Role
from ristra.audit.models import Action
from ristra.audit.services import audit_record

logger = logging.getLogger("ristra.accounts.sso")


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

    def get_login_redirect_url(self, request: Any) -> str:
        # An account without a role sees a page that says so, not an empty site.
        if getattr(request.user, "role", "") not in Role.values:
            return reverse("sso_no_role")
        return str(super().get_login_redirect_url(request))

    def get_signup_redirect_url(self, request: Any) -> str:
        # Accounts created by single sign-on arrive here on their first sign-in.
        return self.get_login_redirect_url(request)


def _claims(sociallogin: Any) -> tuple[list[str], dict[str, Any]]:
    """The groups the identity provider sent, and its settings for this app."""
    app_settings = sociallogin.account.get_provider().app.settings or {}
    data = sociallogin.account.extra_data or {}
    if sociallogin.account.provider == "saml":
        name = app_settings.get("groups_attribute", sso.SAML_GROUPS_ATTRIBUTE)
        return sso.groups_from(data.get(name)), app_settings
    name = app_settings.get("groups_claim", "groups")
    found = (data.get("id_token") or {}).get(name)
    if found is None:
        found = (data.get("userinfo") or {}).get(name)
    return sso.groups_from(found), app_settings


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    """Campus sign-on: the identity provider vouches for people, their groups set the role.

    Accounts are created on first sign-on (the identity provider is the gate). When
    ``RISTRA_SSO_ROLE_MAP`` is set, the role is set from the groups on every sign-in, so
    a person removed from a group loses the role at their next sign-in; someone in no
    mapped group gets no role. Refused sign-ins are logged with the provider's reason.
    """

    def is_open_for_signup(self, request: Any, sociallogin: Any) -> bool:
        return True

    def pre_social_login(self, request: Any, sociallogin: Any) -> None:
        super().pre_social_login(request, sociallogin)
        groups, _app = _claims(sociallogin)
        user = sociallogin.user
        changed: list[str] = []
        role_map = settings.RISTRA_SSO_ROLE_MAP
        if role_map or not sociallogin.is_existing:
            role = sso.role_for_groups(groups, role_map)
            if user.role != role:
                user.role = role
                changed.append("role")
        decision_groups = set(settings.RISTRA_SSO_DECISION_MAKER_GROUPS)
        if decision_groups:
            flag = bool(decision_groups.intersection(groups))
            if user.is_decision_maker != flag:
                user.is_decision_maker = flag
                changed.append("is_decision_maker")
        if sociallogin.is_existing and changed:
            user.save(update_fields=changed)
        logger.info(
            "Single sign-on via %s for %s: groups %s give role %r%s",
            sociallogin.account.provider,
            user.username or sociallogin.account.uid,
            sorted(groups),
            user.role or "(none)",
            ", decision-maker" if user.is_decision_maker else "",
        )

    def on_authentication_error(
        self,
        request: Any,
        provider: Any,
        error: Any = None,
        exception: Any = None,
        extra_context: Any = None,
    ) -> None:
        reason = (extra_context or {}).get("saml_last_error_reason") or ""
        if exception is not None:
            cause = exception.__cause__ or exception.__context__
            # "(cause)", not ": cause": "id_token: ..." would read as a secret to the log filter
            reason = f"{exception}" + (f" ({cause})" if cause else "")
        kind = getattr(provider, "id", str(provider))
        app = getattr(provider, "app", None)
        which = (getattr(app, "provider_id", "") or getattr(app, "client_id", "")) if app else ""
        name = f"{kind} {which}".strip()
        logger.warning("Single sign-on refused (%s): %s", name, reason or error or "no reason")
        audit_record(
            actor=None,
            action=Action.DENIED,
            object_type="sso",
            summary=f"Single sign-on refused ({name}): {reason or error}"[:500],
            request=request,
        )
