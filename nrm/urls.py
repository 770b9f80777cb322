"""URL configuration: web pages, accounts, health check and the API."""

from django.conf import settings
from django.urls import include, path
from django.views.i18n import set_language

from nrm.accounts.views import LoginView, LogoutView, password_change, totp_remove, totp_setup
from nrm.core.views import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("accounts/login/", LoginView.as_view(), name="login"),
    path("accounts/totp/", totp_setup, name="totp_setup"),
    path("accounts/totp/remove/", totp_remove, name="totp_remove"),
    path("accounts/logout/", LogoutView.as_view(), name="logout"),
    path("accounts/password/", password_change, name="password_change"),
    path("i18n/setlang/", set_language, name="set_language"),
    path("api/v1/", include("nrm.api.urls")),
    path("actionplan/", include("nrm.actionplan.urls")),
    path("helpline/", include("nrm.helpline.urls")),
    path("justice/", include("nrm.justice.urls")),
    path("programmes/", include("nrm.programmes.urls")),
    path("prevention/", include("nrm.prevention.urls")),
    path("early-warning/", include("nrm.earlywarning.urls")),
    path("statistics/", include("nrm.reporting.urls")),
    path("", include("nrm.tasks.urls")),
    path("administration/", include("nrm.accounts.urls")),
    path("cases/", include("nrm.documents.urls")),
    path("", include("nrm.children.urls")),
    path("", include("nrm.protection.urls")),
    path("", include("nrm.transfers.urls")),
    path("", include("nrm.exchange.urls")),
    path("", include("nrm.web.urls")),
]

if settings.NRM_BENCH:
    from nrm.demo.views import bench_read

    # `nrm bench`'s baseline: a bare primary-key read through the same server (nrm.demo.views).
    urlpatterns.insert(0, path("_bench/read/<int:pk>", bench_read, name="bench_read"))

# Under /api/ even a missing route or a crash answers problem+json, as the API's own errors do.
handler404 = "nrm.api.errors.page_not_found"
handler500 = "nrm.api.errors.server_error"
