"""The API token page in a real browser, checked by axe-core (WCAG 2.2 AA): the list, and
the page that shows a new token once."""

from __future__ import annotations

from typing import Any

import pytest

from ristra.api.services import token_create
from ristra.core.tests.test_accessibility import (  # noqa: F401 - the browser fixture
    READY,
    browser,
    page_for,
    violations,
)

pytestmark = [
    pytest.mark.skipif(not READY, reason="needs chromium and node_modules/axe-core"),
    pytest.mark.django_db(transaction=True),
]


@pytest.mark.parametrize("contrast", ["light", "high"])
def test_the_token_page_passes_axe(
    browser: Any,  # noqa: F811 - the imported fixture
    live_server: Any,
    cast: dict[str, Any],
    contrast: str,
) -> None:
    token_create(user=cast["analyst"], name="nightly export", days=30)
    revoked = token_create(user=cast["viewer"], name="old script", days=None)
    revoked.token.revoked_at = revoked.token.created_at
    revoked.token.save()
    site = {"url": live_server.url}
    page = page_for(browser, site, cast["admin"], contrast=contrast)
    page.goto(site["url"] + "/api/tokens/")
    assert violations(page) == []
    page.fill("#id_name", "warehouse sync")
    page.click("button[type=submit] >> text=Create token")
    assert page.input_value("#new-token").startswith("ristra_")
    assert violations(page) == []


def test_the_api_docs_load_nothing_from_the_internet(
    browser: Any,  # noqa: F811 - the imported fixture
    live_server: Any,
) -> None:
    page = browser.new_context().new_page()
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(live_server.url + "/api/docs")
    page.wait_for_selector("text=/api/reports/", timeout=15_000)
    assert requested and all(url.startswith(live_server.url) for url in requested), requested
