"""URLs of the web pages."""

from django.urls import path

from nrm.web import summary, views

app_name = "web"
urlpatterns = [
    path("", views.home, name="home"),
    path("screenings/", views.screening_list, name="screening_list"),
    path("screenings/new/", views.screening_new, name="screening_new"),
    path("screenings/evaluate/", views.screening_evaluate, name="screening_evaluate"),
    path("screenings/<int:pk>/", views.screening_detail, name="screening_detail"),
    path("cases/", views.case_list, name="case_list"),
    path("cases/export.csv", views.case_export, name="case_export"),
    path("cases/new/", views.case_new, name="case_new"),
    path("cases/<int:pk>/", views.case_detail, name="case_detail"),
    path("cases/<int:pk>/summary.pdf", summary.case_summary_pdf, name="case_summary_pdf"),
    path("cases/<int:pk>/edit/", views.case_edit, name="case_edit"),
    path("cases/<int:pk>/close/", views.case_close, name="case_close"),
    path("cases/<int:pk>/consents/new/", views.consent_new, name="consent_new"),
    path("cases/<int:pk>/consents/<int:consent_id>/withdraw/", views.consent_withdraw, name="consent_withdraw"),
    path("cases/<int:pk>/refer/", views.case_refer, name="case_refer"),
    path("cases/<int:pk>/identify/", views.case_identify, name="case_identify"),
    path("cases/<int:pk>/services/new/", views.service_new, name="service_new"),
    path("cases/<int:pk>/services/<int:service_id>/", views.service_edit, name="service_edit"),
    path("cases/<int:pk>/notes/", views.note_new, name="note_new"),
    path("cases/<int:pk>/assign/", views.case_assign, name="case_assign"),
    path("cases/<int:pk>/episodes/new/", views.episode_new, name="episode_new"),
    path("cases/<int:pk>/episodes/<int:episode_id>/", views.episode_edit, name="episode_edit"),
    path("cases/<int:pk>/episodes/<int:episode_id>/remove/", views.episode_remove, name="episode_remove"),
    path("cases/<int:pk>/flags/", views.flag_raise, name="flag_raise"),
    path("cases/<int:pk>/flags/<int:flag_id>/lift/", views.flag_lift, name="flag_lift"),
    path("referrals/in/", views.referral_inbox, name="referral_inbox"),
    path("referrals/out/", views.referral_outbox, name="referral_outbox"),
    path("referrals/legal-grounds/", views.legal_grounds, name="legal_grounds"),
    path("referrals/<int:pk>/", views.referral_detail, name="referral_detail"),
    path("referrals/<int:pk>/ground-review/", views.referral_ground_review, name="referral_ground_review"),
    path("referrals/<int:pk>/transition/", views.referral_transition, name="referral_transition"),
    path("directory/", views.directory, name="directory"),
]
