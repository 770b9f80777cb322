"""URLs of the justice pages, under ``/justice/``."""

from django.urls import path

from nrm.justice import views

app_name = "justice"
urlpatterns = [
    path("", views.proceeding_list, name="proceeding_list"),
    path("<int:pk>/", views.proceeding_detail, name="proceeding_detail"),
]
