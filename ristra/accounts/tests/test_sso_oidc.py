"""OpenID Connect sign-on, end to end against a real provider on loopback.

The provider (django-oauth-toolkit, ``oidc_provider.py``) runs in its own process on
127.0.0.1; the browser side is a real HTTP client for the provider and Django's test client
for Ristra. Ristra's token exchange, key fetch (JWKS) and user-info call are real HTTP to
the provider. Forged ID tokens come from clients the provider is told to misbehave for.
"""

from __future__ import annotations

import json
import logging
import re
import select
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import pytest
import requests
from allauth.socialaccount.models import SocialAccount
from django.urls import reverse

from ristra.accounts.models import Role, User
from ristra.audit.models import AuditEvent

PROVIDER_SCRIPT = Path(__file__).with_name("oidc_provider.py")
CALLBACK = "http://testserver/accounts/oidc/campus/login/callback/"
USERS: list[dict[str, Any]] = [
    {
        "username": "pat",
        "password": "pat-password-1",
        "email": "pat@campus.example.edu",
        "first_name": "Pat",
        "groups": ["som-dei-analysts"],
    },
    {
        "username": "ada",
        "password": "ada-password-1",
        "email": "ada@campus.example.edu",
        "groups": ["som-dei-admins", "som-dei-analysts", "admissions-committee"],
    },
    {"username": "nell", "password": "nell-password-1", "email": "nell@campus.example.edu"},
]
CLIENTS = {
    "honest": "ristra",
    "signature": "ristra-forged-signature",
    "audience": "ristra-wrong-audience",
    "expired": "ristra-expired",
}
SECRET = "loopback-client-secret"


@pytest.fixture(scope="module")
def provider(tmp_path_factory: Any) -> Any:
    folder = tmp_path_factory.mktemp("oidc")
    spec = {
        "database": str(folder / "provider.sqlite3"),
        "users": USERS,
        "clients": [
            {
                "client_id": client_id,
                "secret": SECRET,
                "redirect_uri": CALLBACK,
                "forge": "" if forge == "honest" else forge,
            }
            for forge, client_id in CLIENTS.items()
        ],
    }
    (folder / "spec.json").write_text(json.dumps(spec), encoding="utf-8")
    log = folder / "provider.log"
    with log.open("w", encoding="utf-8") as errors:
        process = subprocess.Popen(  # noqa: S603 (our own script, our own arguments)
            [sys.executable, str(PROVIDER_SCRIPT), str(folder / "spec.json")],
            stdout=subprocess.PIPE,
            stderr=errors,
            text=True,
        )
    try:
        assert process.stdout is not None
        # Wait for "PORT n" (the provider is serving), at most a minute on a busy machine.
        ready, _, _ = select.select([process.stdout], [], [], 60)
        line = process.stdout.readline() if ready else ""
        if not line.startswith("PORT "):
            raise RuntimeError(f"OIDC provider did not start: {log.read_text()[-2000:]}")
        yield f"http://127.0.0.1:{int(line.split()[1])}/o"
    finally:
        process.kill()
        process.wait(timeout=10)
        if process.stdout is not None:
            process.stdout.close()


@pytest.fixture
def campus(db: Any, settings: Any, provider: str) -> Any:
    def configure(client_id: str = "ristra", domains: list[str] | None = None) -> None:
        settings.SOCIALACCOUNT_PROVIDERS = {
            "openid_connect": {
                "APPS": [
                    {
                        "provider_id": "campus",
                        "name": "Campus",
                        "client_id": client_id,
                        "secret": SECRET,
                        "settings": {
                            "server_url": provider,
                            "oauth_pkce_enabled": True,
                            "auth_params": {"scope": "openid profile email"},
                            "groups_claim": "groups",
                            "verified_email": domains or [],
                            "email_authentication": bool(domains),
                        },
                    }
                ]
            }
        }

    settings.RISTRA_SSO_ROLE_MAP = {
        "som-dei-admins": Role.ADMINISTRATOR,
        "som-dei-analysts": Role.ANALYST,
    }
    settings.RISTRA_SSO_DECISION_MAKER_GROUPS = ["admissions-committee"]
    configure()
    return configure


def sign_on(client: Any, username: str) -> Any:
    """Press the campus button, sign in at the provider, come back; Ristra's answer."""
    password = next(user["password"] for user in USERS if user["username"] == username)
    response = client.post(reverse("openid_connect_login", args=["campus"]))
    assert response.status_code == 302, response.content[:500]
    url = response["Location"]
    browser = requests.Session()
    browser.trust_env = False
    for _ in range(8):
        if url.startswith("http://testserver/"):
            return client.get(url.removeprefix("http://testserver"))
        page = browser.get(url, allow_redirects=False, timeout=10)
        if page.status_code == 200:  # the provider's sign-in form
            token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
            assert token, page.text[:500]
            page = browser.post(
                page.url,
                data={
                    "csrfmiddlewaretoken": token.group(1),
                    "username": username,
                    "password": password,
                    "next": re.search(r'name="next" value="([^"]*)"', page.text).group(1),  # type: ignore[union-attr]
                },
                headers={"Referer": page.url},
                allow_redirects=False,
                timeout=10,
            )
        assert page.status_code == 302, (page.status_code, page.text[:500])
        url = urljoin(page.url, page.headers["Location"])
    raise AssertionError("the provider never sent the browser back to Ristra")


def test_a_campus_analyst_signs_on_and_gets_the_mapped_role(client: Any, campus: Any) -> None:
    response = sign_on(client, "pat")
    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    user = User.objects.get(email="pat@campus.example.edu")
    assert user.role == Role.ANALYST
    assert not user.is_decision_maker
    assert not user.has_usable_password()
    assert client.get(reverse("home")).wsgi_request.user == user
    assert AuditEvent.objects.filter(actor=user, action="login").exists()


def test_groups_are_applied_again_at_every_sign_on(client: Any, campus: Any, settings: Any) -> None:
    sign_on(client, "ada")
    user = User.objects.get(email="ada@campus.example.edu")
    assert user.role == Role.ADMINISTRATOR  # the most senior of the mapped groups
    assert user.is_decision_maker  # admissions-committee is a decision-maker group
    # An administrator who came through the campus IdP relies on its MFA: no TOTP detour.
    assert client.get(reverse("people:search")).status_code == 200
    client.logout()
    settings.RISTRA_SSO_ROLE_MAP = {"som-dei-analysts": Role.ANALYST}
    sign_on(client, "ada")
    user.refresh_from_db()
    assert user.role == Role.ANALYST
    assert User.objects.filter(email="ada@campus.example.edu").count() == 1


def test_a_first_sign_on_joins_the_account_an_administrator_made(client: Any, campus: Any) -> None:
    made = User.objects.create(username="pcarter", email="pat@campus.example.edu", role="")
    campus(domains=["campus.example.edu"])
    assert sign_on(client, "pat")["Location"] == reverse("home")
    made.refresh_from_db()
    assert made.role == Role.ANALYST
    assert User.objects.filter(email="pat@campus.example.edu").count() == 1
    assert SocialAccount.objects.get(user=made).provider == "campus"


def test_someone_in_no_mapped_group_gets_no_role_and_is_told_so(client: Any, campus: Any) -> None:
    response = sign_on(client, "nell")
    assert response["Location"] == reverse("sso_no_role")
    user = User.objects.get(email="nell@campus.example.edu")
    assert user.role == ""
    assert not user.is_superuser and not user.is_staff
    page = client.get(reverse("sso_no_role")).content.decode()
    assert "no Ristra role yet" in page
    assert client.get(reverse("people:search")).status_code in {403, 404}


@pytest.mark.parametrize(
    ("forge", "reason"),
    [
        ("signature", "Signature verification failed"),
        ("audience", "Audience doesn't match"),
        ("expired", "Signature has expired"),
    ],
)
def test_a_forged_id_token_is_refused_with_a_clear_log(
    client: Any, campus: Any, caplog: Any, forge: str, reason: str
) -> None:
    campus(CLIENTS[forge])
    with caplog.at_level(logging.WARNING, logger="ristra.accounts.sso"):
        response = sign_on(client, "pat")
    assert response.status_code == 401
    assert "Sign-in refused" in response.content.decode()
    assert not User.objects.filter(email="pat@campus.example.edu").exists()
    assert not client.get(reverse("home")).wsgi_request.user.is_authenticated
    refused = [r.getMessage() for r in caplog.records if "Single sign-on refused" in r.getMessage()]
    assert refused and reason in refused[0], refused
    assert AuditEvent.objects.filter(action="denied", summary__contains=reason).exists()
