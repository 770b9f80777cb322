"""URLs of a child's records, under the case: ``/cases/<id>/...``."""

from django.urls import path

from nrm.children import views

app_name = "children"
urlpatterns = [
    path("cases/<int:pk>/guardian/new/", views.guardian_new, name="guardian_new"),
    path("cases/<int:pk>/best-interests/new/", views.assessment_new, name="assessment_new"),
    path(
        "cases/<int:pk>/best-interests/<int:assessment_id>/determination/",
        views.determination_new,
        name="determination_new",
    ),
    path("cases/<int:pk>/child-status/", views.child_status, name="child_status"),
]
