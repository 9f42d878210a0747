from __future__ import annotations

from django.urls import path

from ristra.audit import views

app_name = "audit"
urlpatterns = [
    path("", views.log, name="log"),
    path("export.<str:fmt>", views.log_export, name="export"),
]
