"""Checklist templates are edited in the Django admin (when ``ADMIN_ENABLED``)."""

from __future__ import annotations

from django.contrib import admin

from ristra.plans.models import ChecklistTemplate


@admin.register(ChecklistTemplate)
class ChecklistTemplateAdmin(admin.ModelAdmin[ChecklistTemplate]):
    list_display = ["name"]
