from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from ristra.accounts import access


@access.permission_required(access.MENTORING_PARTICIPATE)
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "mentoring/home.html", {"section": "mentoring"})
