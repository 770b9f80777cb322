"""URLs of the statistics pages, under ``/statistics/``."""

from django.urls import path

from nrm.reporting import views

app_name = "reporting"
urlpatterns = [
    path("", views.index, name="index"),
    path("tables/<slug:name>/", views.table, name="table"),
    path("tables/<slug:name>/table.csv", views.table_download, {"fmt": "csv"}, name="table_csv"),
    path("tables/<slug:name>/table.xlsx", views.table_download, {"fmt": "xlsx"}, name="table_xlsx"),
    path("tables/<slug:name>/table.pdf", views.table_download, {"fmt": "pdf"}, name="table_pdf"),
    path("publications/", views.publications, name="publications"),
    path("custom/", views.custom, name="custom"),
    path("custom/table.csv", views.custom_download, {"fmt": "csv"}, name="custom_csv"),
    path("custom/table.xlsx", views.custom_download, {"fmt": "xlsx"}, name="custom_xlsx"),
    path("custom/table.pdf", views.custom_download, {"fmt": "pdf"}, name="custom_pdf"),
]
