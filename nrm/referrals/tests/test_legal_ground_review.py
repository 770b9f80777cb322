"""A referral without consent: a written ground of a minimum length, and the owner's review list."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.test import override_settings

from conftest import fresh
from nrm.audit.models import AuditEntry
from nrm.cases.tests.helpers import api, denials, move, open_case, org, refer, state
from nrm.core.errors import Conflict, NotFound
from nrm.referrals import selectors, services
from nrm.referrals.choices import GroundReview, ReferralStatus
from nrm.referrals.models import Referral

GROUND = "Injured and in danger: needs a doctor and a safe place today."


def on_ground(actor, case, to_code: str, **kwargs) -> Referral:
    kwargs.setdefault("legal_ground", "emergency")
    kwargs.setdefault("legal_ground_note", GROUND)
    return refer(actor, case, to_code, **kwargs)


def review(actor, referral: Referral, outcome: str, note: str = "") -> Referral:
    referral.refresh_from_db()
    return services.legal_ground_review(
        actor=fresh(actor), referral=referral, outcome=outcome, note=note, expected_version=referral.version
    )


def pending(user) -> list[int]:
    return list(selectors.legal_grounds_to_review(fresh(user)).values_list("pk", flat=True))


# --- The written ground ----------------------------------------------------------------------


@pytest.mark.parametrize("note", ["Urgent.", "x" * 39, "  spaces   do    not    count    toward   it  "])
def test_a_short_ground_is_refused_naming_the_field_and_stores_nothing(world, note):
    case = open_case(world["ngo"], "ngo-sigurna")
    before, audit_rows = state(case), AuditEntry.objects.count()
    with pytest.raises(ValidationError) as exc:
        on_ground(world["ngo"], case, "centre", legal_ground_note=note)
    assert list(exc.value.message_dict) == ["legal_ground_note"]
    assert "at least 40 characters" in exc.value.message_dict["legal_ground_note"][0]
    assert state(case) == before and AuditEntry.objects.count() == audit_rows


def test_the_minimum_is_a_setting_and_a_ground_of_that_length_is_taken(world):
    case = open_case(world["ngo"], "ngo-sigurna")
    on_ground(world["ngo"], case, "centre", legal_ground_note="x" * 40)
    with override_settings(NRM_LEGAL_GROUND_MIN_LENGTH=80), pytest.raises(ValidationError) as exc:
        on_ground(world["ngo"], case, "ngo-most", legal_ground_note=GROUND)
    assert "at least 80 characters" in exc.value.message_dict["legal_ground_note"][0]


def test_the_refer_page_states_the_minimum_and_names_the_field(client, world):
    case = open_case(world["ngo"], "ngo-sigurna")
    client.force_login(world["ngo"])
    page = client.get(f"/cases/{case.pk}/refer/").content.decode()
    assert "At least 40 characters" in page
    response = client.post(
        f"/cases/{case.pk}/refer/",
        {
            "to_org": org("centre").pk,
            "from_org": org("ngo-sigurna").pk,
            "urgency": "routine",
            "legal_ground": "emergency",
            "legal_ground_note": "Urgent.",
            "shares_identity": "on",
        },
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="id_legal_ground_note_error"' in html and "(7 written)" in html
    assert not Referral.objects.filter(case=case).exists()


# --- The owner's review list -----------------------------------------------------------------


def test_the_owners_case_workers_review_every_referral_without_consent_of_their_cases(world):
    case = open_case(world["ngo"], "ngo-sigurna")
    to_centre = on_ground(world["ngo"], case, "centre")
    move(world["centre"], to_centre, ReferralStatus.ACCEPTED)
    # The Centre refers on, again without consent: the owner answers for it too.
    onward = on_ground(world["centre"], case, "ngo-most")
    assert pending(world["ngo"]) == [to_centre.pk, onward.pk]
    # Not the sender's list when it does not own the case, nor the receiver's, nor anyone else's.
    assert pending(world["centre"]) == pending(world["ngo2"]) == pending(world["police"]) == []
    assert pending(world["socialwork"]) == []


def test_a_referral_with_consent_is_not_on_the_list(world):
    from nrm.cases.tests.helpers import share

    case = open_case(world["ngo"], "ngo-sigurna")
    share(world["ngo"], case, "centre")
    refer(world["ngo"], case, "centre")
    assert pending(world["ngo"]) == []


def test_a_review_is_recorded_audited_and_leaves_the_list(world):
    case = open_case(world["ngo"], "ngo-sigurna")
    referral = on_ground(world["ngo"], case, "centre")
    reviewed = review(world["ngo"], referral, GroundReview.UPHELD)
    assert (reviewed.ground_review, reviewed.ground_reviewed_by, reviewed.ground_reviewed_on) == (
        "upheld",
        world["ngo"],
        reviewed.ground_reviewed_on,
    )
    assert reviewed.ground_reviewed_on is not None
    assert pending(world["ngo"]) == []
    assert list(selectors.legal_grounds_to_review(fresh(world["ngo"]), pending=False)) == [referral]
    entry = AuditEntry.objects.filter(action="referral.ground_review").latest("id")
    assert (entry.object_id, entry.reason, entry.detail["referral"]) == (str(case.pk), "upheld", referral.pk)
    with pytest.raises(Conflict):
        review(world["ngo"], referral, GroundReview.NOT_UPHELD, "Second thoughts.")


def test_not_justified_needs_a_note_and_a_bad_finding_is_refused(world):
    case = open_case(world["ngo"], "ngo-sigurna")
    referral = on_ground(world["ngo"], case, "centre")
    with pytest.raises(ValidationError) as exc:
        review(world["ngo"], referral, GroundReview.NOT_UPHELD, "   ")
    assert list(exc.value.message_dict) == ["ground_review_note"]
    with pytest.raises(ValidationError) as exc:
        review(world["ngo"], referral, "maybe")
    assert list(exc.value.message_dict) == ["ground_review"]
    referral.refresh_from_db()
    assert referral.ground_review == "" and referral.version == 1
    done = review(world["ngo"], referral, GroundReview.NOT_UPHELD, "The person could have been asked: she was calm.")
    assert done.ground_review_note.startswith("The person could")


def test_a_stale_review_is_a_conflict(world):
    case = open_case(world["ngo"], "ngo-sigurna")
    referral = on_ground(world["ngo"], case, "centre")
    with pytest.raises(Conflict):
        services.legal_ground_review(
            actor=fresh(world["ngo"]), referral=referral, outcome="upheld", expected_version=referral.version + 1
        )


@pytest.mark.parametrize("who", ["centre", "ngo2", "police", "analyst"])
def test_nobody_but_the_owners_case_workers_may_review(world, who):
    case = open_case(world["ngo"], "ngo-sigurna")
    referral = on_ground(world["ngo"], case, "centre")
    with pytest.raises(NotFound):
        review(world[who], referral, GroundReview.UPHELD)
    with pytest.raises(NotFound):
        selectors.legal_ground_get(fresh(world[who]), referral.pk)
    assert denials(action="referral.ground_review", object_id=str(referral.pk))
    referral.refresh_from_db()
    assert referral.ground_review == ""


# --- Page, home and API ----------------------------------------------------------------------


def test_the_review_page_lists_records_and_refuses_outsiders(client, world):
    case = open_case(world["ngo"], "ngo-sigurna")
    referral = on_ground(world["ngo"], case, "centre")
    client.force_login(world["ngo"])
    home = client.get("/").content.decode()
    assert "Referrals without consent to review" in home and "/referrals/legal-grounds/" in home
    page = client.get("/referrals/legal-grounds/").content.decode()
    assert case.reference in page and GROUND in page
    response = client.post(
        f"/referrals/{referral.pk}/ground-review/",
        {"version": 1, "ground_review": "not_upheld", "ground_review_note": ""},
    )
    assert response.status_code == 200
    assert f'id="id_r{referral.pk}_ground_review_note_error"' in response.content.decode()
    response = client.post(f"/referrals/{referral.pk}/ground-review/", {"version": 1, "ground_review": "upheld"})
    assert response.status_code == 302
    marker = f'data-ground-review="{referral.pk}"'
    assert marker not in client.get("/referrals/legal-grounds/").content.decode()
    assert marker in client.get("/referrals/legal-grounds/?reviewed=1").content.decode()
    assert "Referrals without consent to review" not in client.get("/").content.decode()
    client.force_login(world["ngo2"])
    assert (
        client.post(f"/referrals/{referral.pk}/ground-review/", {"version": 2, "ground_review": "upheld"}).status_code
        == 404
    )
    assert marker not in client.get("/referrals/legal-grounds/?reviewed=1").content.decode()


def test_the_api_lists_and_records_reviews(world):
    case = open_case(world["ngo"], "ngo-sigurna")
    referral = on_ground(world["ngo"], case, "centre")
    body = api(world["ngo"]).get("/api/v1/referrals/legal-grounds/").json()
    assert [r["id"] for r in body["results"]] == [referral.pk]
    assert body["results"][0]["legal_ground_note"] == GROUND and body["results"][0]["ground_review"] == ""
    response = api(world["ngo"]).post(
        f"/api/v1/referrals/{referral.pk}/ground-review/", {"version": 1, "ground_review": "not_upheld"}, format="json"
    )
    assert response.status_code == 400 and "ground_review_note" in response.json()["errors"]
    assert (
        api(world["ngo2"])
        .post(
            f"/api/v1/referrals/{referral.pk}/ground-review/", {"version": 1, "ground_review": "upheld"}, format="json"
        )
        .status_code
        == 404
    )
    response = api(world["ngo"]).post(
        f"/api/v1/referrals/{referral.pk}/ground-review/", {"version": 1, "ground_review": "upheld"}, format="json"
    )
    assert response.status_code == 200 and response.json()["ground_reviewed_by"] == "ngo"
    assert api(world["ngo"]).get("/api/v1/referrals/legal-grounds/").json()["results"] == []
    assert [
        r["id"] for r in api(world["ngo"]).get("/api/v1/referrals/legal-grounds/?reviewed=1").json()["results"]
    ] == [referral.pk]
    assert api(world["ngo2"]).get("/api/v1/referrals/legal-grounds/?reviewed=1").json()["results"] == []
