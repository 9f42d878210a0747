"""The shell every screen lives in: health, errors without stack traces, display prefs."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import override_settings
from django.urls import reverse

from ristra.core import prefs


def test_the_health_check_answers(client: Any, db: Any) -> None:
    assert client.get(reverse("health")).json() == {"status": "ok"}


@pytest.mark.django_db
def test_a_missing_page_is_explained_without_a_stack_trace(client_for: Any) -> None:
    response = client_for("viewer").get("/no-such-page/")
    assert response.status_code == 404
    page = response.content.decode()
    assert "Page not found" in page and "Traceback" not in page


@override_settings(DEBUG=False)
def test_a_server_error_shows_a_plain_apology(client: Any, db: Any) -> None:
    from ristra.core.views import server_error

    request = client.get("/").wsgi_request
    response = server_error(request)
    assert response.status_code == 500
    assert "Something went wrong" in response.content.decode()


@pytest.mark.parametrize(
    ("cookie", "expected"),
    [
        ("large.dark", "text-size-large contrast-dark"),
        ("huge.purple", "text-size-medium contrast-light"),
        ("", "text-size-medium contrast-light"),
        ("x-large.high", "text-size-x-large contrast-high"),
    ],
)
def test_display_prefs_come_from_the_cookie_and_refuse_junk(cookie: str, expected: str) -> None:
    assert prefs.parse(cookie).html_class == expected


@pytest.mark.django_db
def test_display_settings_are_stored_and_only_redirect_locally(client: Any) -> None:
    response = client.post(
        reverse("display_settings"),
        {"text_size": "large", "contrast": "high", "next": "https://evil.example/"},
    )
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.cookies[prefs.COOKIE].value == "large.high"
    page = client.get(reverse("account_login")).content.decode()
    assert 'class="text-size-large contrast-high"' in page


@pytest.mark.django_db
def test_a_locked_database_gets_a_try_again_page(client_for: Any, monkeypatch: Any) -> None:
    from django.db import OperationalError

    from ristra.people import views

    def locked(*args: Any, **kwargs: Any) -> None:
        raise OperationalError("database is locked")

    from ristra.people.models import Person

    monkeypatch.setattr(views, "audit_record", locked)
    Person.objects.create(given_name="X", family_name="Xu")
    response = client_for("analyst").get(reverse("people:search") + "?q=Xu")
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert "try again" in response.content.decode()
