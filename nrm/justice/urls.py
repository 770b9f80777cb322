"""URLs of the justice pages, under ``/justice/``."""

from django.urls import path

from nrm.justice import views

app_name = "justice"
urlpatterns = [
    path("", views.proceeding_list, name="proceeding_list"),
    path("new/", views.proceeding_new, name="proceeding_new"),
    path("statistics/", views.statistics, name="statistics"),
    path("<int:pk>/", views.proceeding_detail, name="proceeding_detail"),
    path("<int:pk>/advance/", views.proceeding_advance, name="proceeding_advance"),
    path("<int:pk>/share/", views.proceeding_share, name="proceeding_share"),
    path("<int:pk>/defendants/new/", views.defendant_new, name="defendant_new"),
    path("<int:pk>/charges/new/", views.charge_new, name="charge_new"),
    path("<int:pk>/verdicts/new/", views.verdict_new, name="verdict_new"),
    path("<int:pk>/assets/new/", views.asset_new, name="asset_new"),
    path("<int:pk>/victims/new/", views.victim_new, name="victim_new"),
    path("<int:pk>/victims/<int:part_id>/", views.victim_edit, name="victim_edit"),
]
