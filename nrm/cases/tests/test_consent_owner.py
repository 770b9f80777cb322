"""Consent belongs to the owning organisation: a receiver of the case cannot record or withdraw it."""

import pytest

from nrm.cases import services
from nrm.cases.models import Consent
from nrm.cases.tests.helpers import denials, move, open_case, refer, share
from nrm.core.errors import NotFound


def test_receiver_cannot_record_or_withdraw_consent(world):
    case = open_case(world["police"])
    consent = share(world["police"], case, "ngo-sigurna")
    referral = refer(world["police"], case, "ngo-sigurna")
    move(world["ngo"], referral, "accepted")
    before = Consent.objects.count()
    with pytest.raises(NotFound):
        services.consent_record(actor=world["ngo"], case=case, purpose="services")
    with pytest.raises(NotFound):
        services.consent_withdraw(actor=world["ngo"], consent=consent)
    consent.refresh_from_db()
    assert Consent.objects.count() == before and consent.withdrawn_on is None
    assert len(denials(actor=world["ngo"].username)) == 2


def test_owner_records_and_withdraws(world):
    case = open_case(world["police"])
    consent = services.consent_record(actor=world["police"], case=case, purpose="services")
    services.consent_withdraw(actor=world["police"], consent=consent)
    assert Consent.objects.get(pk=consent.pk).withdrawn_on is not None
