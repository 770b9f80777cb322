"""URLs of the administration pages (the admin role only)."""

from django.urls import path

from nrm.accounts import administration as views

app_name = "administration"
urlpatterns = [
    path("", views.index, name="index"),
    path("organisations/", views.organisation_list, name="organisation_list"),
    path("organisations/new/", views.organisation_new, name="organisation_new"),
    path("organisations/<int:pk>/", views.organisation_edit, name="organisation_edit"),
    path("organisations/<int:pk>/deactivate/", views.organisation_deactivate, name="organisation_deactivate"),
    path("organisations/<int:pk>/reactivate/", views.organisation_reactivate, name="organisation_reactivate"),
    path("users/", views.user_list, name="user_list"),
    path("users/new/", views.user_new, name="user_new"),
    path("users/<int:pk>/", views.user_detail, name="user_detail"),
    path("users/<int:pk>/deactivate/", views.user_deactivate, name="user_deactivate"),
    path("users/<int:pk>/reactivate/", views.user_reactivate, name="user_reactivate"),
    path("users/<int:pk>/unlock/", views.user_unlock, name="user_unlock"),
    path("users/<int:pk>/password/", views.user_password_reset, name="user_password_reset"),
    path("users/<int:pk>/second-factor/reset/", views.user_second_factor_reset, name="user_second_factor_reset"),
    path("users/<int:pk>/tokens/<int:token_id>/revoke/", views.user_token_revoke, name="user_token_revoke"),
    path("users/<int:pk>/memberships/", views.user_membership_add, name="user_membership_add"),
    path(
        "users/<int:pk>/memberships/<int:membership_id>/remove/",
        views.user_membership_remove,
        name="user_membership_remove",
    ),
]
