"""URL map: one include per app; the admin stays at /admin/ for administrators only."""

from django.contrib import admin
from django.urls import include, path

from tongzhan.core.views import healthz, home

urlpatterns = [
    path("", home, name="home"),
    path("accounts/", include("tongzhan.accounts.urls")),
    path("regions/", include("tongzhan.regions.urls")),
    path("people/", include("tongzhan.people.urls")),
    path("imports/", include("tongzhan.imports.urls")),
    path("campaigns/", include("tongzhan.campaigns.urls")),
    path("collect/", include("tongzhan.collection.urls")),
    path("users/", include("tongzhan.accounts.user_urls")),
    path("audit/", include("tongzhan.audit.urls")),
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
]

handler404 = "tongzhan.core.views.not_found"
handler403 = "tongzhan.core.views.forbidden"
handler400 = "tongzhan.core.views.bad_request"
handler500 = "tongzhan.core.views.server_error"
