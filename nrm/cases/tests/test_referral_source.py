"""Referral sources without an organisation: set at opening (service, API, form), shown, counted."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from conftest import fresh
from nrm.api.tests.test_api import GOOD_CASE, assert_problem
from nrm.cases import services as case_services
from nrm.cases.models import Case, Person
from nrm.cases.tests.helpers import api, open_case, org, state
from nrm.reporting.engine import TOTAL
from nrm.reporting.selectors import run_report
from nrm.reporting.tables import REPORTS
from nrm.reporting.tests.helpers import decide, victim


def test_a_case_opens_with_its_referral_source(world):
    case = open_case(world["police"], referral_source="self")
    assert Case.objects.get(pk=case.pk).referral_source == "self"
    assert open_case(world["police"]).referral_source == "organisation"  # the default: the existing path


def test_a_bad_referral_source_names_the_field_and_stores_nothing(world):
    before = state()
    with pytest.raises(ValidationError) as error:
        case_services.case_open(actor=fresh(world["police"]), organisation=org("pu-bg"), referral_source="neighbour")
    assert "referral_source" in error.value.message_dict
    assert state() == before


def test_the_api_sets_and_returns_the_referral_source(world):
    client = api(world["police"])
    response = client.post("/api/v1/cases/", {**GOOD_CASE, "referral_source": "foreign_authority"}, format="json")
    assert response.status_code == 201, response.content
    case_id = response.json()["id"]
    assert Case.objects.get(pk=case_id).referral_source == "foreign_authority"
    assert client.get(f"/api/v1/cases/{case_id}/").json()["referral_source"] == "foreign_authority"
    before = state()
    assert_problem(
        client.post("/api/v1/cases/", {**GOOD_CASE, "referral_source": "rumour"}, format="json"), 400, "referral_source"
    )
    assert state() == before


def test_the_case_form_sets_it_and_the_case_page_shows_it(world):
    client = Client()
    client.force_login(world["ngo"])
    post = {"organisation": org("ngo-sigurna").pk, "sex": "F", "migration_status": "unknown", "given_name": "Mila"}
    response = client.post("/cases/new/", {**post, "referral_source": "family_citizen"})
    case = Case.objects.get()
    assert response.status_code == 302
    assert case.referral_source == "family_citizen"
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert "Family member or citizen" in page
    # Someone of another organisation sees no case, and so no source: the case's own rule.
    other = Client()
    other.force_login(world["police"])
    assert other.get(f"/cases/{case.pk}/").status_code == 404

    before = (Case.objects.count(), Person.objects.count())
    response = client.post("/cases/new/", {**post, "referral_source": "neighbour"})
    assert response.status_code == 200
    assert 'id="id_referral_source_error"' in response.content.decode()
    assert (Case.objects.count(), Person.objects.count()) == before


def test_victims_by_referral_source_in_the_centres_tables(world):
    opened = dt.date(2024, 3, 1)
    decide(world, victim(world["police"], opened_on=opened))  # brought by the police: its type
    decide(world, victim(world["police"], opened_on=opened, referral_source="self"))
    decide(world, victim(world["ngo"], "ngo-sigurna", opened_on=opened, referral_source="foreign_authority"))
    victim(world["police"], opened_on=opened, referral_source="self")  # not identified: not in this table

    table = run_report(REPORTS["centre_identified_by_source"], raw=True)
    counts = {tuple(c.key[d] for d in table.dims): c.count for c in (*table.cells, *table.totals) if c.count}
    assert counts == {
        (2024, "police"): 1,
        (2024, "self"): 1,
        (2024, "foreign_authority"): 1,
        (2024, TOTAL): 3,
        (TOTAL, "police"): 1,
        (TOTAL, "self"): 1,
        (TOTAL, "foreign_authority"): 1,
        (TOTAL, TOTAL): 3,
    }
    assert table.labels["referral_source"]["self"] == "Self-referral"
    assert REPORTS["centre_identified_by_source"].family == "centre"
