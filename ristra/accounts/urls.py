from __future__ import annotations

from django.urls import path

from ristra.accounts import views

app_name = "accounts"
urlpatterns = [
    path("", views.users, name="users"),
    path("new/", views.user_edit, name="user_new"),
    path("<int:user_id>/", views.user_edit, name="user_edit"),
    path("<int:user_id>/unlock/", views.user_unlock, name="user_unlock"),
]
