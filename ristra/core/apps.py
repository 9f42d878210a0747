from __future__ import annotations

from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "ristra.core"
    label = "core"

    def ready(self) -> None:
        from wagtail.signals import (
            page_published,
            page_unpublished,
            post_page_move,
            published,
            unpublished,
        )

        from ristra.core import checks  # noqa: F401 - registers Ristra's system checks
        from ristra.core.public_cache import public_cache_purge

        # Wagtail's publishing events (the editor and scheduled publishing both send them):
        # pages, and snippets with drafts (events, news items) that pages list.
        signals = {
            "page_published": page_published,
            "page_unpublished": page_unpublished,
            "post_page_move": post_page_move,
            "published": published,
            "unpublished": unpublished,
        }
        for name, signal in signals.items():
            signal.connect(public_cache_purge, dispatch_uid=f"ristra-public-cache-{name}")
