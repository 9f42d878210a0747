from __future__ import annotations

from django.urls import include, path

from ristra.reports import views

urlpatterns = [
    path("", views.home, name="home"),
    path("refresh/", views.refresh, name="refresh"),
    path("reports/", views.report_list, name="reports"),
    path("reports/<slug:key>/", views.report_detail, name="report"),
    path("definitions/", include("ristra.reports.urls_definitions")),
    path("<slug:population>/", views.dashboard, name="dashboard"),
    path("<slug:population>/people/", views.drill, name="drill"),
]
