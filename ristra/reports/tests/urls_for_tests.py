"""The project's URLs plus the definition screens under /measures/ (namespace "reports").

Until ``ristra/urls.py`` includes the reports URLs, tests use this module; once it does,
the project's own URLs are used unchanged.
"""

from __future__ import annotations

from django.urls import URLResolver, include, path

from ristra.reports import urls_definitions
from ristra.urls import urlpatterns as project_urlpatterns

_wired = any(isinstance(p, URLResolver) and p.namespace == "reports" for p in project_urlpatterns)

urlpatterns = list(project_urlpatterns)
if not _wired:
    urlpatterns.append(path("measures/", include((urls_definitions.urlpatterns, "reports"))))
