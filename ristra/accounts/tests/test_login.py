from __future__ import annotations

from typing import Any

import pytest
from django.test import override_settings
from django.urls import reverse

from ristra.accounts.models import Role, User

PASSWORD = "correct horse battery staple"


@pytest.fixture
def user(db: Any) -> User:
    account = User.objects.create(username="quinn", email="quinn@example.org", role=Role.ANALYST)
    account.set_password(PASSWORD)
    account.save()
    return account


def test_it_hashes_passwords_with_argon2(user: User) -> None:
    assert user.password.startswith("argon2")


def test_it_signs_in_with_username_or_email(client: Any, user: User) -> None:
    response = client.post(reverse("account_login"), {"login": "quinn", "password": PASSWORD})
    assert response.status_code == 302
    assert client.get(reverse("home")).status_code == 200
    client.logout()
    response = client.post(
        reverse("account_login"), {"login": "quinn@example.org", "password": PASSWORD}
    )
    assert response.status_code == 302


def test_it_locks_an_account_after_repeated_failures(client: Any, user: User) -> None:
    for _ in range(5):
        client.post(reverse("account_login"), {"login": "quinn", "password": "nope-nope-nope"})
    response = client.post(reverse("account_login"), {"login": "quinn", "password": PASSWORD})
    assert response.status_code in {200, 429}
    assert "Too many failed login attempts" in response.content.decode()
    assert not client.get(reverse("home")).wsgi_request.user.is_authenticated


def test_an_administrator_can_clear_a_lockout(client: Any, user: User) -> None:
    for _ in range(5):
        client.post(reverse("account_login"), {"login": "quinn", "password": "nope-nope-nope"})
    admin = User.objects.create(username="root", role=Role.ADMINISTRATOR)
    client.force_login(admin)
    client.post(reverse("accounts:user_unlock", args=[user.pk]))
    client.logout()
    response = client.post(reverse("account_login"), {"login": "quinn", "password": PASSWORD})
    assert response.status_code == 302


def test_nobody_can_sign_themselves_up(client: Any, db: Any) -> None:
    response = client.get(reverse("account_signup"))
    assert "Sign Up Closed" in response.content.decode() or response.status_code in {403, 404}


def test_it_offers_optional_totp(client: Any, user: User) -> None:
    client.post(reverse("account_login"), {"login": "quinn", "password": PASSWORD})
    assert client.get(reverse("mfa_index")).status_code == 200
    response = client.get(reverse("mfa_activate_totp"))
    if response.status_code == 302:  # confirm the password first, as for every MFA change
        assert "reauthenticate" in response["Location"]
        client.post(response["Location"], {"password": PASSWORD})
        response = client.get(reverse("mfa_activate_totp"))
    assert response.status_code == 200
    assert "secret" in response.content.decode().lower() or "authenticator" in (
        response.content.decode().lower()
    )


@override_settings(LANGUAGE_CODE="es")
def test_it_speaks_spanish(client: Any, user: User) -> None:
    client.force_login(user)
    page = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert 'lang="es"' in page
    assert "Ir al contenido principal" in page
