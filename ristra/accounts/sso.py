"""Single sign-on configuration, read from the environment (see docs/single-sign-on.md).

Pure functions, no Django models: ``settings.py`` calls them at start-up, and a bad value
stops the start with a message that names the variable, never half-working sign-on later.

Role mapping: ``RISTRA_SSO_ROLE_MAP`` maps identity-provider groups to Ristra roles, as
``group=role,group=role`` or as a JSON object. When a person belongs to several mapped
groups, the most senior role wins (administrator, analyst, program manager, viewer,
participant); a person in no mapped group gets no role at all, never a default one. Map
the residents', fellows' and faculty's groups to ``participant`` for mentoring only.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import ImproperlyConfigured

# Ristra's roles, most senior first (the values of ristra.accounts.models.Role; a test
# keeps the two in step, because settings cannot import models).
ROLE_ORDER = ("administrator", "analyst", "program_manager", "viewer", "participant")

# Well-known SAML attribute names (eduPerson / InCommon): first one present wins.
SAML_ATTRIBUTES = {
    "uid": [
        "urn:oasis:names:tc:SAML:attribute:subject-id",
        "urn:oid:1.3.6.1.4.1.5923.1.1.1.6",  # eduPersonPrincipalName
    ],
    "email": [
        "urn:oid:0.9.2342.19200300.100.1.3",  # mail
        "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress",
    ],
    "first_name": [
        "urn:oid:2.5.4.42",  # givenName
        "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname",
    ],
    "last_name": [
        "urn:oid:2.5.4.4",  # sn
        "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname",
    ],
    "username": [
        "urn:oid:0.9.2342.19200300.100.1.1",  # uid
    ],
}
# isMemberOf, the usual group attribute of campus identity providers.
SAML_GROUPS_ATTRIBUTE = "urn:oid:1.3.6.1.4.1.5923.1.5.1.1"


def _env(env: Mapping[str, str], name: str) -> str:
    return env.get(name, "").strip()


def parse_role_map(text: str, *, name: str = "RISTRA_SSO_ROLE_MAP") -> dict[str, str]:
    """``group=role,...`` or a JSON object → {group: role}; anything else is an error."""
    text = text.strip()
    if not text:
        return {}
    pairs: list[tuple[Any, Any]]
    if text.startswith(("{", "[")):
        try:
            loaded = json.loads(text)
        except ValueError as error:
            raise ImproperlyConfigured(f"{name} is not valid JSON: {error}") from None
        if not isinstance(loaded, dict):
            raise ImproperlyConfigured(f"{name} must be a JSON object of group: role")
        pairs = list(loaded.items())
    else:
        pairs = []
        for item in text.split(","):
            if not item.strip():
                continue
            if "=" not in item:
                raise ImproperlyConfigured(
                    f"{name}: {item.strip()!r} is not group=role (for example "
                    "ristra-analysts=analyst)"
                )
            group, role = item.rsplit("=", 1)
            pairs.append((group.strip(), role.strip()))
    result: dict[str, str] = {}
    for group, role in pairs:
        if not isinstance(group, str) or not group.strip():
            raise ImproperlyConfigured(f"{name}: a group name is empty")
        if role not in ROLE_ORDER:
            raise ImproperlyConfigured(
                f"{name}: {role!r} for group {group!r} is not a role; use one of "
                + ", ".join(ROLE_ORDER)
            )
        if group in result and result[group] != role:
            raise ImproperlyConfigured(f"{name}: group {group!r} is mapped twice")
        result[group.strip()] = role
    return result


def role_for_groups(groups: Iterable[str], role_map: Mapping[str, str]) -> str:
    """The most senior role any of the groups maps to; "" when none is mapped."""
    mapped = {role_map[group] for group in groups if group in role_map}
    for role in ROLE_ORDER:
        if role in mapped:
            return role
    return ""


def groups_from(value: Any) -> list[str]:
    """An identity provider's groups claim or attribute as a list of names."""
    if value is None:
        return []
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    if isinstance(value, (list, tuple, set)):
        return [str(item) for item in value if str(item).strip()]
    return []


def _read_cert(env: Mapping[str, str], name: str) -> str:
    value = _env(env, name)
    if value and not value.startswith("-----") and "/" in value:
        try:
            with open(value, encoding="utf-8") as handle:
                value = handle.read().strip()
        except OSError as error:
            raise ImproperlyConfigured(f"{name}: cannot read {value}: {error}") from None
    return value


def oidc_app(env: Mapping[str, str]) -> dict[str, Any] | None:
    server_url = _env(env, "RISTRA_OIDC_SERVER_URL")
    if not server_url:
        return None
    if not server_url.startswith(("https://", "http://")):
        raise ImproperlyConfigured("RISTRA_OIDC_SERVER_URL must be the issuer's https:// URL")
    client_id = _env(env, "RISTRA_OIDC_CLIENT_ID")
    secret = _env(env, "RISTRA_OIDC_SECRET")
    if not client_id or not secret:
        raise ImproperlyConfigured(
            "RISTRA_OIDC_SERVER_URL is set, so RISTRA_OIDC_CLIENT_ID and RISTRA_OIDC_SECRET "
            "are needed too"
        )
    return {
        "provider_id": _env(env, "RISTRA_OIDC_ID") or "campus",
        "name": _env(env, "RISTRA_OIDC_NAME") or "Campus sign-in",
        "client_id": client_id,
        "secret": secret,
        "settings": {
            "server_url": server_url,
            "oauth_pkce_enabled": True,
            "auth_params": {"scope": "openid profile email"},
            "groups_claim": _env(env, "RISTRA_OIDC_GROUPS_CLAIM") or "groups",
        },
    }


def saml_app(env: Mapping[str, str]) -> dict[str, Any] | None:
    entity_id = _env(env, "RISTRA_SAML_IDP_ENTITY_ID")
    if not entity_id:
        return None
    idp: dict[str, Any] = {"entity_id": entity_id}
    metadata_url = _env(env, "RISTRA_SAML_IDP_METADATA_URL")
    if metadata_url:
        idp["metadata_url"] = metadata_url
    else:
        sso_url = _env(env, "RISTRA_SAML_IDP_SSO_URL")
        cert = _read_cert(env, "RISTRA_SAML_IDP_X509CERT")
        if not sso_url or not cert:
            raise ImproperlyConfigured(
                "RISTRA_SAML_IDP_ENTITY_ID is set: give RISTRA_SAML_IDP_METADATA_URL, or both "
                "RISTRA_SAML_IDP_SSO_URL and RISTRA_SAML_IDP_X509CERT (PEM text or a file)"
            )
        idp["sso_url"] = sso_url
        idp["x509cert"] = cert
    app_settings: dict[str, Any] = {
        "idp": idp,
        "attribute_mapping": SAML_ATTRIBUTES,
        "groups_attribute": _env(env, "RISTRA_SAML_GROUPS_ATTRIBUTE") or SAML_GROUPS_ATTRIBUTE,
        "advanced": {
            "strict": True,
            "want_assertion_signed": True,
            "reject_idp_initiated_sso": True,
        },
    }
    sp_entity_id = _env(env, "RISTRA_SAML_SP_ENTITY_ID")
    if sp_entity_id:
        app_settings["sp"] = {"entity_id": sp_entity_id}
    return {
        "client_id": _env(env, "RISTRA_SAML_ORG") or "campus",
        "name": _env(env, "RISTRA_SAML_NAME") or "Campus sign-in (SAML)",
        "settings": app_settings,
    }


def email_domains(env: Mapping[str, str]) -> list[str]:
    """``RISTRA_SSO_EMAIL_DOMAINS``: the campus e-mail domains the identity provider vouches
    for. A first sign-on with such an address joins the existing Ristra account that has
    it (an account an administrator made before single sign-on) instead of making another.
    """
    domains = [
        part.strip().lower().lstrip("@")
        for part in env.get("RISTRA_SSO_EMAIL_DOMAINS", "").split(",")
        if part.strip()
    ]
    for domain in domains:
        if "." not in domain or "@" in domain or " " in domain:
            raise ImproperlyConfigured(
                f"RISTRA_SSO_EMAIL_DOMAINS: {domain!r} is not an e-mail domain such as "
                "med.example.edu"
            )
    return domains


def providers(env: Mapping[str, str]) -> dict[str, Any]:
    """``SOCIALACCOUNT_PROVIDERS`` for allauth from the environment."""
    result: dict[str, Any] = {}
    domains = email_domains(env)
    oidc = oidc_app(env)
    saml = saml_app(env)
    for app in (oidc, saml):
        if app:
            app["settings"]["verified_email"] = domains
            app["settings"]["email_authentication"] = bool(domains)
    if oidc:
        result["openid_connect"] = {"APPS": [oidc], "OAUTH_PKCE_ENABLED": True}
    if saml:
        result["saml"] = {"APPS": [saml]}
    return result
