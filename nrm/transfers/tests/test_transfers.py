"""Transfers: consent or legal ground, two-step acceptance, the access matrix before and after, audit."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from conftest import fresh
from nrm.accounts.access import Action, restrict
from nrm.accounts.choices import Role
from nrm.audit.models import AuditEntry
from nrm.cases import services as case_services
from nrm.cases.access import can, can_see_identity
from nrm.cases.models import Case, CaseNote
from nrm.cases.tests.helpers import IDENTITY, api, member, open_case, org
from nrm.core.errors import NotFound
from nrm.transfers import services
from nrm.transfers.models import TransferStatus

GROUND = "The person moved to Novi Sad; the court ordered the local centre to take the case over."


@pytest.fixture
def scene(world):
    old = member("t-pu-cw", "pu-bg", Role.CASEWORKER)
    new = member("t-csr-cw", "csr-ns", Role.CASEWORKER)
    case = open_case(world["police"])
    case_services.note_add(actor=fresh(old), case=case, text="Old owner's note")
    return {"old": old, "new": new, "case": case, "outsider": world["ngo2"]}


def test_transfer_needs_consent_or_a_written_ground(scene):
    case, old = scene["case"], scene["old"]
    with pytest.raises(ValidationError) as e:
        services.transfer_request(actor=fresh(old), case=case, to_org=org("csr-ns"), reason="Moved")
    assert "legal_ground" in e.value.message_dict
    with pytest.raises(ValidationError) as e:
        services.transfer_request(actor=fresh(old), case=case, to_org=org("csr-ns"), reason="Moved", legal_ground="x")
    assert "legal_ground" in e.value.message_dict
    with pytest.raises(ValidationError) as e:
        services.transfer_request(
            actor=fresh(old), case=case, to_org=org("pu-bg"), reason="x", consent_given_on=case.opened_on
        )
    assert "to_org" in e.value.message_dict


def test_the_access_matrix_before_and_after_a_transfer(scene):
    case, old, new, outsider = scene["case"], scene["old"], scene["new"], scene["outsider"]
    # Before: the owner sees and manages; the receiver-to-be sees nothing of the case.
    assert can(fresh(old), Action.MANAGE, case) and can_see_identity(fresh(old), case)
    assert not can(fresh(new), Action.VIEW, case)
    transfer = services.transfer_request(
        actor=fresh(old), case=case, to_org=org("csr-ns"), reason="Moved", legal_ground=GROUND
    )
    assert not can(fresh(new), Action.VIEW, case)  # pending: not yet the owner
    with pytest.raises(NotFound):
        services.transfer_accept(actor=fresh(outsider), pk=transfer.pk)
    with pytest.raises(NotFound):
        services.transfer_accept(actor=fresh(old), pk=transfer.pk)  # the sender cannot accept its own
    services.transfer_accept(actor=fresh(new), pk=transfer.pk)
    case = Case.objects.get(pk=case.pk)
    assert case.owner.code == "csr-ns"
    # After: the new owner manages and sees identity; the old owner no longer sees the case...
    assert can(fresh(new), Action.MANAGE, case) and can_see_identity(fresh(new), case)
    assert not can(fresh(old), Action.VIEW, case) and not can_see_identity(fresh(old), case)
    # ...but reads, read-only, the note it wrote; not a note the new owner writes.
    case_services.note_add(actor=fresh(new), case=case, text="New owner's note")
    texts = [n.text for n in restrict(CaseNote.objects.filter(case=case), fresh(old), Action.VIEW)]
    assert texts == ["Old owner's note"]
    assert not restrict(CaseNote.objects.filter(case=case), fresh(old), Action.MANAGE).exists()
    assert not restrict(CaseNote.objects.filter(case=case), fresh(outsider), Action.VIEW).exists()
    accepted = AuditEntry.objects.filter(action="transfer.accept", object_type="case", object_id=str(case.pk))
    assert sorted(e.organisation_id for e in accepted) == sorted([org("pu-bg").pk, org("csr-ns").pk])
    refused = AuditEntry.objects.filter(action="transfer.accept", object_type="transfer", outcome="denied")
    assert refused.count() == 2


def test_the_transfer_api_and_pages(scene):
    case, old, new = scene["case"], scene["old"], scene["new"]
    response = api(old).post(
        f"/api/v1/cases/{case.pk}/transfer/",
        {"to_org": org("csr-ns").pk, "reason": "Moved", "consent_given_on": case.opened_on.isoformat()},
        format="json",
    )
    assert response.status_code == 201, response.content
    pk = response.json()["id"]
    assert api(scene["outsider"]).post(f"/api/v1/transfers/{pk}/accept/").status_code == 404
    assert api(new).get(f"/api/v1/cases/{case.pk}/").status_code == 404
    bad = api(new).post(f"/api/v1/transfers/{pk}/decline/", {}, format="json")
    assert bad.status_code == 400 and "reason" in bad.content.decode()
    assert api(new).post(f"/api/v1/transfers/{pk}/accept/").status_code == 200
    assert api(new).get(f"/api/v1/cases/{case.pk}/").status_code == 200
    assert api(old).get(f"/api/v1/cases/{case.pk}/").status_code == 404
    history = api(old).get(f"/api/v1/transfers/{pk}/").json()["history"]
    assert [n["text"] for n in history["notes"]] == ["Old owner's note"]
    assert IDENTITY["family_name"] not in str(history)
    again = api(new).post(f"/api/v1/transfers/{pk}/accept/")
    assert again.status_code == 409


def test_the_transfer_form_on_the_case(client, scene):
    case, old = scene["case"], scene["old"]
    client.force_login(old)
    assert f"/cases/{case.pk}/transfer/" in client.get(f"/cases/{case.pk}/").content.decode()
    page = client.post(f"/cases/{case.pk}/transfer/", {"to_org": org("csr-ns").pk, "reason": "Moved"})
    assert page.status_code == 200 and "legal ground" in page.content.decode().lower()
    done = client.post(
        f"/cases/{case.pk}/transfer/", {"to_org": org("csr-ns").pk, "reason": "Moved", "legal_ground": GROUND}
    )
    assert done.status_code == 302
    assert case.transfers.get().status == TransferStatus.PENDING
    client.force_login(scene["outsider"])
    assert client.get(f"/cases/{case.pk}/transfer/").status_code == 404
    assert client.get(f"/transfers/{case.transfers.get().pk}/").status_code == 404
    assert dt.date.today() >= case.opened_on
