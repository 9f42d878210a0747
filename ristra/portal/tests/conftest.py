"""The demo public site, built once per test module (like Django's setUpTestData).

The site is written inside a transaction opened for the module; each test runs in a
savepoint within it, and the module's transaction is rolled back at the end. Browser tests
(transactional) build their own site instead.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.db import transaction


@pytest.fixture(autouse=True)
def _no_search_indexing(settings: Any) -> None:
    """Tests do not search, and indexing every published page slows the seed."""
    settings.WAGTAILSEARCH_BACKENDS = {
        "default": {"BACKEND": "wagtail.search.backends.database", "AUTO_UPDATE": False}
    }


@pytest.fixture(scope="module")
def _portal_module(django_db_setup: Any, django_db_blocker: Any) -> Iterator[Any]:
    from ristra.portal.demo import seed_portal

    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            yield seed_portal()
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


@pytest.fixture
def portal(_portal_module: Any, db: Any, cast: dict[str, Any]) -> Any:
    return _portal_module
