from __future__ import annotations

from django.apps import AppConfig


class MentoringConfig(AppConfig):
    name = "ristra.mentoring"
    label = "mentoring"
