"""Issue D, audit gaps: the actor's role on each entry; list and search reads, the duplicates list,
sign-ins and their failures are audited; a subject access export says who accessed the person's data."""

import pytest
from django.test import Client

from conftest import PASSWORD
from nrm.accounts.choices import Role
from nrm.audit.models import AuditEntry
from nrm.audit.services import audit_verify
from nrm.cases.tests.helpers import api, member, open_case, org


@pytest.fixture
def case(world):
    return open_case(world["police"])


def last(action: str) -> AuditEntry:
    return AuditEntry.objects.filter(action=action).order_by("-id").first()


def test_entries_carry_the_actors_role_in_the_acting_organisation(world, case):
    assert (last("case.open").actor, last("case.open").role) == ("police", Role.FRONTLINE)
    api(world["police"]).get(f"/api/v1/cases/{case.pk}/")
    assert last("case.view").role == Role.FRONTLINE
    assert audit_verify().ok


def test_the_role_recorded_is_the_one_in_the_acting_organisation(world, case):
    from nrm.accounts.models import Membership

    two_hats = member("two-hats", "ngo-sigurna", Role.FRONTLINE)
    Membership.objects.create(user=two_hats, organisation=org("pu-bg"), role=Role.CASEWORKER)
    api(two_hats).get(f"/api/v1/cases/{case.pk}/")
    assert last("case.view").role == Role.CASEWORKER
    api(two_hats).get("/api/v1/cases/")  # no one organisation: every role held
    assert last("case.list").role == "caseworker,frontline"


def test_roles_are_read_through_what_accounts_registered(world, monkeypatch):
    """The audit layer reads roles through the reader the accounts app registers (no import upwards);
    without one, an entry for a signed-in actor is refused rather than written without its role."""
    from nrm.accounts.access import roles_in
    from nrm.audit import services

    assert services._roles_in is roles_in
    monkeypatch.setattr(services, "_roles_in", None)
    with pytest.raises(RuntimeError, match="no reader of roles"):
        services.audit_record(actor=world["police"], action="case.view", object_type="case", object_id=1)
    services.audit_record(actor=None, action="system.check", object_type="system", object_id="")  # no actor, no role


def test_a_locked_out_sign_in_is_audited_as_such(world, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        Client().post("/accounts/login/", {"username": "police", "password": "wrong-horse"})
    Client().post("/accounts/login/", {"username": "police", "password": PASSWORD})
    entry = last("auth.sign_in")
    assert (entry.outcome, entry.object_id, entry.reason) == ("denied", "police", "locked out")


def test_the_web_case_list_and_search_are_audited(world, case):
    client = Client()
    client.force_login(world["police"])
    assert client.get("/cases/").status_code == 200
    entry = last("case.list")
    assert (entry.actor, entry.reason, entry.role) == ("police", "web", Role.FRONTLINE)
    assert case.pk in entry.detail["cases"]
    assert client.get("/cases/", {"q": case.reference}).status_code == 200
    entry = last("case.search")
    assert entry.detail == {"cases": [case.pk], "filters": {"q": case.reference}}


def test_the_api_case_list_and_search_are_audited(world, case):
    assert api(world["police"]).get("/api/v1/cases/").status_code == 200
    assert case.pk in last("case.list").detail["cases"] and last("case.list").reason == "api"
    assert api(world["police"]).get("/api/v1/cases/", {"q": "no such reference"}).status_code == 200
    assert last("case.search").detail == {"cases": [], "filters": {"q": "no such reference"}}


def test_the_duplicates_list_is_audited(world):
    assert api(world["ngo"]).get("/api/v1/duplicates/").status_code == 200
    entry = last("duplicate.list")
    assert (entry.actor, entry.detail, entry.role) == ("ngo", {"links": []}, Role.CASEWORKER)


def test_sign_ins_and_failed_sign_ins_are_audited(world):
    client = Client()
    assert client.post("/accounts/login/", {"username": "police", "password": PASSWORD}).status_code == 302
    entry = last("auth.sign_in")
    assert (entry.actor, entry.outcome, entry.object_id, entry.role) == (
        "police",
        "allowed",
        str(world["police"].pk),
        Role.FRONTLINE,
    )
    assert Client().post("/accounts/login/", {"username": "police", "password": "wrong-horse"}).status_code == 200
    entry = last("auth.sign_in")
    assert (entry.actor, entry.outcome, entry.object_id, entry.reason) == (
        "anonymous",
        "denied",
        "police",
        "bad credentials",
    )
    assert "wrong-horse" not in str(entry.detail)
    assert audit_verify().ok


def test_subject_access_export_says_who_accessed_the_persons_data(world, case):
    caseworker = member("pu-caseworker", "pu-bg", Role.CASEWORKER)
    api(world["police"]).get(f"/api/v1/cases/{case.pk}/")
    api(world["ngo"]).get(f"/api/v1/cases/{case.pk}/")  # refused: another organisation's case
    body = api(caseworker).get(f"/api/v1/cases/{case.pk}/subject-export/").json()
    seen = [(a["who"], a["role"], a["action"], a["outcome"]) for a in body["accesses"]]
    assert ("police", Role.FRONTLINE, "case.open", "allowed") in seen
    assert ("police", Role.FRONTLINE, "case.view", "allowed") in seen
    assert ("ngo", Role.CASEWORKER, "case.view", "denied") in seen
    assert body["accesses"][0]["organisation"] == org("pu-bg").name
    assert all(a["record"] == f"case:{case.pk}" for a in body["accesses"] if a["action"].startswith("case."))
