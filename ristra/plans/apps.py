from __future__ import annotations

from django.apps import AppConfig


class PlansConfig(AppConfig):
    name = "ristra.plans"
    label = "plans"

    def ready(self) -> None:
        from ristra.plans import services
        from ristra.reports import indicators

        indicators.on_snapshot_refresh(services.indicators_recompute_later)
