"""The API under /api/v1/: token auth, schema, docs and each app's resources."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

from nrm.api.auth import TokenView, me
from nrm.cases import api as cases_api
from nrm.referrals import api as referrals_api

router = DefaultRouter()
router.register("screenings", cases_api.ScreeningViewSet, basename="screening")
router.register("cases", cases_api.CaseViewSet, basename="case")
router.register("referrals", referrals_api.ReferralViewSet, basename="referral")
router.register("services/directory", referrals_api.DirectoryViewSet, basename="directory")

urlpatterns = [
    path("auth/token/", TokenView.as_view(), name="api-token"),
    path("me/", me, name="api-me"),
    path("indicator-lists/active/", cases_api.active_list, name="api-indicator-list"),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("", include(router.urls)),
]
