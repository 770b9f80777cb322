"""The IATI 2.03 XML of a programme: well-formed, the right elements, the seed's numbers; page and API."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from nrm.programmes import services
from nrm.programmes.iati import activity_xml
from nrm.programmes.iati_rules import check_activities
from nrm.programmes.models import Indicator, IndicatorValue, Programme

from .conftest import COE, IRC, JOINT

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
    budgets = act.findall("budget")
    assert [(b.find("period-start").get("iso-date"), b.find("period-end").get("iso-date")) for b in budgets] == [
        ("2010-06-01", "2011-05-31"),
        ("2011-06-01", "2012-05-31"),
    ]
    assert {b.find("value").get("currency") for b in budgets} == {"USD"}
    assert sum(Decimal(b.find("value").text) for b in budgets) == Decimal("1410097")
    # Each donor's funding line is an incoming commitment (11), dated at the programme's start.
    money = [
        (
            t.find("transaction-type").get("code"),
            t.find("transaction-date").get("iso-date"),
            t.findtext("provider-org/narrative"),
            Decimal(t.find("value").text),
        )
        for t in act.findall("transaction")
    ]
    assert money == [
        ("11", "2010-06-01", "Belgium", Decimal("680097")),
        ("11", "2010-06-01", "Switzerland", Decimal("200000")),
        ("11", "2010-06-01", "UN Global Initiative to Fight Human Trafficking (UN GIFT)", Decimal("530000")),
    ]
    # Received by an implementing agency (the first by name: the source names no lead).
    assert {t.findtext("receiver-org/narrative") for t in act.findall("transaction")} == {
        "International Organization for Migration (IOM)"
    }
    assert [(s.get("vocabulary"), s.get("code"), s.get("percentage")) for s in act.findall("sector")] == [
        ("1", "15190", "100.00")
    ]
    assert rep.get("secondary-reporter") == "1"  # the UN agencies' activity, republished
    # The schema's order: identifier, reporting-org, title ... budget before result.
    tags = [child.tag for child in act]
    assert tags.index("iati-identifier") < tags.index("reporting-org") < tags.index("title")
    assert tags.index("activity-status") < tags.index("activity-date") < tags.index("sector") < tags.index("budget")
    assert tags.index("budget") < tags.index("transaction")


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
        ("2018-01-01", "2024-10-31"),  # the fact sheet's figures run to the end of October 2024
        ("2025-01-01", "2025-03-31"),
        ("2018-01-01", "2025-03-31"),  # the target, once, over the programme to its last value
    ]
    assert [a.get("value") for p in periods for a in p.findall("actual")] == ["2184.00", "120.00"]
    assert [t.get("value") for p in periods for t in p.findall("target")] == ["3000.00"]
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


def test_a_value_to_date_ends_on_the_day_it_was_recorded(programmes):
    irc = programmes[IRC]
    value = IndicatorValue.objects.get(indicator__programme=irc, indicator__code="clients-screened")
    assert (value.period_end, value.as_of) == (None, dt.date(2024, 10, 31))  # cumulative to the fact sheet's date
    IndicatorValue.objects.filter(pk=value.pk).update(as_of=None, recorded_at=dt.datetime(2024, 11, 5, tzinfo=dt.UTC))
    act = parse(activity_xml(irc, now=NOW)).find("iati-activity")
    indicators = {i.findtext("title/narrative"): i for i in act.iter("indicator")}
    [period] = indicators[value.indicator.name].findall("period")
    assert period.find("period-end").get("iso-date") == "2024-11-05"  # not the day of the export
    assert period.find("actual/comment/narrative").text.startswith("Cumulative")
    assert check_activities(activity_xml(irc, now=NOW), today=NOW.date()) == []


@pytest.mark.parametrize("code", [JOINT, IRC, COE])
def test_every_seed_programme_passes_iati_rules(programmes, code):
    today = timezone.localdate()
    data = activity_xml(programmes[code])
    assert check_activities(data, today=today) == []
    act = parse(data).find("iati-activity")
    for budget in act.findall("budget"):
        start = dt.date.fromisoformat(budget.find("period-start").get("iso-date"))
        end = dt.date.fromisoformat(budget.find("period-end").get("iso-date"))
        assert start <= end < start.replace(year=start.year + 1)


def test_the_council_of_europe_action_is_loaded_from_seed_003(programmes):
    coe = programmes[COE]
    assert (coe.budget_amount, coe.budget_currency) == (Decimal(750000), "EUR")
    values = {
        v.indicator.code: (v.value, v.period_start) for v in IndicatorValue.objects.filter(indicator__programme=coe)
    }
    assert values == {
        "roundtables": (Decimal(1), dt.date(2022, 10, 17)),
        "roundtable-participants": (Decimal(25), dt.date(2022, 10, 17)),
    }
    act = parse(activity_xml(coe, now=NOW)).find("iati-activity")
    assert sum(Decimal(b.find("value").text) for b in act.findall("budget")) == Decimal(750000)
    funders = {o.findtext("narrative") for o in act.findall("participating-org") if o.get("role") == "1"}
    assert funders == {"European Union", "Council of Europe"}


def test_the_reporting_organisation_is_a_setting(programmes, settings):
    settings.NRM_IATI_REPORTING_ORG_REF = "XM-DAC-99999"
    settings.NRM_IATI_REPORTING_ORG_NAME = "Office for Human Rights"
    data = activity_xml(programmes[JOINT], now=NOW)
    act = parse(data).find("iati-activity")
    assert act.findtext("iati-identifier") == f"XM-DAC-99999-{JOINT}"
    assert (act.find("reporting-org").get("ref"), act.findtext("reporting-org/narrative")) == (
        "XM-DAC-99999",
        "Office for Human Rights",
    )
    assert check_activities(data, today=NOW.date()) == []


def test_an_own_activity_is_not_secondary_and_names_its_reporter(programmes):
    joint = programmes[JOINT]
    Programme.objects.filter(pk=joint.pk).update(secondary_reporter=False)
    joint.refresh_from_db()
    data = activity_xml(joint, now=NOW)
    act = parse(data).find("iati-activity")
    assert act.find("reporting-org").get("secondary-reporter") is None
    [own] = [o for o in act.findall("participating-org") if o.get("ref")]
    assert (own.get("ref"), own.get("role")) == ("XM-NRM-RS", "2")
    assert check_activities(data, today=NOW.date()) == []


def _break(data: bytes, old: str, new: str) -> bytes:
    text = data.decode()
    assert old in text, old
    return text.replace(old, new, 1).encode()


@pytest.mark.parametrize(
    ("old", "new", "rule"),
    [
        ("<iati-identifier>XM-NRM-RS-", "<iati-identifier>XM-OTHER-", "starts_with"),
        ('ref="XM-NRM-RS" type="10"', 'ref="XM-NRM-RS" type="10" x="', "well-formed"),
        (
            '<sector vocabulary="1" code="15190" percentage="100.00"',
            '<sector vocabulary="1" code="15190" percentage="90"',
            "strict_sum",
        ),
        ('code="15190"', 'code="99999"', "codelist"),
        ('<period-end iso-date="2011-05-31"', '<period-end iso-date="2012-05-31"', "time_limit"),
        ('<transaction-date iso-date="2010-06-01"', '<transaction-date iso-date="2030-01-01"', "date_order"),
        ('secondary-reporter="1"', 'secondary-reporter="0"', "secondary-reporter"),
        ('<activity-date type="2"', '<activity-date type="7"', "codelist"),
        ('<recipient-country code="RS" percentage="100"', '<recipient-country code="RS" percentage="50"', "sum"),
        ('<transaction-type code="11"', '<transaction-type code="99"', "codelist"),
        ('last-updated-datetime="2025-05-01', 'last-updated-datetime="2031-05-01', "date_now"),
    ],
)
def test_each_rule_catches_its_breach(programmes, old, new, rule):
    good = activity_xml(programmes[JOINT], now=NOW)
    assert check_activities(good, today=NOW.date()) == []
    breaches = check_activities(_break(good, old, new), today=NOW.date())
    assert rule in {b.rule for b in breaches}, breaches


def test_a_result_period_ending_before_it_starts_is_caught(programmes):
    good = activity_xml(programmes[IRC], now=NOW)
    bad = _break(good, '<period-end iso-date="2024-10-31"', '<period-end iso-date="2017-10-31"')
    assert "date_order" in {b.rule for b in check_activities(bad, today=NOW.date())}


def test_a_sector_list_that_does_not_add_up_is_refused_at_loading(programmes):
    from django.core.exceptions import ValidationError

    from nrm.programmes.loading import check_sectors

    with pytest.raises(ValidationError) as caught:
        check_sectors([{"code": "15190", "percentage": "60"}, {"code": "15180", "percentage": "30"}], "sectors")
    assert "sectors" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        check_sectors([{"code": "12345"}], "sectors")
    assert "sectors[0].code" in caught.value.message_dict
