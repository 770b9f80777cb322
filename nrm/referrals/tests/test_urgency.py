"""Issue I, the referral: the kind follows the receiver, the due date follows urgency, and the
receiver sees what it needs to decide (sex, age band, child, forms, urgency, message) before it
accepts, without the identity."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from conftest import fresh
from nrm.cases.tests.helpers import IDENTITY, api, open_case, open_child_case, org, share
from nrm.core.workdays import add_working_days
from nrm.referrals import services
from nrm.referrals.choices import ReferralKind, Urgency
from nrm.referrals.models import Referral, ServiceType

MONDAY = dt.date(2024, 3, 4)


def send(world, case, to_code, **kwargs) -> Referral:
    share(world["police"], case, to_code)
    kwargs.setdefault("sent_on", MONDAY)
    return services.referral_send(actor=fresh(world["police"]), case=case, to_org=org(to_code), **kwargs)


@pytest.mark.parametrize(
    ("urgency", "due"),
    [
        (Urgency.IMMEDIATE, MONDAY),
        (Urgency.URGENT, dt.date(2024, 3, 5)),
        (Urgency.ROUTINE, add_working_days(MONDAY, 5)),
    ],
)
def test_the_due_date_follows_urgency(world, urgency, due):
    case = open_case(world["police"], opened_on=MONDAY)
    referral = send(world, case, "centre", urgency=urgency)
    assert (referral.urgency, referral.due_on) == (urgency, due)


def test_the_kind_follows_the_receiver_unless_chosen(world):
    case = open_case(world["police"], opened_on=MONDAY)
    assert send(world, case, "centre").kind == ReferralKind.IDENTIFICATION
    service = send(world, case, "ngo-sigurna", service_type=ServiceType.objects.get(code="accommodation"))
    assert service.kind == ReferralKind.SERVICE
    with pytest.raises(ValidationError) as exc:
        send(world, case, "csr-bg", urgency="yesterday")
    assert "urgency" in exc.value.message_dict


def test_the_api_takes_urgency_and_infers_the_kind(world):
    case = open_case(world["police"], opened_on=MONDAY)
    share(world["police"], case, "centre")
    body = {"case": case.pk, "to_org": org("centre").pk, "urgency": "immediate"}
    response = api(world["police"]).post("/api/v1/referrals/", body, format="json")
    assert response.status_code == 201, response.content
    assert (response.json()["kind"], response.json()["urgency"]) == ("identification", "immediate")


def test_the_receiver_sees_what_it_needs_before_accepting_and_no_identity(client, world):
    case = open_child_case(world["police"], opened_on=MONDAY, forms=["labour"])
    referral = send(world, case, "centre", urgency=Urgency.IMMEDIATE, message="Needs shelter tonight")
    client.force_login(world["centre"])
    page = client.get(f"/referrals/{referral.pk}/").content.decode()
    for shown in ["Immediate: today", "Needs shelter tonight", "data-referral-person", "child", "Labour"]:
        assert shown in page, shown
    for secret in IDENTITY.values():
        assert secret not in page


def test_the_refer_form_offers_urgency_and_marks_the_usual_kind(client, world):
    case = open_case(world["police"], opened_on=MONDAY)
    client.force_login(world["police"])
    page = client.get(f"/cases/{case.pk}/refer/").content.decode()
    assert 'name="urgency"' in page
    assert 'data-kind="identification"' in page and 'data-kind="service"' in page
