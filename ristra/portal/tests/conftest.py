"""The demo public site, built once per test that asks for it."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture
def portal(db: Any, cast: dict[str, Any]) -> Any:
    from ristra.portal.demo import seed_portal

    return seed_portal()
