"""Mounted at /accounts/ before allauth's own addresses, which it takes over where named."""

from __future__ import annotations

from django.urls import path

from ristra.accounts import sso_views

urlpatterns = [
    # Same address as allauth's callback: the ID token's signature is always verified.
    path("oidc/<str:provider_id>/login/callback/", sso_views.oidc_callback),
    path("no-role/", sso_views.no_role, name="sso_no_role"),
]
