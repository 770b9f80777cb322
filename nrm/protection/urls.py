"""URLs of a case's protection measures, under the case: ``/cases/<id>/protection/``."""

from django.urls import path

from nrm.protection import views

app_name = "protection"
urlpatterns = [path("cases/<int:pk>/protection/", views.protection_edit, name="protection_edit")]
