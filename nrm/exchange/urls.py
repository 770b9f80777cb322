"""URLs of probable duplicates (``/duplicates/``) and of the administrators' merges (``/merges/``)."""

from django.urls import path

from nrm.exchange import views

app_name = "exchange"
urlpatterns = [
    path("duplicates/", views.duplicate_list, name="duplicate_list"),
    path("duplicates/<int:pk>/merge/", views.merge_step, {"step": "request"}, name="merge_request"),
    path("duplicates/<int:pk>/merge/accept/", views.merge_step, {"step": "accept"}, name="merge_accept"),
    path("duplicates/<int:pk>/merge/decline/", views.merge_step, {"step": "decline"}, name="merge_decline"),
    path("merges/", views.merge_list, name="merge_list"),
    path("merges/<int:pk>/undo/", views.merge_undo, name="merge_undo"),
]
