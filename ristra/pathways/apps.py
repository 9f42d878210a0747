from __future__ import annotations

from django.apps import AppConfig


class PathwaysConfig(AppConfig):
    name = "ristra.pathways"
    label = "pathways"

    def ready(self) -> None:
        from ristra.pathways import indicators

        indicators.register()
