"""The API under /api/v1/: token auth, schema, docs and each app's resources."""

from django.urls import include, path
from rest_framework.routers import DefaultRouter

from nrm.actionplan import api as actionplan_api
from nrm.api.auth import LogoutView, TokenDetailView, TokenListView, TokenView, me
from nrm.api.schema_views import DocsView, SchemaView
from nrm.cases import api as cases_api
from nrm.children import api as children_api
from nrm.documents import api as documents_api
from nrm.earlywarning import api as earlywarning_api
from nrm.exchange import api as exchange_api
from nrm.helpline import api as helpline_api
from nrm.justice import api as justice_api
from nrm.prevention import api as prevention_api
from nrm.programmes import api as programmes_api
from nrm.protection import api as protection_api
from nrm.referrals import api as referrals_api
from nrm.reporting import api as reporting_api
from nrm.tasks import api as tasks_api
from nrm.transfers import api as transfers_api

router = DefaultRouter()
# Django tries the patterns in order: the most read first (an API case read tried 37 patterns).
router.register("cases", cases_api.CaseViewSet, basename="case")
router.register("screenings", cases_api.ScreeningViewSet, basename="screening")
router.register("referrals", referrals_api.ReferralViewSet, basename="referral")
router.register("services/directory", referrals_api.DirectoryViewSet, basename="directory")
router.register("duplicates", exchange_api.DuplicateViewSet, basename="duplicate")
router.register("merges", exchange_api.MergeViewSet, basename="merge")
router.register("actionplan/plans", actionplan_api.PlanViewSet, basename="actionplan-plan")
router.register("actionplan/objectives", actionplan_api.ObjectiveViewSet, basename="actionplan-objective")
router.register("actionplan/reports", actionplan_api.ReportViewSet, basename="actionplan-report")
router.register("actionplan/completeness", actionplan_api.CompletenessViewSet, basename="actionplan-completeness")
router.register("actionplan/overdue", actionplan_api.OverdueViewSet, basename="actionplan-overdue")
router.register("actionplan/budget", actionplan_api.BudgetViewSet, basename="actionplan-budget")
router.register("actionplan/evaluations", actionplan_api.EvaluationViewSet, basename="actionplan-evaluation")
router.register("actionplan/briefings", actionplan_api.BriefingViewSet, basename="actionplan-briefing")
router.register("justice/proceedings", justice_api.ProceedingViewSet, basename="justice-proceeding")
router.register("justice/victims", justice_api.VictimPartViewSet, basename="justice-victim")
router.register("justice/offences", justice_api.OffenceViewSet, basename="justice-offence")
router.register("justice/protection-measures", justice_api.ProtectionMeasureViewSet, basename="justice-measure")
router.register("justice/statistics", justice_api.JusticeStatisticsViewSet, basename="justice-statistics")
router.register("helpline/calls", helpline_api.CallViewSet, basename="helpline-call")
router.register("helpline/topics", helpline_api.TopicViewSet, basename="helpline-topic")
router.register("helpline/statistics", helpline_api.HelplineStatisticsViewSet, basename="helpline-statistics")
router.register("programmes", programmes_api.ProgrammeViewSet, basename="programme")
prevention_api.register(router)
earlywarning_api.register(router)
tasks_api.register(router)

urlpatterns = [
    # First, as the registrations above: none of the router's routes is one of the paths below.
    path("", include(router.urls)),
    path("auth/token/", TokenView.as_view(), name="api-token"),
    path("auth/tokens/", TokenListView.as_view(), name="api-tokens"),
    path("auth/tokens/<int:pk>/", TokenDetailView.as_view(), name="api-token-detail"),
    path("auth/logout/", LogoutView.as_view(), name="api-logout"),
    path("me/", me, name="api-me"),
    path("indicator-lists/active/", cases_api.active_list, name="api-indicator-list"),
    path("stats/", include(reporting_api.urlpatterns)),
    path("", include(documents_api.urlpatterns)),
    path("schema/", SchemaView.as_view(), name="api-schema"),
    path("docs/", DocsView.as_view(url_name="api-schema"), name="api-docs"),
    # Under cases/<id>/ without being actions of its viewset.
    *(
        path(route, view, name=name)
        for route, view, name in (
            children_api.urlpatterns_api + transfers_api.urlpatterns_api + protection_api.urlpatterns_api
        )
    ),
]
