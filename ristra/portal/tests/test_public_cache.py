"""Anonymous public pages come from the cache; publishing purges it; forms keep working."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from ristra.portal.models import StandardPage


@pytest.fixture(autouse=True)
def _cache_on(settings: Any) -> None:
    settings.RISTRA_PUBLIC_CACHE_SECONDS = 300


_TOKEN = re.compile(r'(?<=name="csrfmiddlewaretoken" value=")[^"]+')


def _token(html: str) -> str:
    found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    assert found, "the page has no form token"
    return found.group(1)


def test_the_second_anonymous_visit_is_served_from_the_cache(portal: Any) -> None:
    first = Client().get("/programs/")
    second = Client().get("/programs/")
    assert first["X-Ristra-Cache"] == "miss"
    assert second["X-Ristra-Cache"] == "hit"
    # The same page, but for each visitor's own form token.
    assert _TOKEN.sub("", first.content.decode()) == _TOKEN.sub("", second.content.decode())
    assert "default-src 'self'" in second["Content-Security-Policy"]


def test_language_and_display_choices_get_their_own_copies(portal: Any) -> None:
    Client().get("/programs/")
    spanish = Client(headers={"accept-language": "es"}).get("/programs/")
    assert spanish["X-Ristra-Cache"] == "miss"
    assert 'lang="es"' in spanish.content.decode()


def test_signed_in_visitors_are_never_served_or_stored(portal: Any, client_for: Any) -> None:
    response = client_for("admin").get("/programs/")
    assert "X-Ristra-Cache" not in response
    assert Client().get("/programs/")["X-Ristra-Cache"] == "miss"


def test_each_visitor_gets_a_working_form_token_from_a_cached_page(portal: Any) -> None:
    ana, ben = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    first = ana.get("/contact/")
    second = ben.get("/contact/")
    assert second["X-Ristra-Cache"] == "hit"
    token = _token(second.content.decode())
    assert token != _token(first.content.decode())
    assert "csrftoken" in second.cookies  # the visitor's own token cookie is set
    response = ben.post("/contact/", {"csrfmiddlewaretoken": token})
    assert response.status_code != 403  # the form is checked, not refused as forged


def test_publishing_a_page_purges_the_cache(portal: Any) -> None:
    page = StandardPage.objects.live().filter(slug="diversity-statement").first()
    assert page is not None
    assert Client().get(page.url)["X-Ristra-Cache"] == "miss"
    assert Client().get(page.url)["X-Ristra-Cache"] == "hit"
    page.title = "Our commitment, revised"
    page.save_revision().publish()
    response = Client().get(page.url)
    assert response["X-Ristra-Cache"] == "miss"
    assert "Our commitment, revised" in response.content.decode()


def test_a_form_submission_is_never_cached(portal: Any) -> None:
    response = Client().post("/contact/", {})
    assert "X-Ristra-Cache" not in response
