from __future__ import annotations

from django.apps import AppConfig


class SurveysConfig(AppConfig):
    name = "ristra.surveys"
    label = "surveys"

    def ready(self) -> None:
        from ristra.surveys import indicators

        indicators.register()
