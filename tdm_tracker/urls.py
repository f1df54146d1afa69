from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from monitoring import views as monitoring_views

admin.site.site_header = "tdm-tracker administration"
admin.site.site_title = "tdm-tracker"

urlpatterns = [
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
    # The FHIR R4 API (issue #6): JSON only, bearer tokens; see monitoring/fhir.
    path("fhir/R4/", include("monitoring.fhir.urls")),
    path("healthz", monitoring_views.healthz, name="healthz"),
    path("", include("monitoring.urls")),
]
