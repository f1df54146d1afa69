from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from monitoring import views as monitoring_views

admin.site.site_header = "tdm-tracker administration"
admin.site.site_title = "tdm-tracker"

urlpatterns = [
    # Notes when the password was given (monitoring.two_factor); django-axes throttles it.
    path("accounts/login/", monitoring_views.login, name="login"),
    # Changing the password asks for it again first: the account security page's form.
    path(
        "accounts/password_change/",
        RedirectView.as_view(pattern_name="monitoring:password_change"),
        name="password_change",
    ),
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
    # The FHIR R4 API (issue #6): JSON only, bearer tokens; see monitoring/fhir.
    path("fhir/R4/", include("monitoring.fhir.urls")),
    path("healthz", monitoring_views.healthz, name="healthz"),
    path("", include("monitoring.urls")),
]
