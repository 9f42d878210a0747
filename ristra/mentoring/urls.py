from __future__ import annotations

from django.urls import path

from ristra.mentoring import views

urlpatterns = [
    path("", views.home, name="home"),
]
