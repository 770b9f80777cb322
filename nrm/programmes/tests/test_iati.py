"""The IATI 2.03 XML of a programme: well-formed, the right elements, the seed's numbers; page and API."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from nrm.programmes import services
from nrm.programmes.iati import activity_xml
from nrm.programmes.models import Indicator

from .conftest import IRC, JOINT

LANG = "{http://www.w3.org/XML/1998/namespace}lang"
NOW = dt.datetime(2025, 5, 1, 12, 0, tzinfo=dt.UTC)


def parse(data: bytes) -> ET.Element:
    assert data.startswith(b"<?xml")
    root = ET.fromstring(data)
    assert (root.tag, root.get("version")) == ("iati-activities", "2.03")
    return root


def texts(element: ET.Element, path: str) -> list[str]:
    return [n.text for n in element.findall(path)]


def test_joint_programme_activity(programmes):
    root = parse(activity_xml(programmes[JOINT], now=NOW))
    [act] = root.findall("iati-activity")
    assert act.get("default-currency") == "USD" and act.get(LANG) == "en"
    assert act.findtext("iati-identifier") == f"XM-NRM-RS-{JOINT}"
    rep = act.find("reporting-org")
    assert (rep.get("ref"), rep.get("type")) == ("XM-NRM-RS", "10")
    assert texts(act, "title/narrative") == [programmes[JOINT].title]
    assert act.find("title/narrative").get(LANG) == "en"
    roles = sorted((o.get("role"), o.findtext("narrative")) for o in act.findall("participating-org"))
    assert [r for r, _n in roles] == ["1", "1", "1", "4", "4", "4"]
    assert ("1", "Belgium") in roles and ("4", "International Organization for Migration (IOM)") in roles
    assert act.find("activity-status").get("code") == "4"  # ended in 2012
    dates = {d.get("type"): d.get("iso-date") for d in act.findall("activity-date")}
    assert dates == {"2": "2010-06-01", "3": "2012-05-31"}
    [budget] = act.findall("budget")
    value = budget.find("value")
    assert (value.get("currency"), value.get("value-date"), Decimal(value.text)) == (
        "USD",
        "2010-06-01",
        Decimal("1410097"),
    )
    assert budget.find("period-start").get("iso-date") == "2010-06-01"
    assert act.findall("transaction") == []  # no transactions are recorded
    # The schema's order: identifier, reporting-org, title ... budget before result.
    tags = [child.tag for child in act]
    assert tags.index("iati-identifier") < tags.index("reporting-org") < tags.index("title")
    assert tags.index("activity-status") < tags.index("activity-date") < tags.index("budget")


def test_results_carry_baseline_target_and_actuals(programmes, people):
    irc = programmes[IRC]
    screened = Indicator.objects.get(programme=irc, code="clients-screened")
    boss = people["coordinator"]
    services.indicator_targets_set(
        actor=boss, indicator=screened, expected_version=screened.version, baseline=Decimal(0), target=Decimal(3000)
    )
    services.indicator_value_record(
        actor=boss,
        indicator=screened,
        period_start=dt.date(2025, 1, 1),
        period_end=dt.date(2025, 3, 31),
        value=Decimal(120),
    )
    act = parse(activity_xml(irc, now=NOW)).find("iati-activity")
    assert act.find("budget") is None  # the source gives no budget
    assert act.find("activity-status").get("code") == "2"
    results = act.findall("result")
    assert len(results) == 12 and all(r.get("type") == "1" for r in results)
    indicators = {i.findtext("title/narrative"): i for r in results for i in r.findall("indicator")}
    ind = indicators[screened.name]
    assert ind.get("measure") == "1"
    assert (ind.find("baseline").get("year"), ind.find("baseline").get("value")) == ("2018", "0.00")
    periods = ind.findall("period")
    assert [(p.find("period-start").get("iso-date"), p.find("period-end").get("iso-date")) for p in periods] == [
        ("2018-01-01", "2025-05-01"),  # "to date": the export's date, with a comment
        ("2025-01-01", "2025-03-31"),
    ]
    assert [p.find("actual").get("value") for p in periods] == ["2184.00", "120.00"]
    assert [p.find("target").get("value") for p in periods] == ["3000.00", "3000.00"]
    assert periods[0].find("actual/comment/narrative").text.startswith("Cumulative")
    cards = indicators[Indicator.objects.get(programme=irc, code="info-cards").name]
    assert cards.find("baseline") is None and cards.find("period/target") is None
    assert Decimal(cards.find("period/actual").get("value")) == Decimal(10000)


def test_hostile_text_stays_text(programmes, people):
    joint = programmes[JOINT]
    services.programme_edit(
        actor=people["coordinator"],
        programme=joint,
        expected_version=joint.version,
        title='<script>&"x"</script>',
        period_start=joint.period_start,
        period_end=joint.period_end,
        budget_amount=joint.budget_amount,
        budget_currency=joint.budget_currency,
    )
    act = parse(activity_xml(joint, now=NOW)).find("iati-activity")
    assert act.findtext("title/narrative") == '<script>&"x"</script>'


def api(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def test_api_iati_xml_access(programmes, people):
    url = f"/api/v1/programmes/{programmes[JOINT].pk}/iati-xml/"
    assert api().get(url).status_code in (401, 403)
    assert api(people["nobody"]).get(url).status_code == 403
    assert api(people["ngo"]).get("/api/v1/programmes/999999/iati-xml/").status_code == 404
    response = api(people["ngo"]).get(url)
    assert response.status_code == 200 and response["Content-Type"].startswith("application/xml")
    act = parse(response.content).find("iati-activity")
    assert act.findtext("iati-identifier") == f"XM-NRM-RS-{JOINT}"
    # The JSON endpoint is still there and says the same.
    body = api(people["ngo"]).get(f"/api/v1/programmes/{programmes[JOINT].pk}/iati/").json()
    assert body["iati-activity"]["activity-status"] == {"code": "4"}
    links = api(people["ngo"]).get(f"/api/v1/programmes/{programmes[JOINT].pk}/").json()["links"]
    assert links["iati_xml"].endswith(url)


def test_web_download_matches(programmes, people):
    from django.test import Client

    client = Client()
    client.force_login(people["analyst"])
    response = client.get(f"/programmes/{programmes[IRC].pk}/iati.xml")
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    assert parse(response.content).find("iati-activity/iati-identifier").text == f"XM-NRM-RS-{IRC}"


@pytest.mark.django_db
def test_schema_documents_the_xml_download(world):
    response = api(world["admin"]).get("/api/v1/schema/", {"format": "json"})
    assert response.status_code == 200
    schema = response.json() if response["Content-Type"].startswith("application/json") else None
    if schema is None:
        import yaml

        schema = yaml.safe_load(response.content)
    path = schema["paths"]["/api/v1/programmes/{id}/iati-xml/"]
    assert "application/xml" in path["get"]["responses"]["200"]["content"]
