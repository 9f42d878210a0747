"""The sign-on pages pass axe (WCAG 2.2 AA) in Chromium: the sign-in page with campus
buttons, the refused sign-in page and the no-role page. Skips like the other browser
tests when Chromium or axe-core is missing (and fails instead under CI)."""

from __future__ import annotations

import os
from typing import Any

import pytest
from django.test import Client

from ristra.accounts import sso
from ristra.core.tests.test_accessibility import READY, browser, violations

pytestmark = [
    pytest.mark.skipif(not READY, reason="needs chromium and node_modules/axe-core"),
    pytest.mark.django_db(transaction=True),
]
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
__all__ = ["browser"]


@pytest.fixture
def campus_site(live_server: Any, settings: Any) -> str:
    settings.SOCIALACCOUNT_PROVIDERS = sso.providers(
        {
            "RISTRA_OIDC_SERVER_URL": "https://login.example.edu",
            "RISTRA_OIDC_CLIENT_ID": "abc",
            "RISTRA_OIDC_SECRET": "s3cret",
            "RISTRA_OIDC_NAME": "Campus ID",
        }
    )
    settings.RISTRA_LOCAL_LOGIN = False
    return str(live_server.url)


@pytest.mark.parametrize(
    "path", ["/accounts/login/", "/accounts/oidc/campus/login/callback/?error=server_error"]
)
def test_the_campus_sign_in_pages_pass_axe(browser: Any, campus_site: str, path: str) -> None:
    page = browser.new_context().new_page()
    page.goto(campus_site + path)
    assert page.locator("h1").count() == 1
    assert violations(page) == []


def test_the_no_role_page_passes_axe(browser: Any, campus_site: str, cast: dict[str, Any]) -> None:
    client = Client()
    client.force_login(cast["outsider"])
    context = browser.new_context()
    context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": campus_site}]
    )
    page = context.new_page()
    page.goto(campus_site + "/accounts/no-role/")
    assert "no Ristra role yet" in page.content()
    assert violations(page) == []
