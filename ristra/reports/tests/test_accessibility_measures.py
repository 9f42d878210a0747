"""The measures screens in a real browser, checked by axe-core (WCAG 2.2 AA), charts drawn."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

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


def test_measures_screens_pass_axe_with_their_charts_drawn(
    browser: Any,  # noqa: F811 - the imported fixture
    live_server: Any,
    cast: dict[str, Any],
    settings: Any,
    tmp_path: Any,
) -> None:
    from ristra.people.demo import build_demo_school
    from ristra.reports import dashboards
    from ristra.reports.demo import seed_definitions
    from ristra.reports.services import snapshot_refresh

    build_demo_school(seed=7, scale="small")
    seed_definitions()
    settings.RISTRA_SNAPSHOT_PATH = tmp_path / "snapshot.duckdb"
    snapshot_refresh(reason="test")
    site = {"url": live_server.url}
    screens = [
        reverse("reports:home"),
        reverse("reports:dashboard", args=["faculty"]),
        reverse("reports:dashboard", args=["applicants"]),
        reverse("reports:dashboard", args=["students"]) + "?dimension=school:urim",
        reverse("reports:reports"),
        reverse("reports:report", args=["admissions-transparency"]),
        reverse("reports:report", args=["annual-report"]),
        reverse("reports:drill", args=["faculty"]) + "?group=white",
        reverse("reports:categories"),
        reverse("reports:benchmarks"),
    ]
    found: dict[str, list[str]] = {}
    for contrast in ("light", "dark", "high"):
        page = page_for(browser, site, cast["analyst"], contrast=contrast)
        for path in screens if contrast == "light" else screens[:3]:
            page.goto(site["url"] + path)
            if page.locator("[data-chart]").count():
                page.wait_for_selector("[data-chart] svg", timeout=15000)
            problems = violations(page)
            if problems:
                found[f"{contrast} {path}"] = problems
    dashboards.forget_cached()
    assert found == {}


def test_a_chart_is_hidden_from_screen_readers_and_described_in_text(
    browser: Any,  # noqa: F811 - the imported fixture
    live_server: Any,
    cast: dict[str, Any],
    settings: Any,
    tmp_path: Any,
) -> None:
    from ristra.people.demo import build_demo_school
    from ristra.reports import dashboards
    from ristra.reports.services import snapshot_refresh

    build_demo_school(seed=7, scale="small")
    settings.RISTRA_SNAPSHOT_PATH = tmp_path / "snapshot.duckdb"
    snapshot_refresh(reason="test")
    page = page_for(browser, {"url": live_server.url}, cast["viewer"])
    page.goto(live_server.url + reverse("reports:dashboard", args=["staff"]))
    page.wait_for_selector("[data-chart] svg", timeout=15000)
    chart = page.locator(".ristra-chart__canvas").first
    assert chart.get_attribute("role") == "img"
    assert "staff" in (chart.get_attribute("aria-label") or "")
    assert chart.locator("svg").get_attribute("aria-hidden") == "true"
    dashboards.forget_cached()
