"""Subject access export: the owner's case manager gets everything on the person; others a 404."""

import pytest

from nrm.accounts.choices import Role
from nrm.audit.models import AuditEntry
from nrm.cases.tests.helpers import IDENTITY, api, member, move, open_case, refer, share


@pytest.fixture
def case(world):
    return open_case(world["police"])


def test_owner_case_manager_exports_everything(world, case):
    caseworker = member("pu-caseworker", "pu-bg", Role.CASEWORKER)
    share(world["police"], case, "ngo-sigurna")
    refer(world["police"], case, "ngo-sigurna")
    response = api(caseworker).get(f"/api/v1/cases/{case.pk}/subject-export/")
    assert response.status_code == 200
    body = response.json()
    assert body["person"]["given_name"] == IDENTITY["given_name"]
    assert body["cases"][0]["reference"] == case.reference
    assert body["cases"][0]["consents"][0]["purpose"] == "share"
    assert body["cases"][0]["referrals"][0]["to"].startswith("Safe Harbour")
    assert AuditEntry.objects.filter(action="case.subject_export", outcome="allowed", object_id=str(case.pk)).exists()


@pytest.mark.parametrize("who", ["ngo", "ngo2", "coordinator", "analyst", "admin", "police"])
def test_everyone_else_gets_404_and_a_denial(world, case, who):
    # ngo has an accepted referral; police is the owner's frontline worker, not a case manager.
    share(world["police"], case, "ngo-sigurna")
    move(world["ngo"], refer(world["police"], case, "ngo-sigurna"), "accepted")
    response = api(world[who]).get(f"/api/v1/cases/{case.pk}/subject-export/")
    assert response.status_code == 404
    assert IDENTITY["given_name"] not in response.content.decode()
    assert AuditEntry.objects.filter(action="case.subject_export", outcome="denied", actor=who).exists()
