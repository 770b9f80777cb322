"""Referring a case, the inbox and outbox, answering a referral, and the service directory."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from nrm.referrals.models import Referral, ServiceType
from nrm.web.tests.conftest import FAMILY, GIVEN, accept, open_case, refer

pytestmark = pytest.mark.django_db


def refer_data(orgs, **overrides) -> dict:
    data = {
        "to_org": orgs["ngo-sigurna"].pk,
        "kind": "service",
        "service_type": ServiceType.objects.get(code="accommodation").pk,
        "message": "Needs a safe place tonight.",
        "shares_identity": "",
    }
    data.update(overrides)
    return data


# --- Sending ---------------------------------------------------------------------------------


def test_refer_page_says_whose_consent_is_recorded(client, world, orgs, police_case):
    client.force_login(world["police"])
    html = client.get(f"/cases/{police_case.pk}/refer/").content.decode()
    assert "The person has consented to sharing with:" in html
    to_org = html.split('id="id_to_org"')[1].split("</select>")[0]
    assert f'value="{orgs["ngo-sigurna"].pk}" data-consent="1"' in to_org
    assert f'value="{orgs["ngo-most"].pk}" data-kind="service">' in to_org  # no consent, the usual kind
    assert f'value="{orgs["pu-bg"].pk}"' not in to_org  # not to one's own organisation
    assert 'id="id_shares_identity" checked' in html
    assert "For any other organisation a legal ground is needed." in html


def test_refer_with_consent(client, world, orgs, police_case):
    client.force_login(world["police"])
    response = client.post(f"/cases/{police_case.pk}/refer/", refer_data(orgs, shares_identity="on"))
    referral = Referral.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/referrals/{referral.pk}/"
    assert referral.shares_identity is True
    assert (referral.to_org_id, referral.without_consent, referral.message) == (
        orgs["ngo-sigurna"].pk,
        False,
        "Needs a safe place tonight.",
    )


def test_refer_without_consent_needs_a_legal_ground(client, world, orgs, ngo_case):
    client.force_login(world["ngo"])
    html = client.get(f"/cases/{ngo_case.pk}/refer/").content.decode()
    assert "No consent to share is recorded." in html
    response = client.post(f"/cases/{ngo_case.pk}/refer/", refer_data(orgs, to_org=orgs["ngo-most"].pk))
    assert response.status_code == 200
    html = response.content.decode()
    assert "The person has not consented to sharing with Bridge to Freedom." in html
    assert 'id="id_legal_ground_error"' in html
    assert "Needs a safe place tonight." in html  # the input is kept
    response = client.post(
        f"/cases/{ngo_case.pk}/refer/", refer_data(orgs, to_org=orgs["ngo-most"].pk, legal_ground="emergency")
    )
    assert response.status_code == 200
    assert 'id="id_legal_ground_note_error"' in response.content.decode()
    response = client.post(
        f"/cases/{ngo_case.pk}/refer/",
        refer_data(orgs, to_org=orgs["ngo-most"].pk, legal_ground="child", legal_ground_note="x"),
    )
    assert "The child ground applies only to children." in response.content.decode()
    assert Referral.objects.count() == 0
    response = client.post(
        f"/cases/{ngo_case.pk}/refer/",
        refer_data(
            orgs,
            to_org=orgs["ngo-most"].pk,
            legal_ground="emergency",
            legal_ground_note="Injured and in danger: needs a doctor and a safe place today.",
        ),
    )
    assert response.status_code == 302
    referral = Referral.objects.get()
    assert (referral.without_consent, referral.legal_ground) == (True, "emergency")
    page = client.get(response["Location"]).content.decode()
    assert "Sent without consent, on a legal ground" in page


def test_refer_service_without_service_type(client, world, orgs, police_case):
    client.force_login(world["police"])
    response = client.post(f"/cases/{police_case.pk}/refer/", refer_data(orgs, service_type=""))
    assert response.status_code == 200
    assert 'id="id_service_type_error"' in response.content.decode()
    assert Referral.objects.count() == 0


def test_refer_to_own_organisation_is_not_offered(client, world, orgs, police_case):
    client.force_login(world["police"])
    response = client.post(f"/cases/{police_case.pk}/refer/", refer_data(orgs, to_org=orgs["pu-bg"].pk))
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert Referral.objects.count() == 0


def test_refer_without_identity(client, world, orgs, police_case):
    client.force_login(world["police"])
    response = client.post(f"/cases/{police_case.pk}/refer/", refer_data(orgs))  # the box unticked
    referral = Referral.objects.get()
    assert response.status_code == 302
    assert referral.shares_identity is False
    accept(world["ngo"], referral)
    client.force_login(world["ngo"])
    html = client.get(f"/cases/{police_case.pk}/").content.decode()
    assert police_case.reference in html
    assert GIVEN not in html and FAMILY not in html
    assert 'id="h-identity"' not in html


# --- Inbox and outbox ------------------------------------------------------------------------


def test_inbox_and_outbox(client, world, orgs, police_case):
    referral = refer(world["police"], police_case, orgs["ngo-sigurna"])
    client.force_login(world["ngo"])
    inbox = client.get("/referrals/in/").content.decode()
    assert f"/referrals/{referral.pk}/" in inbox
    assert "Police Directorate Belgrade" in inbox
    assert f"/referrals/{referral.pk}/" not in client.get("/referrals/out/").content.decode()
    assert f"/referrals/{referral.pk}/" not in client.get("/referrals/in/?status=accepted").content.decode()
    home = client.get("/").content.decode()
    assert "Referrals waiting in my inbox" in home and police_case.reference in home
    client.force_login(world["police"])
    assert f"/referrals/{referral.pk}/" in client.get("/referrals/out/?status=sent").content.decode()
    assert f"/referrals/{referral.pk}/" not in client.get("/referrals/in/").content.decode()


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_inbox_queries_do_not_grow_with_rows(client, world, orgs, django_assert_max_num_queries):
    def add(n: int) -> None:
        for _ in range(n):
            case = open_case(world["police"], orgs["pu-bg"])
            refer(
                world["police"],
                case,
                orgs["ngo-sigurna"],
                legal_ground="emergency",
                legal_ground_note="Injured and in danger: needs a doctor and a safe place today.",
            )

    add(3)
    client.force_login(world["ngo"])
    client.get("/referrals/in/")
    few_in, few_home = _queries(client, "/referrals/in/"), _queries(client, "/")
    add(27)
    assert _queries(client, "/referrals/in/") == few_in
    assert _queries(client, "/") == few_home
    with django_assert_max_num_queries(10):
        client.get("/referrals/in/")
    client.force_login(world["police"])
    client.get("/referrals/out/")
    with django_assert_max_num_queries(10):
        client.get("/referrals/out/")


# --- Answering -------------------------------------------------------------------------------


def test_receiver_accepts_then_progresses(client, world, orgs, police_case):
    referral = refer(world["police"], police_case, orgs["ngo-sigurna"])
    client.force_login(world["ngo"])
    html = client.get(f"/referrals/{referral.pk}/").content.decode()
    assert ">Accept<" in html and ">Decline<" in html
    assert ">Close<" not in html  # closing is the sender's
    response = client.post(f"/referrals/{referral.pk}/transition/", {"status": "accepted", "version": 1})
    assert response.status_code == 302
    referral.refresh_from_db()
    assert referral.status == "accepted"
    html = client.get(f"/referrals/{referral.pk}/").content.decode()
    assert ">Mark in progress<" in html and ">Mark completed<" in html
    assert f'href="/cases/{police_case.pk}/"' in html


def test_decline_needs_a_reason(client, world, orgs, police_case):
    referral = refer(world["police"], police_case, orgs["ngo-sigurna"])
    client.force_login(world["ngo"])
    response = client.post(f"/referrals/{referral.pk}/transition/", {"status": "declined", "version": 1, "reason": ""})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Give the reason for declining." in html
    assert 'id="id_declined_reason_error"' in html
    referral.refresh_from_db()
    assert (referral.status, referral.version) == ("sent", 1)
    response = client.post(
        f"/referrals/{referral.pk}/transition/", {"status": "declined", "version": 1, "reason": "No beds."}
    )
    assert response.status_code == 302
    referral.refresh_from_db()
    assert (referral.status, referral.decline_reason) == ("declined", "No beds.")


def test_stale_or_wrong_side_transition_is_refused(client, world, orgs, police_case):
    referral = refer(world["police"], police_case, orgs["ngo-sigurna"])
    accept(world["ngo"], referral)
    client.force_login(world["ngo"])
    response = client.post(f"/referrals/{referral.pk}/transition/", {"status": "in_progress", "version": 1})
    assert response.status_code == 409
    assert "changed by someone else" in response.content.decode()
    response = client.post(f"/referrals/{referral.pk}/transition/", {"status": "closed", "version": 2})
    assert response.status_code == 409
    assert "cannot be made Closed by your organisation" in response.content.decode()
    referral.refresh_from_db()
    assert (referral.status, referral.version) == ("accepted", 2)
    # The sender may close it.
    client.force_login(world["police"])
    html = client.get(f"/referrals/{referral.pk}/").content.decode()
    assert ">Close<" in html and ">Accept<" not in html
    assert client.post(f"/referrals/{referral.pk}/transition/", {"status": "closed", "version": 2}).status_code == 302
    referral.refresh_from_db()
    assert referral.status == "closed"


def test_overdue_referrals_are_on_the_home_page(client, world, orgs):
    import datetime as dt

    from django.utils import timezone

    month_ago = timezone.localdate() - dt.timedelta(days=30)
    case = open_case(world["police"], orgs["pu-bg"], opened_on=month_ago)
    referral = refer(
        world["police"],
        case,
        orgs["ngo-sigurna"],
        sent_on=month_ago,
        legal_ground="emergency",
        legal_ground_note="Injured and in danger: needs a doctor and a safe place today.",
    )
    client.force_login(world["police"])
    html = client.get("/").content.decode()
    overdue = html.split('id="overdue"')[1]
    assert f"/referrals/{referral.pk}/" in overdue
    assert "Safe Harbour Association" in overdue


# --- Directory -------------------------------------------------------------------------------


def test_directory_filters(client, world):
    client.force_login(world["analyst"])  # every signed-in user may read the directory
    html = client.get("/directory/").content.decode()
    assert "Safe Harbour Association (shelter)" in html and "Bridge to Freedom" in html
    html = client.get("/directory/?service=reintegration").content.decode()
    assert "Bridge to Freedom" in html and "Accommodation" not in html.split("<tbody>")[1]
    html = client.get("/directory/?language=hu").content.decode()
    assert "Bridge to Freedom" in html and "Safe Harbour Association" not in html.split("<tbody>")[1]
    html = client.get("/directory/?region=Vojvodina").content.decode()
    assert "Bridge to Freedom" in html


def test_a_service_recorded_from_the_referral_is_prefilled_and_completes_it(client, world, orgs, police_case):
    from nrm.cases.tests.helpers import move, refer, share
    from nrm.referrals.choices import ReferralStatus

    share(world["police"], police_case, "ngo-sigurna")
    referral = refer(world["police"], police_case, "ngo-sigurna")
    move(world["ngo"], referral, ReferralStatus.ACCEPTED)
    client.force_login(world["ngo"])
    page = client.get(f"/referrals/{referral.pk}/").content.decode()
    assert "data-record-service" in page
    form = client.get(f"/cases/{police_case.pk}/services/new/?referral={referral.pk}").content.decode()
    assert f'<option value="{referral.pk}" selected>' in form
    assert f'<option value="{referral.service_type_id}" selected>' in form
    assert f'<option value="{orgs["ngo-sigurna"].pk}" selected>' in form
    data = {
        "service_type": referral.service_type_id,
        "organisation": orgs["ngo-sigurna"].pk,
        "referral": referral.pk,
        "status": "delivered",
        "started_on": str(police_case.opened_on),
    }
    response = client.post(f"/cases/{police_case.pk}/services/new/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.COMPLETED  # its only service was delivered
