"""What ``ristra serve`` prints before it starts the server (the banner ``make run`` ends with)."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command

from ristra.accounts.models import User
from ristra.core.management.commands import serve
from ristra.people.demo import DEMO_PASSWORD

pytestmark = pytest.mark.django_db


def banner(monkeypatch: pytest.MonkeyPatch) -> str:
    """The banner, with the web server and the worker thread left out (the database is real)."""
    started: list[tuple[Any, ...]] = []
    monkeypatch.setattr(serve, "start_worker_thread", lambda: None)
    monkeypatch.setattr(serve, "call_command", lambda *args, **kwargs: started.append(args))
    out = StringIO()
    call_command("serve", "--port", "8123", stdout=out)
    assert started == [("runserver", "127.0.0.1:8123")]
    return out.getvalue()


def test_demo_banner_names_the_accounts_and_the_administrators_authenticator_rule(
    monkeypatch: pytest.MonkeyPatch, settings: Any
) -> None:
    User.objects.create_user("admin", password=DEMO_PASSWORD)
    settings.RISTRA_ADMIN_MFA = True
    text = banner(monkeypatch)
    assert f"Sign in as admin / {DEMO_PASSWORD}" in text
    assert "first asked to set up an authenticator app (TOTP)" in text

    settings.RISTRA_ADMIN_MFA = False
    assert "authenticator app" not in banner(monkeypatch)


def test_no_demo_credentials_are_printed_when_the_admin_password_is_not_the_demo_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    User.objects.create_user("admin", password="a-real-secret-of-this-office")
    text = banner(monkeypatch)
    assert DEMO_PASSWORD not in text
    assert "authenticator app" not in text


def test_an_empty_database_is_told_how_to_create_the_first_account(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert "create one with 'ristra createadmin'" in banner(monkeypatch)
