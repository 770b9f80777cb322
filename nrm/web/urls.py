"""URLs of the web pages: the home page, case work's and referrals' (their views are their apps')."""

from django.urls import path

from nrm.cases import views as cases
from nrm.referrals import views as referrals
from nrm.web import views

app_name = "web"
urlpatterns = [
    path("", views.home, name="home"),
    path("screenings/", cases.screening_list, name="screening_list"),
    path("screenings/new/", cases.screening_new, name="screening_new"),
    path("screenings/evaluate/", cases.screening_evaluate, name="screening_evaluate"),
    path("screenings/<int:pk>/", cases.screening_detail, name="screening_detail"),
    path("cases/", cases.case_list, name="case_list"),
    path("cases/export.csv", cases.case_export, name="case_export"),
    path("cases/new/", cases.case_new, name="case_new"),
    path("cases/<int:pk>/", cases.case_detail, name="case_detail"),
    path("cases/<int:pk>/summary.pdf", cases.case_summary_pdf, name="case_summary_pdf"),
    path("cases/<int:pk>/edit/", cases.case_edit, name="case_edit"),
    path("cases/<int:pk>/close/", cases.case_close, name="case_close"),
    path("cases/<int:pk>/consents/new/", cases.consent_new, name="consent_new"),
    path("cases/<int:pk>/consents/<int:consent_id>/withdraw/", cases.consent_withdraw, name="consent_withdraw"),
    path("cases/<int:pk>/refer/", cases.case_refer, name="case_refer"),
    path("cases/<int:pk>/identify/", cases.case_identify, name="case_identify"),
    path("cases/<int:pk>/services/new/", cases.service_new, name="service_new"),
    path("cases/<int:pk>/services/<int:service_id>/", cases.service_edit, name="service_edit"),
    path("cases/<int:pk>/notes/", cases.note_new, name="note_new"),
    path("cases/<int:pk>/assign/", cases.case_assign, name="case_assign"),
    path("cases/<int:pk>/episodes/new/", cases.episode_new, name="episode_new"),
    path("cases/<int:pk>/episodes/<int:episode_id>/", cases.episode_edit, name="episode_edit"),
    path("cases/<int:pk>/episodes/<int:episode_id>/remove/", cases.episode_remove, name="episode_remove"),
    path("cases/<int:pk>/flags/", cases.flag_raise, name="flag_raise"),
    path("cases/<int:pk>/flags/<int:flag_id>/lift/", cases.flag_lift, name="flag_lift"),
    path("referrals/in/", referrals.referral_inbox, name="referral_inbox"),
    path("referrals/out/", referrals.referral_outbox, name="referral_outbox"),
    path("referrals/legal-grounds/", referrals.legal_grounds, name="legal_grounds"),
    path("referrals/<int:pk>/", referrals.referral_detail, name="referral_detail"),
    path("referrals/<int:pk>/ground-review/", referrals.referral_ground_review, name="referral_ground_review"),
    path("referrals/<int:pk>/transition/", referrals.referral_transition, name="referral_transition"),
    path("directory/", referrals.directory, name="directory"),
]
