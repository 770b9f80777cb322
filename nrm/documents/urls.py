"""URLs of the documents pages, under ``/cases/<pk>/documents/``."""

from django.urls import path

from nrm.documents import views

app_name = "documents"
urlpatterns = [
    path("<int:pk>/documents/new/", views.document_new, name="document_new"),
    path("<int:pk>/documents/<int:document_pk>/download/", views.document_download, name="document_download"),
]
