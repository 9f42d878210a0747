from __future__ import annotations

from django.urls import path

from ristra.api import views
from ristra.api.api import api

urlpatterns = [
    path("tokens/", views.tokens, name="api_tokens"),
    path("tokens/<int:token_id>/revoke/", views.token_revoke, name="api_token_revoke"),
    path("", api.urls),
]
