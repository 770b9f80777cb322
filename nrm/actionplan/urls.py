"""URLs of the action-plan pages, under ``/actionplan/``."""

from django.urls import path

from nrm.actionplan import views

app_name = "actionplan"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("reports/", views.report_list, name="report_list"),
    path("reports/new/", views.report_new, name="report_new"),
    path("reports/<int:pk>/", views.report_detail, name="report_detail"),
    path("reports/<int:pk>/edit/", views.report_edit, name="report_edit"),
    path("reports/<int:pk>/submit/", views.report_submit, name="report_submit"),
    path("reports/<int:pk>/review/", views.report_review, name="report_review"),
    path("reports/<int:pk>/report.xlsx", views.report_export, {"fmt": "xlsx"}, name="report_xlsx"),
    path("reports/<int:pk>/report.pdf", views.report_export, {"fmt": "pdf"}, name="report_pdf"),
    path("annual/<int:year>/", views.annual, name="annual"),
    path("annual/<int:year>/report.xlsx", views.annual_export, {"fmt": "xlsx"}, name="annual_xlsx"),
    path("annual/<int:year>/report.pdf", views.annual_export, {"fmt": "pdf"}, name="annual_pdf"),
    path("evaluation/", views.evaluation, name="evaluation"),
    path("evaluation/<int:pk>/<int:year>/", views.evaluation_activity, name="evaluation_activity"),
    path("briefings/", views.briefing_list, name="briefing_list"),
    path("briefings/<int:pk>/", views.briefing_detail, name="briefing_detail"),
]
