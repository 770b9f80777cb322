"""URLs of the helpline pages, under ``/helpline/``."""

from django.urls import path

from nrm.helpline import views

app_name = "helpline"
urlpatterns = [
    path("", views.call_list, name="call_list"),
    path("calls/new/", views.call_new, name="call_new"),
    path("calls/<int:pk>/", views.call_detail, name="call_detail"),
    path("calls/<int:pk>/screening/", views.call_screening, name="call_screening"),
    path("statistics/", views.statistics, name="statistics"),
]
