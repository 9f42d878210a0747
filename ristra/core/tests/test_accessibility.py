"""Every screen in a real browser (Debian's Chromium) checked by axe-core for WCAG 2.2 AA.

Needs /usr/bin/chromium and node_modules/axe-core (``npm install``). Without them the
tests skip, unless RISTRA_REQUIRE_BROWSER=1 (CI sets it), when they fail instead.
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from ristra.core import prefs

AXE = Path(settings.BASE_DIR) / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
READY = AXE.is_file() and Path(CHROMIUM).is_file()
if not READY and os.environ.get("RISTRA_REQUIRE_BROWSER") == "1":
    raise RuntimeError("Browser tests need /usr/bin/chromium and node_modules/axe-core")
pytestmark = [
    pytest.mark.skipif(not READY, reason="needs chromium and node_modules/axe-core"),
    pytest.mark.django_db(transaction=True),
]
# Playwright's sync API runs an event loop in this thread; the ORM calls here are ours.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


@pytest.fixture(scope="module")
def browser() -> Any:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        instance = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        OPEN_BROWSERS.append(instance)
        yield instance
        OPEN_BROWSERS.remove(instance)
        instance.close()


OPEN_BROWSERS: list[Any] = []


def quiet_browsers() -> None:
    """Let every open page finish its requests, then close it.

    A page keeps asking after a test's last step (Chromium fetches /favicon.ico after
    load, htmx panels poll). The live server answers on the test database's own
    connection, so a request still running when the test ends holds a lock on
    ``django_session`` and the database flush between tests fails. Root conftest calls
    this after each live-server test, before the live server and the database go.
    """
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    for instance in OPEN_BROWSERS:
        for context in list(instance.contexts):
            for page in context.pages:
                # a page still polling after five seconds is closed anyway
                with contextlib.suppress(PlaywrightTimeout):
                    page.wait_for_load_state("networkidle", timeout=5000)
            context.close()


@pytest.fixture
def site(live_server: Any, cast: dict[str, Any]) -> dict[str, Any]:
    """A batch with problems, a committed batch, a person with answers."""
    from ristra.people import services
    from ristra.people.models import Person

    admin = cast["admin"]
    csv = (
        "EMPLID,Last Name,First Name,Department,Academic Rank,Hire Date,Sex,Race\n"
        "E1,Begay,Lorraine,Pediatrics,Assistant Professor,2019-07-01,Female,"
        "American Indian or Alaska Native\n"
        "E2,Nguyen,Thu,Pediatrics,Visiting Scholar,2012-01-03,Female,Asian\n"
    )
    checked = services.batch_check(
        batch=services.batch_upload(
            user=admin, kind="faculty", filename="hr.csv", stream=io.BytesIO(csv.encode())
        )
    )
    committed = services.batch_commit(
        batch=services.batch_check(
            batch=services.batch_upload(
                user=admin, kind="faculty", filename="hr2.csv", stream=io.BytesIO(csv.encode())
            )
        ),
        user=admin,
    )
    person = Person.objects.get(family_name="Begay")
    return {"checked": checked, "committed": committed, "person": person, "url": live_server.url}


def page_for(browser: Any, site: dict[str, Any], user: Any, contrast: str = "light") -> Any:
    client = Client()
    client.force_login(user)
    context = browser.new_context()
    cookies = [
        {
            "name": settings.SESSION_COOKIE_NAME,
            "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
            "url": site["url"],
        },
        {"name": prefs.COOKIE, "value": f"medium.{contrast}", "url": site["url"]},
    ]
    context.add_cookies(cookies)
    return context.new_page()


def violations(page: Any) -> list[str]:
    # Evaluated, not added as an inline <script>: the Content-Security-Policy (rightly)
    # blocks inline scripts, and the pages are tested with it enforced.
    page.evaluate(AXE.read_text(encoding="utf-8"))
    result = page.evaluate(
        "async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}})", TAGS
    )
    return [
        f"{v['id']}: {v['help']} ({len(v['nodes'])}x, e.g. {v['nodes'][0]['target']})"
        for v in result["violations"]
    ]


SCREENS = [
    "/office/",
    "/people/?q=Begay",
    "/people/{person}/",
    "/people/imports/",
    "/people/imports/new/",
    "/people/imports/{checked}/",
    "/people/imports/{checked}/mapping/",
    "/people/imports/{committed}/",
    "/people/imports/{committed}/rows/",
    "/people/profiles/",
    "/people/profiles/new/",
    "/audit/",
    "/users/",
    "/users/new/",
    "/no-such-page/",
    "/accounts/2fa/",
]


@pytest.mark.parametrize("path", SCREENS)
def test_every_screen_passes_axe(
    browser: Any, site: dict[str, Any], cast: dict[str, Any], path: str
) -> None:
    page = page_for(browser, site, cast["admin"])
    url = site["url"] + path.format(
        person=site["person"].pk, checked=site["checked"].pk, committed=site["committed"].pk
    )
    page.goto(url)
    assert violations(page) == []


@pytest.mark.parametrize("contrast", ["dark", "high"])
def test_the_contrast_themes_pass_axe(
    browser: Any, site: dict[str, Any], cast: dict[str, Any], contrast: str
) -> None:
    page = page_for(browser, site, cast["admin"], contrast=contrast)
    page.goto(site["url"] + f"/people/imports/{site['checked'].pk}/")
    assert page.evaluate("document.documentElement.className").endswith(f"contrast-{contrast}")
    assert violations(page) == []


@pytest.mark.parametrize("path", ["/accounts/login/", "/accounts/password/reset/"])
def test_the_sign_in_pages_pass_axe(browser: Any, site: dict[str, Any], path: str) -> None:
    page = browser.new_context().new_page()
    page.goto(site["url"] + path)
    assert violations(page) == []


def test_a_failed_sign_in_explains_itself_accessibly(browser: Any, site: dict[str, Any]) -> None:
    page = browser.new_context().new_page()
    page.goto(site["url"] + "/accounts/login/")
    page.fill("#id_login", "nobody")
    page.fill("#id_password", "wrong-password")
    page.click("button[type=submit]")
    assert page.locator("[role=alert]").count() >= 1
    assert violations(page) == []


def test_display_settings_apply_from_the_first_render(
    browser: Any, site: dict[str, Any], cast: dict[str, Any]
) -> None:
    page = page_for(browser, site, cast["analyst"])
    page.goto(site["url"] + "/office/")
    page.select_option("#footer-text-size", "x-large")
    page.select_option("#footer-contrast", "high")
    page.click("text=Apply display settings")
    page.goto(site["url"] + "/people/")
    assert page.evaluate("document.documentElement.className") == (
        "text-size-x-large contrast-high"
    )


def test_everything_works_by_keyboard(
    browser: Any, site: dict[str, Any], cast: dict[str, Any]
) -> None:
    page = page_for(browser, site, cast["analyst"])
    page.goto(site["url"] + "/office/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent").strip() == "Skip to main content"
    page.keyboard.press("Enter")
    assert page.evaluate("location.hash") == "#main-content"


def test_the_checker_itself_catches_a_violation(browser: Any) -> None:
    page = browser.new_context().new_page()
    page.set_content("<html><body><img src='x.png'><input type='text'></body></html>")
    found = violations(page)
    assert any(v.startswith("image-alt") for v in found)
    assert any(v.startswith("label") for v in found)
