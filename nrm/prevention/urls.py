"""URLs of the prevention pages, under ``/prevention/``."""

from django.urls import path

from nrm.prevention import views

app_name = "prevention"
urlpatterns = [
    path("", views.index, name="index"),
    path("events/", views.event_list, name="event_list"),
    path("events/export/", views.event_export, name="event_export"),
    path("events/new/", views.event_new, name="event_new"),
    path("events/<int:pk>/", views.event_detail, name="event_detail"),
    path("events/<int:pk>/edit/", views.event_edit, name="event_edit"),
    path("awareness/", views.awareness_list, name="awareness_list"),
    path("awareness/new/", views.awareness_new, name="awareness_new"),
    path("awareness/<int:pk>/", views.awareness_detail, name="awareness_detail"),
    path("surveys/", views.survey_list, name="survey_list"),
    path("surveys/new/", views.survey_new, name="survey_new"),
    path("surveys/<int:pk>/", views.survey_detail, name="survey_detail"),
]
