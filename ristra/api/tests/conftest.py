"""API test helpers: a bearer token for any member of the fixed cast."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest


@pytest.fixture(autouse=True)
def _media_in_tmp(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def bearer(cast: dict[str, Any]) -> Callable[[str], dict[str, str]]:
    """``bearer("analyst")``: request headers carrying a fresh token of that cast member."""
    from ristra.api.services import token_create

    def make(who: str) -> dict[str, str]:
        new = token_create(user=cast[who], name=f"test {who}", days=30)
        return {"Authorization": f"Bearer {new.secret}"}

    return make
