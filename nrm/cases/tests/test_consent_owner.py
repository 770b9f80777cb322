"""Consent belongs to the owning organisation: a receiver of the case cannot record or withdraw it."""

import pytest

from nrm.cases import services
from nrm.cases.models import Consent
from nrm.cases.tests.helpers import denials, move, open_case, refer, share
from nrm.core.errors import NotFound


def test_a_receiver_records_consent_it_obtains_but_cannot_withdraw(world):
    """The receiver that refers on (the Centre) records the consent it obtains; withdrawal is the owner's."""
    case = open_case(world["police"])
    consent = share(world["police"], case, "ngo-sigurna")
    referral = refer(world["police"], case, "ngo-sigurna")
    move(world["ngo"], referral, "accepted")
    obtained = services.consent_record(actor=world["ngo"], case=case, purpose="services")
    assert obtained.recorded_by == world["ngo"]
    with pytest.raises(NotFound):
        services.consent_withdraw(actor=world["ngo"], consent=consent)
    consent.refresh_from_db()
    assert consent.withdrawn_on is None
    assert len(denials(actor=world["ngo"].username)) == 1


def test_a_receiver_that_has_not_accepted_records_nothing(world):
    case = open_case(world["police"])
    share(world["police"], case, "ngo-sigurna")
    refer(world["police"], case, "ngo-sigurna")
    before = Consent.objects.count()
    with pytest.raises(NotFound):
        services.consent_record(actor=world["ngo"], case=case, purpose="services")
    assert Consent.objects.count() == before


def test_owner_records_and_withdraws(world):
    case = open_case(world["police"])
    consent = services.consent_record(actor=world["police"], case=case, purpose="services")
    services.consent_withdraw(actor=world["police"], consent=consent)
    assert Consent.objects.get(pk=consent.pk).withdrawn_on is not None
