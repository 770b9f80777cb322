"""URLs of transfers: the list and one transfer under ``/transfers/``, the form under the case."""

from django.urls import path

from nrm.transfers import views

app_name = "transfers"
urlpatterns = [
    path("cases/<int:pk>/transfer/", views.transfer_new, name="transfer_new"),
    path("transfers/", views.transfer_list, name="transfer_list"),
    path("transfers/<int:pk>/", views.transfer_detail, name="transfer_detail"),
    path("transfers/<int:pk>/accept/", views.transfer_answer, {"answer": "accept"}, name="transfer_accept"),
    path("transfers/<int:pk>/decline/", views.transfer_answer, {"answer": "decline"}, name="transfer_decline"),
    path("transfers/<int:pk>/cancel/", views.transfer_answer, {"answer": "cancel"}, name="transfer_cancel"),
]
