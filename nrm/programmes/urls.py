"""URLs of the programme pages, under /programmes/."""

from django.urls import path

from nrm.programmes import views

app_name = "programmes"
urlpatterns = [
    path("", views.programme_list, name="programme_list"),
    path("export.csv", views.programme_export, name="programme_export"),
    path("new/", views.programme_new, name="programme_new"),
    path("<int:pk>/", views.programme_detail, name="programme_detail"),
    path("<int:pk>/edit/", views.programme_edit, name="programme_edit"),
    path("<int:pk>/iati.xml", views.programme_iati_xml, name="programme_iati_xml"),
    path("<int:pk>/values.csv", views.values_csv, name="values_csv"),
    path("<int:pk>/values.xlsx", views.values_xlsx, name="values_xlsx"),
    path("<int:pk>/funding/new/", views.funding_new, name="funding_new"),
    path("<int:pk>/partners/new/", views.partner_new, name="partner_new"),
    path("<int:pk>/indicators/new/", views.indicator_new, name="indicator_new"),
    path("<int:pk>/indicators/<int:indicator_id>/targets/", views.indicator_targets, name="indicator_targets"),
    path("<int:pk>/indicators/<int:indicator_id>/values/new/", views.value_new, name="value_new"),
    path("<int:pk>/documents/new/", views.document_new, name="document_new"),
]
