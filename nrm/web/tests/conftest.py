"""Helpers of the web tests: data is built through the services, as users' actions build it."""

from __future__ import annotations

import pytest

from conftest import PRESUMED_ADULT, fresh
from nrm.accounts.models import Organisation, User
from nrm.cases import services as case_services
from nrm.cases.choices import ConsentPurpose
from nrm.cases.models import Case
from nrm.referrals import services as referral_services
from nrm.referrals.choices import ReferralKind
from nrm.referrals.models import Referral, ServiceType

GIVEN = "Zorislava"  # a name no template, label or reference data contains
FAMILY = "Qwertović"


def screen(user: User, org: Organisation, answers=PRESUMED_ADULT, **kwargs):
    return case_services.screening_record(
        actor=fresh(user), organisation=org, answers=answers, is_child=False, **kwargs
    )


def open_case(user: User, org: Organisation, *, given: str = GIVEN, **kwargs) -> Case:
    kwargs.setdefault("identity", {"given_name": given, "family_name": FAMILY, "date_of_birth": "1990-04-02"})
    kwargs.setdefault("sex", "F")
    kwargs.setdefault("forms", ["labour"])
    return case_services.case_open(actor=fresh(user), organisation=org, **kwargs)


def consent_share(user: User, case: Case, org: Organisation):
    return case_services.consent_record(actor=fresh(user), case=case, purpose=ConsentPurpose.SHARE, organisation=org)


def refer(user: User, case: Case, to_org: Organisation, **kwargs) -> Referral:
    if to_org.type.is_identification_authority:
        kwargs.setdefault("kind", ReferralKind.IDENTIFICATION)
    else:
        kwargs.setdefault("service_type", ServiceType.objects.get(code="accommodation"))
    return referral_services.referral_send(actor=fresh(user), case=case, to_org=to_org, **kwargs)


def accept(user: User, referral: Referral) -> Referral:
    referral.refresh_from_db()
    return referral_services.referral_transition(
        actor=fresh(user), referral=referral, to_status="accepted", expected_version=referral.version
    )


@pytest.fixture
def police_case(world, orgs):
    """A case opened by the police from a presumed-victim screening, with consent to share with the NGO."""
    screening = screen(world["police"], orgs["pu-bg"])
    case = open_case(world["police"], orgs["pu-bg"], screening=screening)
    consent_share(world["police"], case, orgs["ngo-sigurna"])
    return case


@pytest.fixture
def ngo_case(world, orgs):
    """A case owned by the NGO ``ngo`` works at."""
    return open_case(world["ngo"], orgs["ngo-sigurna"])
