"""Every public page type renders, in English and in Spanish, from the demo site."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from ristra.core import prefs
from ristra.portal.demo import seed_portal
from ristra.portal.models import EventPage, HomePage, NewsPage, ProgramPage, StandardPage

PAGES = [
    "/",
    "/diversity-statement/",
    "/action-plan/",
    "/offices/",
    "/offices/?audience=residents_fellows",
    "/programs/",
    "/programs/?audience=high_school",
    "/programs/summer-health-careers-academy/",
    "/news/",
    "/news/?tag=awards",
    "/stories/",
    "/stories/a-ristra-for-the-office/",
    "/events/",
    "/events/summer-academy-information-night/",
    "/newsletter/",
    "/data/",
    "/contact/",
    "/subscribe/",
]


@pytest.mark.parametrize("path", PAGES)
def test_it_renders_every_public_page(client: Client, portal: Any, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'class="usa-skipnav" href="#main-content"' in html
    assert 'id="main-content"' in html


def test_the_seed_is_idempotent(portal: Any) -> None:
    counts = (HomePage.objects.count(), NewsPage.objects.count(), EventPage.objects.count())
    assert seed_portal().created == 0
    assert counts == (
        HomePage.objects.count(),
        NewsPage.objects.count(),
        EventPage.objects.count(),
    )


def test_the_first_render_honours_the_display_cookie(client: Client, portal: Any) -> None:
    client.cookies[prefs.COOKIE] = "x-large.high"
    html = client.get("/news/").content.decode()
    assert 'class="text-size-x-large contrast-high"' in html


def test_it_serves_spanish_and_falls_back_to_english_pages(client: Client, portal: Any) -> None:
    client.cookies["django_language"] = "es"
    home = client.get("/").content.decode()
    assert '<html lang="es"' in home
    assert "Diversidad y participación comunitaria" in home
    assert "Declaración de diversidad" in client.get("/diversity-statement/").content.decode()
    # Not translated yet: the English page, with the Spanish chrome around it.
    news = client.get("/news/")
    assert news.status_code == 200
    assert '<html lang="es"' in news.content.decode()


def test_the_directory_filters_by_audience(client: Client, portal: Any) -> None:
    html = client.get("/offices/?audience=faculty").content.decode()
    assert "Women in Academic Medicine" in html
    assert "Office for International Students and Scholars" not in html


def test_a_program_page_has_every_fact_and_structured_data(client: Client, portal: Any) -> None:
    html = client.get("/programs/summer-health-careers-academy/").content.decode()
    for text in ("Grades 10-12", "Six weeks", "$1,500", "Free", "Who can apply", "How to apply"):
        assert text in html
    assert '"@type": "EducationalOccupationalProgram"' in html
    assert "Published outcomes" in html


def test_a_policy_shows_its_review_cycle_and_history(client: Client, portal: Any) -> None:
    statement = StandardPage.objects.get(slug="diversity-statement", locale__language_code="en")
    assert statement.next_review_due is not None
    html = client.get("/diversity-statement/").content.decode()
    assert "Review history" in html
    assert "24 months" in html


def test_editor_html_is_escaped_in_plain_fields(client: Client, portal: Any) -> None:
    program = ProgramPage.objects.get(slug="summer-health-careers-academy")
    program.summary = "<script>alert(1)</script>"
    program.save_revision().publish()
    html = client.get("/programs/summer-health-careers-academy/").content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "\\u003cscript" in html  # inside the JSON-LD, escaped


def test_the_cms_needs_a_login(client: Client, portal: Any) -> None:
    response = client.get("/cms/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    # Wagtail's own login form is not used: sign-in goes through allauth (lockout, MFA).
    assert client.get("/cms/login/")["Location"].startswith("/accounts/login/")


def test_an_editor_reaches_the_cms(client: Client, portal: Any, cast: dict[str, Any]) -> None:
    from django.contrib.auth.models import Group

    editor = cast["manager"]
    editor.groups.add(Group.objects.get(name="Editors"))
    client.force_login(editor)
    assert client.get("/cms/").status_code == 200
    client.force_login(cast["outsider"])
    assert client.get("/cms/").status_code in (302, 403)


def test_the_public_site_is_at_the_root_and_the_staff_app_under_office(
    client: Client, portal: Any
) -> None:
    assert client.get("/").status_code == 200
    assert client.get("/office/")["Location"].startswith("/accounts/login/")


def test_old_site_addresses_redirect_to_the_root(client: Client, portal: Any) -> None:
    response = client.get("/site/news/?tag=events")
    assert response.status_code == 301 and response["Location"] == "/news/?tag=events"


def test_no_top_level_page_may_take_a_staff_address(portal: Any) -> None:
    from django.core.exceptions import ValidationError
    from wagtail.models import Site

    from ristra.portal.models import StandardPage

    home = Site.objects.get(is_default_site=True).root_page
    page = StandardPage(title="Measures", slug="measures")
    try:
        home.add_child(instance=page)
    except ValidationError as error:
        assert "slug" in error.message_dict
    else:
        raise AssertionError("a page took the staff application's /measures/ address")


def test_a_missing_page_is_404(client: Client, portal: Any) -> None:
    assert client.get("/no-such-page/").status_code == 404


@pytest.mark.django_db
def test_a_missing_public_page_gets_the_public_not_found_page(client: Any) -> None:
    response = client.get("/no-such-page-here/")
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()
    assert "Skip to main content" in response.content.decode()
