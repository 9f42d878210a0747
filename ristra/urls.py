from __future__ import annotations

from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

from ristra.core import views as core_views

handler403 = "ristra.core.views.forbidden"
handler404 = "ristra.core.views.not_found"
handler500 = "ristra.core.views.server_error"

urlpatterns = [
    path("", core_views.home, name="home"),
    path("display/", core_views.display_settings, name="display_settings"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/", include("allauth.urls")),
    path("people/", include("ristra.people.urls")),
    path("audit/", include("ristra.audit.urls")),
    path("measures/", include(("ristra.reports.urls", "reports"))),
    path("users/", include("ristra.accounts.urls")),
    path("mentoring/", include(("ristra.mentoring.urls", "mentoring"))),
    path("health/", core_views.health, name="health"),
    # Public site (docs/portal.md): the CMS for office staff, then the pages under /site/.
    path("cms/login/", RedirectView.as_view(url="/accounts/login/", query_string=True)),
    path("cms/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
    path("site/", include(("ristra.portal.urls", "portal"))),
]

if settings.DEBUG or settings.ADMIN_ENABLED:
    urlpatterns.append(path("django-admin/", admin.site.urls))

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

# Wagtail serves every other address under /site/: keep this last.
urlpatterns.append(path("site/", include(wagtail_urls)))
