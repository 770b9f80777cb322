"""Withdrawing consent ends the receiver's access: the referral that relied on it is suspended.

From its next request the receiver is an outsider to the case (404, audited denial) and sees no
identity anywhere; what the law makes it keep (its own decisions, the services it delivered) is
listed on the referral without identity. A referral sent on a legal ground does not rely on
consent and is not suspended.
"""

from __future__ import annotations

import pytest

from conftest import fresh
from nrm.audit.models import AuditEntry
from nrm.cases import selectors as case_selectors
from nrm.cases import services as case_services
from nrm.cases.tests.helpers import SECRETS, api, denials, move, open_case, open_child_case, refer, share
from nrm.core.errors import Conflict, NotFound
from nrm.referrals import selectors
from nrm.referrals.choices import ReferralStatus
from nrm.referrals.models import Referral, ServiceType

pytestmark = pytest.mark.django_db


def _no_secret(text: str) -> None:
    leaked = [s for s in SECRETS if s in text]
    assert not leaked, f"identity leaked: {leaked}"


def _withdraw(owner, consent) -> None:
    case_services.consent_withdraw(actor=fresh(owner), consent=consent)


def _accepted(world, to_code: str = "ngo-sigurna", receiver: str = "ngo", **kwargs):
    """Return (case, consent, referral): police's case referred with consent, accepted by ``receiver``."""
    owner = world["police"]
    case = open_case(owner)
    consent = share(owner, case, to_code)
    referral = refer(owner, case, to_code, **kwargs)
    move(world[receiver], referral, ReferralStatus.ACCEPTED)
    return case, consent, referral


def test_withdrawal_suspends_the_ngo_and_ends_its_access(client, world):
    owner, ngo = world["police"], world["ngo"]
    case, consent, referral = _accepted(world, message="Zorkana Qvistovic needs a bed tonight.")
    assert case_selectors.case_get(fresh(ngo), case.pk).show_identity  # the NGO read it before

    _withdraw(owner, consent)

    referral.refresh_from_db()
    assert referral.status == ReferralStatus.SUSPENDED
    assert referral.suspended_on is not None
    suspension = AuditEntry.objects.get(action="referral.suspend")
    assert suspension.object_id == str(case.pk) and suspension.detail["referral"] == referral.pk
    assert suspension.detail["from"] == ReferralStatus.ACCEPTED
    withdrawal = AuditEntry.objects.get(action="consent.withdraw")
    assert withdrawal.detail["referrals_suspended"] == [referral.pk]
    # The owner's timeline shows the suspension.
    timeline = case_selectors.case_timeline(case_selectors.case_get(fresh(owner), case.pk))
    assert any(e.text == f"Referral to {referral.to_org.name} suspended: consent withdrawn" for e in timeline), timeline

    # The case is a 404 for the NGO, like any outsider's, and the refusal is audited: service...
    with pytest.raises(NotFound):
        case_selectors.case_get(fresh(ngo), case.pk)
    # ...web page...
    client.force_login(ngo)
    assert client.get(f"/cases/{case.pk}/").status_code == 404
    # ...and API.
    assert api(ngo).get(f"/api/v1/cases/{case.pk}/").status_code == 404
    assert len(denials(actor=ngo, action="case.view", object_id=str(case.pk))) == 3

    # No identity anywhere it still looks: inbox, referral page, referral API (the message too).
    inbox = client.get("/referrals/in/").content.decode()
    assert case.reference in inbox
    _no_secret(inbox)
    detail = client.get(f"/referrals/{referral.pk}/").content.decode()
    assert "Suspended" in detail
    _no_secret(detail)
    for path in ("/api/v1/referrals/?box=in", f"/api/v1/referrals/{referral.pk}/", f"/api/v1/cases/{case.pk}/"):
        _no_secret(api(ngo).get(path).content.decode())
    assert api(ngo).get(f"/api/v1/referrals/{referral.pk}/").json()["message"] == ""
    # The sender still reads its own message.
    assert "bed tonight" in api(owner).get(f"/api/v1/referrals/{referral.pk}/").json()["message"]


def test_the_ngo_keeps_the_services_it_delivered_without_identity(world):
    owner, ngo = world["police"], world["ngo"]
    case, consent, referral = _accepted(world)
    case_services.service_record(
        actor=fresh(ngo),
        case=case,
        service_type=ServiceType.objects.get(code="accommodation"),
        organisation=referral.to_org,
        status="delivered",
        started_on=case.opened_on,
        referral=referral,
    )
    _withdraw(owner, consent)

    kept = selectors.referral_retained(fresh(ngo), Referral.objects.get(pk=referral.pk))
    assert [(s.service_type.code, s.status, s.started_on) for s in kept.services] == [
        ("accommodation", "delivered", case.opened_on)
    ]


def test_the_centre_sees_no_identity_after_withdrawal_and_keeps_its_decision(client, world):
    owner, centre = world["police"], world["centre"]
    case, consent, referral = _accepted(world, "centre", "centre")
    case_services.identification_decide(
        actor=fresh(centre), case=case, decision="identified", grounds="Indicators confirmed in interview."
    )

    _withdraw(owner, consent)

    assert Referral.objects.get(pk=referral.pk).status == ReferralStatus.SUSPENDED
    with pytest.raises(NotFound):
        case_selectors.case_get(fresh(centre), case.pk)
    client.force_login(centre)
    assert client.get(f"/cases/{case.pk}/").status_code == 404
    assert api(centre).get(f"/api/v1/cases/{case.pk}/").status_code == 404
    for path in ("/referrals/in/", f"/referrals/{referral.pk}/", "/"):
        _no_secret(client.get(path).content.decode())
    # The Centre keeps the record of its statutory decision: what, when, no identity.
    kept = selectors.referral_retained(fresh(centre), Referral.objects.get(pk=referral.pk))
    assert [i.decision for i in kept.identifications] == ["identified"]
    assert "Identified as a victim" in client.get(f"/referrals/{referral.pk}/").content.decode()


def test_a_referral_on_a_legal_ground_is_not_suspended(world):
    owner, ngo = world["police"], world["ngo"]
    case = open_child_case(owner)
    on_ground = refer(
        owner,
        case,
        "ngo-sigurna",
        legal_ground="child",
        legal_ground_note="Child alone at night at the bus station, no parent reachable.",
    )
    move(ngo, on_ground, ReferralStatus.ACCEPTED)
    # A consent to another organisation is withdrawn: the referral on a legal ground stands.
    other = share(owner, case, "ngo-most")
    _withdraw(owner, other)
    # So does a consent to the same organisation recorded later: the referral never relied on it.
    late = share(owner, case, "ngo-sigurna")
    _withdraw(owner, late)

    on_ground.refresh_from_db()
    assert on_ground.status == ReferralStatus.ACCEPTED and on_ground.suspended_on is None
    assert not AuditEntry.objects.filter(action="referral.suspend").exists()
    assert case_selectors.case_get(fresh(ngo), case.pk).show_identity


def test_another_consent_in_force_keeps_the_referral(world):
    owner, ngo = world["police"], world["ngo"]
    case = open_case(owner)
    first = share(owner, case, "ngo-sigurna")
    share(owner, case, "ngo-sigurna")
    referral = refer(owner, case, "ngo-sigurna")
    move(ngo, referral, ReferralStatus.ACCEPTED)
    _withdraw(owner, first)
    assert Referral.objects.get(pk=referral.pk).status == ReferralStatus.ACCEPTED


def test_an_unanswered_referral_is_suspended_too(world):
    owner, ngo = world["police"], world["ngo"]
    case = open_case(owner)
    consent = share(owner, case, "ngo-sigurna")
    referral = refer(owner, case, "ngo-sigurna")
    _withdraw(owner, consent)
    assert Referral.objects.get(pk=referral.pk).status == ReferralStatus.SUSPENDED
    # The receiver can no longer accept it and so open the case to itself.
    with pytest.raises(Conflict):
        move(ngo, referral, ReferralStatus.ACCEPTED)


def test_re_consent_lets_the_sender_send_it_again(world):
    owner, ngo = world["police"], world["ngo"]
    case, consent, referral = _accepted(world)
    _withdraw(owner, consent)

    # Without consent in force again, sending it again is refused, naming the field.
    with pytest.raises(Conflict) as exc:
        move(owner, referral, ReferralStatus.SENT)
    assert exc.value.field == "status"

    share(owner, case, "ngo-sigurna")
    move(owner, referral, ReferralStatus.SENT)
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.SENT
    assert [c["organisation"] for c in referral.consent_snapshot] == [referral.to_org_id]
    # The receiver answers again before it sees the case.
    with pytest.raises(NotFound):
        case_selectors.case_get(fresh(ngo), case.pk)
    move(ngo, referral, ReferralStatus.ACCEPTED)
    assert case_selectors.case_get(fresh(ngo), case.pk).show_identity


def test_the_sender_may_close_a_suspended_referral_and_the_receiver_may_not_resume_it(world):
    owner, ngo = world["police"], world["ngo"]
    case, consent, referral = _accepted(world)
    _withdraw(owner, consent)
    share(owner, case, "ngo-sigurna")
    with pytest.raises(Conflict):
        move(ngo, referral, ReferralStatus.SENT)
    move(owner, referral, ReferralStatus.CLOSED)
    assert Referral.objects.get(pk=referral.pk).status == ReferralStatus.CLOSED
