"""URL map: the admin, login, the stewards' pages of each app, and the /api/v1 tree."""

from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, re_path

from dab_project import converters, views  # noqa: F401  (registers the urn converter)

api_prefix = settings.API_PREFIX.strip("/")

# Load every app's admin module before the admin's URLs are built (dab_project.apps.AdminConfig skips it at setup).
admin.autodiscover()

urlpatterns = [
    path("", views.DashboardView.as_view(), name="dashboard"),
    path("accounts/login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path(f"{api_prefix}/", include("dab_project.api_urls")),
    path("", include("catalog.urls")),
    path("", include("lineage.urls")),
    path("", include("pii.urls")),
    path("", include("conformance.urls")),
    path("", include("ingestion.urls")),
    # Last: only a path no route took, with a raw (or %2F-encoded) URN in it, lands here.
    re_path(r"^(?:.*/)?urn:.*$", views.legacy_urn_redirect, name="legacy_urn"),
]

# Under the API prefix every error is JSON (dab_project.errors).
handler400 = "dab_project.errors.bad_request"
handler403 = "dab_project.errors.permission_denied"
handler404 = "dab_project.errors.page_not_found"
handler500 = "dab_project.errors.server_error"

admin.site.site_header = "Data Architecture Brain"
admin.site.site_title = "DAB admin"
admin.site.index_title = "Stewardship"
