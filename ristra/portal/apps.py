from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "ristra.portal"
    label = "portal"
    verbose_name = _("Public site")
