"""The programme pages: the Coordinator's forms at work, bad input, conflicts, lists and exports.

Who may open which page (anonymous, no role, a reader, the Coordinator) is the access matrix's
(``test_access_matrix.py``): readers read every page and export, only the Coordinator's office
reaches the forms, anyone else gets a 404 (anonymous: the sign-in page) and nothing changes.
"""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from django.test import Client
from openpyxl import load_workbook

from nrm.audit.models import AuditEntry
from nrm.programmes.models import Document, FundingLine, Indicator, IndicatorValue, Programme

from .conftest import IRC, JOINT
from .test_services import snapshot


def as_user(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture
def screened(programmes) -> Indicator:
    return Indicator.objects.get(programme=programmes[IRC], code="clients-screened")


WRITE_PAGES = [
    ("/programmes/new/", {"code": "new-one", "title": "New one"}),
    ("/programmes/{joint}/edit/", {"title": "Changed", "version": "1"}),
    ("/programmes/{joint}/funding/new/", {"donor": "EU", "amount": "10", "currency": "EUR"}),
    ("/programmes/{joint}/partners/new/", {"organisation": "{org}", "role": "funding"}),
    ("/programmes/{joint}/indicators/new/", {"code": "x", "name": "X", "unit": "people"}),
    ("/programmes/{irc}/indicators/{indicator}/targets/", {"baseline": "0", "target": "5000", "version": "1"}),
    (
        "/programmes/{irc}/indicators/{indicator}/values/new/",
        {"period_start": "2025-01-01", "period_end": "2025-03-31", "value": "7"},
    ),
    ("/programmes/{joint}/documents/new/", {"title": "New doc", "reference": "https://example.org"}),
]


def fill(text: str, programmes, screened, orgs) -> str:
    return text.format(
        joint=programmes[JOINT].pk, irc=programmes[IRC].pk, indicator=screened.pk, org=orgs["irc-serbia"].pk
    )


def test_coordinator_uses_every_form(programmes, people, screened, orgs):
    client = as_user(people["coordinator"])
    for path, body in WRITE_PAGES:
        url = fill(path, programmes, screened, orgs)
        assert client.get(url).status_code == 200, path
        data = {k: fill(v, programmes, screened, orgs) for k, v in body.items()}
        response = client.post(url, data)
        assert response.status_code == 302, (path, response.content.decode()[:2000])
    assert Programme.objects.filter(code="new-one").exists()
    assert Programme.objects.get(pk=programmes[JOINT].pk).title == "Changed"
    assert FundingLine.objects.filter(programme=programmes[JOINT], donor="EU", amount=Decimal(10)).exists()
    assert Document.objects.filter(programme=programmes[JOINT], title="New doc").exists()
    screened.refresh_from_db()
    assert (screened.baseline, screened.target) == (Decimal(0), Decimal(5000))
    assert IndicatorValue.objects.filter(indicator=screened, value=Decimal(7)).exists()
    actions = set(AuditEntry.objects.filter(actor_id=people["coordinator"].pk).values_list("action", flat=True))
    assert {
        "programmes.programme_create",
        "programmes.programme_edit",
        "programmes.funding_line_add",
        "programmes.partner_add",
        "programmes.indicator_add",
        "programmes.indicator_targets_set",
        "programmes.indicator_value_record",
        "programmes.document_add",
    } <= actions


def test_bad_input_goes_back_on_its_field(programmes, people):
    before = snapshot()
    client = as_user(people["coordinator"])
    joint = programmes[JOINT]
    response = client.post(
        f"/programmes/{joint.pk}/funding/new/", {"donor": "Belgium", "amount": "5", "currency": "USD"}
    )
    assert response.status_code == 200
    assert 'id="id_donor_error"' in response.content.decode()
    response = client.post(
        f"/programmes/{joint.pk}/documents/new/", {"title": "Bad link", "reference": "javascript:alert(1)"}
    )
    assert 'id="id_reference_error"' in response.content.decode()
    assert snapshot() == before


def test_stale_edit_is_a_conflict(programmes, people):
    joint = programmes[JOINT]
    client = as_user(people["coordinator"])
    url = f"/programmes/{joint.pk}/edit/"
    assert client.post(url, {"title": "First", "version": str(joint.version)}).status_code == 302
    response = client.post(url, {"title": "Second", "version": str(joint.version)})
    assert response.status_code == 409
    assert Programme.objects.get(pk=joint.pk).title == "First"


def test_list_filters_and_csv(programmes, people, orgs):
    client = as_user(people["ngo"])
    page = client.get("/programmes/").content.decode()
    assert programmes[JOINT].title in page and programmes[IRC].title in page
    assert "<caption>" in page and 'scope="col"' in page
    page = client.get("/programmes/", {"donor": "Belgium"}).content.decode()
    assert programmes[JOINT].title in page and programmes[IRC].title not in page
    page = client.get("/programmes/", {"partner": orgs["irc-serbia"].pk}).content.decode()
    assert programmes[IRC].title in page and programmes[JOINT].title not in page
    page = client.get("/programmes/", {"year": "2011"}).content.decode()
    assert programmes[JOINT].title in page and programmes[IRC].title not in page
    page = client.get("/programmes/", {"year": "2024"}).content.decode()
    assert programmes[IRC].title in page and programmes[JOINT].title not in page
    rows = list(
        csv.DictReader(io.StringIO(client.get("/programmes/export.csv", {"donor": "Belgium"}).getvalue().decode()))
    )
    assert [(r["code"], r["budget_amount"], r["budget_currency"], r["indicators"]) for r in rows] == [
        (JOINT, "1410097.00", "USD", "0")
    ]
    assert rows[0]["donors"] == "Belgium; Switzerland; UN Global Initiative to Fight Human Trafficking (UN GIFT)"


def test_detail_shows_funding_chart_framework_and_progress(programmes, people, screened):
    boss = people["coordinator"]
    from nrm.programmes import services

    services.indicator_targets_set(
        actor=boss, indicator=screened, expected_version=screened.version, baseline=Decimal(184), target=Decimal(4184)
    )
    client = as_user(people["ngo"])
    page = client.get(f"/programmes/{programmes[JOINT].pk}/").content.decode()
    assert '<svg class="chart" role="img"' in page and "680,097 USD" in page
    assert "UN Global Initiative to Fight Human Trafficking (UN GIFT)" in page
    assert "/iati.xml" in page
    page = client.get(f"/programmes/{programmes[IRC].pk}/").content.decode()
    # (2184 - 184) / (4184 - 184) = 50 %
    assert "50% of the way from baseline to target." in page
    assert "https://www.rferl.org/a/bosnia-serbia-migrant-drowning-boat-capsized-drina-river/33090280.html" in page


def test_values_csv_and_xlsx_hold_the_values(programmes, people, screened):
    client = as_user(people["analyst"])
    irc = programmes[IRC]
    rows = list(csv.DictReader(io.StringIO(client.get(f"/programmes/{irc.pk}/values.csv").getvalue().decode())))
    assert len(rows) == 12
    first = next(r for r in rows if r["indicator_code"] == "clients-screened")
    assert (first["value"], first["period_start"], first["period_end"]) == ("2184.00", "2018-01-01", "")
    response = client.get(f"/programmes/{irc.pk}/values.xlsx")
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.content)).active
    table = list(sheet.iter_rows(values_only=True))
    assert table[0][:2] == ("programme", "indicator_code")
    values = {row[1]: row[9] for row in table[1:]}
    assert values["clients-screened"] == 2184 and values["info-cards"] == 10000


def test_nav_link_for_readers_only(people):
    assert 'href="/programmes/"' in as_user(people["ngo"]).get("/").content.decode()
    assert 'href="/programmes/"' in as_user(people["coordinator"]).get("/").content.decode()
    assert 'href="/programmes/"' not in as_user(people["nobody"]).get("/").content.decode()


def test_missing_programme_and_foreign_indicator_are_404(programmes, people, screened):
    client = as_user(people["coordinator"])
    assert client.get("/programmes/999999/").status_code == 404
    joint = programmes[JOINT]
    assert client.get(f"/programmes/{joint.pk}/indicators/{screened.pk}/values/new/").status_code == 404
