"""The early public page cache (ristra/core/public_cache.py): who is served from it, what it
keys on, what it refuses to store, and that publishing retires it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings
from django.core.cache import caches
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import (
    get_token,
)
from django.test import Client, RequestFactory

from ristra.core import public_cache
from ristra.core.public_cache import GENERATION_KEY, PublicPageCacheMiddleware
from ristra.portal.models import StandardPage


@pytest.fixture(autouse=True)
def _cache_on(settings: Any) -> Iterator[None]:
    settings.RISTRA_PUBLIC_CACHE_SECONDS = 300
    public_cache.public_cache_forget()  # pages kept in memory by an earlier test
    yield
    public_cache.public_cache_forget()


_TOKEN = re.compile(r'(?<=name="csrfmiddlewaretoken" value=")[^"]+')


def _tokens(html: str) -> list[str]:
    found = _TOKEN.findall(html)
    assert found, "the page has no form token"
    return found


def _html_class(html: str) -> str:
    found = re.search(r'<html lang="([^"]+)" class="([^"]+)"', html)
    assert found, "no <html> element with lang and class"
    return f"{found.group(1)} {found.group(2)}"


def test_the_second_anonymous_visit_is_served_from_the_cache(portal: Any) -> None:
    first = Client().get("/programs/")
    second = Client().get("/programs/")
    assert first["X-Ristra-Cache"] == "miss"
    assert second["X-Ristra-Cache"] == "hit"
    # The same page, but for each visitor's own form token.
    assert _TOKEN.sub("", first.content.decode()) == _TOKEN.sub("", second.content.decode())
    # Headers of the outer middleware are applied to the hit; those of the inner middleware
    # (clickjacking, locale) were stored with the page.
    assert "default-src 'self'" in second["Content-Security-Policy"]
    assert second["X-Frame-Options"] == "DENY"
    assert second["Content-Language"] == "en"
    assert {"Accept-Language", "Cookie"} <= {v.strip() for v in second["Vary"].split(",")}


def test_a_hit_is_answered_before_the_database_and_the_session(
    portal: Any, monkeypatch: Any, django_assert_num_queries: Any
) -> None:
    monkeypatch.setattr(public_cache, "GENERATION_RECHECK_SECONDS", 3600.0)
    assert Client().get("/programs/")["X-Ristra-Cache"] == "miss"
    with django_assert_num_queries(0):
        response = Client().get("/programs/")
    assert response["X-Ristra-Cache"] == "hit"
    assert "Cookie" in response["Vary"]


@pytest.mark.parametrize(
    "headers, cookies",
    [
        ({"accept-language": "es"}, {}),
        ({}, {settings.LANGUAGE_COOKIE_NAME: "es"}),
        # The language cookie wins over the browser's languages, as in LocaleMiddleware.
        ({"accept-language": "en"}, {settings.LANGUAGE_COOKIE_NAME: "es"}),
    ],
)
def test_each_language_gets_its_own_copy(
    portal: Any, headers: dict[str, str], cookies: dict[str, str]
) -> None:
    english = Client().get("/programs/")
    assert _html_class(english.content.decode()).startswith("en ")

    def spanish_client() -> Client:
        client = Client(headers=headers)
        client.cookies.load(cookies)
        return client

    first = spanish_client().get("/programs/")
    second = spanish_client().get("/programs/")
    assert first["X-Ristra-Cache"] == "miss"
    assert second["X-Ristra-Cache"] == "hit"
    assert _html_class(first.content.decode()).startswith("es ")
    assert _html_class(second.content.decode()).startswith("es ")
    assert second["Content-Language"] == "es"
    # ... and English visitors still get the English copy.
    again = Client(headers={"accept-language": "en"}).get("/programs/")
    assert again["X-Ristra-Cache"] == "hit"
    assert _html_class(again.content.decode()).startswith("en ")


def test_each_text_size_and_contrast_gets_its_own_copy(portal: Any) -> None:
    Client().get("/programs/")

    def with_prefs() -> Client:
        client = Client()
        client.cookies.load({"ristra_display": "x-large.high"})
        return client

    first = with_prefs().get("/programs/")
    second = with_prefs().get("/programs/")
    assert first["X-Ristra-Cache"] == "miss"
    assert second["X-Ristra-Cache"] == "hit"
    assert "text-size-x-large contrast-high" in _html_class(second.content.decode())
    default = Client().get("/programs/")
    assert default["X-Ristra-Cache"] == "hit"
    assert "text-size-medium contrast-light" in _html_class(default.content.decode())


def test_the_query_string_is_part_of_the_key(portal: Any) -> None:
    assert Client().get("/news/")["X-Ristra-Cache"] == "miss"
    assert Client().get("/news/?tag=events")["X-Ristra-Cache"] == "miss"
    assert Client().get("/news/?tag=events")["X-Ristra-Cache"] == "hit"


def test_signed_in_visitors_are_never_served_or_stored(portal: Any, client_for: Any) -> None:
    response = client_for("admin").get("/programs/")
    assert response.status_code == 200
    assert "X-Ristra-Cache" not in response
    assert Client().get("/programs/")["X-Ristra-Cache"] == "miss"
    # A page stored for anonymous visitors is not what a signed-in editor gets either.
    assert Client().get("/programs/")["X-Ristra-Cache"] == "hit"
    signed_in = client_for("admin").get("/programs/")
    assert "X-Ristra-Cache" not in signed_in
    assert "Set-Cookie" not in signed_in or "sessionid" not in signed_in.cookies


def test_a_visitor_with_a_session_cookie_or_htmx_is_not_served_from_the_cache(
    portal: Any,
) -> None:
    Client().get("/programs/")
    assert Client().get("/programs/")["X-Ristra-Cache"] == "hit"
    with_session = Client()
    with_session.cookies.load({settings.SESSION_COOKIE_NAME: "an-expired-session"})
    assert "X-Ristra-Cache" not in with_session.get("/programs/")
    assert "X-Ristra-Cache" not in Client().get("/programs/", headers={"HX-Request": "true"})


def test_each_visitor_gets_a_working_form_token_and_nobody_elses_cookie(portal: Any) -> None:
    ana, ben = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    first = ana.get("/contact/")
    assert first["X-Ristra-Cache"] == "miss"
    ana_secret = first.cookies[settings.CSRF_COOKIE_NAME].value
    second = ben.get("/contact/")
    assert second["X-Ristra-Cache"] == "hit"
    ben_secret = second.cookies[settings.CSRF_COOKIE_NAME].value  # ben's own cookie is set
    assert ben_secret != ana_secret
    html = second.content.decode()
    assert ana_secret not in html and ana_secret not in str(second.cookies)
    for token in _tokens(html):  # every form on the page carries ben's secret, not ana's
        assert public_cache.unmask_form_token(token) == ben_secret
    response = ben.post("/contact/", {"csrfmiddlewaretoken": _tokens(html)[0]})
    assert response.status_code != 403  # the form is checked, not refused as forged
    # A visitor who already has a token cookie keeps it (Django re-sends the same value to
    # renew it, as on an uncached page); no other cookie is set.
    third = ben.get("/contact/")
    assert third["X-Ristra-Cache"] == "hit"
    assert {name: c.value for name, c in third.cookies.items()} == {
        settings.CSRF_COOKIE_NAME: ben_secret
    }
    assert all(
        public_cache.unmask_form_token(t) == ben_secret for t in _tokens(third.content.decode())
    )


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


def test_a_publish_in_another_process_retires_this_process_pages(
    portal: Any, monkeypatch: Any
) -> None:
    monkeypatch.setattr(public_cache, "GENERATION_RECHECK_SECONDS", 0.0)
    Client().get("/programs/")
    assert Client().get("/programs/")["X-Ristra-Cache"] == "hit"
    # What public_cache_purge does in another gunicorn worker: only the shared number moves.
    caches["default"].incr(GENERATION_KEY)
    assert Client().get("/programs/")["X-Ristra-Cache"] == "miss"


def test_a_form_submission_is_never_cached(portal: Any) -> None:
    response = Client().post("/contact/", {})
    assert "X-Ristra-Cache" not in response


# The rules for what may be stored, on responses no public page produces today.


def _twice(view: Any) -> tuple[HttpResponse, HttpResponse]:
    middleware = PublicPageCacheMiddleware(view)
    first = middleware(RequestFactory().get("/a-page/"))
    second = middleware(RequestFactory().get("/a-page/"))
    return first, second


@pytest.mark.django_db
def test_a_plain_page_is_stored() -> None:
    first, second = _twice(lambda request: HttpResponse("<p>hello</p>"))
    assert (first["X-Ristra-Cache"], second["X-Ristra-Cache"]) == ("miss", "hit")
    assert second.content == b"<p>hello</p>"


@pytest.mark.django_db
def test_a_page_that_sets_a_cookie_is_not_stored() -> None:
    def view(request: HttpRequest) -> HttpResponse:
        response = HttpResponse("<p>hello</p>")
        response.set_cookie("ristra_display", "large.dark")
        return response

    first, second = _twice(view)
    assert "X-Ristra-Cache" not in first and "X-Ristra-Cache" not in second
    assert "ristra_display" in second.cookies


@pytest.mark.django_db
def test_a_page_showing_the_form_token_outside_a_form_is_not_stored() -> None:
    def view(request: HttpRequest) -> HttpResponse:  # what {{ csrf_token }} renders
        return HttpResponse(f'<div data-token="{get_token(request)}"></div>')

    first, second = _twice(view)
    assert "X-Ristra-Cache" not in first and "X-Ristra-Cache" not in second


@pytest.mark.django_db
def test_a_page_with_the_raw_csrf_secret_is_not_stored() -> None:
    def view(request: HttpRequest) -> HttpResponse:
        get_token(request)
        return HttpResponse(f"<p>{request.META['CSRF_COOKIE']}</p>")

    first, second = _twice(view)
    assert "X-Ristra-Cache" not in first and "X-Ristra-Cache" not in second


@pytest.mark.django_db
def test_a_page_using_a_csp_nonce_is_not_stored() -> None:
    from csp.middleware import CSPMiddleware

    def view(request: HttpRequest) -> HttpResponse:
        return HttpResponse(f'<script nonce="{request.csp_nonce}">1</script>')  # type: ignore[attr-defined]

    def with_csp(request: HttpRequest) -> HttpResponse:
        CSPMiddleware(view).process_request(request)
        return view(request)

    first, second = _twice(with_csp)
    assert "X-Ristra-Cache" not in first and "X-Ristra-Cache" not in second


@pytest.mark.django_db
def test_private_and_non_html_responses_are_not_stored() -> None:
    def private(request: HttpRequest) -> HttpResponse:
        response = HttpResponse("<p>yours</p>")
        response["Cache-Control"] = "private"
        return response

    for view in (private, lambda request: HttpResponse("{}", content_type="application/json")):
        first, second = _twice(view)
        assert "X-Ristra-Cache" not in first and "X-Ristra-Cache" not in second


@pytest.mark.django_db
def test_staff_addresses_are_never_cached() -> None:
    middleware = PublicPageCacheMiddleware(lambda request: HttpResponse("<p>staff</p>"))
    for _ in range(2):
        assert "X-Ristra-Cache" not in middleware(RequestFactory().get("/office/"))
