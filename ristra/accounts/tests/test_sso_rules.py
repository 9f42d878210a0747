"""Sign-on rules: the role map, settings from the environment, the local-login switch,
and TOTP for administrators who sign in with a password."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from ristra.accounts import sso
from ristra.accounts.models import Role, User

PASSWORD = "correct horse battery staple"

# In the group=role spelling a group cannot contain "," or "=", and one starting with "{"
# or "[" reads as JSON (such names need the JSON spelling); surrounding spaces are trimmed.
groups = st.text(
    alphabet=st.characters(blacklist_characters=",=", blacklist_categories=("Cs", "Cc", "Z")),
    min_size=1,
    max_size=20,
).filter(lambda name: not name.startswith(("{", "[")) and name == name.strip())
roles = st.sampled_from(sso.ROLE_ORDER)


def test_the_role_order_names_every_role_exactly_once() -> None:
    assert sorted(sso.ROLE_ORDER) == sorted(Role.values)


@given(st.dictionaries(groups, roles, max_size=6))
def test_both_role_map_spellings_read_back_the_same(mapping: dict[str, str]) -> None:
    import json

    as_pairs = ",".join(f"{group}={role}" for group, role in mapping.items())
    assert sso.parse_role_map(as_pairs) == mapping
    assert sso.parse_role_map(json.dumps(mapping)) == mapping


@given(st.dictionaries(groups, roles, max_size=6), st.lists(groups, max_size=6))
def test_the_most_senior_mapped_role_wins_and_unmapped_gets_none(
    mapping: dict[str, str], member_of: list[str]
) -> None:
    role = sso.role_for_groups(member_of, mapping)
    mapped = [mapping[group] for group in member_of if group in mapping]
    if not mapped:
        assert role == ""
    else:
        assert role in mapped
        assert sso.ROLE_ORDER.index(role) == min(sso.ROLE_ORDER.index(r) for r in mapped)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("staff=superuser", "'superuser' for group 'staff' is not a role"),
        ("staff", "is not group=role"),
        ("{not json", "is not valid JSON"),
        ('["staff"]', "must be a JSON object"),
        ("=analyst", "a group name is empty"),
        ("a=analyst,a=viewer", "mapped twice"),
    ],
)
def test_a_bad_role_map_stops_the_start_with_a_clear_message(text: str, message: str) -> None:
    with pytest.raises(ImproperlyConfigured, match="RISTRA_SSO_ROLE_MAP") as error:
        sso.parse_role_map(text)
    assert message in str(error.value)


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"RISTRA_OIDC_SERVER_URL": "https://login.example.edu"}, "RISTRA_OIDC_CLIENT_ID"),
        (
            {"RISTRA_OIDC_SERVER_URL": "login.example.edu", "RISTRA_OIDC_CLIENT_ID": "x"},
            "https://",
        ),
        ({"RISTRA_SAML_IDP_ENTITY_ID": "https://idp.example.edu"}, "RISTRA_SAML_IDP_SSO_URL"),
        ({"RISTRA_SSO_EMAIL_DOMAINS": "pat@example.edu"}, "is not an e-mail domain"),
        (
            {
                "RISTRA_SAML_IDP_ENTITY_ID": "https://idp.example.edu",
                "RISTRA_SAML_IDP_SSO_URL": "https://idp.example.edu/sso",
                "RISTRA_SAML_IDP_X509CERT": "/nonexistent/idp.pem",
            },
            "cannot read /nonexistent/idp.pem",
        ),
    ],
)
def test_incomplete_provider_settings_stop_the_start(env: dict[str, str], message: str) -> None:
    with pytest.raises(ImproperlyConfigured, match=message):
        sso.providers(env)


def test_providers_are_built_from_the_environment(tmp_path: Any) -> None:
    cert = tmp_path / "idp.pem"
    cert.write_text("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n")
    built = sso.providers(
        {
            "RISTRA_OIDC_SERVER_URL": "https://login.microsoftonline.com/tenant/v2.0",
            "RISTRA_OIDC_CLIENT_ID": "abc",
            "RISTRA_OIDC_SECRET": "s3cret",
            "RISTRA_OIDC_NAME": "Campus ID",
            "RISTRA_SAML_IDP_ENTITY_ID": "https://idp.example.edu/idp/shibboleth",
            "RISTRA_SAML_IDP_SSO_URL": "https://idp.example.edu/idp/profile/SAML2/Redirect/SSO",
            "RISTRA_SAML_IDP_X509CERT": str(cert),
            "RISTRA_SAML_SP_ENTITY_ID": "https://ristra.example.edu/sp",
            "RISTRA_SSO_EMAIL_DOMAINS": "med.example.edu, @example.edu",
        }
    )
    oidc = built["openid_connect"]["APPS"][0]
    assert (oidc["provider_id"], oidc["name"], oidc["client_id"]) == ("campus", "Campus ID", "abc")
    assert oidc["settings"]["oauth_pkce_enabled"] is True
    saml = built["saml"]["APPS"][0]
    assert saml["settings"]["idp"]["x509cert"].startswith("-----BEGIN CERTIFICATE-----")
    assert saml["settings"]["advanced"]["want_assertion_signed"] is True
    assert saml["settings"]["sp"]["entity_id"] == "https://ristra.example.edu/sp"
    assert saml["settings"]["verified_email"] == ["med.example.edu", "example.edu"]
    assert oidc["settings"]["email_authentication"] is True
    assert sso.providers({}) == {}


@pytest.fixture
def people(db: Any) -> dict[str, User]:
    made = {}
    for username, role in [("root", Role.ADMINISTRATOR), ("quinn", Role.ANALYST)]:
        user = User.objects.create(username=username, email=f"{username}@example.org", role=role)
        user.set_password(PASSWORD)
        user.save()
        made[username] = user
    return made


def _login(client: Any, username: str) -> Any:
    return client.post(reverse("account_login"), {"login": username, "password": PASSWORD})


def test_local_login_off_refuses_passwords_with_a_clear_message(
    client: Any, people: dict[str, User], settings: Any, caplog: Any
) -> None:
    settings.RISTRA_LOCAL_LOGIN = False
    with caplog.at_level(logging.WARNING, logger="ristra.accounts.sso"):
        response = _login(client, "quinn")
    assert response.status_code == 200
    assert "Sign-in with a Ristra password is turned off here" in response.content.decode()
    assert not client.get(reverse("home")).wsgi_request.user.is_authenticated
    assert any("local accounts are turned off" in r.getMessage() for r in caplog.records)


def test_only_named_administrators_keep_a_break_glass_password_login(
    client: Any, people: dict[str, User], settings: Any
) -> None:
    settings.RISTRA_LOCAL_LOGIN = False
    settings.RISTRA_BREAK_GLASS_USERS = ["root", "quinn"]  # quinn is no administrator
    assert _login(client, "quinn").status_code == 200
    assert _login(client, "root").status_code == 302


def test_the_sign_in_page_offers_campus_sign_in(client: Any, db: Any, settings: Any) -> None:
    settings.SOCIALACCOUNT_PROVIDERS = sso.providers(
        {
            "RISTRA_OIDC_SERVER_URL": "https://login.example.edu",
            "RISTRA_OIDC_CLIENT_ID": "abc",
            "RISTRA_OIDC_SECRET": "s3cret",
            "RISTRA_OIDC_NAME": "Campus ID",
        }
    )
    settings.RISTRA_LOCAL_LOGIN = False
    page = client.get(reverse("account_login")).content.decode()
    assert "Sign in with Campus ID" in page
    assert reverse("openid_connect_login", args=["campus"]) in page
    assert "Administrators&#x27; emergency sign-in" in page or "emergency sign-in" in page


def test_an_administrator_signing_in_with_a_password_must_set_up_totp(
    client: Any, people: dict[str, User]
) -> None:
    assert _login(client, "root").status_code == 302
    response = client.get(reverse("people:search"))
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_activate_totp")
    assert client.get(reverse("mfa_activate_totp")).status_code in {200, 302}
    TOTP.activate(people["root"], generate_totp_secret())
    assert client.get(reverse("people:search")).status_code == 200


def test_other_roles_and_the_switched_off_rule_are_not_sent_to_totp(
    client: Any, people: dict[str, User], settings: Any
) -> None:
    _login(client, "quinn")
    assert client.get(reverse("home")).status_code == 200
    client.logout()
    settings.RISTRA_ADMIN_MFA = False
    _login(client, "root")
    assert client.get(reverse("home")).status_code == 200


def test_the_no_role_page_needs_a_signed_in_account(client: Any, db: Any) -> None:
    response = client.get(reverse("sso_no_role"))
    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]


def test_password_reset_is_refused_while_local_accounts_are_off(
    client: Any, people: dict[str, User], settings: Any
) -> None:
    settings.RISTRA_LOCAL_LOGIN = False
    response = client.post(reverse("account_reset_password"), {"email": "quinn@example.org"})
    assert response.status_code == 200
    assert "Passwords are turned off here" in response.content.decode()
    settings.RISTRA_LOCAL_LOGIN = True
    response = client.post(reverse("account_reset_password"), {"email": "quinn@example.org"})
    assert response.status_code == 302
