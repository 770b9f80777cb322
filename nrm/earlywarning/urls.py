"""URLs of the early-warning pages, under ``/early-warning/``."""

from django.urls import path

from nrm.earlywarning import views

app_name = "earlywarning"
urlpatterns = [
    path("", views.matrix, name="matrix"),
    path("observations/", views.observation_list, name="observation_list"),
    path("observations/export.csv", views.observation_export, name="observation_export"),
    path("observations/new/", views.observation_new, name="observation_new"),
    path("observations/<int:pk>/", views.observation_detail, name="observation_detail"),
    path("alerts/", views.alert_list, name="alert_list"),
    path("alerts/<int:pk>/", views.alert_detail, name="alert_detail"),
    path("alerts/<int:pk>/acknowledge/", views.alert_acknowledge, name="alert_acknowledge"),
    path("alerts/<int:pk>/close/", views.alert_close, name="alert_close"),
    path("alerts/<int:pk>/reopen/", views.alert_reopen, name="alert_reopen"),
    path("thresholds/", views.thresholds, name="thresholds"),
    path("thresholds/<int:pk>/", views.threshold_edit, name="threshold_edit"),
]
