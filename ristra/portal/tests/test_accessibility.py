"""Every public page type in Debian's Chromium, checked by axe-core (WCAG 2.2 A/AA).

Light contrast at medium text, high contrast at the largest text size; keyboard-only
subscribe and contact. Reuses the staff suite's browser and checker.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from ristra.core import prefs
from ristra.core.tests.test_accessibility import (  # noqa: F401 - the browser fixture
    READY,
    browser,
    violations,
)

pytestmark = [
    pytest.mark.skipif(not READY, reason="needs chromium and node_modules/axe-core"),
    pytest.mark.django_db(transaction=True),
]

PUBLIC_PAGES = [
    "/",
    "/diversity-statement/",
    "/offices/",
    "/programs/",
    "/programs/summer-health-careers-academy/",
    "/news/",
    "/news/school-recognised-for-excellence-in-diversity/",
    "/stories/",
    "/stories/a-ristra-for-the-office/",
    "/events/",
    "/events/summer-academy-information-night/",
    "/newsletter/",
    "/data/",
    "/contact/",
    "/subscribe/",
    "/no-such-page/",
]


@pytest.fixture
def public_site(live_server: Any, cast: dict[str, Any]) -> str:
    from ristra.portal.demo import seed_portal

    seed_portal()
    return str(live_server.url)


def pages_with_ids() -> list[str]:
    """Public pages whose address holds a database id."""
    from ristra.portal.models import EventPage, NewsletterIssuePage, ProgramPage

    issue = NewsletterIssuePage.objects.live().first()
    program = ProgramPage.objects.get(slug="summer-health-careers-academy")
    event = EventPage.objects.get(slug="summer-academy-information-night")
    assert issue is not None and issue.url
    return [issue.url, f"/register/program/{program.pk}/", f"/register/event/{event.pk}/"]


def visitor_page(chromium: Any, url: str, *, display: str = "medium.light", lang: str = "") -> Any:
    context = chromium.new_context()
    cookies = [{"name": prefs.COOKIE, "value": display, "url": url}]
    if lang:
        cookies.append({"name": "django_language", "value": lang, "url": url})
    context.add_cookies(cookies)
    return context.new_page()


@pytest.mark.parametrize(
    ("display", "lang"),
    [("medium.light", ""), ("x-large.high", ""), ("medium.dark", "es")],
    ids=["light", "high-contrast-largest-text", "dark-spanish"],
)
def test_every_public_page_type_passes_axe(
    browser: Any,  # noqa: F811
    public_site: str,
    display: str,
    lang: str,
) -> None:
    page = visitor_page(browser, public_site, display=display, lang=lang)
    artifacts = os.environ.get("RISTRA_ARTIFACTS_DIR")
    if artifacts:  # the home page in this mode, for people to review (CI keeps them)
        page.goto(public_site + "/")
        Path(artifacts).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(artifacts) / f"portal-home-{display}-{lang or 'en'}.png"))
    found: dict[str, list[str]] = {}
    for path in [*PUBLIC_PAGES, *pages_with_ids()]:
        page.goto(public_site + path)
        problems = violations(page)
        if problems:
            found[path] = problems
    assert found == {}, "\n".join(f"{k}: {v}" for k, v in found.items())


def test_subscribe_works_by_keyboard(browser: Any, public_site: str) -> None:  # noqa: F811
    from django.core import mail

    page = visitor_page(browser, public_site)
    page.goto(public_site + "/subscribe/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent").strip() == "Skip to main content"
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")  # first link or field after main
    for _ in range(30):
        if page.evaluate("document.activeElement.id") == "id_email":
            break
        page.keyboard.press("Tab")
    page.keyboard.type("keyboard.user@example.org")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.locator("h1").inner_text() == "Check your e-mail"
    assert mail.outbox[-1].to == ["keyboard.user@example.org"]


def test_contact_form_errors_are_announced(browser: Any, public_site: str) -> None:  # noqa: F811
    page = visitor_page(browser, public_site)
    page.goto(public_site + "/contact/")
    with page.expect_navigation():
        page.click("text=Send message")
    assert page.locator("[role=alert]").count() >= 1
    assert violations(page) == []


@pytest.mark.parametrize("display", ["medium.light", "x-large.high"])
def test_the_data_page_with_its_tables_passes_axe(
    browser: Any,  # noqa: F811
    public_site: str,
    display: str,
    settings: Any,
    tmp_path: Any,
) -> None:
    from ristra.people.demo import build_demo_school
    from ristra.people.snapshot import snapshot_frames, snapshot_write
    from ristra.reports import dashboards as d
    from ristra.reports.demo import seed_definitions
    from ristra.reports.services import category_set

    build_demo_school(seed=11, scale="small")
    seed_definitions()
    settings.RISTRA_SNAPSHOT_PATH = tmp_path / "snapshot.duckdb"
    snapshot_write(settings.RISTRA_SNAPSHOT_PATH, snapshot_frames(category_set=category_set()))
    try:
        page = visitor_page(browser, public_site, display=display)
        page.goto(public_site + "/data/")
        assert page.locator("table.ristra-data").count() == 3
        assert violations(page) == []
    finally:
        d.forget_cached()


def test_event_registration_works_by_keyboard(browser: Any, public_site: str) -> None:  # noqa: F811
    from ristra.portal.models import EventPage, Registration

    event = EventPage.objects.get(slug="summer-academy-information-night")
    page = visitor_page(browser, public_site)
    page.goto(public_site + event.url)
    for _ in range(40):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent").strip().startswith("Register"):
            break
    with page.expect_navigation():
        page.keyboard.press("Enter")
    for selector, text in (
        ("#id_given_name", "Marisol"),
        ("#id_family_name", "Trujillo"),
        ("#id_email", "marisol@example.org"),
    ):
        page.focus(selector)
        page.keyboard.type(text)
    page.focus("#id_consent")
    page.keyboard.press("Space")
    page.keyboard.press("Tab")  # the submit button (the honeypot is out of the tab order)
    assert page.evaluate("document.activeElement.textContent").strip() == "Register"
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.locator("h1").inner_text() == "Thank you"
    assert Registration.objects.get().event_id == event.pk
