from __future__ import annotations

from django.urls import path

from ristra.people import views

app_name = "people"
urlpatterns = [
    path("", views.person_search, name="search"),
    path("<int:person_id>/", views.person_detail, name="person"),
    path("imports/", views.imports, name="imports"),
    path("imports/new/", views.import_upload, name="import_upload"),
    path("imports/<int:batch_id>/", views.batch_detail, name="batch"),
    path("imports/<int:batch_id>/mapping/", views.batch_mapping, name="batch_mapping"),
    path("imports/<int:batch_id>/commit/", views.batch_commit, name="batch_commit"),
    path("imports/<int:batch_id>/rollback/", views.batch_rollback, name="batch_rollback"),
    path("imports/<int:batch_id>/rows/", views.batch_rows, name="batch_rows"),
    path(
        "imports/<int:batch_id>/rejected.<str:fmt>",
        views.batch_rejected_download,
        name="batch_rejected",
    ),
    path("profiles/", views.profiles, name="profiles"),
    path("profiles/new/", views.profile_edit, name="profile_new"),
    path("profiles/<int:profile_id>/", views.profile_edit, name="profile_edit"),
]
