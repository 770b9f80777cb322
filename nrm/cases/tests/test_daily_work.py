"""Issue J: search by name through keyed tokens, the responsible case worker, and case flags."""

from __future__ import annotations

import json

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.test import Client

from conftest import fresh
from nrm.accounts.choices import Role
from nrm.audit.models import AuditEntry
from nrm.cases import selectors
from nrm.cases import services as case_services
from nrm.cases.models import Case, CaseFlag, Person
from nrm.cases.tests.helpers import IDENTITY, api, denials, member, move, open_case, org, refer, share
from nrm.core import crypto
from nrm.core.errors import Conflict, NotFound
from nrm.referrals.choices import ReferralStatus

BORN = IDENTITY["date_of_birth"]


@pytest.fixture
def case(world):
    return open_case(world["police"])


def _search(user, name: str, birth_date: str = "", birth_year: str = "") -> list[Case]:
    search = selectors.name_search(name, birth_date, birth_year)
    return list(selectors.case_list(fresh(user), search=search))


# --- Search by name --------------------------------------------------------------------------


def test_opening_a_case_writes_the_search_tokens_not_the_name(case):
    person = Person.objects.get(pk=case.person_id)
    by_date, by_year = crypto.search_tokens(given_name="Zorkana", family_name="Qvistovic", date_of_birth=BORN)
    assert (person.search_key_date, person.search_key_year) == (by_date, by_year)
    assert by_date and by_year and by_date != by_year != person.linkage_key
    assert "orkana" not in by_date + by_year


def test_search_by_name_and_date_or_year_in_either_script(world, case):
    police = world["police"]
    assert _search(police, "Zorkana Qvistovic", birth_date=BORN) == [case]
    assert _search(police, "  ZORKANA   qvistović ", birth_year="1991") == [case]
    assert _search(police, "Зоркана Qvistovic", birth_date=BORN) == [case]
    # Exact: another date, another year or part of the name finds nothing.
    assert _search(police, "Zorkana Qvistovic", birth_date="1991-03-18") == []
    assert _search(police, "Zorkana Qvistovic", birth_year="1990") == []
    assert _search(police, "Zorkana", birth_year="1991") == []


def test_search_by_year_finds_a_person_known_by_year_only(world):
    case = open_case(world["police"], identity={"given_name": "Ana Marija", "family_name": "Kos"}, birth_year=1988)
    # However the box splits a two-word given name, the full name is the same text.
    assert _search(world["police"], "Ana Marija Kos", birth_year="1988") == [case]
    assert _search(world["police"], "Ana Marija Kos", birth_date="1988-01-01") == []


def test_search_finds_only_cases_whose_identity_the_user_may_see(world, case):
    share(world["police"], case, "ngo-sigurna")
    move(world["ngo"], refer(world["police"], case, "ngo-sigurna"), ReferralStatus.ACCEPTED)
    assert _search(world["ngo"], "Zorkana Qvistovic", birth_date=BORN) == []  # a receiver: not by name
    for who in ("ngo2", "socialwork", "analyst", "coordinator", "admin"):
        assert _search(world[who], "Zorkana Qvistovic", birth_date=BORN) == [], who
    wrong_role = member("pu-reporter", "pu-bg", Role.REPORTER)
    assert _search(wrong_role, "Zorkana Qvistovic", birth_date=BORN) == []


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"name": "Zorkana Qvistovic"}, "birth_date"),  # a name alone is not exact
        ({"name": "Zorkana Qvistovic", "birth_date": "17.03.1991"}, "birth_date"),
        ({"name": "Zorkana Qvistovic", "birth_date": "1991-02-30"}, "birth_date"),
        ({"name": "Zorkana Qvistovic", "birth_year": "91x"}, "birth_year"),
        ({"name": "Zorkana Qvistovic", "birth_year": "1991", "birth_date": "1990-03-17"}, "birth_year"),
        ({"birth_date": BORN}, "name"),
        ({"name": "---", "birth_date": BORN}, "name"),
    ],
)
def test_bad_search_is_a_400_naming_the_field(world, case, params, field):
    with pytest.raises(ValidationError) as refused:
        selectors.name_search(**params)
    assert field in refused.value.message_dict
    before = AuditEntry.objects.filter(action="case.search").count()
    response = api(world["police"]).get("/api/v1/cases/", params)
    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert AuditEntry.objects.filter(action="case.search").count() == before  # nothing was searched


def test_api_search_is_audited_with_the_token_not_the_name(world, case):
    response = api(world["police"]).get("/api/v1/cases/", {"name": "Zorkana Qvistovic", "birth_date": BORN})
    assert response.status_code == 200
    assert [c["id"] for c in response.json()["results"]] == [case.pk]
    entry = AuditEntry.objects.filter(action="case.search", actor="police").latest("id")
    detail = json.dumps(entry.detail)
    assert "orkana" not in detail.lower() and BORN not in detail
    by_date, _by_year = crypto.search_tokens(given_name="Zorkana", family_name="Qvistovic", date_of_birth=BORN)
    assert entry.detail["filters"]["name"] == {"token": by_date, "by": "birth_date"}
    assert entry.detail["cases"] == [case.pk]
    # An outsider's search is audited too, with nothing found.
    assert (
        api(world["ngo2"]).get("/api/v1/cases/", {"name": "Zorkana Qvistovic", "birth_year": 1991}).json()["count"] == 0
    )
    assert AuditEntry.objects.filter(action="case.search", actor="ngo2").latest("id").detail["cases"] == []


def test_the_search_box_on_the_case_list(world, case):
    client = Client()
    client.force_login(world["police"])
    html = client.get("/cases/", {"name": "Zorkana Qvistovic", "birth_year": "1991"}).content.decode()
    assert case.reference in html
    html = client.get("/cases/", {"name": "Zorkana Qvistovic", "birth_year": "1992"}).content.decode()
    assert case.reference not in html and "data-search-empty" in html
    refused = client.get("/cases/", {"name": "Zorkana Qvistovic"})
    assert refused.status_code == 400
    html = refused.content.decode()
    assert case.reference not in html and "data-search-refused" in html
    assert 'id="id_birth_date_error"' in html


def test_bulk_opening_and_retention_keep_the_tokens_right(world):
    drafts = [
        case_services.CaseDraft(
            open={"identity": {"given_name": "Bulk", "family_name": f"Person{i}", "date_of_birth": f"1990-05-0{i}"}}
        )
        for i in range(1, 4)
    ]
    cases = case_services.cases_open_bulk(
        actor=fresh(world["police"]), organisation=org("pu-bg"), drafts=drafts, source="test"
    )
    assert _search(world["police"], "Bulk Person2", birth_date="1990-05-02") == [cases[1]]
    assert all(c.responsible_id == world["police"].pk for c in Case.objects.filter(pk__in=[c.pk for c in cases]))
    from nrm.cases.retention import retention_apply

    Case.objects.filter(pk=cases[1].pk).update(status="closed", closed_on="2001-01-01")
    retention_apply()
    person = Person.objects.get(pk=cases[1].person_id)
    assert (person.search_key_date, person.search_key_year) == ("", "")


def test_the_migration_fills_the_tokens_of_existing_persons(world, case):
    from importlib import import_module

    fill = import_module("nrm.cases.migrations.0008_fill_search_keys").fill
    Person.objects.filter(pk=case.person_id).update(search_key_date="", search_key_year="")
    Case.objects.filter(pk=case.pk).update(responsible=None)
    assert _search(world["police"], "Zorkana Qvistovic", birth_date=BORN) == []
    fill(apps, None)
    assert _search(world["police"], "Zorkana Qvistovic", birth_date=BORN) == [case]
    assert Case.objects.get(pk=case.pk).responsible_id == case.opened_by_id


# --- The responsible case worker -------------------------------------------------------------


def test_the_opener_is_responsible_and_a_case_worker_reassigns(world, case):
    assert case.responsible_id == world["police"].pk
    caseworker = member("pu-caseworker", "pu-bg", Role.CASEWORKER)
    response = api(caseworker).post(f"/api/v1/cases/{case.pk}/assign/", {"responsible": caseworker.pk}, format="json")
    assert response.status_code == 200
    assert response.json()["responsible"]["username"] == "pu-caseworker"
    case.refresh_from_db()
    assert (case.responsible_id, case.version) == (caseworker.pk, 2)
    entry = AuditEntry.objects.filter(action="case.assign").latest("id")
    assert entry.detail == {"from": world["police"].pk, "to": caseworker.pk}
    # "mine": the caseworker's list holds the case, the opener's no longer.
    assert [c["id"] for c in api(caseworker).get("/api/v1/cases/?mine=1").json()["results"]] == [case.pk]
    assert api(world["police"]).get("/api/v1/cases/?mine=1").json()["count"] == 0
    client = Client()
    client.force_login(caseworker)
    assert case.reference in client.get("/cases/?mine=on").content.decode()


@pytest.mark.parametrize("who", ["ngo2", "socialwork", "pu-reporter"])
def test_only_a_case_worker_of_the_owner_may_be_responsible(world, case, who):
    caseworker = member("pu-caseworker", "pu-bg", Role.CASEWORKER)
    other = member(who, "pu-bg", Role.REPORTER) if who == "pu-reporter" else world[who]
    response = api(caseworker).post(f"/api/v1/cases/{case.pk}/assign/", {"responsible": other.pk}, format="json")
    assert response.status_code == 400
    assert "responsible" in response.json()["errors"]
    response = api(caseworker).post(f"/api/v1/cases/{case.pk}/assign/", {"responsible": "x"}, format="json")
    assert response.status_code == 400 and "responsible" in response.json()["errors"]
    assert Case.objects.get(pk=case.pk).responsible_id == world["police"].pk


def test_the_frontline_and_receivers_do_not_assign(world, case):
    share(world["police"], case, "centre")
    move(world["centre"], refer(world["police"], case, "centre"), ReferralStatus.ACCEPTED)
    for who in ("police", "centre"):
        with pytest.raises(NotFound):
            case_services.case_assign(actor=fresh(world[who]), case=case, responsible=world["police"])
    assert denials(action="case.assign")


# --- Flags ----------------------------------------------------------------------------------


def test_flags_are_raised_lifted_and_shown_to_those_who_see_the_case(world, case):
    police = api(world["police"])
    raised = police.post(f"/api/v1/cases/{case.pk}/flags/", {"reason": "security_risk"}, format="json")
    assert raised.status_code == 201
    flag = raised.json()
    assert (flag["reason"], flag["active"], flag["raised_by"], flag["organisation"]) == (
        "security_risk",
        True,
        "police",
        org("pu-bg").name,
    )
    assert police.get("/api/v1/cases/").json()["results"][0]["flags"] == ["security_risk"]
    again = police.post(f"/api/v1/cases/{case.pk}/flags/", {"reason": "security_risk"}, format="json")
    assert again.status_code == 409
    # A receiver sees the flag with the case and may raise one; an outsider sees neither.
    share(world["police"], case, "ngo-sigurna")
    move(world["ngo"], refer(world["police"], case, "ngo-sigurna"), ReferralStatus.ACCEPTED)
    ngo = api(world["ngo"])
    assert ngo.get(f"/api/v1/cases/{case.pk}/").json()["flags"] == ["security_risk"]
    raised = ngo.post(f"/api/v1/cases/{case.pk}/flags/", {"reason": "trafficker_contact"}, format="json")
    assert raised.status_code == 201
    assert api(world["ngo2"]).get(f"/api/v1/cases/{case.pk}/flags/").status_code == 404
    client = Client()
    client.force_login(world["police"])
    assert 'data-flag="trafficker_contact"' in client.get("/cases/").content.decode()
    lifted = police.post(f"/api/v1/cases/{case.pk}/flags/{flag['id']}/lift/")
    assert lifted.status_code == 200 and lifted.json()["active"] is False and lifted.json()["lifted_by"] == "police"
    assert police.post(f"/api/v1/cases/{case.pk}/flags/{flag['id']}/lift/").status_code == 409
    history = police.get(f"/api/v1/cases/{case.pk}/flags/").json()
    assert [(f["reason"], f["active"]) for f in history] == [("security_risk", False), ("trafficker_contact", True)]
    actions = list(AuditEntry.objects.filter(action__in=["case.flag", "case.unflag"]).values_list("action", flat=True))
    assert actions == ["case.flag", "case.flag", "case.unflag"]
    html = client.get(f"/cases/{case.pk}/").content.decode()
    assert "data-flags" in html and 'data-flag="trafficker_contact"' in html


@pytest.mark.parametrize("reason", ["", "danger", None])
def test_a_flag_without_a_known_reason_is_a_400_naming_it(world, case, reason):
    response = api(world["police"]).post(f"/api/v1/cases/{case.pk}/flags/", {"reason": reason}, format="json")
    assert response.status_code == 400
    assert "reason" in response.json()["errors"]
    with pytest.raises(ValidationError) as refused:
        case_services.flag_raise(actor=fresh(world["police"]), case=case, reason=reason or "")
    assert "reason" in refused.value.message_dict
    assert not CaseFlag.objects.exists()


def test_raising_a_standing_flag_twice_is_a_conflict(world, case):
    case_services.flag_raise(actor=fresh(world["police"]), case=case, reason="urgent_medical")
    with pytest.raises(Conflict):
        case_services.flag_raise(actor=fresh(world["police"]), case=case, reason="urgent_medical")


# --- A flag's short note ----------------------------------------------------------------------


def test_a_flags_note_is_encrypted_and_shown_to_whoever_sees_the_case(world, case):
    police = api(world["police"])
    raised = police.post(
        f"/api/v1/cases/{case.pk}/flags/",
        {"reason": "trafficker_contact", "note": "Uncle Vukasin calls"},
        format="json",
    )
    assert raised.status_code == 201 and raised.json()["note"] == "Uncle Vukasin calls"
    stored = CaseFlag.objects.values_list("note", flat=True).get()
    assert stored.startswith("v2:") and "Vukasin" not in stored
    # The audit row says there is a note, never what it says.
    entry = AuditEntry.objects.get(action="case.flag")
    assert entry.detail["note"] is True and "Vukasin" not in json.dumps(entry.detail)
    # A receiver of an accepted referral sees it with the flag; an outsider sees neither.
    share(world["police"], case, "ngo-sigurna")
    move(world["ngo"], refer(world["police"], case, "ngo-sigurna"), ReferralStatus.ACCEPTED)
    assert [f["note"] for f in api(world["ngo"]).get(f"/api/v1/cases/{case.pk}/flags/").json()] == [
        "Uncle Vukasin calls"
    ]
    assert api(world["ngo2"]).get(f"/api/v1/cases/{case.pk}/flags/").status_code == 404
    client = Client()
    client.force_login(world["ngo"])
    assert "Uncle Vukasin calls" in client.get(f"/cases/{case.pk}/").content.decode()


def test_a_flag_raised_on_the_page_keeps_its_note(world, case):
    client = Client()
    client.force_login(world["police"])
    response = client.post(f"/cases/{case.pk}/flags/", {"reason": "security_risk", "note": "  Threats by phone "})
    assert response.status_code == 302
    assert CaseFlag.objects.get().note == "Threats by phone"


@pytest.mark.parametrize("note", ["x" * 301, "bell\x07"])
def test_a_bad_flag_note_is_refused_naming_the_field_and_nothing_is_raised(world, case, note):
    response = api(world["police"]).post(
        f"/api/v1/cases/{case.pk}/flags/", {"reason": "security_risk", "note": note}, format="json"
    )
    assert response.status_code == 400 and "note" in response.json()["errors"]
    with pytest.raises(ValidationError) as refused:
        case_services.flag_raise(actor=fresh(world["police"]), case=case, reason="security_risk", note=note)
    assert "note" in refused.value.message_dict
    client = Client()
    client.force_login(world["police"])
    page = client.post(f"/cases/{case.pk}/flags/", {"reason": "security_risk", "note": note}, follow=True)
    assert "Short note (optional):" in page.content.decode()
    assert not CaseFlag.objects.exists()
    assert not AuditEntry.objects.filter(action="case.flag").exists()


def test_retention_erases_a_flags_note_and_keeps_the_flag(world, case):
    import datetime as dt

    from nrm.cases.retention import retention_apply

    case_services.flag_raise(actor=fresh(world["police"]), case=case, reason="security_risk", note="Brother Dragan")
    Case.objects.filter(pk=case.pk).update(status="closed", closed_on=dt.date(2000, 1, 1))
    assert retention_apply(on=dt.date(2030, 1, 1)) == [case.reference]
    flag = CaseFlag.objects.get()
    assert (flag.reason, flag.note) == ("security_risk", "")
